"""In a browser: an administrator opens a twinning call, two cities apply, the organiser
accepts them, runs the matching, locks a pair and publishes; a pair's workshop reaches both
cities' agendas and calendar feeds, and a contact asks for a one-to-one and claims travel costs."""
from __future__ import annotations

from datetime import timedelta

import pytest

from expo.accounts.models import Role
from expo.core.timeutil import utcnow
from expo.twinning.models import OneToOne, TravelClaim, TwinningPair, TwinningProgramme
from tests.factories import PASSWORD, make_event, make_pilot, make_room, make_user


def sign_in(page, email: str, name: str) -> None:
    page.context.clear_cookies()
    page.goto("/account/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Welcome, {name}.").wait_for()


def apply(page, programme_id: int, *, city: str, organisation: str, theme: str) -> None:
    page.goto(f"/twinning/{programme_id}/apply")
    page.get_by_label("Organisation").fill(organisation)
    page.locator("#name").fill(city)
    page.get_by_label(theme).select_option("3")
    page.get_by_label("English").check()
    page.get_by_label("The city's challenges").fill(f"{city} needs help with {theme.lower()}.")
    page.get_by_role("button", name="Send application").click()
    page.get_by_text("Application saved.").wait_for()


@pytest.mark.e2e
def test_a_call_from_opening_to_a_pair_s_workshop_and_a_one_to_one(db, page, live_server):
    first_day = (utcnow() + timedelta(days=20)).date()
    event = make_event(name="Twin Cities Workshops", starts_on=first_day, ends_on=first_day + timedelta(days=1))
    room = make_room(name="Workshop room")
    make_user(role=Role.ADMIN, email="admin@h22.example", name="Emma Admin")
    gavle = make_user(email="gavle@twin.example", name="Göran Gävle")
    tartu = make_user(email="tartu@twin.example", name="Tiina Tartu")
    umea = make_user(email="umea@twin.example", name="Ulla Umeå")
    espoo = make_user(email="espoo@twin.example", name="Eero Espoo")
    db.session.commit()

    sign_in(page, "admin@h22.example", "Emma Admin")
    page.goto("/manage/twinning/")
    page.get_by_role("button", name="New programme").click()
    page.get_by_label("Name").fill("Twin Cities")
    page.get_by_label("Mobility").check()
    page.get_by_label("Energy").check()
    page.get_by_label("Twins per pilot city at most").fill("1")
    page.get_by_label("Travel costs reimbursed per city (euros)").fill("6000")
    page.get_by_label("Applications close at").fill(f"{first_day.year + 1}-06-30T23:59")
    page.get_by_label("Event that holds the meetings").select_option(label="Twin Cities Workshops")
    page.locator("#modules-0-name").fill("Getting started")
    page.locator("#modules-0-starts_on").fill(first_day.isoformat())
    page.locator("#modules-0-ends_on").fill((first_day + timedelta(days=90)).isoformat())
    page.get_by_role("button", name="Create programme").click()
    page.get_by_text("Programme created.").wait_for()
    programme = db.session.query(TwinningProgramme).one()
    page.get_by_role("button", name="Record a pilot city").click()
    page.locator("#name").fill("Umeå")
    page.get_by_label("Mobility").select_option("3")
    page.get_by_label("Contact people").fill("umea@twin.example")
    page.get_by_role("button", name="Save pilot city").click()
    page.get_by_text("Pilot city recorded.").wait_for()
    make_pilot(programme=db.session.get(TwinningProgramme, programme.id), name="Espoo", themes={"energy": 3},
               contacts=[espoo])
    db.session.commit()

    sign_in(page, "gavle@twin.example", "Göran Gävle")
    apply(page, programme.id, city="Gävle", organisation="Gävle kommun", theme="Mobility")
    sign_in(page, "tartu@twin.example", "Tiina Tartu")
    apply(page, programme.id, city="Tartu", organisation="Tartu linn", theme="Energy")

    sign_in(page, "admin@h22.example", "Emma Admin")
    for city in ("Gävle", "Tartu"):
        page.goto(f"/manage/twinning/{programme.id}")
        page.get_by_role("link", name=city).click()
        page.get_by_label("Decision").select_option("accept")
        page.get_by_role("button", name="Save decision").click()
        page.get_by_text("Decision saved").wait_for()
    page.goto(f"/manage/twinning/{programme.id}/matching")
    page.get_by_role("button", name="Run the matching").click()
    page.get_by_text("Matching done.").wait_for()
    page.get_by_role("row", name="Umeå").get_by_role("button", name="Lock").click()
    page.get_by_text("Rule saved.").wait_for()
    page.get_by_role("button", name="Run the matching").click()
    page.get_by_text("Matching done.").wait_for()
    assert page.get_by_role("row", name="Umeå").get_by_text("locked").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Publish the pairs").click()
    page.get_by_text("The pairs are published").wait_for()
    pair = db.session.query(TwinningPair).filter_by(locked=True).one()
    assert pair.pilot.name == "Umeå" and pair.application.city == "Gävle"

    page.goto(f"/manage/twinning/{programme.id}/meetings")
    page.get_by_label("Cities").select_option(label="Umeå – Gävle")
    page.get_by_label("Title").fill("Kick-off workshop Umeå and Gävle")
    page.get_by_label("Starts").fill(f"{first_day.isoformat()}T10:00")
    page.get_by_label("Ends").fill(f"{first_day.isoformat()}T12:00")
    page.get_by_label("Room").select_option(str(room.id))
    page.get_by_role("button", name="Plan meeting").click()
    page.get_by_text("Meeting planned").wait_for()

    for email, name, person in (("umea@twin.example", "Ulla Umeå", umea), ("gavle@twin.example", "Göran Gävle", gavle)):
        sign_in(page, email, name)
        page.goto("/agenda")
        page.get_by_text("Kick-off workshop Umeå and Gävle").first.wait_for()
        feed = page.request.get(f"/calendar/{person.feed_token}.ics").text()
        assert "Kick-off workshop Umeå and Gävle" in feed

    # Göran asks Tartu's Tiina for a one-to-one, at a table, in the first slot.
    page.get_by_role("link", name="Twinning").first.click()
    page.get_by_role("link", name="One-to-one meetings").click()
    page.get_by_label("Whom to meet").select_option(label="Tiina Tartu (Tartu)")
    page.get_by_role("button", name="Send request").click()
    page.get_by_text("Request sent.").wait_for()
    meeting = db.session.query(OneToOne).one()
    assert (meeting.requester_id, meeting.invitee_id, meeting.table) == (gavle.id, tartu.id, 1)

    # … and claims the train to the workshop.
    page.get_by_role("link", name="Twinning").first.click()
    page.get_by_role("link", name="Travel claims and replication plan").click()
    page.get_by_label("Date of travel").fill(first_day.isoformat())
    page.get_by_label("Amount (euros)").fill("245.50")
    page.get_by_label("Receipt").set_input_files(
        files=[{"name": "ticket.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 ticket"}])
    page.get_by_role("button", name="Send claim").click()
    page.get_by_text("Claim recorded").wait_for()
    claim = db.session.query(TravelClaim).one()
    assert (claim.amount_cents, claim.application.city, claim.meeting.session.title) == (
        24550, "Gävle", "Kick-off workshop Umeå and Gävle")
