"""With Redis, every app server shares the feeds' cache: a change seen by one drops them all."""
import os
import uuid

import pytest

from expo import create_app
from expo.core.extensions import cache, db
from tests.conftest import base_config
from expo.calendar.ical import session_uid
from tests.calendar.helpers import by_uid, parse
from tests.factories import make_event, make_room, make_session

REDIS_URL = os.environ.get("EXPO_REDIS_URL")


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

    assert caching.KEY_PREFIX == f"calendar:v{caching.CACHE_FORMAT}:"


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


def test_a_renamed_venue_is_seen_whatever_the_cache_lost(client):
    from expo.venues.models import Venue

    session = make_session(event=make_event(slug="h22"), room=make_room())
    db.session.commit()
    first = client.get("/events/h22/calendar.ics")
    db.session.get(Venue, session.room.venue_id).name = "Dunkers kulturhus"
    db.session.commit()
    cache.clear()
    again = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Dunkers kulturhus" in again.data


def _close(servers) -> None:
    for server in servers:
        with server.app_context():
            cache.clear()
            db.session.remove()
            db.engine.dispose()


def _servers(app, tmp_path, **config):
    return [create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], **config)) for _ in range(2)]


def test_two_workers_without_redis_serve_the_same_feed_after_a_change(app, tmp_path):
    """gunicorn's workers without Redis each keep their own cache: after a change seen by one,
    the other must not go on serving the old text under the old ETag."""
    from expo.venues.models import Venue

    session = make_session(event=make_event(slug="h22"), room=make_room(), title="Housing for all")
    db.session.commit()
    # Read in the test's own app: the test's session must not borrow a connection of the servers'.
    venue_id, page = session.room.venue_id, f"/sessions/{session.id}"
    servers = _servers(app, tmp_path, CACHE_TYPE="SimpleCache")
    try:
        one, two = (server.test_client() for server in servers)
        before = [one.get("/events/h22/calendar.ics"), two.get("/events/h22/calendar.ics")]
        assert before[0].headers["ETag"] == before[1].headers["ETag"] and before[0].data == before[1].data
        # The organiser renames the venue through the first worker (a change with no timestamp).
        with servers[0].app_context():
            db.session.get(Venue, venue_id).name = "Dunkers kulturhus"
            db.session.commit()
        after = [two.get("/events/h22/calendar.ics"), one.get("/events/h22/calendar.ics"),
                 two.get("/events/h22/calendar.ics", headers={"If-None-Match": before[1].headers["ETag"]})]
        assert [r.status_code for r in after] == [200, 200, 200]
        assert len({r.headers["ETag"] for r in after}) == 1 and after[0].headers["ETag"] != before[0].headers["ETag"]
        assert all(b"Dunkers kulturhus" in r.data and r.data == after[0].data for r in after)
        # Public pages follow the same generation in every worker.
        assert "Dunkers kulturhus" in one.get(page).get_data(as_text=True)
        with servers[1].app_context():
            db.session.get(Venue, venue_id).name = "Dunkers"
            db.session.commit()
        assert "Dunkers kulturhus" not in one.get(page).get_data(as_text=True)
    finally:
        _close(servers)


@pytest.mark.skipif(not REDIS_URL, reason="set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/9)")
def test_a_change_through_one_server_moves_the_feeds_of_another(app, tmp_path):
    from expo.venues.models import Room

    session = make_session(event=make_event(slug="h22"), room=make_room(name="Hall A"))
    db.session.commit()
    room_id = session.room_id
    prefix = f"expo-test-calendar-{uuid.uuid4().hex}:"
    servers = _servers(app, tmp_path, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    try:
        one, two = (server.test_client() for server in servers)
        first = one.get("/events/h22/calendar.ics")
        assert two.get("/events/h22/calendar.ics").headers["ETag"] == first.headers["ETag"]
        with servers[1].app_context():
            db.session.get(Room, room_id).name = "Hall B"
            db.session.commit()
        again = one.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200
        assert again.headers["ETag"] != first.headers["ETag"] and b"Hall B" in again.data
    finally:
        _close(servers)


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
        etag = expected.headers["ETag"].strip('"')
        with server.app_context():
            redis = cache.cache._write_client
            # A pickle of a class from a module that is gone.
            redis.set(prefix + f"{caching.KEY_PREFIX}body:{etag}", b"!cexpo.old_release\nGen\n)R.")
        response = client.get("/events/h22/calendar.ics")
        assert response.status_code == 200
        assert response.data == expected.data
        assert response.headers["ETag"] == expected.headers["ETag"]
    finally:
        with server.app_context():
            cache.clear()
            db.engine.dispose()
