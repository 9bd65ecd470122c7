"""An organiser builds a schedule from nothing in a real browser, publishes it and changes it;
a visitor then finds the changes, the grid and the filtered list."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.events.models import Event
from expo.programme.models import ProgrammeSession, SessionRoleKind, SessionStatus
from tests.factories import PASSWORD, make_user


def field(page, label: str):
    """The input labelled ``label`` (required fields add an asterisk to their label)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


@pytest.mark.e2e
def test_organiser_builds_publishes_and_changes_a_schedule_that_visitors_read(db, page):
    make_user(role=Role.ORGANISER, email="olivia@h22.example", name="Olivia Organiser")
    make_user(email="sam@h22.example", name="Sam Speaker")
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" prompts

    page.goto("/account/login")
    page.get_by_label("E-mail").fill("olivia@h22.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Olivia Organiser.").wait_for()

    # An event, as a draft.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    page.get_by_role("button", name="New event").click()
    field(page, "Name").fill("H22 +50 Sessions")
    field(page, "First day").fill("2022-06-01")
    field(page, "Last day").fill("2022-06-02")
    page.get_by_role("button", name="Create event").click()
    page.get_by_text("Event created as a draft.").wait_for()
    assert page.get_by_text("Draft: this schedule is not published.").is_visible()

    # A venue with two rooms.
    page.get_by_role("link", name="Venues and rooms").first.click()
    page.get_by_role("button", name="New venue").click()
    field(page, "Name").fill("Dunkers")
    page.get_by_role("button", name="Create venue").click()
    page.get_by_text("Venue created.").wait_for()
    for name, seats in (("Hall A", "100"), ("Studio", "30")):
        field(page, "Room name").fill(name)
        field(page, "Seats").fill(seats)
        page.get_by_role("button", name="Add room").click()
        page.get_by_text("Room added.").wait_for()

    # A first session with a speaker chosen through the search picker.
    page.get_by_role("link", name="Events").last.click()
    page.get_by_role("link", name="H22 +50 Sessions").click()
    page.get_by_role("link", name="Sessions", exact=True).click()

    def new_session(title: str, room: str) -> None:
        page.get_by_role("button", name="New session").click()
        field(page, "Title").fill(title)
        field(page, "Starts").fill("2022-06-01T10:00")
        field(page, "Ends").fill("2022-06-01T11:00")
        field(page, "Room").select_option(label=room)
        field(page, "Speakers").fill("sam")
        page.get_by_role("button", name=re.compile("Add: Sam Speaker")).click()
        page.get_by_role("button", name="Remove Sam Speaker").wait_for()
        page.get_by_role("button", name="Save session").click()

    new_session("Green mobility", "Dunkers – Hall A (100)")
    page.get_by_text("Session “Green mobility” added.").wait_for()

    # The same room at the same time is refused.
    new_session("Water in cities", "Dunkers – Hall A (100)")
    page.get_by_text("Dunkers – Hall A is double-booked").wait_for()

    # In another room, the speaker's clash is a warning that needs confirming.
    field(page, "Room").select_option(label="Dunkers – Studio (30)")
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Sam Speaker is in two sessions at once").wait_for()
    page.get_by_label("I have read the warnings").check()
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Session “Water in cities” added.").wait_for()

    # The conflicts report shows the speaker clash.
    page.get_by_role("link", name="Conflicts", exact=True).first.click()
    page.get_by_text("Sam Speaker is in two sessions at once").wait_for()

    # Publish, then change the published schedule: visitors should learn of it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    page.get_by_role("link", name="H22 +50 Sessions").first.click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("The event is published.").wait_for()

    # Move the first session, then cancel the second.
    page.get_by_role("link", name="Conflicts", exact=True).first.click()
    page.get_by_role("link", name="Fix “Green mobility”").click()
    # The search box replaces it once the page's script has run (waits for it on a busy machine).
    page.get_by_label("Add speakers by e-mail").wait_for(state="hidden")
    field(page, "Starts").fill("2022-06-01T13:00")
    field(page, "Ends").fill("2022-06-01T14:00")
    page.get_by_role("button", name="Save session").click()
    page.get_by_text("Saved. The change waits for the next release.").wait_for()
    # Staged: the edit page says so and shows the move; the public does not see it yet.
    pending = page.locator(".pending-box")
    assert "Wed 1 Jun 10:00" in pending.inner_text() and "Wed 1 Jun 13:00" in pending.inner_text()
    assert page.get_by_role("link", name="1 unreleased change").is_visible()

    page.get_by_role("link", name="Sessions", exact=True).click()
    page.get_by_role("link", name="Water in cities", exact=True).click()
    page.get_by_role("button", name="Cancel session…").click()
    page.get_by_text("It ends 0 booked seats.").wait_for()  # asked first, with what it ends
    page.get_by_role("button", name="Cancel session", exact=True).click()
    page.get_by_text("The cancellation waits for the next release.").first.wait_for()
    db.session.expire_all()
    assert db.session.scalar(sa.select(ProgrammeSession).where(ProgrammeSession.title == "Green mobility")).revision == 0

    # The organiser reads the pending changes as a diff and releases them with a note.
    page.get_by_role("link", name="2 unreleased changes").click()
    diff = page.locator(".pending-changes")
    assert diff.locator(".change", has_text="Green mobility").locator(".badge-moved").is_visible()
    assert diff.locator(".change", has_text="Water in cities").locator(".badge-cancelled").is_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # the diff fits a phone without sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Note for the public (optional)").fill("Green mobility moves to the afternoon.")
    page.get_by_role("button", name="Release 2 changes").click()
    page.get_by_text("The changes are released").wait_for()
    page.get_by_text("There are no unreleased changes").wait_for()

    db.session.expire_all()
    event = db.session.scalar(sa.select(Event))
    assert event.is_published
    sessions = {s.title: s for s in db.session.scalars(sa.select(ProgrammeSession))}
    assert sessions["Green mobility"].revision == 1
    assert sessions["Water in cities"].status is SessionStatus.CANCELLED
    assert [u.name for u in sessions["Green mobility"].people(SessionRoleKind.SPEAKER)] == ["Sam Speaker"]

    # Both changes are on the public changes page, under version v1 with its note.
    page.goto(f"/events/{event.slug}/changes")
    assert page.get_by_role("heading", name=re.compile("Version v1")).is_visible()
    assert page.get_by_text("Green mobility moves to the afternoon.").is_visible()
    moved = page.locator(".change", has_text="Green mobility")
    assert "12:00" not in moved.inner_text() and "13:00" in moved.locator("ins").inner_text()
    cancelled = page.locator(".change.is-cancelled", has_text="Water in cities")
    assert cancelled.locator("ins").inner_text() == "Cancelled"

    # A visitor reads the grid and filters the list.
    page.locator("summary", has_text="Olivia Organiser").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()
    page.goto(f"/events/{event.slug}")
    page.get_by_role("navigation", name="Schedule views").get_by_role("link", name="Grid").click()
    grid = page.get_by_role("region", name=re.compile("Sessions on"))
    assert grid.get_by_role("link", name=re.compile("Green mobility")).is_visible()
    assert page.locator(".grid-session.is-cancelled", has_text="Water in cities").is_visible()
    assert page.get_by_role("heading", name="Studio").is_visible()

    page.get_by_role("navigation", name="Schedule views").get_by_role("link", name="List").click()
    page.get_by_text("Filter and search").click()
    page.get_by_label("Search").fill("sam")
    page.get_by_role("button", name="Show sessions").click()
    page.wait_for_url(re.compile(r"q=sam"))
    assert page.get_by_text("2 sessions match.").is_visible()
    page.get_by_label("Search").fill("")
    page.get_by_label("Venue").select_option(label="Dunkers")
    page.get_by_label("Kind").select_option(label="Talk")
    page.get_by_label("Search").fill("green")
    page.get_by_role("button", name="Show sessions").click()
    page.wait_for_url(re.compile(r"q=green"))
    assert page.locator(".session-title strong").all_inner_texts() == ["Green mobility"]
