"""What one booking and one cancellation cost, measured in-process beside the load figures:
SQL statements sent, commits, the web process's CPU time (``time.process_time``) and the wall
time, per request, through the app's own test client (the whole request: log-in cookie,
permission checks, the service, the commit and what runs after it). And what a commit of
PostgreSQL costs on this machine, with ``synchronous_commit`` on and off."""
from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa


@dataclass
class Tally:
    statements: int = 0
    commits: int = 0
    texts: list[str] = field(default_factory=list)


@contextmanager
def counted(engine: sa.Engine) -> Iterator[Tally]:
    """Count the statements and commits sent through ``engine`` inside the block."""
    tally = Tally()

    def on_statement(conn, cursor, statement, parameters, context, executemany) -> None:
        tally.statements += 1
        tally.texts.append(" ".join(statement.split())[:160])

    def on_commit(conn) -> None:
        tally.commits += 1

    sa.event.listen(engine, "before_cursor_execute", on_statement)
    sa.event.listen(engine, "commit", on_commit)
    try:
        yield tally
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_statement)
        sa.event.remove(engine, "commit", on_commit)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def request_costs(app, slot: dict[str, Any], password: str, rounds: int = 30) -> dict[str, Any]:
    """Book and cancel ``rounds`` times as the slot's delegate; median CPU and wall time (ms)
    and the statement count of each, plus the statements of the last booking and cancellation."""
    from expo.core.extensions import db

    client = app.test_client()
    answer = client.post("/account/login", data={"email": slot["email"], "password": password})
    if answer.status_code != 302:
        raise RuntimeError(f"logging in as {slot['email']} answered {answer.status_code}")
    with app.app_context():
        engine = db.engine
    out: dict[str, Any] = {}
    samples: dict[str, list[tuple[float, float, Tally]]] = {"book": [], "cancel": []}
    for i in range(rounds + 3):
        for action in ("book", "cancel"):
            # A browser shows the message flashed by the last answer on the page it is sent to,
            # and wrk sends the same cookie each time: without this the test client's cookie
            # would carry every message so far, and each request would read and sign them all.
            with client.session_transaction() as cookie:
                cookie.pop("_flashes", None)
            with counted(engine) as tally:
                cpu, wall = time.process_time(), time.perf_counter()
                status = client.post(slot[action], data={}).status_code
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            if status != 302:
                raise RuntimeError(f"{action} answered {status}")
            if i >= 3:  # the first rounds load templates, catalogues and connections
                samples[action].append((cpu * 1000, wall * 1000, tally))
    for action, rows in samples.items():
        last = rows[-1][2]
        out[action] = {
            "cpu_ms": _median([r[0] for r in rows]),
            "wall_ms": _median([r[1] for r in rows]),
            "statements": int(statistics.median(r[2].statements for r in rows)),
            "commits": int(statistics.median(r[2].commits for r in rows)),
            "rounds": len(rows),
            "statement_texts": last.texts,
        }
    return out


def commit_latency(conninfo: dict[str, Any], rounds: int = 200) -> dict[str, Any]:
    """Median and p95 (ms) of one one-row UPDATE and its COMMIT on this PostgreSQL, with
    ``synchronous_commit`` on (the default: the commit waits for the WAL to reach the disk)
    and off (it does not; a crash may lose the last fraction of a second of commits)."""
    out: dict[str, Any] = {}
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (id int PRIMARY KEY, n bigint)")
        conn.execute("INSERT INTO bench_commit_probe VALUES (1, 0) ON CONFLICT DO NOTHING")
        try:
            for setting in ("on", "off"):
                conn.execute(f"SET synchronous_commit = {setting}")
                timings = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    with conn.transaction():
                        conn.execute("UPDATE bench_commit_probe SET n = n + 1 WHERE id = 1")
                    timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                out[f"synchronous_commit_{setting}"] = {
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2), "rounds": rounds}
        finally:
            conn.execute("DROP TABLE IF EXISTS bench_commit_probe")
    return out
