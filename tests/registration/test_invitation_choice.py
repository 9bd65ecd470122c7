"""Invitations by e-mail (RFC 5546): a delegate chooses them on their profile or agenda, and
every seat that ends, for whatever reason, sends a CANCEL that outranks the last REQUEST."""
from __future__ import annotations

from expo.accounts.models import Role, User
from expo.core.extensions import db
from expo.registration import services
from expo.registration.models import BookingStatus
from tests.calendar.helpers import parse
from tests.conftest import log_in
from tests.factories import make_user
from tests.registration.conftest import future_session, registered


def _html(response) -> str:
    return response.get_data(as_text=True)


def _calendars(message) -> list[tuple[str, int]]:
    """(METHOD, SEQUENCE) of the message's calendar attachments."""
    found = []
    for attachment in message.attachments:
        calendar = parse(attachment.content)
        [event] = calendar.walk("VEVENT")
        found.append((str(calendar["METHOD"]), int(event["SEQUENCE"])))
    return found


def test_invitations_are_on_by_default_and_the_agenda_explains_and_offers_the_choice(client, db, event, outbox):
    user = registered(event)
    db.session.commit()
    assert user.wants_invitations is True
    log_in(client, user)
    page = _html(client.get("/agenda"))
    assert "Calendar invitations by e-mail" in page
    assert "puts each session in your calendar twice" in page
    assert 'name="wants_invitations" value="y" checked' in page

    response = client.post("/account/invitations", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/agenda#calendar-invitations")
    db.session.refresh(user)
    assert user.wants_invitations is False
    page = _html(client.get("/agenda"))
    assert 'name="wants_invitations" value="y">' in page

    session = future_session(event, title="Harbour walk")
    db.session.commit()
    outbox.clear()
    assert client.post(f"/sessions/{session.id}/book").status_code == 302
    [message] = outbox
    assert message.subject == "Booking confirmed: Harbour walk" and message.attachments == []
    # Giving the seat up tells nobody: without invitations nothing is in their calendar.
    outbox.clear()
    assert client.post(f"/sessions/{session.id}/cancel-booking").status_code == 302
    assert outbox == []

    client.post("/account/invitations", data={"wants_invitations": "y"})
    db.session.refresh(user)
    assert user.wants_invitations is True


def test_the_choice_needs_a_signed_in_reader(client, db):
    response = client.post("/account/invitations", data={"wants_invitations": "y"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_profile_offers_the_choice(client, db, login_as):
    user = login_as(Role.DELEGATE, name="Lena Lund")
    page = _html(client.get("/account/profile"))
    assert "Send calendar invitations with my booking e-mails" in page
    assert "shows each session twice" in page
    client.post("/account/profile", data={"name": user.name, "email": user.email, "locale": "en"})
    db.session.refresh(user)
    assert user.wants_invitations is False
    client.post("/account/profile", data={"name": user.name, "email": user.email, "locale": "en",
                                          "wants_invitations": "y"})
    db.session.refresh(user)
    assert user.wants_invitations is True


def test_an_organisers_removal_cancels_above_the_request(db, event, outbox):
    user, organiser = registered(event), make_user(role=Role.ORGANISER)
    session = future_session(event, title="Harbour walk", revision=2)
    booking = services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    [confirmation] = outbox
    outbox.clear()
    services.remove_booking(booking=booking, actor=organiser)
    db.session.commit()
    [removal] = outbox
    assert _calendars(confirmation) == [("REQUEST", 2)]
    assert _calendars(removal) == [("CANCEL", 3)]


def test_an_ended_registration_cancels_every_seat(db, event, outbox):
    user = registered(event)
    first, second = future_session(event, title="Harbour walk"), future_session(event, title="Keynote")
    for session in (first, second):
        services.book_session(delegate=user, session=session, actor=user, confirm_overlap=True)
    db.session.commit()
    outbox.clear()
    services.cancel_registration(registration=services.registration_for(user, event), actor=user)
    db.session.commit()
    assert sorted((m.subject, *_calendars(m)) for m in outbox) == [
        ("Removed from your calendar: Harbour walk", ("CANCEL", 1)),
        ("Removed from your calendar: Keynote", ("CANCEL", 1)),
    ]


def test_a_deactivated_account_loses_its_seats_and_their_invitations(app, db, event, outbox):
    user = registered(event, email="leaving@example.org")
    session = future_session(event, title="Harbour walk")
    services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    outbox.clear()

    result = app.test_cli_runner().invoke(args=["expo", "deactivate-user", "--email", "Leaving@example.org"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.active is False
    assert services._booking_of(session, user).status is BookingStatus.CANCELLED
    [message] = outbox
    assert (message.to, message.subject) == ("leaving@example.org", "Removed from your calendar: Harbour walk")
    assert _calendars(message) == [("CANCEL", 1)]
    again = app.test_cli_runner().invoke(args=["expo", "deactivate-user", "--email", "leaving@example.org"])
    assert again.exit_code != 0 and "already deactivated" in again.output
