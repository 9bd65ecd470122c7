"""An event organiser's day in a real browser: sign in, find only their own event, change it,
and be refused on another event."""
from __future__ import annotations

import re

import pytest

from expo.events.models import Event, TeamMember, TeamRole
from tests.factories import PASSWORD, make_event, make_user


@pytest.mark.e2e
def test_an_event_organiser_edits_their_event_and_is_refused_another(db, page, live_server):
    unece = make_event(name="UNECE H22 +50 Sessions", slug="h22-50-sessions")
    eit = make_event(name="EIT Urban Mobility Day", slug="eit-day")
    ivana = make_user(email="unece.team@h22.example", name="Ivana Petrović")
    db.session.add(TeamMember(event=unece, user=ivana, role=TeamRole.ORGANISER))
    db.session.commit()

    page.goto("/account/login")
    page.get_by_label("E-mail").fill("unece.team@h22.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Ivana Petrović.").wait_for()

    # The menu leads to the management pages, which list her event and no other.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    main = page.get_by_role("main")
    assert main.get_by_role("link", name="UNECE H22 +50 Sessions").is_visible()
    assert main.get_by_text("EIT Urban Mobility Day").count() == 0
    assert page.get_by_role("link", name="Venues and rooms").count() == 0

    main.get_by_role("link", name="UNECE H22 +50 Sessions").click()
    description = page.get_by_label("Description")
    description.fill("Localising the SDGs: cities report on housing, energy and mobility.")
    page.get_by_role("button", name="Save event").click()
    page.get_by_text("Event saved.").wait_for()
    db.session.expire_all()
    assert db.session.get(Event, unece.id).description.startswith("Localising the SDGs")

    # Another event's settings are refused, and nothing there changes.
    response = page.goto(f"/manage/events/{eit.id}/edit")
    assert response.status == 403
    assert re.search("403|not allowed|forbidden", page.content(), re.I)
    db.session.expire_all()
    assert db.session.get(Event, eit.id).description is None
    assert live_server.url.startswith("http://127.0.0.1")
