"""In a real browser: a delegate stars a session in place; an organiser runs the assistant on a
small event and applies one of its moves."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from expo.assistant.models import SessionInterest
from expo.events.models import TeamMember, TeamRole
from expo.programme import services as programme
from expo.programme.models import ProgrammeSession
from tests.factories import PASSWORD, add_person, make_event, make_room, make_session, make_user, make_venue, utc


def _sign_in(page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/account/login" not in url)


@pytest.mark.e2e
def test_a_delegate_stars_a_session_without_leaving_the_grid(db, page):
    session = make_session(title="Green mobility")
    make_user(email="dana@h22.example")
    db.session.commit()
    _sign_in(page, "dana@h22.example")
    page.goto(f"/events/{session.event.slug}/grid/2022-06-01")
    star = page.get_by_role("button", name="Interested · Green mobility")
    assert star.get_attribute("aria-pressed") == "false"
    url = page.url
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    assert star.inner_text().startswith("★")
    assert page.url == url
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(SessionInterest)) == 1


@pytest.mark.e2e
def test_an_organiser_runs_the_assistant_and_applies_one_move(db, page):
    event = make_event(is_published=False)
    venue = make_venue()
    hall = make_room(venue=venue, name="Hall", capacity=200)
    studio = make_room(venue=venue, name="Studio", capacity=40)
    at = utc(2022, 6, 1, 8)
    a = make_session(event=event, room=hall, starts_at=at, title="Mobility plenary")
    make_session(event=event, room=hall, starts_at=at, title="Housing workshop")
    c = make_session(event=event, room=studio, starts_at=at, title="Energy panel")
    speaker = make_user()
    add_person(a, speaker)
    add_person(c, speaker)
    organiser = make_user(email="olivia@h22.example")
    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    assert programme.conflict_report()

    _sign_in(page, "olivia@h22.example")
    page.goto(f"/manage/events/{event.id}/assistant")
    page.get_by_label("Time limit (seconds)").fill("5")
    page.get_by_role("button", name="Propose a schedule").click()
    page.get_by_text("Proposal ready").wait_for(timeout=30_000)
    assert page.locator('[data-figure="hard-after"]').inner_text() == "0"
    page.locator(".assistant-moves input[type=checkbox]").first.check()
    page.get_by_role("button", name="Apply the ticked moves").click()
    page.get_by_text("1 session moved.").wait_for()

    db.session.expire_all()
    moved = [s for s in db.session.scalars(db.select(ProgrammeSession)) if s.revision == 1]
    assert len(moved) == 1
    assert programme.conflict_report() == []
