"""The organisers' long tables in a browser, in the demo expo: on a phone (390 px) and a laptop
(1280 px) the page never scrolls sideways (a wide table scrolls inside its focusable frame), axe
finds no serious violation, the Filter button is a button and not a bar, and the box in the
heading ticks every row of the page. On the laptop the tables fit without scrolling."""
from __future__ import annotations

import pytest

from expo.core.extensions import db as _db
from expo.demo.h22 import DEMO_LOGINS
from tests.test_pages_e2e import AXE, SERIOUS, demo  # noqa: F401 (the fixture)


def _paths() -> list[str]:
    from expo.events.models import Event
    from expo.programme.models import ProgrammeSession

    session_id = _db.session.scalar(_db.select(ProgrammeSession.id).order_by(ProgrammeSession.id).limit(1))
    event = _db.session.scalars(_db.select(Event).order_by(Event.id).limit(1)).one()
    return [f"/manage/events/{event.slug}/registrations", f"/manage/sessions/{session_id}/bookings",
            f"/manage/events/{event.id}/sessions", "/manage/people/", "/manage/organisations", "/manage/networks"]


@pytest.mark.e2e
@pytest.mark.parametrize("width", [390, 1280])
def test_the_organisers_tables_fit_and_are_accessible(demo, _browser, live_server, width):  # noqa: F811
    paths = _paths()
    context = _browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 844},
                                   bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems = []
    try:
        page.goto("/account/login")
        page.get_by_label("E-mail").fill(DEMO_LOGINS["accounts"]["organiser"])
        page.get_by_label("Password").fill(DEMO_LOGINS["password"])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/account/login" not in url)
        for path in paths:
            page.goto(path + "?sort=-name&per_page=25")
            where = f"{path} at {width} px"
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{where}: scrolls sideways ({scroll_width} px)")
            if "/registrations" in path or "/bookings" in path:
                button = page.get_by_role("search").get_by_role("button", name="Filter")
                if button.bounding_box()["width"] > 200:
                    problems.append(f"{where}: the Filter button is {button.bounding_box()['width']:.0f} px wide")
            if width >= 1280:
                frames = page.evaluate("[...document.querySelectorAll('.data-table')].map(f => f.scrollWidth - f.clientWidth)")
                if any(frames):
                    problems.append(f"{where}: the table is wider than its frame by {frames} px")
            page.add_script_tag(content=AXE)
            problems += [f"{where}: {violation}" for violation in page.evaluate(SERIOUS)]
        page.goto(paths[0])
        page.get_by_label("Select all on this page").check()
        ticked = page.locator("tbody input[name=ids]:checked").count()
        if ticked != 50:
            problems.append(f"select all ticked {ticked} rows")
    finally:
        context.close()
    assert problems == []
