"""A logged-out visitor reads a published schedule in a real browser."""
from __future__ import annotations

import re

import pytest

from expo.programme.models import SessionKind, SessionStatus
from tests.factories import make_event, make_room, make_session, make_venue, utc
from tests.schedule.conftest import make_track


@pytest.fixture
def published(db):
    event = make_event(name="H22 City Expo", slug="h22")
    mobility, energy = make_track(event, "Mobility"), make_track(event, "Energy")
    venue = make_venue(name="Dunkers Kulturhus", slug="dunkers")
    hall, studio = make_room(venue=venue, name="Hall A"), make_room(venue=venue, name="Studio")
    make_session(event=event, title="Bikes for all", room=hall, track=mobility,
                 starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8, 30))
    make_session(event=event, title="Heat from the harbour", room=studio, track=energy,
                 starts_at=utc(2022, 6, 1, 7, 30), ends_at=utc(2022, 6, 1, 8, 15))
    make_session(event=event, title="Remote futures", kind=SessionKind.DIGITAL, track=energy,
                 starts_at=utc(2022, 6, 1, 9), ends_at=utc(2022, 6, 1, 10))
    make_session(event=event, title="Called off", room=hall, status=SessionStatus.CANCELLED,
                 starts_at=utc(2022, 6, 1, 11), ends_at=utc(2022, 6, 1, 12))
    db.session.commit()
    return event


@pytest.mark.e2e
def test_visitor_opens_the_grid_then_filters_the_list(published, page):
    page.goto("/events/h22/grid/2022-06-01")
    grid = page.get_by_role("region", name=re.compile("Sessions on"))
    for title in ("Bikes for all", "Heat from the harbour", "Remote futures", "Called off"):
        assert grid.get_by_role("link", name=re.compile(title)).is_visible()
    assert page.get_by_role("heading", name="Online").is_visible()
    # sessions are laid out in time: the 90-minute talk is taller than the 45-minute one
    long_box = page.locator(".grid-session", has_text="Bikes for all").bounding_box()
    short_box = page.locator(".grid-session", has_text="Heat from the harbour").bounding_box()
    assert long_box["height"] > short_box["height"] * 1.5
    assert short_box["y"] > long_box["y"]  # 09:30 starts below 09:00
    assert page.locator(".grid-session.is-cancelled", has_text="Called off").get_by_text("Cancelled").is_visible()

    page.get_by_role("navigation", name="Schedule views").get_by_role("link", name="List").click()
    page.get_by_text("Filter and search").click()
    page.get_by_label("Track").select_option(label="Energy")
    page.get_by_role("button", name="Show sessions").click()
    page.wait_for_url(re.compile(r"track=\d+"))
    assert page.get_by_text("2 sessions match.").is_visible()
    titles = page.locator(".session-title strong").all_inner_texts()
    assert titles == ["Heat from the harbour", "Remote futures"]


@pytest.mark.e2e
def test_phone_scrolls_the_grid_sideways_and_links_to_the_list(published, page):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/events/h22/grid/2022-06-01")
    scroller = page.locator(".day-grid-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="On a small screen? Read this day as a list.").click()
    page.get_by_role("heading", name="Wednesday, June 1, 2022").wait_for()
