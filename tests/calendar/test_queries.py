"""Feeds load what they write in a fixed number of queries, however big the schedule."""
import pytest

from expo.core.extensions import cache, db
from expo.registration.models import BookingStatus
from tests.factories import add_person, make_booking, make_event, make_network, make_session, make_user
from tests.querycount import count_queries


def _schedule(event, network, user, size):
    for _ in range(size):
        session = make_session(event=event, networks=[network])
        add_person(session, make_user())
        make_booking(session=session, user=user)
    db.session.commit()


@pytest.mark.parametrize("url", [
    "/events/h22/calendar.ics", "/events/h22/export/frab-xml", "/events/h22/export/frab-json",
    "/networks/unece/calendar.ics", "personal",
])
def test_query_count_does_not_grow_with_the_schedule(client, url):
    event = make_event(slug="h22")
    network = make_network(slug="unece")
    user = make_user()
    counts = []
    for size in (2, 6):
        _schedule(event, network, user, size)
        cache.clear()
        target = f"/calendar/{user.feed_token}.ics" if url == "personal" else url
        db.session.expire_all()
        with count_queries() as log:
            assert client.get(target).status_code == 200
        counts.append(log.count)
    assert counts[0] == counts[1], url


def test_a_304_costs_one_query(client):
    """The owner of the token and the bookings' fingerprint are remembered until the owner's
    account or bookings or the schedule change: a 304 reads only the schedule's generation."""
    user = make_user()
    make_booking(user=user, status=BookingStatus.CONFIRMED)
    db.session.commit()
    url = f"/calendar/{user.feed_token}.ics"
    etag = client.get(url).headers["ETag"]
    with count_queries() as log:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert log.count == 1 and "FROM cache_generations" in log.statements[0], str(log)


def test_the_expo_feed_from_plain_rows_is_the_feed_from_sessions(app):
    from expo.calendar import feeds, queries
    from expo.calendar.ical import written_in
    from expo.programme.models import SessionKind, SessionRoleKind, SessionStatus
    from tests.factories import make_room, make_venue

    event = make_event(slug="h22")
    other = make_event(slug="hel", timezone="Europe/Helsinki")
    make_session(event=make_event(slug="draft", is_published=False))
    venue = make_venue(name="Dunkers", address="Kungsgatan 11", latitude=56.0489, longitude=12.6879)
    rich = make_session(event=event, room=make_room(venue=venue), description="About, this; that",
                        meeting_url="https://meet.example/a", kind=SessionKind.HYBRID)
    add_person(rich, make_user(name="Zoë"), SessionRoleKind.SPEAKER)
    add_person(rich, make_user(name="Ada"), SessionRoleKind.SPEAKER)
    add_person(rich, make_user(name="Bo"), SessionRoleKind.MODERATOR)
    rich.networks.extend([make_network(name="UNECE"), make_network(name="CPMR")])
    make_session(event=event, room=None, kind=SessionKind.DIGITAL, meeting_url="https://meet.example/b",
                 status=SessionStatus.CANCELLED)
    make_session(event=other)
    db.session.commit()
    with written_in():
        cache.clear()
        from_sessions = feeds.public_feed(queries.expo_sessions(), name="Expo")
        cache.clear()
        from_rows = feeds.public_feed(queries.expo_session_rows(), name="Expo")
    assert from_rows == from_sessions
    assert from_rows.count(b"BEGIN:VEVENT") == 3
