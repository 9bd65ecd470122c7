"""With Redis, every app server shares the feeds' cache: a change seen by one drops them all."""
import os
import uuid

import pytest

from expo import create_app
from expo.core import signals
from expo.core.extensions import cache, db
from tests.conftest import base_config
from expo.calendar.ical import session_uid
from tests.calendar.helpers import by_uid, parse
from tests.factories import make_event, make_room, make_session

REDIS_URL = os.environ.get("EXPO_REDIS_URL")


def test_a_foreign_generation_value_is_replaced(app):
    from expo.calendar import caching

    cache.set(caching.GENERATION_KEY, "g-1", timeout=0)
    token, began = caching.generation()
    assert token and token != "g-1" and began.tzinfo is not None
    assert caching.generation() == (token, began)


@pytest.mark.parametrize("garbage", [b"g-1", 7, "1|2026-11-22", "abc|not-a-date", ("tuple", 1), "0123456789abcdef|2026-11-22T08:00:00"])
def test_the_feed_answers_whatever_the_cache_holds_as_generation(client, garbage):
    session = make_session(event=make_event(slug="h22"), title="Housing for all")
    db.session.commit()
    from expo.calendar import caching

    expected = client.get("/events/h22/calendar.ics")
    cache.set(caching.GENERATION_KEY, garbage, timeout=0)
    response = client.get("/events/h22/calendar.ics")
    assert response.status_code == 200
    assert response.data == expected.data
    assert session_uid(session) in by_uid(parse(response.data))
    # The unreadable value was overwritten with a good one.
    assert caching._parse_generation(cache.get(caching.GENERATION_KEY)) is not None


def test_foreign_cached_bodies_and_entries_are_misses(client, monkeypatch):
    make_session(event=make_event(slug="h22"), title="Housing for all")
    db.session.commit()
    from expo.calendar import caching

    expected = client.get("/events/h22/calendar.ics")
    etag = expected.headers["ETag"].strip('"')
    cache.set(f"{caching.KEY_PREFIX}body:{etag}", {"old": "format"})
    assert client.get("/events/h22/calendar.ics").data == expected.data

    def broken(*_keys):
        raise ModuleNotFoundError("No module named 'expo.old_release'")

    cache.delete(f"{caching.KEY_PREFIX}body:{etag}")
    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "get_many", broken)
    response = client.get("/events/h22/calendar.ics")
    assert response.status_code == 200
    assert response.data == expected.data


def test_cache_keys_carry_the_format_version():
    from expo.calendar import caching

    assert caching.GENERATION_KEY.startswith(f"calendar:v{caching.CACHE_FORMAT}:")
    assert caching.GENERATION_KEY != "calendar:generation"


def test_the_etag_survives_an_emptied_cache(client):
    make_session(event=make_event(slug="h22"))
    db.session.commit()
    first = client.get("/events/h22/calendar.ics")
    cache.clear()
    second = client.get("/events/h22/calendar.ics")
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.last_modified == first.last_modified
    cache.clear()
    again = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_generation_remade_after_eviction_still_sees_a_renamed_venue(client):
    from expo.calendar import caching
    from expo.venues.models import Venue

    session = make_session(event=make_event(slug="h22"), room=make_room())
    db.session.commit()
    first = client.get("/events/h22/calendar.ics")
    db.session.get(Venue, session.room.venue_id).name = "Dunkers kulturhus"
    db.session.commit()
    cache.delete(caching.GENERATION_KEY)  # the rename's signal was lost with an evicted key
    again = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Dunkers kulturhus" in again.data


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


@pytest.mark.skipif(not REDIS_URL, reason="set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/9)")
def test_an_older_release_value_in_redis_is_a_miss(app, tmp_path):
    """What a previous release left in Redis (an object that no longer unpickles) is rebuilt over."""
    from expo.calendar import caching

    make_session(event=make_event(slug="h22"))
    db.session.commit()
    prefix = f"expo-test-calendar-{uuid.uuid4().hex}:"
    server = create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], CACHE_TYPE="RedisCache",
                                    CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix))
    try:
        client = server.test_client()
        expected = client.get("/events/h22/calendar.ics")
        with server.app_context():
            redis = cache.cache._write_client
            # A pickle of a class from a module that is gone.
            redis.set(prefix + caching.GENERATION_KEY, b"!cexpo.old_release\nGen\n)R.")
        response = client.get("/events/h22/calendar.ics")
        assert response.status_code == 200
        assert response.data == expected.data
        assert response.headers["ETag"] == expected.headers["ETag"]
    finally:
        with server.app_context():
            cache.clear()
            db.engine.dispose()
