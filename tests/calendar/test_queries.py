"""Feeds load what they write in a fixed number of queries, however big the schedule."""
import pytest

from expo.extensions import cache, db
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


def test_a_304_costs_one_aggregate_query_after_the_lookup(client):
    user = make_user()
    make_booking(user=user, status=BookingStatus.CONFIRMED)
    db.session.commit()
    url = f"/calendar/{user.feed_token}.ics"
    etag = client.get(url).headers["ETag"]
    with count_queries() as log:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert log.count == 2, str(log)
