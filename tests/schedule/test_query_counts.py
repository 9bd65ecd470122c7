"""Every public schedule page costs the same number of SQL statements for 3 sessions as for 40."""
from __future__ import annotations

import pytest

from expo.accounts.models import Role
from expo.registration.models import RegistrationStatus
from tests.factories import add_person, make_booking, make_registration, make_user
from tests.querycount import page_query_count
from tests.schedule.conftest import build_programme


@pytest.fixture
def programmes(db):
    small = build_programme(3, slug="small")
    large = build_programme(40, slug="large")
    db.session.commit()
    return small, large


def _both(client, url_for_programme, programmes) -> tuple[int, int]:
    small, large = programmes
    return page_query_count(client, url_for_programme(small)), page_query_count(client, url_for_programme(large))


@pytest.mark.parametrize(
    "url",
    [
        lambda p: f"/events/{p.event.slug}",
        lambda p: f"/events/{p.event.slug}?q=session&kind=panel&language=en",
        lambda p: f"/events/{p.event.slug}?track={p.tracks[0].id}&venue={p.venue.slug}&network={p.network.slug}",
        lambda p: f"/events/{p.event.slug}/grid/{p.event.starts_on.isoformat()}",
        lambda p: f"/events/{p.event.slug}/changes",
        lambda p: f"/sessions/{p.sessions[1].id}",
        lambda p: f"/venues/{p.venue.slug}",
        lambda p: f"/networks/{p.network.slug}",
    ],
    ids=["list", "list-search", "list-filters", "grid", "changes", "session", "venue", "network"],
)
def test_page_query_count_does_not_grow_with_the_schedule(client, programmes, url):
    small, large = _both(client, url, programmes)
    assert small == large


def test_session_page_count_does_not_grow_with_bookings_or_people(client, db, programmes):
    small, large = programmes
    for _ in range(30):
        make_booking(session=large.sessions[1])
        add_person(large.sessions[1], make_user())
    db.session.commit()
    assert page_query_count(client, f"/sessions/{small.sessions[1].id}") == page_query_count(
        client, f"/sessions/{large.sessions[1].id}"
    )


def test_list_pages_cost_the_same_for_few_and_many_rows(client, db):
    build_programme(2, slug="one")
    db.session.commit()
    first = {url: page_query_count(client, url) for url in ("/venues/", "/networks/", "/countries/", "/countries/se")}
    build_programme(25, slug="two")
    build_programme(10, slug="three")
    for n in range(30):
        user = make_user(country_code="SE" if n % 2 else "DK")
        make_registration(user=user, status=RegistrationStatus.APPROVED)
    db.session.commit()
    assert {url: page_query_count(client, url) for url in first} == first


def test_signed_in_organiser_pays_a_fixed_count_too(client, db, login_as, programmes):
    login_as(Role.ORGANISER)
    small, large = programmes
    for make_url in (lambda p: f"/events/{p.event.slug}", lambda p: f"/events/{p.event.slug}/grid"):
        assert page_query_count(client, make_url(small)) == page_query_count(client, make_url(large))
