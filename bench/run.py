"""Load benchmark: ``make bench`` (``python -m bench.run --help`` for the options).

For each data set (the H22 demo and one ten times larger) it prepares the benchmark's own
PostgreSQL database, serves the app under gunicorn (gunicorn.conf.py) with Redis as the shared
cache, and measures each key page and endpoint with wrk for a bounded time: median, p95 and
requests per second, next to a trivial endpoint of the same app (/health) as the baseline.
The whole-expo feed's full rebuild is timed directly, with no cache. Then the import jobs are
timed with the largest files of 10 × H22 (``bench.imports``). Results go to
bench/results/<date>-<dataset>.json, <date>-imports-x10.json and bench/results/latest.md."""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import report
from bench.datasets import (DATASETS, PG_HOST, PG_PORT, PG_USER, ROOT, Dataset, admin_connection, ensure_postgres,
                            log, prepare, with_database)
from bench.targets import (BOOKING_RUNS, USER_AGENT, Client, Discovery, Target, booking_states, discover,
                           ensure_booking_fixture)

WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "lua"
REDIS_BASE = os.environ.get("EXPO_BENCH_REDIS_URL", "redis://127.0.0.1:6379")


# --- tools -------------------------------------------------------------------------------------

def _apt_install(package: str) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log(f"installing {package} from Debian's packages")
    subprocess.run([*sudo, "apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", package], env=env, check=False, capture_output=True)


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        _apt_install("wrk")
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is missing and could not be installed (apt-get install wrk).")
    return path


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_redis() -> str | None:
    """The shared cache; started (or installed) locally when absent. None: run without it."""
    url = f"{REDIS_BASE}/0"
    if _redis_answers(url):
        return REDIS_BASE
    if shutil.which("redis-server") is None:
        _apt_install("redis-server")
    if shutil.which("redis-server"):
        log("Redis does not answer; starting a local redis-server on 127.0.0.1:6379")
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379",
                        "--save", "", "--appendonly", "no"], check=False, capture_output=True)
        for _ in range(20):
            if _redis_answers(url):
                return REDIS_BASE
            time.sleep(0.25)
    log("Redis is unavailable: each worker keeps its own in-process cache (results say so)")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server --------------------------------------------------------------------------------

class Server:
    """gunicorn with gunicorn.conf.py, on a free local port, against one data set."""

    def __init__(self, dataset: Dataset, redis_url: str | None, workers: int | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        WORK.mkdir(parents=True, exist_ok=True)
        self.log_path = WORK / f"gunicorn-{dataset.key}.log"
        self.access_log = WORK / f"access-{dataset.key}.log"
        env = dict(os.environ, EXPO_DATABASE_URL=dataset.url, EXPO_BIND=f"127.0.0.1:{self.port}",
                   EXPO_BASE_URL=self.base, EXPO_ACCESS_LOG=str(self.access_log),
                   EXPO_ERROR_LOG=str(self.log_path))
        env.pop("EXPO_REDIS_URL", None)
        if redis_url:
            env["EXPO_REDIS_URL"] = redis_url
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        gunicorn = ROOT / ".venv" / "bin" / "gunicorn"
        command = [str(gunicorn) if gunicorn.exists() else "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                   "wsgi:app"]
        for name in ("access", "gunicorn"):
            (WORK / f"{name}-{dataset.key}.log").unlink(missing_ok=True)
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.settings = self._settings(env)
        # With Redis, e-mail and other jobs wait on its queue: one worker runs them, as in production.
        self.worker: subprocess.Popen | None = None
        if redis_url:
            flask = ROOT / ".venv" / "bin" / "flask"
            self.worker_log = WORK / f"worker-{dataset.key}.log"
            with self.worker_log.open("w") as worker_log:
                self.worker = subprocess.Popen(
                    [str(flask) if flask.exists() else "flask", "--app", "wsgi", "expo", "worker"],
                    cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)

    @staticmethod
    def _settings(env: dict[str, str]) -> dict[str, Any]:
        scope: dict[str, Any] = {}
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), scope)  # noqa: S102
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return {k: scope[k] for k in ("workers", "worker_class", "threads", "timeout", "keepalive", "preload_app")}

    def wait_ready(self, client: Client, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped at start-up; see {self.log_path}")
            try:
                if client.request("/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise SystemExit(f"gunicorn did not answer /health within {seconds:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=35)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


# --- measuring ---------------------------------------------------------------------------------

class Measure:
    def __init__(self, wrk: str, args: argparse.Namespace) -> None:
        self.wrk = wrk
        self.args = args

    def wrk_run(self, url: str, headers: dict[str, str], seconds: float, script: Path,
                script_args: list[str] | None = None, access_log: Path | None = None) -> dict[str, Any]:
        """One wrk run. With ``access_log``, the answers are counted by status from the lines the
        server logged during the run (report.lua does not look at them, see there)."""
        logged_from = access_log.stat().st_size if access_log and access_log.exists() else 0
        command = [self.wrk, f"-t{self.args.threads}", f"-c{self.args.connections}", f"-d{max(1, round(seconds))}s",
                   "--timeout", "10s", "-s", str(script)]
        for name, value in {"User-Agent": USER_AGENT, **headers}.items():
            command += ["-H", f"{name}: {value}"]
        command.append(url)
        if script_args:
            command += ["--", *script_args]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,
                                timeout=seconds + 60)
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if result.returncode != 0 or not lines:
            raise RuntimeError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()[-500:]}")
        numbers = json.loads(lines[-1])
        if access_log is not None:
            time.sleep(0.5)  # the answers wrk stopped waiting for are logged too
            numbers["statuses"] = logged_statuses(access_log, logged_from)
        return numbers


_LOGGED_REQUEST = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" (\d{3}) ')


def logged_statuses(access_log: Path, offset: int) -> dict[str, int]:
    """Answers by status in the access log (gunicorn.conf.py's format) from byte ``offset`` on."""
    with access_log.open("rb") as log_file:
        log_file.seek(offset)
        text = log_file.read().decode("utf-8", "replace")
    return dict(Counter(m.group(1) for m in _LOGGED_REQUEST.finditer(text)))


def _headers_for(target: Target, cookies: dict[str, str], etag: str | None) -> dict[str, str]:
    headers = {}
    if target.login:
        headers["Cookie"] = cookies[target.login]
    if target.conditional and etag:
        headers["If-None-Match"] = etag
    if target.kind in ("feed", "conditional"):
        # What Google Calendar, Outlook, Apple Calendar and Thunderbird send when they poll.
        headers["Accept-Encoding"] = "gzip"
    return headers


def measure_reads(measure: Measure, server: Server, found: Discovery, cookies: dict[str, str],
                  only: set[str] | None) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    client = Client(server.base)
    etags: dict[str, str] = {}
    for target in found.targets:
        entry: dict[str, Any] = {"label": target.label, "kind": target.kind, "path": target.path,
                                 "login": target.login, "detail": target.detail}
        results[target.key] = entry
        if target.missing:
            entry.update(status="missing", reason=target.missing)
            log(f"  {target.key:<14} missing ({target.missing})")
            continue
        if target.kind == "write" or (only and target.key not in only):
            continue
        headers = _headers_for(target, cookies, etags.get(target.path))
        status, response_headers, body, seconds = client.request(target.path, headers=headers)
        expected = 304 if target.conditional else 200
        if status != expected:
            entry.update(status="error", reason=f"answered {status}, expected {expected}")
            log(f"  {target.key:<14} error: {entry['reason']}")
            continue
        if "ETag" in response_headers:
            etags[target.path] = response_headers["ETag"]
        entry["first_request_ms"] = round(seconds * 1000, 1)
        entry["body_bytes"] = len(body)
        if target.conditional and "If-None-Match" not in headers:
            entry.update(status="error", reason="the feed sent no ETag")
            continue
        if target.kind in ("feed", "conditional"):
            # The baseline right before, so a busy moment of the machine hits both alike.
            base = measure.wrk_run(server.base + "/health", {}, measure.args.baseline, LUA / "report.lua")
            entry["baseline"] = {k: base[k] for k in ("p50_ms", "p95_ms", "rps", "requests")}
        measure.wrk_run(server.base + target.path, headers, measure.args.warmup, LUA / "report.lua")
        numbers = measure.wrk_run(server.base + target.path, headers, measure.args.duration, LUA / "report.lua",
                                  access_log=server.access_log)
        entry.update(status="ok", **numbers)
        unexpected = sum(n for status, n in numbers["statuses"].items() if status != str(expected))
        entry["unexpected_statuses"] = unexpected
        if numbers["requests"] == 0:
            entry.update(status="timeout", reason=f"no request finished within {measure.args.duration} s")
        elif unexpected:
            entry["status"] = "error"
            entry["reason"] = f"{unexpected} answers were not {expected}: {numbers['statuses']}"
        log(f"  {target.key:<14} p50 {numbers['p50_ms']:8.1f} ms  p95 {numbers['p95_ms']:8.1f} ms  "
            f"{numbers['rps']:8.1f} req/s  {entry['status']}")
    return results


def measure_booking(measure: Measure, server: Server, found: Discovery, app, target: Target) -> dict[str, Any]:
    """Book and cancel alternately with wrk (book.lua), many delegates over several sessions."""
    entry: dict[str, Any] = {"label": target.label, "kind": target.kind, "login": "delegate"}
    with app.app_context():
        fixture = ensure_booking_fixture(app)
    lines = []
    for slot in fixture["slots"]:
        client = Client(server.base)
        client.log_in(slot["email"], found.password)
        token = client.token_from(slot["page"])
        lines.append((client, token, slot))
    # One round by hand first: the POSTs must really book and cancel, not fail politely.
    client, token, slot = lines[0]
    entry["path"] = slot["book"]
    booked = client.request(slot["book"], {"csrf_token": token})[0]
    with app.app_context():
        after_book = booking_states(fixture["event_id"])
    cancelled = client.request(slot["cancel"], {"csrf_token": token})[0]
    with app.app_context():
        after_cancel = booking_states(fixture["event_id"])
    if (booked, cancelled) != (302, 302) or after_book.get("confirmed") != 1 or after_cancel.get("confirmed"):
        entry.update(status="error", reason=f"a trial booking failed: {booked}/{cancelled}, "
                                            f"{dict(after_book)} then {dict(after_cancel)}")
        log(f"  book           error: {entry['reason']}")
        return entry
    slots_file = WORK / "booking-slots.tsv"
    slots_file.write_text("".join(f"{c.cookie_header()}\t{t}\t{s['book']}\t{s['cancel']}\n" for c, t, s in lines))
    script_args = [str(slots_file), str(measure.args.threads), USER_AGENT]
    # Warmed up like every other endpoint (each worker's first bookings load templates,
    # catalogues and connections), then every seat is given back so the measured run starts in step.
    measure.wrk_run(server.base + slot["book"], {}, measure.args.warmup, LUA / "book.lua", script_args)
    time.sleep(1)  # requests wrk left on their way finish
    with app.app_context():
        ensure_booking_fixture(app)
    entry.update(status="ok", delegates=len(lines), sessions=len(fixture["sessions"]), runs=[])
    for number in range(1, measure.args.book_runs + 1):
        if number > 1:
            time.sleep(1)
            with app.app_context():
                ensure_booking_fixture(app)
        run = _booking_run(measure, server, app, fixture, slot, script_args, len(lines))
        entry["runs"].append(run)
        log(f"  {f'book, run {number}':<14} p50 {run['p50_ms']:8.1f} ms  p95 {run['p95_ms']:8.1f} ms  "
            f"{run['rps']:8.1f} req/s  {run['status']}")
    # The endpoint's row gives the slowest run (the target holds only if it holds in every run).
    worst = max(entry["runs"], key=lambda run: run["p95_ms"])
    entry.update({key: value for key, value in worst.items() if key != "status"})
    failed = [run for run in entry["runs"] if run["status"] != "ok"]
    if failed:
        entry.update(status="error", reason=failed[0]["reason"])
    return entry


def _booking_run(measure: Measure, server: Server, app, fixture: dict[str, Any], slot: dict[str, Any],
                 script_args: list[str], delegates: int) -> dict[str, Any]:
    """One measured run of the booking load, from a fixture where every delegate is without a
    seat, with every answer and the bookings it left checked."""
    since = datetime.now(timezone.utc)
    numbers = measure.wrk_run(server.base + slot["book"], {}, measure.args.duration, LUA / "book.lua", script_args)
    with app.app_context():
        states = booking_states(fixture["event_id"], since)
    run: dict[str, Any] = {"status": "ok", **numbers, "final_states": dict(states)}
    # A request wrk generated but never sent (a connection closed under it) puts one delegate's
    # book/cancel rhythm out of step: the next cancel answers 404, which puts it back in step.
    statuses = numbers["statuses"]
    resyncs = statuses.get("404", 0)
    unexpected = numbers["requests"] - statuses.get("302", 0) - resyncs
    run.update(unexpected_statuses=unexpected, resyncs=resyncs)
    # Every delegate acted (a seat booked or given back), none was refused or sent to log in.
    if (unexpected or resyncs > max(2, numbers["requests"] // 100) or states.get("waitlisted")
            or states["touched"] < delegates):
        run.update(status="error", reason=f"unexpected answers {numbers['statuses']}, states {dict(states)}")
    return run


def measure_costs(app, overrides: dict[str, Any], found: Discovery) -> dict[str, Any]:
    """In-process, beside the load figures: statements and CPU of one booking and one
    cancellation (an app of its own without CSRF checks, which need a browser's form), and
    PostgreSQL's commit latency with synchronous_commit on and off."""
    from expo import create_app

    from bench import cost
    from bench.datasets import PG_HOST, PG_PORT, PG_USER

    with app.app_context():
        fixture = ensure_booking_fixture(app)
        database = app.config["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]
    costing = create_app({**overrides, "WTF_CSRF_ENABLED": False})
    slot = fixture["slots"][-1]
    out: dict[str, Any] = cost.request_costs(costing, slot, found.password)
    out["commit"] = cost.commit_latency({"host": PG_HOST, "port": PG_PORT, "user": PG_USER, "dbname": database})
    for action in ("book", "cancel"):
        figures = out[action]
        log(f"  {action:<14} {figures['statements']} statements, {figures['commits']} commit(s), "
            f"CPU {figures['cpu_ms']:.1f} ms, wall {figures['wall_ms']:.1f} ms (in-process, median)")
    for setting, figures in out["commit"].items():
        log(f"  commit ({setting}): median {figures['median_ms']:.2f} ms, p95 {figures['p95_ms']:.2f} ms")
    with app.app_context():
        ensure_booking_fixture(app)
    return out


SYNC_OFF = "options=-csynchronous_commit%3Doff"


def booking_without_synchronous_commit(dataset: Dataset, measure: Measure, args: argparse.Namespace,
                                       redis_url: str | None, found: Discovery, app, book: Target) -> dict[str, Any]:
    """The booking load once more, with the server's database connections committing without
    waiting for the disk (PostgreSQL's synchronous_commit off: a crash can lose the last
    moments' commits). An extra row that shows what the disk's flush costs, never the headline."""
    from dataclasses import replace

    url = dataset.url + ("&" if "?" in dataset.url else "?") + SYNC_OFF
    server = Server(replace(dataset, url_override=url), redis_url, args.workers)
    log(f"{dataset.key}: the booking load again with synchronous_commit=off")
    try:
        server.wait_ready(Client(server.base))
        entry = measure_booking(measure, server, found, app, book)
    finally:
        server.stop()
    entry["label"] = "Book / cancel a seat, synchronous_commit=off (extra row, not the target)"
    entry["kind"] = "extra"
    return entry


def time_rebuilds(app, found: Discovery, base: str, repeat: int = 3) -> dict[str, Any]:
    """Build the feeds in-process: after emptying the whole cache (a full rebuild, the target),
    and again with each session's cached VEVENT still there (what a schedule change costs)."""
    import sqlalchemy as sa

    from expo.calendar import feeds, queries
    from expo.calendar.exporters import EXPORTERS
    from expo.events.models import Event
    from expo.events.queries import current_expo
    from expo.core.extensions import cache, db

    def timed(build, clear: bool) -> tuple[float, int, int]:
        db.session.remove()
        if clear:
            cache.clear()
        started = time.perf_counter()
        count, body = build()
        return time.perf_counter() - started, count, len(body)

    def event_feed() -> tuple[int, bytes]:
        event = queries.published_event(found.facts["largest_event"])
        sessions = queries.event_sessions(event)
        return len(sessions), EXPORTERS["ical"].render(event, sessions)

    def whole_expo() -> tuple[int, bytes]:
        # What /calendar.ics builds on a cache miss.
        sessions = queries.expo_session_rows()
        return len(sessions), feeds.public_feed(sessions, name=current_expo().name)

    def median(values: list[float]) -> float:
        return round(sorted(values)[len(values) // 2], 3)

    out: dict[str, Any] = {}
    with app.test_request_context(base_url=base):
        for key, build in (("largest_event_feed", event_feed), ("whole_expo_feed", whole_expo)):
            full = [timed(build, clear=True) for _ in range(repeat)]
            reuse = [timed(build, clear=False) for _ in range(repeat)]
            out[key] = {"seconds_median": median([r[0] for r in full]),
                        "seconds_all": [round(r[0], 3) for r in full],
                        "reusing_cached_vevents_seconds": median([r[0] for r in reuse]),
                        "sessions": full[0][1], "bytes": full[0][2]}
            log(f"  rebuild {key}: {out[key]['seconds_median']:.3f} s from nothing, "
                f"{out[key]['reusing_cached_vevents_seconds']:.3f} s reusing cached VEVENTs "
                f"({full[0][1]} sessions, {full[0][2]:,} bytes)")
        cache.clear()
    return out


def cold_http(server: Server, redis_url: str | None, found: Discovery) -> dict[str, Any] | None:
    """One request for the event feed right after the shared cache was emptied."""
    target = next((t for t in found.targets if t.key == "feed_event" and not t.missing), None)
    if target is None or not redis_url:
        return None
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    status, _, body, seconds = Client(server.base).request(target.path)
    warm = Client(server.base).request(target.path)[3]
    log(f"  cold event feed over HTTP: {seconds:.3f} s (then {warm * 1000:.1f} ms from the cache)")
    return {"status": status, "seconds": round(seconds, 3), "cached_seconds": round(warm, 4), "bytes": len(body)}


# --- one data set ------------------------------------------------------------------------------

def bench_dataset(dataset: Dataset, measure: Measure, args: argparse.Namespace, redis_base: str | None) -> dict[str, Any]:
    from expo import create_app

    redis_url = f"{redis_base}/{dataset.redis_db}" if redis_base else None
    rebuilt = prepare(dataset, rebuild=args.rebuild, redis_url=redis_url)
    overrides: dict[str, Any] = {"DATABASE_URL": dataset.url}
    if redis_url:
        overrides["REDIS_URL"] = redis_url
    app = create_app(overrides)
    with app.app_context():
        ensure_booking_fixture(app)
        found = discover(app)
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    server = Server(dataset, redis_url, args.workers)
    log(f"{dataset.key}: gunicorn on {server.base} ({server.settings})"
        + (f", a job worker logging to {server.worker_log}" if server.worker else ""))
    try:
        probe = Client(server.base)
        server.wait_ready(probe)
        cookies = {}
        for role, email in found.logins.items():
            client = Client(server.base)
            client.log_in(email, found.password)
            cookies[role] = client.cookie_header()
        only = set(args.only.split(",")) if args.only else None
        load_before = [round(x, 2) for x in os.getloadavg()]
        cpu_before = cpu_times()
        results = measure_reads(measure, server, found, cookies, only)
        book = next(t for t in found.targets if t.key == "book")
        costs = None
        if not book.missing and (not only or "book" in only):
            results["book"] = measure_booking(measure, server, found, app, book)
            costs = measure_costs(app, overrides, found)
        with app.app_context():
            rebuild = time_rebuilds(app, found, server.base)
        cold = cold_http(server, redis_url, found)
        load_after = [round(x, 2) for x in os.getloadavg()]
        stolen = stolen_share(cpu_before, cpu_times())
    finally:
        server.stop()
    if args.sync_commit_off and "book" in results and results["book"].get("status") == "ok":
        results["book_sync_off"] = booking_without_synchronous_commit(dataset, measure, args, redis_url,
                                                                      found, app, book)
    return {
        "dataset": dataset.key,
        "label": dataset.label,
        "database": dataset.database,
        "rebuilt": rebuilt,
        "facts": found.facts,
        "server": server.settings,
        "redis": bool(redis_url),
        "results": results,
        "rebuild": rebuild,
        "cold_feed_http": cold,
        # One booking's and one cancellation's statements and CPU, and what a commit costs here.
        "costs": costs,
        # The machine's 1/5/15-minute load averages: anything else running skews the figures.
        "load_average": {"before": load_before, "after": load_after},
        # The share of CPU time the virtual machine's host gave to others while this data set was
        # measured (steal time; None where the system does not report it).
        "stolen_cpu_share": stolen,
    }


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (/proc/stat, all CPUs), or None where there are none."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    return [int(x) for x in first[1:]] if first and first[0] == "cpu" else None


def stolen_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """Steal time (the 8th counter) as a share of all CPU time between two readings."""
    if not before or not after or len(before) < 8 or len(after) < 8:
        return None
    total = sum(after[:8]) - sum(before[:8])
    return round((after[7] - before[7]) / total, 4) if total > 0 else None


def environment(args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    def output(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": output("git", "rev-parse", "--short", "HEAD"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "postgresql": output("psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"),
        "wrk": output(wrk, "-v").splitlines()[0] if output(wrk, "-v") else "wrk",
        "load": {"threads": args.threads, "connections": args.connections, "seconds": args.duration,
                 "warmup_seconds": args.warmup, "baseline_seconds": args.baseline},
    }


IMPORTS_DATABASE = "expo_bench_imports"
# 10 × H22's largest files, and a tenth of each: what memory a row adds is the difference.
IMPORT_CASES = (("sessions", 500), ("sessions", 5000), ("people", 5000), ("people", 50000))


def bench_imports() -> dict[str, Any]:
    """A 5,000-row sessions file and a 50,000-row people file (and a tenth of each), each
    uploaded, previewed and confirmed by the import job in a process of its own
    (``bench.imports``), on a database of their own that each case empties first: their time
    against the minute, and how much each step grows the process."""
    from psycopg import sql

    from bench.imports import CaseFailed, run_case

    with admin_connection() as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (IMPORTS_DATABASE,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(IMPORTS_DATABASE)))
    url = f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{IMPORTS_DATABASE}"
    cases = []
    for case, rows in IMPORT_CASES:
        log(f"imports: {rows:,} {case}")
        try:
            result = run_case(case, rows, url)
        except CaseFailed as failed:
            result = {"kind": case, "rows": rows, "error": str(failed).strip().splitlines()[-1:]}
            log(f"  {case:<14} failed: {result['error']}")
        else:
            log(f"  {case:<14} preview {result['preview_s']:.1f} s, confirm {result['confirm_s']:.1f} s, "
                f"growth {result['preview_growth_mb']} / {result['confirm_growth_mb']} MB")
        cases.append(result)
    return {"database": IMPORTS_DATABASE, "load_average": [round(x, 2) for x in os.getloadavg()], "cases": cases}


def _write_result(stem: str, data: dict[str, Any]) -> None:
    """``data`` as RESULTS/<stem>.json; a day's later runs are kept beside its first (-run2 …)."""
    path = RESULTS / f"{stem}.json"
    for n in range(2, 100):
        if not path.exists():
            break
        path = RESULTS / f"{stem}-run{n}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    log(f"wrote {path.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="h22,x10", help="comma-separated: h22, x10")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    parser.add_argument("--baseline", type=int, default=4,
                        help="seconds of /health measured right before each feed, as its baseline")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (keep-alive)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes (default: gunicorn.conf.py)")
    parser.add_argument("--only", default="", help="measure only these endpoint keys (comma-separated; "
                                                   "'imports' for the import jobs)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data sets even if up to date")
    parser.add_argument("--database", default=None,
                        help="PostgreSQL database to use instead of the data set's own (one data set only)")
    parser.add_argument("--redis-db", type=int, default=None, help="Redis database number to use instead")
    parser.add_argument("--sync-commit-off", action="store_true",
                        help="measure booking once more with synchronous_commit=off (an extra, labelled row)")
    parser.add_argument("--book-runs", type=int, default=BOOKING_RUNS,
                        help="measured runs of the booking load (its target must hold in every one)")
    parser.add_argument("--no-write", action="store_true", help="print, but do not write result files")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.datasets.split(",") if k.strip()]
    unknown = [k for k in keys if k not in DATASETS]
    if unknown:
        parser.error(f"unknown data set(s): {', '.join(unknown)}")
    if args.database and len(keys) != 1:
        parser.error("--database takes one data set (--datasets h22 or --datasets x10)")

    started = time.perf_counter()
    ensure_postgres()
    wrk = ensure_wrk()
    redis_base = ensure_redis()
    measure = Measure(wrk, args)
    env = environment(args, wrk)
    runs = []
    for key in keys:
        log(f"=== {DATASETS[key].label}")
        run = bench_dataset(with_database(DATASETS[key], args.database, args.redis_db), measure, args, redis_base)
        run["environment"] = env
        run["verdicts"] = report.verdicts(run)
        runs.append(run)
    only = {k.strip() for k in args.only.split(",") if k.strip()}
    imports = None
    if not only or "imports" in only:
        log("=== imports at 10 × H22")
        imports = bench_imports()
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        day = env["date"][:10]
        for run in runs:
            _write_result(f"{day}-{run['dataset']}", run)
        if imports is not None:
            _write_result(f"{day}-imports-x10", imports)
        (RESULTS / "latest.md").write_text(report.markdown(runs, env, imports))
        log(f"wrote {(RESULTS / 'latest.md').relative_to(ROOT)}")
    else:
        sys.stdout.write(report.markdown(runs, env, imports))
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
