from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.attendance.models import CheckIn
from expo.core.errors import NotAllowed
from expo.core.extensions import db
from expo.registration import privacy, services
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.factories import (
    PASSWORD,
    make_booking,
    make_event,
    make_network,
    make_organisation,
    make_registration,
    make_session,
    make_user,
    utc,
)
from tests.registration.conftest import future_session, registered


def past_event_with_attendance(user):
    """An event in 2022 that the user attended: a confirmed booking and a check-in."""
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    make_registration(event=event, user=user, status=RegistrationStatus.APPROVED)
    session = make_session(event=event, title="Past keynote")
    booking = make_booking(session=session, user=user, status=BookingStatus.CONFIRMED)
    check_in = CheckIn(session=session, user=user, booking=booking, checked_in_at=utc(2022, 6, 1, 8, 5))
    db.session.add(check_in)
    db.session.flush()
    return session, booking, check_in


def test_export_holds_everything_about_me_and_nothing_about_others(client, db, login_as, event):
    network = make_network(name="CPMR")
    user = login_as(Role.DELEGATE, name="Ana Pereira", organisation=make_organisation(name="Porto"),
                    country_code="PT", networks=[network], dietary_needs="Vegan",
                    needs_consent_at=utc(2026, 1, 1))
    registered(event, user)
    session = future_session(event, title="Mobility hubs")
    services.book_session(delegate=user, session=session, actor=user)
    other = registered(event, name="Somebody Else")
    services.book_session(delegate=other, session=session, actor=other)
    past_event_with_attendance(user)
    db.session.commit()
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["name"] == "Ana Pereira"
    assert data["organisation"]["name"] == "Porto" and data["networks"] == ["CPMR"]
    assert data["needs"]["dietary"] == "Vegan"
    assert {b["session"] for b in data["bookings"]} == {"Mobility hubs", "Past keynote"}
    assert len(data["registrations"]) == 2 and len(data["check_ins"]) == 1
    text = response.get_data(as_text=True)
    assert "Somebody Else" not in text and "password" not in text.lower()


def test_deleting_an_account_releases_seats_and_keeps_anonymous_figures(db, event, outbox):
    user = make_user(email="leaving@example.org")
    registered(event, user)
    upcoming = future_session(event, capacity=1, title="Harbour walk")
    services.book_session(delegate=user, session=upcoming, actor=user)
    waiting = registered(event)
    services.book_session(delegate=waiting, session=upcoming, actor=waiting, join_waitlist=True)
    past_session, past_booking, check_in = past_event_with_attendance(user)
    user_id = user.id
    db.session.commit()
    outbox.clear()

    privacy.delete_account(user=user, actor=user)
    db.session.commit()

    assert db.session.get(User, user_id) is None
    assert db.session.scalar(sa.select(sa.func.count(Booking.id)).where(Booking.user_id == user_id)) == 0
    # the freed seat went to the waiting list
    assert services._booking_of(upcoming, waiting).status is BookingStatus.CONFIRMED
    # the leaver's calendar drops the seat; the next in line gets it
    assert sorted((m.to, m.subject) for m in outbox) == [
        ("leaving@example.org", "Removed from your calendar: Harbour walk"),
        (waiting.email, "A seat is yours: Harbour walk"),
    ]
    # the past stays counted, without the person
    db.session.refresh(past_booking)
    db.session.refresh(check_in)
    assert (past_booking.user_id, past_booking.status) == (None, BookingStatus.CONFIRMED)
    assert check_in.user_id is None and check_in.booking_id == past_booking.id
    statuses = db.session.execute(
        sa.select(Registration.event_id, Registration.status).where(Registration.user_id.is_(None))
    ).all()
    assert sorted(statuses) == sorted([(event.id, RegistrationStatus.CANCELLED),
                                       (past_session.event_id, RegistrationStatus.APPROVED)])
    released = db.session.scalar(sa.select(Booking).where(Booking.session_id == upcoming.id, Booking.user_id.is_(None)))
    assert released.status is BookingStatus.CANCELLED


def test_delete_page_needs_the_password(client, db, login_as, event):
    user = login_as(Role.DELEGATE)
    user_id = user.id
    assert "Delete my account" in client.get("/account/delete").get_data(as_text=True)
    wrong = client.post("/account/delete", data={"password": "nope", "confirm": "y"})
    assert "The password is not right." in wrong.get_data(as_text=True)
    unticked = client.post("/account/delete", data={"password": PASSWORD})
    assert "Tick the box to confirm." in unticked.get_data(as_text=True)
    assert db.session.get(User, user_id) is not None
    done = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    # signed out: the agenda asks to log in again
    assert client.get("/agenda").status_code == 302


def test_privacy_pages_need_login(client, db):
    for url in ("/account/data.json", "/account/delete", "/account/profile"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.post("/account/delete").status_code == 302


def test_only_the_owner_deletes_an_account(db):
    user, organiser = make_user(), make_user(role=Role.ORGANISER)
    with pytest.raises(NotAllowed):
        privacy.delete_account(user=user, actor=organiser)
