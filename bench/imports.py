"""Import benchmark: ``python -m bench.imports`` (``--help`` for the options).

Ten times H22: a generated 5,000-row sessions file (50 rooms over 25 days) and a 50,000-row
people file, each previewed and confirmed by the import's job as an administrator's upload
would be. Each case runs in a process of its own, on a fresh database, and reports its wall
time per step, the CPU time of this process (``*_cpu_s``) and, on a PostgreSQL server of the
same machine, of the server's processes for the database (``*_db_cpu_s``), and the process's
peak memory (maximum resident set size), so the figures say whether memory grows with the file.
On Linux each step's own peak is given too (``*_growth_mb``: the highest resident set size
during the step over the one at its start, the high-water mark being reset at the start), so
that what the confirmation holds is not hidden behind the preview's peak: run two sizes
(``--sessions 500`` and ``5000``) and compare. The preview's is split into the upload's
(``upload_growth_mb``: the file, on disk as the web server keeps an upload, read and stored)
and the preview job's (``preview_job_growth_mb``), both over the step's start. With ``--traced`` each step's peak of the memory Python allocates
is given too (``*_traced_mb``, by ``tracemalloc``; the preview's split in the same way), which
does not depend on the heap an earlier step left behind. With ``--published`` the sessions go into a
published programme, where they are staged for its next release instead of written. Runs on
SQLite by default, or on the PostgreSQL database named by ``EXPO_BENCH_DATABASE_URL``."""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.targets import IMPORT_TARGET_S

SESSION_ROOMS = 50


def sessions_file(rows: int, minute: int = 0) -> bytes:
    """The sessions file; with ``minute``, each session starts and ends that many minutes later
    (the same file changed, imported again: every row updates its session, found by its title)."""
    from expo.core.spreadsheets import csv_bytes

    def lines():
        yield ["Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Capacity"]
        for i in range(rows):
            room, slot = i % SESSION_ROOMS, i // SESSION_ROOMS
            day = date(2032, 5, 30) + timedelta(days=slot // 4)
            start = 9 + (slot % 4) * 2
            yield [f"Session {i:05d}: cities and climate", "Talk", day.isoformat(), f"{start:02d}:{minute:02d}",
                   f"{start + 1:02d}:{30 + minute:02d}", "Bench venue", f"Room {room:02d}", ""]

    return csv_bytes(lines())


def people_file(rows: int) -> bytes:
    from expo.core.spreadsheets import csv_bytes

    countries = ["SE", "Denmark", "Tyskland", "PT", "Spain", "Norway"]

    def lines():
        yield ["Name", "E-mail", "Organisation", "Country", "Networks", "Language"]
        for i in range(rows):
            yield [f"Delegate {i:05d}", f"delegate{i:05d}@bench.example.org", f"Organisation {i % 500:03d}",
                   countries[i % len(countries)], "UNECE" if i % 3 else "", "sv" if i % 2 else "en"]

    return csv_bytes(lines())


def _server_cpu(db) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process serving the bench database, by process id
    (read from /proc: only for a server on this machine; nothing for SQLite)."""
    import sqlalchemy as sa

    if db.engine.dialect.name != "postgresql":
        return {}
    with db.engine.connect() as connection:
        pids = connection.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
    ticks, seconds = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks  # user and system time
    return seconds


def _server_cpu_since(db, before: dict[int, float]) -> float | None:
    after = _server_cpu(db)
    return round(sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items()), 2) if after else None


def _memory() -> dict[str, float]:
    """The process's resident set size now and its high-water mark, in MB (Linux; {} elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status)
    except OSError:
        return {}
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM") if key in fields}


def _step_started() -> float | None:
    """Start measuring a step's own peak: what the steps before it left is collected and given
    back to the system, then the high-water mark is reset (Linux: ``clear_refs``). Returns the
    resident set size the step starts from, in MB (None where this cannot be done)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return None
    return _memory().get("VmRSS")


def _step_growth(started: float | None) -> float | None:
    """The step's peak resident set size over the one it started from, in MB."""
    peak = _memory().get("VmHWM")
    return round(peak - started, 1) if started is not None and peak is not None else None


def _part_growth(started: float | None) -> float | None:
    """``_step_growth`` of the step's first part (the upload of a preview), the high-water mark
    then reset without collecting anything, so that the rest of the step's peak is its own too
    and the step's is the larger of the two."""
    growth = _step_growth(started)
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        return None
    return growth


class _Traced:
    """With ``--traced``: the peak of the memory Python allocates (``tracemalloc``) during a
    step over what was allocated at its start, in MB. Unlike the resident set size, it does not
    depend on how much of the heap earlier steps left free for this one to use again."""

    def __init__(self, on: bool) -> None:
        self.on = on
        if on:
            import tracemalloc

            tracemalloc.start()

    def start(self) -> None:
        if self.on:
            import tracemalloc

            tracemalloc.reset_peak()
            self.base = tracemalloc.get_traced_memory()[0]

    def restart_peak(self) -> None:
        """Measure the rest of the step's peak apart (over the same start)."""
        if self.on:
            import tracemalloc

            tracemalloc.reset_peak()

    def peak(self) -> float | None:
        if not self.on:
            return None
        import tracemalloc

        return round((tracemalloc.get_traced_memory()[1] - self.base) / 2**20, 2)


def _case(kind: str, rows: int, database_url: str, confirm: bool = True, published: bool = False,
          traced: bool = False, again: bool = False) -> dict:
    """One case in this process: a fresh database, the file, its preview and confirmation (of
    a published event's sessions with ``published``); with ``again``, a sessions file changed
    (every session a quarter of an hour later) is then previewed and confirmed too."""
    import sqlalchemy as sa

    from expo import create_app
    from expo.accounts.models import Role, User
    from expo.core.extensions import db
    from expo.events import services as events
    from expo.imports import services, tasks
    from expo.imports.models import ImportBatch
    from expo.people.models import Network
    from expo.people.services import sync_countries
    from expo.venues import services as venues

    instance = tempfile.mkdtemp(prefix="expo-bench-imports-")
    os.environ["EXPO_INSTANCE_PATH"] = instance
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "JOB_QUEUE": "eager", "REDIS_URL": None,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    result: dict = {"kind": kind, "rows": rows, "published": published and kind == "sessions",
                    "mails_left_for_the_worker": 0}
    # E-mails go out through their own job, by the workers, after the import's commit: its job
    # is not run here, and the e-mails it would send are counted, so the figures are the import's own.
    from expo.core import jobs, mailqueue

    queue_unique = jobs.enqueue_unique

    def enqueue_unique(func, *args, key):
        return True if func is mailqueue.deliver_fresh else queue_unique(func, *args, key=key)

    jobs.enqueue_unique = enqueue_unique
    with app.app_context():
        db.drop_all()
        db.create_all()
        sync_countries()
        admin = User(email="bench-admin@example.org", name="Bench Admin", role=Role.ADMIN, password_hash="!")
        db.session.add_all([admin, Network(name="UNECE Forum of Mayors", slug="unece", acronym="UNECE")])
        db.session.flush()
        event = events.create_event(data=events.EventData(
            name="Bench expo", starts_on=date(2032, 5, 30), ends_on=date(2032, 6, 28), timezone="Europe/Stockholm",
        ), actor=admin)
        venue = venues.create_venue(data=venues.VenueData(name="Bench venue"), actor=admin)
        for room in range(SESSION_ROOMS):
            venues.create_room(venue=venue, name=f"Room {room:02d}", capacity=100, actor=admin)
        if result["published"]:
            events.publish_event(event=event, actor=admin)
        db.session.commit()
        started = time.perf_counter()
        content = sessions_file(rows) if kind == "sessions" else people_file(rows)
        result["file_mb"] = round(len(content) / 2**20, 2)
        result["generate_s"] = round(time.perf_counter() - started, 2)
        # On disk, as the web server keeps an upload of more than half a megabyte until its
        # request ends: the upload's figures are then what storing it costs.
        upload = tempfile.TemporaryFile()
        upload.write(content)
        del content
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracing = _Traced(traced)
        memory = _step_started()
        tracing.start()
        started, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(db)
        if kind == "sessions":
            batch = services.start_import(event=event, filename="sessions.csv", content=upload, actor=admin)
        else:
            batch = services.start_people_import(filename="people.csv", content=upload, actor=admin)
        upload.close()
        result["upload_growth_mb"] = _part_growth(memory)
        result["upload_traced_mb"] = tracing.peak()
        tracing.restart_peak()
        tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
        batch_id = batch.id
        db.session.commit()
        result["preview_s"] = round(time.perf_counter() - started, 2)
        result["preview_cpu_s"] = round(time.process_time() - cpu, 2)  # this process's, not the database's
        result["preview_db_cpu_s"] = _server_cpu_since(db, server)
        result["preview_job_growth_mb"] = _step_growth(memory)
        result["preview_growth_mb"] = max(result["upload_growth_mb"], result["preview_job_growth_mb"]) \
            if result["upload_growth_mb"] is not None and result["preview_job_growth_mb"] is not None else None
        result["preview_job_traced_mb"] = tracing.peak()
        result["preview_traced_mb"] = max(result["upload_traced_mb"], result["preview_job_traced_mb"]) \
            if traced else None
        batch = db.session.get(ImportBatch, batch_id)
        result["preview_state"] = batch.job_state
        result["preview_error"] = batch.job_error
        result["preview_counts"] = (batch.result or {}).get("states")
        if not confirm:
            result["confirm_s"] = 0.0
            result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            result["peak_rss_before_import_mb"] = round(rss_before / 1024, 1)
            return result
        memory = _step_started()
        tracing.start()
        started, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(db)
        tasks.start(batch=batch, step=tasks.CONFIRM, actor=admin, digest=(batch.result or {}).get("digest", ""))
        db.session.commit()
        result["confirm_s"] = round(time.perf_counter() - started, 2)
        result["confirm_cpu_s"] = round(time.process_time() - cpu, 2)
        result["confirm_db_cpu_s"] = _server_cpu_since(db, server)
        result["confirm_growth_mb"] = _step_growth(memory)
        result["confirm_traced_mb"] = tracing.peak()
        db.session.expire_all()
        batch = db.session.get(ImportBatch, batch_id)
        result["confirm_state"] = batch.job_state
        result["confirm_error"] = batch.job_error
        result["summary"] = batch.summary
        result["mails_left_for_the_worker"] = db.session.scalar(
            sa.select(sa.func.count()).where(mailqueue.OutgoingMail.status == mailqueue.MailStatus.QUEUED))
        if result["published"]:
            from expo.programme import staging

            result["staged"] = staging.pending_count(event)
        if again and kind == "sessions":
            batch = services.start_import(event=event, filename="sessions.csv", content=sessions_file(rows, 15),
                                          actor=admin)
            db.session.commit()
            for step in (tasks.PREVIEW, tasks.CONFIRM):
                name = f"again_{step}"
                memory = _step_started()
                tracing.start()
                started = time.perf_counter()
                tasks.start(batch=batch, step=step, actor=admin, digest=(batch.result or {}).get("digest", ""))
                db.session.commit()
                result[f"{name}_s"] = round(time.perf_counter() - started, 2)
                result[f"{name}_growth_mb"] = _step_growth(memory)
                result[f"{name}_traced_mb"] = tracing.peak()
                db.session.expire_all()
                batch = db.session.get(ImportBatch, batch.id)
                result[f"{name}_state"], result[f"{name}_error"] = batch.job_state, batch.job_error
            result["again_preview_counts"] = (batch.result or {}).get("states")
            result["again_summary"] = batch.summary
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    result["total_s"] = round(result["preview_s"] + result["confirm_s"], 2)
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result["peak_rss_mb"] = round(usage / 1024, 1)
    result["peak_rss_before_import_mb"] = round(rss_before / 1024, 1)
    result["within_target"] = result["total_s"] <= IMPORT_TARGET_S
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=5000, help="rows of the sessions file")
    parser.add_argument("--people", type=int, default=50000, help="rows of the people file")
    parser.add_argument("--case", choices=("sessions", "people"), help=argparse.SUPPRESS)
    parser.add_argument("--database", default=os.environ.get("EXPO_BENCH_DATABASE_URL", ""))
    parser.add_argument("--preview-only", action="store_true", help="time the previews, not the confirmations")
    parser.add_argument("--traced", action="store_true",
                        help="also give each step's peak of the memory Python allocates (tracemalloc; slower)")
    parser.add_argument("--published", action="store_true",
                        help="import the sessions into a published programme (staged for its next release)")
    parser.add_argument("--again", action="store_true",
                        help="then import the sessions file again, every session moved (updates)")
    args = parser.parse_args(argv)
    if args.case:
        database = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='expo-bench-db-')}/bench.sqlite"
        rows = args.sessions if args.case == "sessions" else args.people
        print(json.dumps(_case(args.case, rows, database, confirm=not args.preview_only, published=args.published,
                                traced=args.traced, again=args.again)))
        return 0
    flags = [flag for flag, on in (("--preview-only", args.preview_only), ("--published", args.published),
                                   ("--traced", args.traced), ("--again", args.again)) if on]
    try:
        for case in ("sessions", "people"):
            print(json.dumps(run_case(case, args.sessions if case == "sessions" else args.people, args.database,
                                      flags), indent=2))
    except CaseFailed as failed:
        sys.stderr.write(str(failed))
        return 1
    return 0


class CaseFailed(Exception):
    """A case's process failed; the message is what it wrote to standard error."""


def run_case(case: str, rows: int, database: str = "", flags: list[str] | None = None) -> dict:
    """One case (``sessions`` or ``people``) of ``rows`` rows, in a process of its own, on
    ``database`` (a PostgreSQL URL, emptied first; SQLite in a temporary folder when empty)."""
    command = [sys.executable, "-m", "bench.imports", "--case", case, f"--{case}", str(rows), *(flags or [])]
    if database:
        command += ["--database", database]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode:
        raise CaseFailed(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    sys.exit(main())
