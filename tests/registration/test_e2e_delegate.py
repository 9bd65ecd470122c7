"""A delegate's whole path through Expo in a real browser."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from expo.accounts.models import User
from expo.registration import services
from tests.registration.conftest import at, future_event, future_session, registered

PASSWORD = "a long enough secret"


@pytest.mark.e2e
def test_delegate_signs_up_books_waits_is_promoted_and_leaves(db, page, tmp_path):
    event = future_event(name="H22 Delegate Day", slug="delegate-day")
    mobility = future_session(event, title="Mobility hubs", start=at(8), capacity=10)
    harbour = future_session(event, title="Harbour walk", start=at(8, 30), capacity=1)
    other = registered(event, name="Olle Other")
    other_booking = services.book_session(delegate=other, session=harbour, actor=other)
    db.session.commit()

    # sign up
    page.goto("/account/signup")
    page.get_by_label("Full name").fill("Ana Pereira")
    page.get_by_label("E-mail").fill("ana@porto.example")
    page.locator("#country").select_option("PT")
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("Your account is ready.").wait_for()

    # register for the event
    page.goto("/events/delegate-day/registration")
    page.get_by_role("button", name="Register for this event").click()
    page.get_by_text("Registration: Approved.").wait_for()

    # book a seat
    page.goto(f"/sessions/{mobility.id}")
    page.get_by_role("button", name="Book a seat").click()
    page.get_by_text("You have a seat.").wait_for()

    # the harbour walk is full and overlaps: join its waiting list after confirming
    page.goto(f"/sessions/{harbour.id}")
    page.get_by_role("button", name="Join the waiting list").click()
    page.get_by_text("Mobility hubs overlaps it.").wait_for()
    page.get_by_role("button", name="Yes, book it").click()
    page.get_by_text("You are number 1 on the waiting list.").first.wait_for()

    # another delegate cancels: Ana moves up
    services.cancel_booking(booking=other_booking, actor=other)
    db.session.commit()

    page.goto("/agenda")
    page.get_by_role("heading", name="My agenda").wait_for()
    assert page.locator(".agenda-item.has-clash").count() == 2
    assert page.locator("mark.badge-booked").count() == 2
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
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == "ana@porto.example")) is None
    assert services.seats_left(harbour) == 1
