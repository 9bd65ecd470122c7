"""The benchmark's own PostgreSQL databases: the H22 demo at its real size and a data set ten
times larger, each created once and reused while the code that generates it is unchanged.

A database carries a stamp (PostgreSQL's COMMENT ON DATABASE) naming the generator's source
hash and the plan; a missing or different stamp means the data set is rebuilt."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get("EXPO_BENCH_PGHOST", "127.0.0.1")
PG_PORT = int(os.environ.get("EXPO_BENCH_PGPORT", "5432"))
PG_USER = os.environ.get("EXPO_BENCH_PGUSER", "postgres")
# Sources whose change makes a stored data set outdated.
GENERATOR_SOURCES = ("expo/demo/generate.py", "expo/demo/bulk.py", "expo/demo/catalogue.py", "expo/demo/h22.py")
STAMP_FORMAT = 1


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    database: str
    load_command: tuple[str, ...]
    redis_db: int
    # The address the server connects with, when it differs (connection options).
    url_override: str | None = None

    @property
    def url(self) -> str:
        return self.url_override or f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.database}"


def _dataset(key: str, label: str, database: str, load_command: tuple[str, ...], redis_db: int) -> Dataset:
    """A data set in its own database and Redis database number, unless EXPO_BENCH_<KEY>_DATABASE
    and EXPO_BENCH_<KEY>_REDIS_DB name others (on a machine where each user has their own)."""
    prefix = f"EXPO_BENCH_{key.upper()}_"
    return Dataset(key, label, os.environ.get(prefix + "DATABASE", database), load_command,
                   int(os.environ.get(prefix + "REDIS_DB", redis_db)))


DATASETS: dict[str, Dataset] = {
    "h22": _dataset("h22", "H22 demo (about 300 sessions, 850 delegates, 6,000 bookings)",
                    "expo_bench_h22", ("expo", "demo", "--historical"), 14),
    "x10": _dataset("x10", "10 × H22 (3,000 sessions, 50,000 delegates, 300,000 bookings)",
                    "expo_bench_x10", ("expo", "generate"), 15),
}


def with_database(dataset: Dataset, database: str | None, redis_db: int | None) -> Dataset:
    """The data set in another database and Redis database (``--database``, ``--redis-db``): a
    machine shared by several checkouts gives each its own."""
    from dataclasses import replace

    return replace(dataset, database=database or dataset.database,
                   redis_db=dataset.redis_db if redis_db is None else redis_db)


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _run_as_root(command: list[str]) -> subprocess.CompletedProcess:
    if os.geteuid() != 0 and shutil.which("sudo"):
        command = ["sudo", *command]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def ensure_postgres() -> None:
    """PostgreSQL must answer on 127.0.0.1:5432; start the local cluster if it does not."""
    def ready() -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", PG_HOST, "-p", str(PG_PORT)], check=False).returncode == 0

    if shutil.which("pg_isready") is None:
        raise SystemExit("PostgreSQL's client tools are missing: apt-get install postgresql")
    if ready():
        return
    log(f"PostgreSQL does not answer on {PG_HOST}:{PG_PORT}; starting the local cluster")
    clusters = sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").is_dir() else []
    for cluster in clusters:
        _run_as_root(["pg_ctlcluster", "--skip-systemctl-redirect", cluster.parent.name, "main", "start"])
    for _ in range(30):
        if ready():
            return
        time.sleep(1)
    raise SystemExit(f"PostgreSQL on {PG_HOST}:{PG_PORT} is unreachable; the benchmark needs it.")


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)


def expected_stamp(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        path = ROOT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return json.dumps({"format": STAMP_FORMAT, "dataset": dataset.key, "command": list(dataset.load_command),
                       "sources": digest.hexdigest()[:16]}, sort_keys=True)


def current_stamp(conn: psycopg.Connection, database: str) -> str | None:
    row = conn.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = %s",
        (database,),
    ).fetchone()
    return None if row is None else row[0]


def flask(dataset: Dataset, *args: str, redis_url: str | None = None) -> None:
    """Run ``flask --app wsgi …`` against the data set's database; stop the bench if it fails."""
    env = dict(os.environ, EXPO_DATABASE_URL=dataset.url)
    env.pop("EXPO_REDIS_URL", None)
    if redis_url:
        env["EXPO_REDIS_URL"] = redis_url
    command = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", *args]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"`flask {' '.join(args)}` failed on {dataset.database}")
    lines = [line for line in result.stdout.replace("\r", "\n").splitlines() if line.strip()]
    tail = next((line for line in reversed(lines) if line.startswith(("Generated", "Loaded", "The "))), "")
    log(f"flask {' '.join(args)} on {dataset.database}: {time.perf_counter() - started:.1f} s {tail}")


def prepare(dataset: Dataset, *, rebuild: bool = False, redis_url: str | None = None) -> bool:
    """Create and fill the data set's database unless an up-to-date one is there; always migrate.

    Returns True when the data set was (re)built."""
    stamp = expected_stamp(dataset)
    with admin_connection() as conn:
        present = current_stamp(conn, dataset.database)
        fresh = rebuild or present != stamp
        if fresh:
            reason = "forced" if rebuild else ("missing" if present is None else "outdated")
            log(f"{dataset.database}: data set {reason}; building it")
            name = sql.Identifier(dataset.database)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    flask(dataset, "db", "upgrade", redis_url=redis_url)
    if fresh:
        flask(dataset, *dataset.load_command, redis_url=redis_url)
        with admin_connection() as conn:
            conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(dataset.database), sql.Literal(stamp)))
        # Fresh statistics, so the planner sees the real table sizes from the first request.
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dataset.database,
                             autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        log(f"{dataset.database}: reusing the stored data set")
    return fresh
