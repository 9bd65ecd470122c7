"""Redis is a cache, not a single point of failure: with a real Redis of the test's own that is
stopped, or paused (SIGSTOP, a stalled server), every page, feed, the statistics and log-in keep
answering in bounded time, and log-in throttling keeps counting in the process.

Each row of docs/production.md's table on Redis names the test here that shows it."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py
from flask import Flask

from expo import create_app
from expo.accounts.models import Role
from expo.core import resilient_redis
from expo.core.extensions import cache, db
from tests.conftest import PASSWORD, base_config, free_port, log_in, must_run_in_ci
from tests.factories import make_event, make_network, make_session, make_user

# Generous for a cold first request on a busy 2-core machine: a stalled Redis without time-outs
# hangs for as long as it stays stalled. That no one waits for Redis while the breaker is open
# is shown exactly, by the breaker's count of failures.
REQUEST_LIMIT = 10.0



class OwnRedis:
    """A redis-server started for one test on a free port, stopped or paused at will."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.direct = redis_py.Redis.from_url(self.url, socket_timeout=5)
        for _ in range(100):
            try:
                self.direct.ping()
                return
            except redis_py.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.process.poll() is None:
            self.resume()
            self.stop()
        self.direct.close()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        must_run_in_ci("Redis fault tests", "redis-server is not installed", "apt-get install redis-server")
    server = OwnRedis(tmp_path)
    yield server
    server.close()


@pytest.fixture
def redis_app(app: Flask, own_redis: OwnRedis, tmp_path) -> Iterator[Callable[..., Flask]]:
    """An app configured as in production with only EXPO_REDIS_URL: the cache and the log-in
    throttle both on the test's own Redis."""
    made: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        config = base_config(tmp_path / f"redis-app{len(made)}", DATABASE_URL=app.config["DATABASE_URL"],
                             REDIS_URL=own_redis.url, RATELIMIT_ENABLED=True, PAGE_CACHE_TIMEOUT=60, **overrides)
        del config["CACHE_TYPE"]  # chosen from REDIS_URL, as in production
        made.append(create_app(config))
        return made[-1]

    yield _make
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _timed(call: Callable[[], Any], limit: float = REQUEST_LIMIT) -> tuple[Any, float]:
    """``call()``'s result and how long it took; fails (instead of hanging) past ``limit``."""
    result: list[Any] = []
    started = time.monotonic()
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(timeout=limit)
    elapsed = time.monotonic() - started
    assert not worker.is_alive(), f"the request took more than {limit} s"
    assert result, "the request raised"
    return result[0], elapsed


def _world() -> dict[str, Any]:
    event = make_event(slug="h22")
    session = make_session(event=event, title="Streets for people")
    make_network(slug="unece")
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    return {"session": session, "organiser": organiser}


PUBLIC_PAGES = ("/", "/events/h22", "/networks/unece", "/events/h22/calendar.ics", "/health")


def _serves_everything(application: Flask, world: dict[str, Any]) -> list[float]:
    """Public pages and feeds, a session page, the statistics: each 200 with its content."""
    client = application.test_client()
    times = []
    for url in (*PUBLIC_PAGES, f"/sessions/{world['session'].id}"):
        response, elapsed = _timed(lambda url=url: client.get(url))
        assert response.status_code == 200, url
        times.append(elapsed)
    assert b"Streets for people" in client.get("/events/h22/calendar.ics").data
    log_in(client, world["organiser"])
    response, elapsed = _timed(lambda: client.get("/stats/"))
    assert response.status_code == 200
    assert "<dt>Delegates</dt>" in response.get_data(as_text=True)
    times.append(elapsed)
    # An organisers' table, whose drawn region is kept in Redis.
    response, elapsed = _timed(lambda: client.get("/manage/networks?sort=-members"))
    assert response.status_code == 200 and 'href="/manage/networks/' in response.get_data(as_text=True)
    times.append(elapsed)
    return times


def _wrong_password(client) -> int:
    return client.post("/account/login", data={"email": "guesser@example.org", "password": "wrong"}).status_code


def test_with_redis_up_pages_and_feeds_are_cached_in_it(db, redis_app, own_redis):
    world = _world()
    application = redis_app()
    _serves_everything(application, world)
    keys = own_redis.direct.keys("expo:*")
    assert any(b"pages:v1:page:" in key for key in keys)
    assert any(b"calendar:" in key and b":body:" in key for key in keys)
    assert any(key.startswith(b"expo:stats:figures") for key in keys)
    assert any(b"tables:v1:region:" in key for key in keys)


def test_redis_stopped_every_page_feed_and_the_statistics_still_answer(db, redis_app, own_redis):
    world = _world()
    application = redis_app()
    _serves_everything(application, world)  # warm: the cache holds pages and feeds
    own_redis.stop()
    times = _serves_everything(application, world)
    assert max(times) < REQUEST_LIMIT


def test_redis_stopped_log_in_works_and_is_still_throttled_in_the_process(db, redis_app, own_redis):
    user = make_user(email="ada@h22.example")
    db.session.commit()
    own_redis.stop()
    client = redis_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    assert [_wrong_password(client) for _ in range(3)] == [200, 200, 429]
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_redis_paused_requests_give_up_on_it_quickly_and_the_breaker_stops_asking(db, redis_app, own_redis):
    world = _world()
    application = redis_app(REDIS_PAUSE=30.0)
    _serves_everything(application, world)
    breaker = resilient_redis.breaker(application)
    own_redis.pause()
    client = application.test_client()
    response, _ = _timed(lambda: client.get("/networks/unece"))
    assert response.status_code == 200
    # Three commands of 50 ms each at most, then the breaker is open.
    assert breaker.is_open
    failures = breaker.failures
    times = _serves_everything(application, world)
    assert max(times) < REQUEST_LIMIT
    # While it is open nobody asks Redis (and so nobody waits for it): no new failure at all.
    assert breaker.failures == failures and breaker.is_open


def test_redis_paused_log_in_is_throttled_in_the_process(db, redis_app, own_redis):
    own_redis.pause()
    client = redis_app(LOGIN_RATE_LIMIT="2 per minute").test_client()
    statuses = [_timed(lambda: _wrong_password(client))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_after_the_pause_a_recovered_redis_is_used_again(db, redis_app, own_redis):
    _world()
    application = redis_app(REDIS_PAUSE=1.0)
    breaker = resilient_redis.breaker(application)
    own_redis.pause()
    client = application.test_client()
    assert _timed(lambda: client.get("/networks/unece"))[0].status_code == 200
    assert breaker.open_until > 0, "the breaker opened"
    own_redis.resume()
    own_redis.direct.flushdb()
    cached = False
    for _ in range(5):  # a command sent while paused may still time out on a busy machine
        time.sleep(max(0.0, breaker.open_until - time.monotonic()) + 0.05)
        assert client.get("/networks/unece").status_code == 200
        cached = any(b"pages:v1:page:" in key for key in own_redis.direct.keys("expo:*"))
        if cached:
            break
    assert cached
    assert not breaker.is_open and breaker.failures == 0


def test_cache_reads_and_writes_on_a_dead_redis_are_misses(db, redis_app, own_redis):
    application = redis_app()
    own_redis.stop()
    with application.app_context():
        assert cache.get("x") is None
        assert cache.get_many("x", "y") == [None, None]
        assert cache.set("x", 1) is False
        assert cache.add("x", 1) is False
        assert cache.delete("x") is False
        assert cache.has("x") is False


def test_the_breaker_opens_after_failures_in_a_row_and_tries_again_after_the_pause():
    now = [100.0]
    breaker = resilient_redis.CircuitBreaker(threshold=3, pause=5.0, clock=lambda: now[0])
    breaker.failed()
    breaker.failed()
    breaker.check()  # two failures: still asked
    breaker.failed()
    with pytest.raises(resilient_redis.RedisUnavailable):
        breaker.check()
    now[0] += 5.0
    breaker.check()  # the pause is over: one command may try
    breaker.failed()
    with pytest.raises(resilient_redis.RedisUnavailable):
        breaker.check()  # and its failure opens the breaker again at once
    now[0] += 5.0
    breaker.succeeded()
    breaker.failed()
    breaker.check()  # a success started the count anew


def test_the_redis_url_alone_selects_the_guarded_backends(tmp_path):
    from expo.config import load

    values = load(str(tmp_path), {"SECRET_KEY": "x", "REDIS_URL": "redis://cache.internal:6379/2"})
    assert values["CACHE_TYPE"] == "expo.core.resilient_redis.RedisCache"
    assert values["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert values["REDIS_TIMEOUT"] == 0.05
    application = create_app(base_config(tmp_path, REDIS_URL="redis://cache.internal:6379/2",
                                         CACHE_TYPE="expo.core.resilient_redis.RedisCache"))
    pool = resilient_redis.client(application).connection_pool
    assert pool.connection_kwargs["socket_timeout"] == 0.05
    assert pool.connection_kwargs["socket_connect_timeout"] == 0.05
    assert pool.connection_kwargs["retry"].get_retries() == 0
    assert application.config["RATELIMIT_STORAGE_OPTIONS"] == {"connection_pool": pool}
    with application.app_context():
        db.engine.dispose()


def test_environment_sets_the_redis_time_out(tmp_path, monkeypatch):
    from expo.config import load

    monkeypatch.setenv("EXPO_REDIS_TIMEOUT", "0.2")
    assert load(str(tmp_path), {"SECRET_KEY": "x"})["REDIS_TIMEOUT"] == 0.2


def test_every_redis_row_of_the_production_table_names_a_test_here():
    import re

    docs = (Path(__file__).parents[2] / "docs" / "production.md").read_text()
    start = docs.index("### What happens when Redis is down or slow")
    table = docs[start:docs.index("\n## ", start)]
    rows = [line for line in table.splitlines() if line.startswith("| Redis")]
    named = [re.findall(r"`(test_[a-z_]+)`", row) for row in rows]
    assert len(rows) >= 6 and all(named)
    assert {name for names in named for name in names} <= set(globals())


def test_a_large_value_gets_time_to_be_written_and_small_ones_keep_the_short_time_out(db, redis_app, own_redis):
    application = redis_app()
    body = os.urandom(4_000_000)  # a large built feed, sent in one sendall() whose time-out is total
    with application.app_context():
        assert cache.set("feed", body) is True
        assert cache.get("feed") == body
    pool = resilient_redis.client(application).connection_pool
    connection = pool.get_connection()
    try:
        assert connection._sock.gettimeout() == 0.05
    finally:
        pool.release(connection)
    assert resilient_redis.breaker(application).failures == 0
