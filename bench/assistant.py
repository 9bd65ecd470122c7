"""Scheduling assistant benchmark: ``python -m bench.assistant`` (``--help`` for the options).

Loads the H22 demo at its real dates (about 300 sessions, the delegates' stars and bookings)
into a fresh SQLite file, takes its hand-made schedule as the baseline and asks the assistant
to re-place every session of the whole expo (published ones included) within the time limit.
Prints and stores the figures: delegates facing two wanted sessions at once before and after,
hard conflicts after (by the programme's own conflict rules), rooms used, transfers, the
solver's objective and bound, and the time taken. Results go to bench/results/<date>-assistant.json."""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_SECONDS = 60
TARGET_REDUCTION = 0.30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=int, default=45, help="the solver's time limit in seconds")
    parser.add_argument("--workers", type=int, default=2, help="solver threads")
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from expo import create_app
    from expo.assistant import planning, solver
    from expo.core.extensions import db
    from expo.demo.h22 import load_demo
    from expo.people.services import sync_countries
    from expo.programme.models import ProgrammeSession, SessionStatus
    import sqlalchemy as sa

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("EXPO_INSTANCE_PATH", tmp)
        app = create_app({
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'assistant-bench.sqlite'}", "SECRET_KEY": "bench",
            "CACHE_TYPE": "SimpleCache", "REDIS_URL": None, "JOB_QUEUE": "eager", "RATELIMIT_ENABLED": False,
            "BASE_URL": "http://expo.bench",
        })
        with app.app_context():
            db.create_all()
            sync_countries()
            print(load_demo(), flush=True)
            db.session.commit()
            ids = list(db.session.scalars(
                sa.select(ProgrammeSession.id).where(ProgrammeSession.status != SessionStatus.CANCELLED)
            ))
            started = time.monotonic()
            ctx = planning.build(event=None, settings=planning.Settings(session_ids=tuple(ids), move_published=True))
            built = time.monotonic() - started
            before = planning.figures(ctx, {})
            solution = solver.solve(ctx.problem, time_limit=args.time_limit - built, workers=args.workers)
            solved = time.monotonic() - started
            moved = {k: v for k, v in solution.placements.items() if k in ctx.movable}
            after = planning.figures(ctx, moved) if solution.found else {}
            total = time.monotonic() - started
            load = os.getloadavg()
    reduction = (1 - after["wanted_clashes"] / before["wanted_clashes"]) if after and before["wanted_clashes"] else None
    result = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in load],
        "sessions": len(ids),
        "pairs_in_model": len(ctx.problem.pairs),
        "time_limit": args.time_limit,
        "seconds_model": round(built, 2),
        "seconds_solver": round(solved - built, 2),
        "seconds_total": round(total, 2),
        "status": solution.status,
        "objective": solution.objective,
        "bound": solution.bound,
        "before": before,
        "after": after,
        "moved": sum(1 for k, v in moved.items() if (v.start, v.room_id) != (
            next(i.start for i in ctx.problem.items if i.id == k), next(i.room_id for i in ctx.problem.items if i.id == k))),
        "wanted_clash_reduction": round(reduction, 3) if reduction is not None else None,
        "targets": {
            "hard conflicts 0": bool(after) and after["hard_conflicts"] == 0,
            f"under {TARGET_SECONDS} s": total < TARGET_SECONDS,
            f"wanted clashes at least {TARGET_REDUCTION:.0%} fewer": reduction is not None and reduction >= TARGET_REDUCTION,
        },
    }
    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{datetime.now(timezone.utc):%Y-%m-%d}-assistant.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
