"""A delegate's whole path through Expo in a real browser."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from expo.accounts.models import User
from expo.people.models import Organisation
from expo.registration import services
from tests.factories import PASSWORD as OTHERS_PASSWORD
from tests.factories import make_organisation
from tests.registration.conftest import at, future_event, future_session, registered

PASSWORD = "a long enough secret"


def sign_up(page, name: str, email: str, country: str) -> None:
    """Fill in the sign-up form up to the organisation, which the caller picks or adds."""
    page.goto("/account/signup")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.locator("#country").select_option(country)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)


def confirm_and_sign_in(page, live_server, email: str) -> None:
    """Follow the link of the verification e-mail, then sign in."""
    mails = live_server.app.extensions.get("expo_outbox", [])
    message = [m for m in mails if m.to == email and m.subject.startswith("Confirm your e-mail address for ")][-1]
    page.goto(re.search(r"https?://[^/\s]+(/account/verify/\S+)", message.body).group(1))
    page.get_by_text(f"Thank you: {email} is confirmed.").wait_for()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome,").wait_for()


def user_by_email(db, email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.mark.e2e
def test_delegate_signs_up_books_waits_is_promoted_and_leaves(db, page, _browser, live_server, tmp_path):
    event = future_event(name="H22 Delegate Day", slug="delegate-day")
    mobility = future_session(event, title="Mobility hubs", start=at(8), capacity=10)
    harbour = future_session(event, title="Harbour walk", start=at(8, 30), capacity=1)
    porto = make_organisation(name="Porto City Council", country_code="PT")
    other = registered(event, name="Olle Other", email="olle@example.org")
    services.book_session(delegate=other, session=harbour, actor=other)
    db.session.commit()

    # sign up, picking an organisation that is already known
    sign_up(page, "Ana Pereira", "ana@porto.example", "PT")
    page.get_by_label("Organisation", exact=True).select_option(label="Porto City Council (PT)")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    assert user_by_email(db, "ana@porto.example").organisation_id == porto.id
    confirm_and_sign_in(page, live_server, "ana@porto.example")

    # register for the event
    page.goto("/events/delegate-day/registration")
    page.get_by_role("button", name="Register for this event").click()
    page.get_by_text("Registration: Approved.").wait_for()

    # book a seat from the schedule list: back on the list, at the session's row
    page.goto("/events/delegate-day")
    row = page.locator(f"#session-{mobility.id}")
    row.get_by_role("button", name="Book a seat").click()
    page.get_by_text("Your seat is booked: Mobility hubs.").wait_for()
    assert page.url.endswith(f"/events/delegate-day#session-{mobility.id}")
    row.locator(".badge.status-confirmed").wait_for()
    assert row.get_by_role("button", name="Cancel my booking").count() == 1

    # the harbour walk is full and overlaps: join its waiting list after confirming
    page.goto(f"/sessions/{harbour.id}")
    page.get_by_role("button", name="Join the waiting list").click()
    page.get_by_text("Mobility hubs overlaps it.").wait_for()
    page.get_by_role("button", name="Yes, book it").click()
    page.get_by_text("You are number 1 on the waiting list.").first.wait_for()

    # the other delegate, in a browser of their own, cancels from their agenda: Ana moves up
    olle = _browser.new_context(base_url=live_server.url)
    try:
        other_page = olle.new_page()
        other_page.goto("/account/login")
        other_page.get_by_label("E-mail").fill("olle@example.org")
        other_page.get_by_label("Password").fill(OTHERS_PASSWORD)
        other_page.get_by_role("button", name="Sign in").click()
        other_page.get_by_text("Welcome,").wait_for()  # signed in before going on, not racing the log-in
        other_page.goto("/agenda")
        other_page.locator(f"#session-{harbour.id}").get_by_role("button", name="Cancel my booking").click()
        other_page.get_by_text("Your booking of Harbour walk is cancelled.").wait_for()
    finally:
        olle.close()

    page.goto("/agenda")
    page.get_by_role("heading", name="My agenda").wait_for()
    assert page.locator(".agenda-item.has-clash").count() == 2
    assert page.locator(".badge.status-confirmed").count() == 2
    assert page.get_by_text("overlaps Harbour walk").count() == 1

    # download my data
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download everything Expo holds about me (JSON)").click()
    target = tmp_path / "my-data.json"
    download_info.value.save_as(target)
    data = json.loads(target.read_text())
    assert data["account"]["email"] == "ana@porto.example"
    assert sorted((b["session"], b["status"]) for b in data["bookings"]) == [
        ("Harbour walk", "confirmed"), ("Mobility hubs", "confirmed")]

    # delete my account
    page.get_by_role("link", name="Delete my account").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("I understand that my account is deleted for good").check()
    page.get_by_role("button", name="Delete my account for good").click()
    page.get_by_text("Your account is deleted.").wait_for()
    assert user_by_email(db, "ana@porto.example") is None
    assert services.seats_left(harbour) == 1

    # someone else signs up from an organisation Expo does not know yet
    sign_up(page, "Björn Berg", "bjorn@helsingborg.example", "SE")
    page.get_by_label("Organisation", exact=True).select_option(label="Another organisation…")
    page.get_by_text("My organisation is not in the list").click()
    page.get_by_label("Name of the new organisation").fill("Helsingborg Stad")
    page.get_by_label("Kind of organisation").select_option("city")
    page.get_by_label("Country of the organisation").select_option("SE")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()
    bjorn = user_by_email(db, "bjorn@helsingborg.example")
    assert (bjorn.organisation.name, bjorn.organisation.country_code) == ("Helsingborg Stad", "SE")
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 2
