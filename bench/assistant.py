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
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_SECONDS = 60
LARGE_TARGET_SECONDS = 600  # a programme ten times H22's
TARGET_REDUCTION = 0.30


def _overfull(problem, solver) -> list[dict]:
    """Sessions that may go to the same rooms on the same day and need more time in them than
    those rooms are open (a reason a programme has no proposal), largest shortfall first."""
    groups: dict = {}
    for item in problem.items:
        if item.fixed or not item.in_person:
            continue
        rooms = frozenset(r.id for r in solver.candidate_rooms(problem, item))
        groups.setdefault((item.windows, rooms), []).append(item)
    by_id = {r.id: r for r in problem.rooms}
    out = []
    for (windows, rooms), items in groups.items():
        open_steps = sum(hi - lo for r in rooms for lo, hi in solver.room_windows(by_id[r], items[0]))
        held = sum(i.duration for i in problem.items if i.fixed and i.room_id in rooms
                   and any(lo <= i.start < hi for lo, hi in (windows or ())))
        need = sum(i.duration for i in items)
        if need + held > open_steps:
            out.append({"sessions": len(items), "rooms": len(rooms), "steps_needed": need + held,
                        "steps_open": open_steps, "kinds": sorted({str(i.rooms is not None) for i in items})})
    return sorted(out, key=lambda g: g["steps_open"] - g["steps_needed"])[:10]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=int, default=45, help="the solver's time limit in seconds")
    parser.add_argument("--workers", type=int, default=2, help="solver threads")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--suffix", default="", help="added to the result file's name")
    parser.add_argument("--scale", type=int, default=1,
                        help="an expo this many times H22 (sessions, delegates, bookings), generated like the demo")
    parser.add_argument("--largest-event", action="store_true",
                        help="re-place the sessions of the event with the most sessions only (the rest stay)")
    args = parser.parse_args(argv)

    from expo import create_app
    from expo.assistant import planning, solver
    from expo.core.extensions import db
    from expo.demo.generate import build_expo, demo_password_hash
    from expo.demo.h22 import DEMO_PLAN, load_demo
    from expo.events.models import Event
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
            if args.scale == 1:
                print(load_demo(), flush=True)
            else:
                plan = replace(DEMO_PLAN, sessions=DEMO_PLAN.sessions * args.scale,
                               delegates=DEMO_PLAN.delegates * args.scale, bookings=DEMO_PLAN.bookings * args.scale,
                               cancelled_sessions=DEMO_PLAN.cancelled_sessions * args.scale)
                print(build_expo(plan, password_hash=demo_password_hash()).line(), flush=True)
            db.session.commit()
            live = sa.select(ProgrammeSession.id).where(ProgrammeSession.status != SessionStatus.CANCELLED)
            event = None
            if args.largest_event:
                event_id = db.session.execute(
                    sa.select(ProgrammeSession.event_id).where(ProgrammeSession.status != SessionStatus.CANCELLED)
                    .group_by(ProgrammeSession.event_id).order_by(sa.func.count().desc()).limit(1)).scalar_one()
                event = db.session.get(Event, event_id)
                live = live.where(ProgrammeSession.event_id == event_id)
            ids = list(db.session.scalars(live))
            started = time.monotonic()
            ctx = planning.build(event=event, settings=planning.Settings(session_ids=tuple(ids), move_published=True))
            built = time.monotonic() - started
            before = planning.figures(ctx, {})
            solution = solver.solve(ctx.problem, time_limit=args.time_limit - built, workers=args.workers)
            solved = time.monotonic() - started
            moved = {k: v for k, v in solution.placements.items() if k in ctx.movable}
            after = planning.figures(ctx, moved) if solution.found else {}
            unplaced = {k: v for k, v in solution.unplaced.items() if k in ctx.movable}
            entries = planning.unplaced_entries(ctx, unplaced)
            reasons: dict[str, int] = {}
            for entry in entries:
                reasons[entry["reason"]] = reasons.get(entry["reason"], 0) + 1
            certain = planning.certain_clashes(ctx, set(unplaced))
            unplaceable = [i.id for i in ctx.problem.items if not i.fixed and i.in_person
                           and not solver.candidate_rooms(ctx.problem, i)]
            overfull = _overfull(ctx.problem, solver) if not solution.found else []
            event_name = event.name if event else None
            rooms = len(ctx.problem.rooms)
            total = time.monotonic() - started
            load = os.getloadavg()
    target = TARGET_SECONDS if args.scale == 1 else LARGE_TARGET_SECONDS
    reduction = (1 - after["wanted_clashes"] / before["wanted_clashes"]) if after and before["wanted_clashes"] else None
    result = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in load],
        "scale": args.scale,
        "event": event_name,
        "sessions": len(ids),
        "rooms": rooms,
        "sessions_fitting_no_room": len(unplaceable),
        # Without a proposal: groups of sessions of one day that need more room-time than their rooms have.
        "overfull_groups": overfull,
        "pairs_in_model": len(ctx.problem.pairs),
        "time_limit": args.time_limit,
        "seconds_model": round(built, 2),
        "seconds_solver": round(solved - built, 2),
        "seconds_total": round(total, 2),
        "status": solution.status,
        "objective": solution.objective,
        # CP-SAT's best objective bound (at least the floor): no placement of this model scores below it.
        "bound": solution.bound,
        # What every placement pays: moves of sessions that cannot stay where they stand.
        "bound_floor": solution.floor,
        "gap": round((solution.objective - solution.bound) / solution.objective, 3)
        if solution.objective and solution.bound is not None else None,
        "first_solution_seconds": solution.progress[0][0] if solution.progress else None,
        "placed": len([k for k in moved]),
        "unplaced": len(unplaced),
        "unplaced_by_reason": reasons,
        "unplaced_examples": [{"title": e["title"], "reason": e["reason"], "seats": e["seats"],
                               "largest": e.get("largest")} for e in entries[:5]],
        # Delegates facing a clash whatever is proposed: two wanted sessions that both stay.
        "wanted_clashes_certain": certain,
        "before": before,
        "after": after,
        "moved": sum(1 for k, v in moved.items() if (v.start, v.room_id) != (
            next(i.start for i in ctx.problem.items if i.id == k), next(i.room_id for i in ctx.problem.items if i.id == k))),
        "wanted_clash_reduction": round(reduction, 3) if reduction is not None else None,
        "targets": {
            "a proposal": solution.found,
            "hard conflicts 0": bool(after) and after["hard_conflicts"] == 0,
            f"under {target} s": total < target,
            f"wanted clashes at least {TARGET_REDUCTION:.0%} fewer": reduction is not None and reduction >= TARGET_REDUCTION,
        },
    }
    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        suffix = "" if args.scale == 1 and not args.largest_event else f"-x{args.scale}{'-event' if event_name else ''}"
        suffix += args.suffix
        (RESULTS / f"{datetime.now(timezone.utc):%Y-%m-%d}-assistant{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
