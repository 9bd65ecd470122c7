"""Redis as a cache, never a single point of failure.

Every use of Redis — the shared cache (feeds, public pages, page generations, statistics) and
the log-in throttle — goes through one connection pool per process whose connections

- give up after ``REDIS_TIMEOUT`` seconds, connecting or waiting for an answer (a stalled
  server costs a request tens of milliseconds, not the operating system's minutes), and never
  retry;
- share a circuit breaker: after ``REDIS_FAILURES`` failures in a row nobody asks Redis for
  ``REDIS_PAUSE`` seconds (every command fails at once), then one command tries again.

The cache backend turns every Redis error into a miss (reads) or a no-op (writes), so pages
are built from the database; the throttle falls back to counting in the process
(Flask-Limiter's in-memory fail-over) until Redis answers again."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import Flask
from flask_caching.backends.rediscache import RedisCache as _FlaskRedisCache
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)
_EXTENSION = "expo_redis"
# Writes of at least this many bytes get more time, at this rate (a slow, busy machine's).
_LARGE_WRITE = 64 * 1024
_WRITE_BYTES_PER_SECOND = 10_000_000


class RedisUnavailable(redis.ConnectionError):
    """Redis is not asked at all: it failed too often just now."""


class CircuitBreaker:
    """Counts failures in a row; at ``threshold`` it opens for ``pause`` seconds, during which
    ``check`` refuses at once. The first command after the pause decides: a success closes it,
    a failure opens it again."""

    def __init__(self, *, threshold: int, pause: float, name: str = "Redis",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.pause, self.name, self.clock = max(threshold, 1), pause, name, clock
        self.failures = 0
        self.open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self.clock() < self.open_until

    def check(self) -> None:
        if self.is_open:
            raise RedisUnavailable(f"{self.name} failed {self.threshold} times in a row; not asked for now")

    def succeeded(self) -> None:
        if self.failures:
            with self._lock:
                if self.failures >= self.threshold:
                    logger.warning("%s answers again", self.name)
                self.failures = 0

    def failed(self) -> None:
        with self._lock:
            self.failures += 1
            if self.failures >= self.threshold and not self.is_open:
                self.open_until = self.clock() + self.pause
                logger.warning("%s failed %d times in a row; not asked for %g s", self.name, self.failures, self.pause)


class _Guarded:
    """Connection behaviour: ask the breaker first, tell it how each command went."""

    breaker: CircuitBreaker

    def __init__(self, *args: Any, breaker: CircuitBreaker, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = breaker

    def _asked(self, command: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.breaker.check()
        try:
            return command(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            if not isinstance(error, RedisUnavailable):
                self.breaker.failed()
            raise

    def connect(self, *args: Any, **kwargs: Any) -> None:
        self._asked(super().connect, *args, **kwargs)  # type: ignore[misc]

    def send_packed_command(self, command: Any, *args: Any, **kwargs: Any) -> None:
        send = super().send_packed_command  # type: ignore[misc]
        parts = [command] if isinstance(command, (bytes, str)) else command
        size = sum(len(part) for part in parts)
        if size < _LARGE_WRITE or not self.socket_timeout:  # type: ignore[attr-defined]
            return self._asked(send, command, *args, **kwargs)
        # Python gives sendall() one time-out for the whole value: a large one (a built feed)
        # gets time in proportion to its size, and a stalled server still no more than that.
        if self._sock is None:  # type: ignore[attr-defined]
            self.connect()
        self._sock.settimeout(self.socket_timeout + size / _WRITE_BYTES_PER_SECOND)  # type: ignore[attr-defined]
        try:
            return self._asked(send, command, *args, **kwargs)
        finally:
            if self._sock is not None:  # type: ignore[attr-defined]
                self._sock.settimeout(self.socket_timeout)  # type: ignore[attr-defined]

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            response = super().read_response(*args, **kwargs)  # type: ignore[misc]
        except (redis.ConnectionError, redis.TimeoutError):
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return response


class GuardedConnection(_Guarded, redis.Connection):
    pass


class GuardedSSLConnection(_Guarded, redis.SSLConnection):
    pass


class GuardedUnixConnection(_Guarded, redis.UnixDomainSocketConnection):
    pass


_CONNECTION_CLASSES = {"rediss": GuardedSSLConnection, "unix": GuardedUnixConnection}


def connection_pool(url: str, *, timeout: float, breaker: CircuitBreaker) -> redis.ConnectionPool:
    """A pool for ``url`` whose connections time out after ``timeout`` seconds, never retry,
    and share ``breaker``."""
    return redis.ConnectionPool.from_url(
        url,
        connection_class=_CONNECTION_CLASSES.get(urlsplit(url).scheme, GuardedConnection),
        breaker=breaker,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def init_app(app: Flask) -> None:
    """One pool and breaker per process for ``REDIS_URL``, used by the cache and the throttle."""
    url = app.config.get("REDIS_URL")
    if not url:
        return
    breaker = CircuitBreaker(threshold=app.config["REDIS_FAILURES"], pause=app.config["REDIS_PAUSE"])
    pool = connection_pool(url, timeout=app.config["REDIS_TIMEOUT"], breaker=breaker)
    app.extensions[_EXTENSION] = redis.Redis(connection_pool=pool)
    if app.config.get("RATELIMIT_STORAGE_URI") == url:  # the throttle lives in the same Redis
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"connection_pool": pool})


def client(app: Flask) -> redis.Redis:
    """The process's guarded Redis client."""
    return app.extensions[_EXTENSION]


def breaker(app: Flask) -> CircuitBreaker:
    return client(app).connection_pool.connection_kwargs["breaker"]


def _degrading(method: Callable, miss: Callable[..., Any]) -> Callable:
    @wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except redis.RedisError as error:
            if not isinstance(error, RedisUnavailable):  # the breaker has said so once already
                logger.warning("cache %s failed: %s", method.__name__, error)
            return miss(*args, **kwargs)

    return guarded


class RedisCache(_FlaskRedisCache):
    """Flask-Caching's Redis backend on the guarded client, where a Redis that is down or slow
    is a cache miss (reads) or a no-op (writes) instead of an error."""

    @classmethod
    def factory(cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> RedisCache:
        kwargs.update(host=client(app), key_prefix=config.get("CACHE_KEY_PREFIX") or "")
        return cls(*args, **kwargs)


_MISSES: dict[str, Callable[..., Any]] = {
    "get": lambda *_a, **_k: None,
    "get_many": lambda *keys, **_k: [None] * len(keys),
    "has": lambda *_a, **_k: False,
    "set": lambda *_a, **_k: False,
    "add": lambda *_a, **_k: False,
    "set_many": lambda *_a, **_k: [],
    "delete": lambda *_a, **_k: False,
    "delete_many": lambda *_a, **_k: [],
    "unlink": lambda *_a, **_k: None,
    "inc": lambda *_a, **_k: None,
    "dec": lambda *_a, **_k: None,
    "clear": lambda *_a, **_k: False,
}
for _name, _miss in _MISSES.items():
    setattr(RedisCache, _name, _degrading(getattr(RedisCache, _name), _miss))
