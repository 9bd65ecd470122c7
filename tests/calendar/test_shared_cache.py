"""With Redis, every app server shares the feeds' cache: a change seen by one drops them all."""
import os
import uuid

import pytest

from expo import create_app, signals
from expo.extensions import cache, db
from tests.conftest import base_config
from tests.factories import make_event, make_session

REDIS_URL = os.environ.get("EXPO_REDIS_URL")


def test_a_foreign_generation_value_is_replaced(app):
    from expo.calendar import caching

    cache.set(caching.GENERATION_KEY, "g-1", timeout=0)
    token, began = caching.generation()
    assert token and token != "g-1" and began.tzinfo is not None
    assert caching.generation() == (token, began)


@pytest.mark.skipif(not REDIS_URL, reason="set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/9)")
def test_a_signal_on_one_server_drops_the_feeds_of_another(app, tmp_path):
    make_session(event=make_event(slug="h22"))
    db.session.commit()
    prefix = f"expo-test-calendar-{uuid.uuid4().hex}:"
    servers = [create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], CACHE_TYPE="RedisCache",
                                      CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix))
               for _ in range(2)]
    try:
        one, two = (server.test_client() for server in servers)
        first = one.get("/events/h22/calendar.ics")
        assert two.get("/events/h22/calendar.ics").headers["ETag"] == first.headers["ETag"]
        with servers[1].test_request_context():
            signals.schedule_changed.send(servers[1], event=None)
        again = one.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200
        assert again.headers["ETag"] != first.headers["ETag"]
    finally:
        for server in servers:
            with server.app_context():
                cache.clear()
                db.engine.dispose()
