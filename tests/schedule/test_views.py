"""Every public schedule page answers odd addresses and old, out-of-range rows with a page or a
404, never a server error; long events get a bounded row of day tabs."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.factories import make_event, make_network, make_room, make_session, make_venue, utc

GARBAGE = [
    "x", "9999-12-31", "0001-01-01", "2022-13-45", "99999-01-01", "2022-06-01T10:00", "-1", "0",
    "1" * 300, "\x00", "%", "_", "2022-06-01\x00", "١١١١-٠١-٠١", "None", "[]",
]


def day_tabs(html: str) -> list[str]:
    """The days the day tabs link to (not the earlier and later links)."""
    nav = html[html.index('class="day-tabs"'):]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'<a href="[^"]*(\d{4}-\d{2}-\d{2})"(?: aria-current="page")?>', nav)


@pytest.fixture
def programme(db):
    """More sessions than a small event over two days, so the list goes a day at a time."""
    event = make_event(slug="big")
    room = make_room(venue=make_venue(slug="dunkers"))
    network = make_network(slug="unece")
    for n in range(62):
        start = utc(2022, 6, 1 + n % 2, 6) + timedelta(minutes=10 * n)
        make_session(event=event, room=room, networks=[network], title=f"big session {n}",
                     starts_at=start, ends_at=start + timedelta(minutes=10))
    db.session.commit()
    return event


def test_garbage_arguments_never_fail_a_schedule_page(client, programme):
    event, venue, network = "big", "dunkers", "unece"
    for value in GARBAGE:
        filters = "&".join(f"{name}={value}" for name in ("track", "kind", "venue", "network", "language", "q", "page"))
        urls = [
            f"/events/{event}/grid/{value}",
            f"/events/{event}/grid?day={value}",
            f"/events/{event}?day={value}",
            f"/events/{event}?{filters}",
            f"/events/{event}?day={value}&{filters}",
            f"/events/{event}/changes?day={value}&page={value}",
            f"/venues/{venue}?page={value}",
            f"/networks/{network}?page={value}",
            f"/countries/{value}",
            f"/countries/SE?page={value}",
            f"/venues/?q={value}",
            f"/networks/?page={value}",
        ]
        for url in urls:
            status = client.get(url).status_code
            # 400: a NUL character in the query, refused up front for every page.
            assert status in (200, 400, 404), (url, status)


def test_a_search_with_a_nul_character_is_refused_with_a_reason(client, programme):
    response = client.get("/events/big?q=session 1\x007")
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [(date(1, 1, 1), date(1, 1, 2)), (date(9999, 12, 30), date(9999, 12, 31)), (date(1, 1, 1), date(9999, 12, 31))],
)
def test_an_old_event_row_with_dates_outside_the_calendar_still_shows(client, db, starts_on, ends_on):
    """Rows saved before dates were bounded: their pages answer, they do not overflow."""
    event = make_event(slug="odd", starts_on=starts_on, ends_on=ends_on)
    db.session.commit()
    for url in ("/events/odd/grid", f"/events/odd/grid/{starts_on.isoformat()}", "/events/odd",
                f"/events/odd?day={ends_on.isoformat()}", "/events/odd/changes"):
        assert client.get(url).status_code in (200, 404), url
    assert event.id is not None


def test_a_long_event_shows_a_fortnight_of_day_tabs_with_earlier_and_later_links(client, db):
    """An event of thousands of years (an old row) draws 14 tabs, not millions."""
    make_event(slug="ages", starts_on=date(2000, 1, 1), ends_on=date(9999, 12, 31))
    db.session.commit()
    first = client.get("/events/ages/grid/2000-01-01").get_data(as_text=True)
    assert len(day_tabs(first)) == 14
    assert "Later days" in first and "Earlier days" not in first
    assert 'href="/events/ages/grid/2000-01-15" rel="next"' in first
    middle = client.get("/events/ages/grid/2000-03-01").get_data(as_text=True)
    assert len(day_tabs(middle)) == 14
    assert 'href="/events/ages/grid/2000-02-22" rel="prev"' in middle
    assert 'href="/events/ages/grid/2000-03-08" rel="next"' in middle
    assert len(middle) < 100_000


def test_a_long_event_list_pages_its_day_tabs_too(client, db):
    event = make_event(slug="year", starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31))
    room = make_room()
    for n in range(70):  # more than a small event: the list goes a day at a time
        start = utc(2024, 3, 1, 6) + timedelta(days=n % 5, minutes=n)
        make_session(event=event, room=room, starts_at=start, ends_at=start + timedelta(minutes=30), title=f"Talk {n}")
    db.session.commit()
    html = client.get("/events/year?day=2024-03-02").get_data(as_text=True)
    tabs = day_tabs(html)
    assert len(tabs) == 14 and "2024-03-02" in tabs
    assert 'href="/events/year?day=2024-02-23" rel="prev"' in html
    assert 'href="/events/year?day=2024-03-09" rel="next"' in html
    assert "All days" not in html


def test_venue_and_network_pages_answer_404_past_their_last_page(client, db):
    venue = make_venue(slug="dunkers")
    network = make_network(slug="unece")
    make_session(room=make_room(venue=venue), networks=[network])
    db.session.commit()
    assert client.get("/venues/dunkers?page=1").status_code == 200
    assert client.get("/venues/dunkers?page=2").status_code == 404
    assert client.get("/networks/unece?page=999999").status_code == 404
