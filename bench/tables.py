"""What each organisers' table costs in the web process: ``python -m bench.tables``.

For each table the load benchmark asks for (``bench/targets.py``), signed in as the demo's
administrator through the app's own test client: the median CPU time (``time.process_time``)
of one request and its SQL statements, with the table's drawn region kept in the shared cache
(each request after the first is a hit) and drawn for every request (``TABLE_CACHE_TIMEOUT``
0), and the database's own time (planning and execution, EXPLAIN ANALYZE, best of three) for
the statements of one drawn request. The figures add up what a page costs the two cores,
without the HTTP server, wrk or the noise of wall-clock timings on a shared machine.

Runs on the database and Redis named by ``EXPO_DATABASE_URL`` and ``EXPO_REDIS_URL`` (a copy
of a benchmark data set: nothing is written but the log-in)."""
from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import sqlalchemy as sa

from bench.cost import counted

KEYS = ("manage_registrations", "manage_registrations_filtered", "manage_bookings", "manage_sessions",
        "manage_people", "manage_organisations", "manage_networks")


def _database_ms(engine: sa.Engine, statements: list[tuple[str, Any]]) -> float:
    """Planning and execution time of these SELECT statements (best of three each)."""
    total = 0.0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            times = []
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                plan = cursor.fetchone()[0][0]
                times.append(plan["Planning Time"] + plan["Execution Time"])
            total += min(times)
        raw.rollback()
    finally:
        raw.close()
    return round(total, 2)


def measure(rounds: int) -> dict[str, Any]:
    from flask import Flask

    from bench.targets import USER_AGENT, csrf_token, discover
    from expo import create_app
    from expo.core.extensions import db

    app: Flask = create_app()
    with app.app_context():
        found = discover(app)
        engine = db.engine
    targets = {t.key: t for t in found.targets}
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT  # the log-in is bound to it
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    answer = client.post("/account/login", data={"csrf_token": token, "email": found.logins["organiser"],
                                                 "password": found.password})
    if answer.status_code != 302:
        raise SystemExit(f"logging in answered {answer.status_code}")
    kept_for = app.config["TABLE_CACHE_TIMEOUT"]
    out: dict[str, Any] = {}
    for key in KEYS:
        path = targets[key].path
        row: dict[str, Any] = {"path": path}
        for mode, timeout in (("kept", kept_for), ("drawn", 0)):
            app.config["TABLE_CACHE_TIMEOUT"] = timeout
            cpu: list[float] = []
            statements: list[tuple[str, Any]] = []

            def keep(conn, cursor, statement, parameters, context, executemany) -> None:
                statements.append((statement, parameters))

            for i in range(rounds + 3):
                statements.clear()
                sa.event.listen(engine, "before_cursor_execute", keep)
                with counted(engine) as tally:
                    started = time.process_time()
                    status = client.get(path).status_code
                    spent = time.process_time() - started
                sa.event.remove(engine, "before_cursor_execute", keep)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
                if i >= 3:  # the first rounds load templates and fill the caches
                    cpu.append(spent * 1000)
            row[mode] = {"cpu_ms": round(statistics.median(cpu), 2), "statements": tally.statements,
                         "database_ms": _database_ms(engine, statements)}
        app.config["TABLE_CACHE_TIMEOUT"] = kept_for
        out[key] = row
        print(f"{key:32} kept {row['kept']['cpu_ms']:6.1f} ms CPU, {row['kept']['statements']} statements, "
              f"{row['kept']['database_ms']:5.1f} ms database · drawn {row['drawn']['cpu_ms']:6.1f} ms CPU, "
              f"{row['drawn']['statements']} statements, {row['drawn']['database_ms']:5.1f} ms database", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tables", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="requests measured per table and mode")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.rounds)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(figures, file, indent=1)


if __name__ == "__main__":
    main()
