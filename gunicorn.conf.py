"""Gunicorn settings for Expo: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed from the environment without editing this file (see
docs/production.md). The defaults suit one app server behind a load balancer or reverse proxy:
a few processes per core, each with a few threads, so a slow database answer or a slow client
does not hold a whole process."""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _log_target(name: str, default: str) -> str | None:
    raw = os.environ.get(name, default).strip()
    return None if raw.lower() in ("", "off", "none", "-0") else raw


# Where to listen. Behind a proxy on the same host keep 127.0.0.1; in a container use 0.0.0.0.
bind = [part.strip() for part in os.environ.get("EXPO_BIND", "127.0.0.1:8000").split(",") if part.strip()]

# Processes: the usual 2 × cores + 1 (WEB_CONCURRENCY is the name most platforms set).
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
# Threads per process (gthread): requests waiting on PostgreSQL or Redis release the GIL, and
# keep-alive connections from the balancer are kept open. Keep threads <= EXPO_DB_POOL_SIZE
# so a thread never waits for a database connection.
worker_class = "gthread"
threads = _int("EXPO_THREADS", 4)

# How long (ms) a thread may run before it must let a thread that is ready have the interpreter
# (Python's "switch interval", 5 ms by default). A request waiting on PostgreSQL or Redis takes
# its turn again only then, a few times per request; under load those waits can add up to a
# long tail (docs/production.md, EXPO_SWITCH_INTERVAL_MS; bench/results/2026-12-07-booking-statements.md).
_SWITCH_INTERVAL_MS = float(os.environ.get("EXPO_SWITCH_INTERVAL_MS", "").strip() or 1)

# A request that takes longer than this is a bug or an overload: the worker is restarted.
timeout = _int("EXPO_TIMEOUT", 30)
# On SIGTERM (a deploy), requests in flight get this long to finish.
graceful_timeout = _int("EXPO_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection stays open; above the balancer's idle timeout is wrong,
# below it costs reconnects, so match it to the balancer (most default to 60 s; nginx to 75 s).
keepalive = _int("EXPO_KEEPALIVE", 5)
# Recycle a process after this many requests (0: never). Guards against slow leaks; the
# jitter keeps all processes from restarting at the same moment.
max_requests = _int("EXPO_MAX_REQUESTS", 0)
max_requests_jitter = _int("EXPO_MAX_REQUESTS_JITTER", max(0, max_requests // 10))

# Load the application once in the master and fork it: less memory, faster worker restarts,
# and a broken configuration stops the server at start-up instead of in every worker.
preload_app = os.environ.get("EXPO_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")

# Logs go to standard output/error, where the service manager or container runtime collects
# them. The access log ends with the time taken in milliseconds.
accesslog = _log_target("EXPO_ACCESS_LOG", "-")
errorlog = _log_target("EXPO_ERROR_LOG", "-") or "-"
loglevel = os.environ.get("EXPO_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# X-Forwarded-Proto / X-Forwarded-For are believed only from these addresses (the balancer),
# so url_for(..., _external=True) gives https:// addresses in feeds and e-mails.
forwarded_allow_ips = os.environ.get("EXPO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Gunicorn 24+ opens a control socket at one fixed path per user, which two servers on one host
# would fight over; it is off unless EXPO_CONTROL_SOCKET names a path of its own.
control_socket = os.environ.get("EXPO_CONTROL_SOCKET", "").strip() or None
control_socket_disable = control_socket is None
if control_socket is None:
    del control_socket

# The heartbeat file of each worker lives in memory rather than on a possibly slow disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def pre_fork(server, worker) -> None:  # noqa: ANN001 (gunicorn's hook signature)
    """What the master loaded before forking (the preloaded app: its modules, models, routes)
    is moved out of the garbage collector's sight (``gc.freeze``): a worker's full collections
    then walk only the objects it made itself. Without it each full collection walked the whole
    app: up to half a second under booking's load at 10 × H22, during which the worker's
    threads all stood still, against 30–45 ms with it (bench/results/2026-12-07-booking-three-runs.md);
    and it touched every inherited page, undoing the memory the processes share after the fork."""
    gc.freeze()


def post_fork(server, worker) -> None:  # noqa: ANN001 (gunicorn's hook signature)
    """A forked worker must not share the master's database connections (preload_app), and
    its threads take turns at the interpreter every ``_SWITCH_INTERVAL_MS``."""
    sys.setswitchinterval(_SWITCH_INTERVAL_MS / 1000)
    module = sys.modules.get("wsgi")
    app = getattr(module, "app", None)
    if app is None:
        return
    from expo.core.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
