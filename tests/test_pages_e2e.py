"""Every page reachable from the menus, for every role, on a phone (390 px) and a laptop (1280 px),
in the demo expo as `make run` loads it: nothing scrolls sideways, the header is one row (at most
80 px) on the laptop, axe finds no serious or critical accessibility violation, and the browser
logs no error."""
from __future__ import annotations

from pathlib import Path

import pytest

from expo.core.extensions import db as _db
from expo.core.timeutil import utcnow
from expo.demo.h22 import DEMO_LOGINS, load_demo

AXE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text()
ROLES = ("anonymous", "delegate", "staff", "event staff", "event organiser", "organiser")
WIDTHS = (390, 1280)
MENU_LINKS = "#site-menu a[href^='/'], .workspace-nav a[href^='/'], .account-menu a[href^='/']"
SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact))
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}"""


@pytest.fixture
def demo(db):
    load_demo(now=utcnow())
    _db.session.commit()


def _visit_every_menu_page(browser, base_url: str, role: str, width: int) -> list[str]:
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 844}, bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems: list[str] = []
    try:
        if role != "anonymous":
            page.goto("/account/login")
            page.get_by_label("E-mail").fill(DEMO_LOGINS["accounts"][role])
            page.get_by_label("Password").fill(DEMO_LOGINS["password"])
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(lambda url: "/account/login" not in url)
        page.goto("/")
        paths = sorted(set(page.eval_on_selector_all(MENU_LINKS, "links => links.map(a => a.getAttribute('href'))")))
        assert "/" in paths and len(paths) >= 5, paths
        for path in paths:
            page.goto(path)
            where = f"{role} at {width} px on {path}"
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                problems.append(f"{where}: scrolls sideways ({scroll_width} px)")
            header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
            if width >= 1280 and header > 80:
                problems.append(f"{where}: header {header:.0f} px high")
            page.add_script_tag(content=AXE)
            problems += [f"{where}: {violation}" for violation in page.evaluate(SERIOUS)]
            problems += [f"{where}: console: {error}" for error in errors]
            errors.clear()
    finally:
        context.close()
    return problems


@pytest.mark.e2e
@pytest.mark.parametrize("role", ROLES)
def test_every_menu_page_fits_and_is_accessible(demo, _browser, live_server, role):
    problems = []
    for width in WIDTHS:
        problems += _visit_every_menu_page(_browser, live_server.url, role, width)
    assert problems == []


@pytest.mark.e2e
def test_the_workspace_menu_folds_behind_a_button_on_a_phone(demo, _browser, live_server):
    context = _browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/account/login")
        page.get_by_label("E-mail").fill(DEMO_LOGINS["accounts"]["organiser"])
        page.get_by_label("Password").fill(DEMO_LOGINS["password"])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/account/login" not in url)
        page.goto("/stats/")
        statistics = page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Statistics")
        # The menus fold when the page's (deferred) script has run, which shows their buttons.
        page.get_by_role("button", name="Workspace menu").wait_for()
        assert not statistics.is_visible()
        page.get_by_role("button", name="Workspace menu").click()
        assert statistics.is_visible() and statistics.get_attribute("aria-current") == "page"
        badges = page.get_by_role("navigation", name="Workspace").get_by_role("link", name="Badges")
        badges.click()
        page.get_by_role("navigation", name="Breadcrumb").get_by_text("Reports").wait_for()
        page.get_by_role("button", name="Menu", exact=True).wait_for()
        assert not page.get_by_role("link", name="My agenda").is_visible()
        page.get_by_role("button", name="Menu", exact=True).click()
        assert page.get_by_role("link", name="My agenda").is_visible()
    finally:
        context.close()


@pytest.mark.e2e
def test_the_organisers_long_pages_fit_a_phone(demo, _browser, live_server):
    """A session's form and bookings and an event's 700 registrations: nothing pushes the page
    sideways (long tables scroll inside their frame)."""
    from expo.events.models import Event
    from expo.programme.models import ProgrammeSession

    session_id = _db.session.scalar(_db.select(ProgrammeSession.id).order_by(ProgrammeSession.id).limit(1))
    slug = _db.session.scalar(_db.select(Event.slug).order_by(Event.id).limit(1))
    context = _browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/account/login")
        page.get_by_label("E-mail").fill(DEMO_LOGINS["accounts"]["organiser"])
        page.get_by_label("Password").fill(DEMO_LOGINS["password"])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/account/login" not in url)
        wide = {}
        for path in (f"/manage/sessions/{session_id}/edit", f"/manage/sessions/{session_id}/bookings",
                     f"/manage/events/{slug}/registrations"):
            page.goto(path)
            wide[path] = page.evaluate("document.documentElement.scrollWidth")
        assert wide == {path: 390 for path in wide}
    finally:
        context.close()
