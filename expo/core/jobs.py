"""Slow work (e-mail, for one) runs outside the request, as jobs.

A job is a module-level function named by its dotted path, called with JSON-friendly
arguments inside an application context. Where it runs depends on ``JOB_QUEUE``:

- ``thread`` (the default without Redis, so ``make run`` needs nothing more): a background
  thread of the web process runs the jobs one after the other; a job queued in a ``lane`` of
  its own (the scheduling assistant's runs and imports, which take minutes) has a thread of its own,
  so that e-mail never waits behind it.
- ``redis``: jobs go to an RQ queue on ``REDIS_URL`` and ``flask --app wsgi expo worker`` runs
  them, on any machine; if Redis cannot take a job, the thread runs it instead, so nothing is lost.
  Jobs queued in a lane (the assistant's runs, imports: minutes each) go to a queue of their own,
  ``expo-long``, and the worker command runs one worker for each queue (``--queue`` for one of
  them), so that e-mail never waits behind a search or an import.
- ``eager``: the job runs at once, in the same thread (the test suite).

A job queued with a ``timeout`` has that long: an RQ worker stops it where it is; in this
process (``thread``, ``eager``) a thread cannot be stopped from outside, so the job asks
``check_time`` at each step it can stop at (a chunk of an import, before its commit), which
raises ``JobTimedOut`` once its time is up and says how long is left (for the database's own
limit on a statement, so that a job waiting on a lock is stopped too).

A job that raises is tried again after ``JOB_RETRY_INTERVALS`` seconds (one interval per
retry, growing: back-off); after the last it is given up and logged. Jobs that must never do
their work twice (sending an e-mail) keep their own record of what is done, since a retry may
follow a failure half-way through."""
from __future__ import annotations

import contextvars
import heapq
import importlib
import itertools
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from expo.core.extensions import db

logger = logging.getLogger("expo.core.jobs")

QUEUE_NAME = "expo"  # e-mail and other jobs of seconds
LONG_QUEUE_NAME = "expo-long"  # jobs queued in a lane: the assistant's runs, imports
_AFTER_COMMIT_KEY = "expo_jobs_after_commit"
_UNIQUE_KEYS = "expo_jobs_unique_keys"
# Redis keys that mark a job of a key as waiting to start (enqueue_unique).
PENDING_PREFIX = "expo:jobs:pending:"
_EXTENSION = "expo_jobs"
MODES = ("thread", "redis", "eager")
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("expo_job_deadline", default=None)


class JobTimedOut(Exception):
    """The job has run past its time-out (raised by ``check_time`` in this process)."""


def check_time() -> float | None:
    """Inside a job run in this process with a time-out: raise ``JobTimedOut`` once it is up;
    else the seconds left (None without a time-out)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise JobTimedOut("the job ran past its time-out")
    return left


def path_of(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def mode(app: Flask | None = None) -> str:
    app = app or current_app
    chosen = app.config.get("JOB_QUEUE") or ("redis" if app.config.get("REDIS_URL") else "thread")
    if chosen not in MODES:
        raise ValueError(f"JOB_QUEUE must be one of {', '.join(MODES)}, not {chosen!r}")
    return chosen


def retry_intervals(app: Flask | None = None) -> list[float]:
    """Seconds before each retry; a job is tried once more than there are intervals."""
    return [float(seconds) for seconds in (app or current_app).config["JOB_RETRY_INTERVALS"]]


def enqueue(func: Callable[..., Any], *args: Any, lane: str | None = None, timeout: int | None = None) -> None:
    """Run ``func(*args)`` as a job, now (not waiting for any transaction); in ``lane``, if
    given, the thread runner gives it a thread of its own. ``timeout``: the seconds an RQ
    worker lets it run (``JOB_TIMEOUT`` by default)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    path = path_of(func)
    chosen = mode(app)
    if chosen == "eager":
        # A context of its own, as a worker has: nothing of the caller's (its application
        # context, database session) is seen or disturbed by the job.
        contextvars.Context().run(run_now, app, path, args, timeout)
    elif chosen == "redis" and _enqueue_redis(app, path, args, long=lane is not None, timeout=timeout):
        return
    else:
        _thread_runner(app, lane).submit(path, args, timeout=timeout)


def retry_later(func: Callable[..., Any], *args: Any) -> bool:
    """Run ``func(*args)`` as a job whose first try, made elsewhere, has just failed: after the
    first retry interval, then tried as often as any job with the intervals that follow (the
    same back-off). Returns whether a try was queued: none without intervals, nor in ``eager``
    mode, where a failed job is never tried again either."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    intervals = retry_intervals(app)
    chosen = mode(app)
    if not intervals or chosen == "eager":
        return False
    path = path_of(func)
    if chosen == "redis" and _enqueue_redis(app, path, args, after=intervals[0], retries=intervals[1:]):
        return True
    _thread_runner(app).submit(path, args, delay=intervals[0], attempt=1)
    return True


def enqueue_unique(func: Callable[..., Any], *args: Any, key: str) -> bool:
    """Run ``func(*args)`` as a job unless a job of the same ``key`` is still waiting to start:
    one pending rebuild per key, however many changes ask for it. A job that has started no
    longer counts as pending, so a change made while it runs queues the next one. Returns
    whether a job was queued."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    path = path_of(func)
    chosen = mode(app)
    if chosen == "eager":
        contextvars.Context().run(run_now, app, path, args)
        return True
    if chosen == "redis":
        queued = _enqueue_redis_unique(app, key, path, args)
        if queued is not None:
            return queued
    return _thread_runner(app).submit(path, args, key=key)


def enqueue_unique_after_commit(func: Callable[..., Any], *args: Any, key: str,
                                session: Session | None = None) -> None:
    """``enqueue_unique`` once the current transaction commits (asked once per transaction and key)."""
    session = session or db.session
    keys = session.info.setdefault(_UNIQUE_KEYS, set())
    if key in keys:
        return
    keys.add(key)
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append((_Unique(func, key), args))


@dataclass(frozen=True)
class _Unique:
    """A job queued after the commit with ``enqueue_unique``."""

    func: Callable[..., Any]
    key: str

    def __call__(self, *args: Any) -> None:
        enqueue_unique(self.func, *args, key=self.key)


@dataclass(frozen=True)
class _Laned:
    """A job queued after the commit in a lane of its own, or with a time-out of its own."""

    func: Callable[..., Any]
    lane: str | None
    timeout: int | None = None

    def __call__(self, *args: Any) -> None:
        options = {"lane": self.lane, "timeout": self.timeout}
        enqueue(self.func, *args, **{name: value for name, value in options.items() if value is not None})


def enqueue_after_commit(func: Callable[..., Any], *args: Any, session: Session | None = None,
                         lane: str | None = None, timeout: int | None = None) -> None:
    """Run ``func(*args)`` as a job once the current transaction (of ``session``, by default the
    application's) commits; never if it rolls back. ``lane``, ``timeout``: see ``enqueue``."""
    job = func if lane is None and timeout is None else _Laned(func, lane, timeout)
    (session or db.session).info.setdefault(_AFTER_COMMIT_KEY, []).append((job, args))


@sa.event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    # The change is committed whatever happens here: a job that cannot be queued is logged,
    # never raised into the request that made it.
    session.info.pop(_UNIQUE_KEYS, None)
    for func, args in session.info.pop(_AFTER_COMMIT_KEY, []):
        try:
            func(*args) if isinstance(func, (_Unique, _Laned)) else enqueue(func, *args)
        except Exception:  # noqa: BLE001 - see above
            logger.exception("could not queue the job %s%r", path_of(getattr(func, "func", func)), args)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_uncommitted(session: Session, previous_transaction: Any) -> None:
    # Every rollback of the whole transaction, even one that never reached the database.
    if not previous_transaction.nested:
        session.info.pop(_AFTER_COMMIT_KEY, None)
        session.info.pop(_UNIQUE_KEYS, None)


def run_now(app: Flask, path: str, args: Sequence[Any], timeout: float | None = None) -> None:
    """Run one job in an application context (and database session) of its own, with
    ``timeout`` seconds for ``check_time``; raises what it raises."""
    deadline = _DEADLINE.set(None if timeout is None else time.monotonic() + timeout)
    with app.app_context():
        try:
            resolve(path)(*args)
        finally:
            db.session.remove()
            _DEADLINE.reset(deadline)


def run_job(path: str, *args: Any) -> None:
    """What an RQ worker runs (the worker's application context is already pushed)."""
    try:
        resolve(path)(*args)
    finally:
        db.session.remove()


def run_unique_job(key: str, path: str, *args: Any) -> None:
    """An RQ worker's run of an ``enqueue_unique`` job: no longer pending once it starts, so
    a change made while it runs queues the next run."""
    redis_queue(current_app).connection.delete(PENDING_PREFIX + key)
    run_job(path, *args)


def hold_unique(key: str) -> None:
    """Inside a running ``enqueue_unique`` job: count it as pending again, so that changes
    made while it works queue no other job of ``key`` (it takes their work); it must call
    ``release_unique`` before it ends, and look once more for work after that."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    chosen = mode(app)
    if chosen == "redis":
        from redis.exceptions import RedisError

        try:  # like the marker of a queued job, it outlives a lost job by the job's time-out at most
            redis_queue(app).connection.set(PENDING_PREFIX + key, "held", ex=max(int(app.config["JOB_TIMEOUT"]), 60))
        except (RedisError, OSError):
            logger.warning("Redis did not take the marker of the job %s", key, exc_info=True)
    elif chosen == "thread":
        _thread_runner(app).hold(key)


def release_unique(key: str) -> None:
    """The end of ``hold_unique``: the next change queues a job of ``key`` again."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    chosen = mode(app)
    if chosen == "redis":
        from redis.exceptions import RedisError

        try:
            redis_queue(app).connection.delete(PENDING_PREFIX + key)
        except (RedisError, OSError):
            logger.warning("Redis did not drop the marker of the job %s", key, exc_info=True)
    elif chosen == "thread":
        _thread_runner(app).release(key)


# --- Redis (RQ) -------------------------------------------------------------------------------

def redis_queue(app: Flask | None = None, *, long: bool = False):
    """The RQ queue on REDIS_URL (``long``: the one for jobs of minutes), with short time-outs so
    a stalled Redis never holds a request."""
    from redis import Redis
    from rq import Queue

    app = app or current_app
    extension = app.extensions.setdefault(_EXTENSION, {})
    if "redis" not in extension:
        extension["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=2)
    name = LONG_QUEUE_NAME if long else QUEUE_NAME
    if name not in extension:
        extension[name] = Queue(name, connection=extension["redis"])
    return extension[name]


def _enqueue_redis(app: Flask, path: str, args: Sequence[Any], *, long: bool = False,
                   timeout: int | None = None, after: float = 0, retries: Sequence[float] | None = None) -> bool:
    """Queue on RQ (``long``: on the queue of jobs of minutes, with ``timeout`` or theirs), to
    start at once or ``after`` seconds, tried again after each of ``retries`` seconds (by
    default the retry intervals); False when Redis does not take it."""
    from redis.exceptions import RedisError
    from rq import Retry

    # RQ counts whole seconds.
    intervals = [math.ceil(seconds) for seconds in (retry_intervals(app) if retries is None else retries)]
    options = {"retry": Retry(max=len(intervals), interval=intervals) if intervals else None,
               "job_timeout": timeout or app.config["LONG_JOB_TIMEOUT" if long else "JOB_TIMEOUT"],
               "failure_ttl": 7 * 24 * 3600}
    try:
        queue = redis_queue(app, long=long)
        if after > 0:
            queue.enqueue_in(timedelta(seconds=math.ceil(after)), run_job, path, *args, **options)
        else:
            queue.enqueue(run_job, path, *args, **options)
    except (RedisError, OSError):
        logger.warning("Redis did not take the job %s; running it in this process instead", path,
                       exc_info=True)
        return False
    return True


def _enqueue_redis_unique(app: Flask, key: str, path: str, args: Sequence[Any]) -> bool | None:
    """Queue on RQ unless the key's job is pending there; None when Redis cannot answer."""
    from redis.exceptions import RedisError

    queue = redis_queue(app)
    marker = PENDING_PREFIX + key
    try:
        # The marker outlives a lost job by the job's time-out at most; then a change queues again.
        if not queue.connection.set(marker, path, nx=True, ex=max(int(app.config["JOB_TIMEOUT"]), 60)):
            return False
        queue.enqueue(run_unique_job, key, path, *args, job_timeout=app.config["JOB_TIMEOUT"],
                      failure_ttl=7 * 24 * 3600)
    except (RedisError, OSError):
        logger.warning("Redis did not take the job %s; running it in this process instead", path,
                       exc_info=True)
        return None
    return True


def pending_count(app: Flask | None = None) -> int:
    """Jobs of seconds (e-mail) waiting to start (the thread's, or RQ's queue with Redis)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if mode(app) == "redis":
        return redis_queue(app).count
    return _thread_runner(app).waiting()


def work(app: Flask, *, burst: bool = False, long: bool = False) -> bool:
    """Run an RQ worker in this process on one queue (``long``: the one for jobs of minutes);
    with ``burst``, stop when the queue is empty. Returns whether any job ran."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    # The worker waits on Redis by design: its connection has no read time-out (the web side's
    # short one would break RQ's listener for stop and pause commands and hang its shut-down).
    connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5)
    # SimpleWorker runs each job in this process, inside the application context the command
    # pushed; a forking worker would share the parent's database connections with its children.
    queue = Queue(LONG_QUEUE_NAME if long else QUEUE_NAME, connection=connection)
    worker = SimpleWorker([queue], connection=connection)
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


# --- the background thread --------------------------------------------------------------------

@dataclass(order=True)
class _Pending:
    due: float
    order: int
    path: str = field(compare=False)
    args: tuple[Any, ...] = field(compare=False)
    attempt: int = field(compare=False, default=0)
    key: str | None = field(compare=False, default=None)
    timeout: float | None = field(compare=False, default=None)


class ThreadRunner:
    """One daemon thread per web process, running jobs in the order they fall due."""

    def __init__(self, app: Flask, name: str = "expo-jobs") -> None:
        self.app = app
        self.name = name
        self._heap: list[_Pending] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._running = 0
        self._thread: threading.Thread | None = None
        self._pending_keys: set[str] = set()
        self.paused = False  # tests look at what waits before it runs

    def submit(self, path: str, args: Sequence[Any], *, delay: float = 0, attempt: int = 0,
               key: str | None = None, timeout: float | None = None) -> bool:
        """Queue a job; with ``key``, only when no job of that key waits to start; with
        ``timeout``, the seconds it has once started (see ``check_time``)."""
        with self._condition:
            if key is not None:
                if key in self._pending_keys:
                    return False
                self._pending_keys.add(key)
            heapq.heappush(self._heap, _Pending(time.monotonic() + delay, next(self._counter), path,
                                                tuple(args), attempt, key, timeout))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._condition.notify()
        return True

    def hold(self, key: str) -> None:
        with self._condition:
            self._pending_keys.add(key)

    def release(self, key: str) -> None:
        with self._condition:
            self._pending_keys.discard(key)

    def waiting(self) -> int:
        with self._condition:
            return len(self._heap)

    def resume(self) -> None:
        with self._condition:
            self.paused = False
            self._condition.notify_all()

    def _loop(self) -> None:
        while True:
            with self._condition:
                while self.paused or not self._heap or self._heap[0].due > time.monotonic():
                    wait = self._heap[0].due - time.monotonic() if self._heap and not self.paused else None
                    self._condition.wait(wait)
                job = heapq.heappop(self._heap)
                if job.key is not None:
                    self._pending_keys.discard(job.key)
                self._running += 1
            try:
                self._run(job)
            finally:
                with self._condition:
                    self._running -= 1
                    self._condition.notify_all()

    def _run(self, job: _Pending) -> None:
        try:
            run_now(self.app, job.path, job.args, job.timeout)
        except Exception:  # noqa: BLE001 - a failed job is retried or logged, never kills the thread
            intervals = retry_intervals(self.app)
            if job.attempt < len(intervals):
                logger.warning("job %s failed; trying again in %g s", job.path, intervals[job.attempt],
                               exc_info=True)
                self.submit(job.path, job.args, delay=intervals[job.attempt], attempt=job.attempt + 1,
                            timeout=job.timeout)
            else:
                logger.exception("job %s failed %d times; given up", job.path, job.attempt + 1)

    def wait_idle(self, timeout: float = 10) -> bool:
        """Wait until no job is waiting (retries included) or running; False on time-out."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._running or self._heap:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(min(remaining, 0.05))
        return True


def _thread_runner(app: Flask, lane: str | None = None) -> ThreadRunner:
    extension = app.extensions.setdefault(_EXTENSION, {})
    name = "thread" if lane is None else f"thread:{lane}"
    with _LOCK:
        if name not in extension:
            extension[name] = ThreadRunner(app, "expo-jobs" if lane is None else f"expo-jobs-{lane}")
    return extension[name]


def thread_runner(app: Flask | None = None, lane: str | None = None) -> ThreadRunner:
    return _thread_runner(app or current_app._get_current_object(), lane)  # type: ignore[attr-defined]


_LOCK = threading.Lock()
