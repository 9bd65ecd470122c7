"""Twinning bench: 53 pilot cities × 500 applicant cities (``python -m bench.twinning``).

Builds a reproducible set of cities (themes with priorities, populations, languages, texts of
needs and offers drawn from the same vocabulary of climate measures), then times the affinity
(TF-IDF included), the optimal assignment, the greedy one and the reasons of every chosen pair,
and then the whole service on a SQLite database (loading, matching, writing 500 pairs). Prints
the totals of the optimal and the greedy matching; the goal is well under 5 s in all."""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from expo.twinning import matching
from expo.twinning.models import THEMES

RESULTS = Path(__file__).resolve().parent / "results"
LANGUAGES = ["en", "sv", "fi", "da", "de", "fr", "es", "it", "pl", "nl", "et", "pt"]
COUNTRIES = ["SE", "FI", "DK", "DE", "FR", "ES", "IT", "PL", "NL", "EE", "PT", "NO", "AT", "IE"]
MEASURES = [
    "district heating", "heat pumps", "bus lanes", "cycle highways", "car free centre", "biogas buses",
    "waste sorting", "food waste", "circular construction", "timber buildings", "renovation loans",
    "green bonds", "climate budget", "citizen assemblies", "urban forests", "rain gardens", "solar roofs",
    "wind power", "energy communities", "smart grids", "electric ferries", "freight consolidation",
    "industrial symbiosis", "hydrogen steel", "port electrification", "public procurement",
]


def _text(rng: random.Random, verb: str) -> str:
    return " ".join(f"{verb} {m}." for m in rng.sample(MEASURES, rng.randint(2, 5)))


def cities(pilots: int, applicants: int, seed: int = 53) -> tuple[list[matching.City], list[matching.City]]:
    rng = random.Random(seed)

    def city(i: int, verb: str) -> matching.City:
        themes = {t: rng.randint(1, 3) for t in rng.sample(list(THEMES), rng.randint(2, 5))}
        return matching.City(
            id=i, name=f"City {i}", country=rng.choice(COUNTRIES), population=int(10 ** rng.uniform(4, 6.3)),
            themes=themes, languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 3))), text=_text(rng, verb))

    return [city(i, "We need") for i in range(applicants)], [city(10_000 + j, "We offer") for j in range(pilots)]


def run_pure(pilots: int, applicants: int, capacity: int) -> dict:
    a, p = cities(pilots, applicants)
    started = time.perf_counter()
    result = matching.affinity(a, p)
    scored = time.perf_counter()
    forbidden = matching.forbidden_mask(a, p, separate_countries=True)
    optimal = matching.assign(result.scores, capacity, forbidden=forbidden)
    assigned = time.perf_counter()
    greedy = matching.greedy(result.scores, capacity, forbidden=forbidden)
    greedy_done = time.perf_counter()
    for i, j in optimal.items():
        matching.reasons(a[i], p[j], i, j, result)
    explained = time.perf_counter()
    return {
        "pilots": pilots, "applicants": applicants, "capacity": capacity,
        "matched": len(optimal), "greedy_matched": len(greedy),
        "total_affinity": round(matching.total(result.scores, optimal), 1),
        "greedy_affinity": round(matching.total(result.scores, greedy), 1),
        "seconds": {"affinity": round(scored - started, 3), "assignment": round(assigned - scored, 3),
                    "greedy": round(greedy_done - assigned, 3), "reasons": round(explained - greedy_done, 3),
                    "total": round(explained - started, 3)},
    }


def run_service(pilots: int, applicants: int, capacity: int) -> float:
    """Seconds of ``run_matching`` over the database (SQLite in a temporary folder)."""
    from expo import create_app
    from expo.accounts.models import Role, User
    from expo.core.extensions import db
    from expo.twinning import services
    from expo.twinning.models import ApplicationStatus, PilotCity, TwinningApplication, TwinningProgramme

    folder = Path(tempfile.mkdtemp(prefix="expo-twinning-bench-"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}", "SECRET_KEY": "bench",
                      "TESTING": True, "REDIS_URL": None, "CACHE_TYPE": "SimpleCache", "JOB_QUEUE": "eager"})
    a, p = cities(pilots, applicants)
    with app.app_context():
        db.create_all()
        admin = User(email="admin@bench.test", name="Admin", role=Role.ADMIN, password_hash="x")
        programme = TwinningProgramme(name="Bench", themes=list(THEMES), max_twins=capacity,
                                      deadline=datetime.now(timezone.utc) + timedelta(days=1),
                                      weights=dict(matching.DEFAULT_WEIGHTS))
        db.session.add_all([admin, programme])
        db.session.add_all(PilotCity(programme=programme, name=c.name, population=c.population, themes=dict(c.themes),
                                     languages=sorted(c.languages), offers=c.text) for c in p)
        for c in a:
            user = User(email=f"city{c.id}@bench.test", name=c.name, role=Role.DELEGATE, password_hash="x")
            db.session.add(TwinningApplication(programme=programme, user=user, organisation=c.name, city=c.name,
                                               population=c.population, themes=dict(c.themes),
                                               languages=sorted(c.languages), challenges=c.text,
                                               status=ApplicationStatus.ACCEPTED))
        db.session.commit()
        started = time.perf_counter()
        run = services.run_matching(programme=programme, actor=admin)
        db.session.commit()
        seconds = time.perf_counter() - started
        assert len(run.pairs) == applicants
    return round(seconds, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilots", type=int, default=53)
    parser.add_argument("--applicants", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=10)
    args = parser.parse_args()
    result = run_pure(args.pilots, args.applicants, args.capacity)
    result["service_seconds"] = run_service(args.pilots, args.applicants, args.capacity)
    gain = result["total_affinity"] - result["greedy_affinity"]
    print(json.dumps(result, indent=2))
    print(f"optimal {result['total_affinity']} vs greedy {result['greedy_affinity']} (+{gain:.1f}); "
          f"matching {result['seconds']['total']} s, through the service {result['service_seconds']} s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{datetime.now(timezone.utc):%Y-%m-%d}-twinning.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
