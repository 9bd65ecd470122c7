"""The day grid: rooms as columns grouped by venue, time down the page, DST days, drafts."""
from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from expo.programme.models import SessionKind, SessionStatus
from expo.schedule.grid import MAX_ROWS, build_day_grid, grid_stylesheet
from tests.factories import make_event, make_room, make_session, make_venue, utc
from tests.schedule.conftest import assert_only_organisers_see


def grid_item(html: str, title: str) -> str:
    """The <li> of the grid that holds ``title``."""
    end = html.index(title)
    start = html.rindex('<li class="grid-session', 0, end)
    return html[start: html.index("</li>", end)]


@pytest.fixture
def expo_day(db):
    event = make_event(slug="h22", starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    dunkers = make_venue(name="Dunkers", slug="dunkers")
    maritiman = make_venue(name="Maritiman", slug="maritiman")
    hall_b = make_room(venue=dunkers, name="Hall B")
    hall_a = make_room(venue=dunkers, name="Hall A")
    deck = make_room(venue=maritiman, name="Deck")
    make_session(event=event, title="Opening", room=hall_a, starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    make_session(event=event, title="Ports", room=deck, starts_at=utc(2022, 6, 1, 7, 30), ends_at=utc(2022, 6, 1, 9))
    make_session(event=event, title="Parallel", room=hall_b, starts_at=utc(2022, 6, 1, 8), ends_at=utc(2022, 6, 1, 8, 20))
    make_session(event=event, title="Webinar", kind=SessionKind.DIGITAL,
                 starts_at=utc(2022, 6, 1, 9, 5), ends_at=utc(2022, 6, 1, 9, 50))
    make_session(event=event, title="Dropped", room=hall_a, status=SessionStatus.CANCELLED,
                 starts_at=utc(2022, 6, 1, 11), ends_at=utc(2022, 6, 1, 12))
    make_session(event=event, title="Tomorrow", room=hall_a, starts_at=utc(2022, 6, 2, 7), ends_at=utc(2022, 6, 2, 8))
    db.session.commit()
    return event


def test_grid_has_rooms_as_columns_grouped_by_venue_and_online_last(client, expo_day):
    html = client.get("/events/h22/grid/2022-06-01").get_data(as_text=True)
    headings = re.findall(r'class="grid-(?:venue|room)-name" id="[^"]+">\s*(?:<a [^>]+>)?([^<]+)', html)
    assert [h.strip() for h in headings] == [
        "Dunkers", "Hall A", "Hall B", "Maritiman", "Deck", "Online", "Digital sessions"
    ]
    assert "Tomorrow" not in html


def test_sessions_span_their_length_in_five_minute_rows(client, expo_day):
    html = client.get("/events/h22/grid/2022-06-01").get_data(as_text=True)
    # the grid starts at 09:00 local (07:00 UTC); one row is five minutes
    assert "gr-s1 gr-e13" in grid_item(html, "Opening")  # 09:00–10:00
    assert "gr-s7 gr-e25" in grid_item(html, "Ports")  # 09:30–11:00
    assert "gr-s13 gr-e17" in grid_item(html, "Parallel")  # 10:00–10:20
    assert "gr-s26 gr-e35" in grid_item(html, "Webinar")  # 11:05–11:50
    assert '<time datetime="2022-06-01T07:00:00+00:00">09:00</time></li>' in html
    assert "09:00</time>–<time datetime=\"2022-06-01T08:00:00+00:00\">10:00" in grid_item(html, "Opening")


def test_cancelled_sessions_are_marked_on_the_grid(client, expo_day):
    item = grid_item(client.get("/events/h22/grid/2022-06-01").get_data(as_text=True), "Dropped")
    assert "is-cancelled" in item and "status-cancelled\">Cancelled</span>" in item


def test_day_tabs_link_every_day_and_mark_the_current_one(client, expo_day):
    html = client.get("/events/h22/grid/2022-06-02").get_data(as_text=True)
    assert '<a href="/events/h22/grid/2022-06-02" aria-current="page">Thu 2 Jun</a>' in html
    assert '<a href="/events/h22/grid/2022-06-01">Wed 1 Jun</a>' in html
    assert '<a href="/events/h22/grid/2022-06-03">Fri 3 Jun</a>' in html
    assert "Tomorrow" in html and "Opening" not in html
    assert 'href="/events/h22?day=2022-06-02#day-2022-06-02"' in html  # the phone's way to the list


def test_day_without_sessions_says_so(client, expo_day):
    assert "No sessions on this day." in client.get("/events/h22/grid/2022-06-03").get_data(as_text=True)


def test_grid_without_a_day_shows_the_first_day(client, expo_day):
    html = client.get("/events/h22/grid").get_data(as_text=True)
    assert 'aria-current="page">Wed 1 Jun' in html and "Opening" in html


@pytest.mark.parametrize("day", ["2022-05-31", "2022-06-04", "yesterday", "2022-13-01", "2022-06-1x"])
def test_days_outside_the_event_or_malformed_are_404(client, expo_day, day):
    assert client.get(f"/events/h22/grid/{day}").status_code == 404


def test_grid_uses_no_inline_styles_and_links_its_stylesheet(client, expo_day):
    html = client.get("/events/h22/grid/2022-06-01").get_data(as_text=True)
    assert "style=" not in html and "<style" not in html
    assert 'href="/schedule/grid.css"' in html


def test_grid_stylesheet_places_every_row(client):
    response = client.get("/schedule/grid.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert ".gr-s1{grid-row-start:1}" in css
    assert f".gr-e{MAX_ROWS + 1}{{grid-row-end:{MAX_ROWS + 1}}}" in css
    assert css == grid_stylesheet()
    assert "max-age=86400" in response.headers["Cache-Control"]


def test_meeting_url_is_not_on_the_grid(client, expo_day):
    assert "meet.example.org" not in client.get("/events/h22/grid/2022-06-01").get_data(as_text=True)


def test_draft_grid_is_404_for_all_but_organisers(client, db, login_as):
    make_session(event=make_event(slug="draft", is_published=False), title="Hidden")
    db.session.commit()
    assert client.get("/events/draft/grid").status_code == 404
    assert "Hidden" in assert_only_organisers_see(client, login_as, "/events/draft/grid/2022-06-01")


# --- clocks changing ------------------------------------------------------------------------

@pytest.fixture
def autumn(db):
    """Stockholm's clocks go back from 03:00 CEST to 02:00 CET on 30 October 2022 (01:00 UTC)."""
    event = make_event(slug="autumn", starts_on=date(2022, 10, 29), ends_on=date(2022, 10, 31))
    room = make_room(name="Hall")
    other = make_room(name="Annex", venue=room.venue)
    make_session(event=event, title="Early bird", room=room, starts_at=utc(2022, 10, 29, 22, 30), ends_at=utc(2022, 10, 29, 23))
    make_session(event=event, title="Summer half", room=room, starts_at=utc(2022, 10, 30, 0, 30), ends_at=utc(2022, 10, 30, 1))
    make_session(event=event, title="Winter half", room=other, starts_at=utc(2022, 10, 30, 1, 30), ends_at=utc(2022, 10, 30, 2))
    make_session(event=event, title="Next night", room=room, starts_at=utc(2022, 10, 30, 23, 30), ends_at=utc(2022, 10, 31, 0))
    db.session.commit()
    return event


def test_dst_day_grid_runs_in_real_time_with_local_hour_marks(client, autumn):
    html = client.get("/events/autumn/grid/2022-10-30").get_data(as_text=True)
    # the day starts at 00:00 CEST = 22:00 UTC on the 29th
    assert "gr-s7 gr-e13" in grid_item(html, "Early bird")  # 00:30–01:00 CEST
    assert "gr-s31 gr-e37" in grid_item(html, "Summer half")  # 02:30 CEST, 150 minutes in
    assert "gr-s43 gr-e49" in grid_item(html, "Winter half")  # 02:30 CET, 210 minutes in
    marks = re.findall(r'class="grid-mark [^"]+"><time datetime="[^"]+">([^<]+)</time>', html)
    assert marks == ["00:00", "01:00", "02:00", "02:00"]  # the last session ends at 03:00 CET
    assert "Next night" not in html
    assert grid_item(html, "Summer half").count("02:30") == 1
    assert grid_item(html, "Winter half").count("02:30") == 1


def test_dst_session_after_local_midnight_belongs_to_the_next_day(client, autumn):
    html = client.get("/events/autumn/grid/2022-10-31").get_data(as_text=True)
    assert "Next night" in html and "00:30" in html
    html = client.get("/events/autumn").get_data(as_text=True)
    assert html.index("Sunday, October 30, 2022") < html.index("Early bird") < html.index("Monday, October 31, 2022")
    assert html.index("Monday, October 31, 2022") < html.index("Next night")


def test_spring_forward_day_is_23_hours_long(db):
    event = make_event(slug="spring", starts_on=date(2022, 3, 27), ends_on=date(2022, 3, 27))
    room = make_room()
    # 00:30 CET and 04:30 CEST: three real hours apart although the clock says four
    first = make_session(event=event, room=room, starts_at=utc(2022, 3, 26, 23, 30), ends_at=utc(2022, 3, 27, 0))
    second = make_session(event=event, room=room, starts_at=utc(2022, 3, 27, 2, 30), ends_at=utc(2022, 3, 27, 3))
    grid = build_day_grid([first, second], event.timezone, "Online")
    items = grid.venues[0].columns[0].items
    assert [(i.row_start, i.row_end) for i in items] == [(7, 13), (43, 49)]
    assert [m.instant.astimezone(ZoneInfo("Europe/Stockholm")).hour for m in grid.marks] == [
        0, 1, 3, 4
    ]


def test_build_day_grid_of_nothing_is_none():
    assert build_day_grid([], "Europe/Stockholm", "Online") is None
