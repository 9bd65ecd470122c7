from __future__ import annotations

import pytest

from expo.events.models import RegistrationMode
from expo.registration import notifications, services
from tests.factories import make_user
from tests.registration.conftest import at, future_event, future_session, registered


def test_open_registration_mail(db, event, outbox):
    user = make_user(name="Ana Pereira")
    services.register(delegate=user, event=event, actor=user)
    db.session.commit()
    [message] = outbox
    assert message.to == user.email
    assert message.subject == "You are registered: H22 City Expo Days"
    assert "Hello Ana Pereira," in message.body
    assert "You can now book sessions." in message.body
    assert "http://expo.test/agenda" in message.body


def test_pending_then_declined_mails(db, outbox):
    from expo.accounts.models import Role

    event = future_event(name="Site visits", registration_mode=RegistrationMode.APPROVAL)
    user, organiser = make_user(), make_user(role=Role.ORGANISER)
    registration = services.register(delegate=user, event=event, actor=user)
    services.decide_registration(registration=registration, approve=False, actor=organiser)
    db.session.commit()
    assert [m.subject for m in outbox] == ["Registration received: Site visits",
                                           "Your registration was not accepted: Site visits"]


def test_removal_from_the_event_is_told_in_neutral_words(db, event, outbox):
    from expo.accounts.models import Role

    user, organiser = registered(event, name="Ana Pereira"), make_user(role=Role.ORGANISER)
    db.session.commit()
    outbox.clear()
    services.remove_registration(registration=services.registration_for(user, event), actor=organiser)
    db.session.commit()
    [message] = outbox
    assert message.to == user.email
    assert message.subject == "You are no longer registered: H22 City Expo Days"
    assert "The organisers have taken you off the list of delegates for H22 City Expo Days." in message.body
    assert "Any seats you had booked in its sessions are released." in message.body
    assert "not accepted" not in message.body and "sorry" not in message.body


def test_booking_confirmation_carries_the_calendar_invitation(db, event, outbox):
    session = future_session(event, title="Mobility hubs", start=at(8))
    user = registered(event)
    db.session.commit()
    outbox.clear()
    services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    [message] = outbox
    assert message.subject == "Booking confirmed: Mobility hubs"
    assert "Your seat is booked." in message.body
    assert "10:00" in message.body  # 08:00 UTC is 10:00 in Stockholm in June
    assert f"http://expo.test/sessions/{session.id}" in message.body
    invitations = pytest.importorskip("expo.calendar.invitations")
    [attachment] = message.attachments
    assert attachment.mimetype == invitations.MIMETYPE
    ics = attachment.content.decode()
    assert "METHOD:REQUEST" in ics and f"UID:{session.uid}" in ics


def test_cancelled_session_mail_removes_the_invited_event(db, event, outbox):
    from expo.programme.models import SessionStatus

    session = future_session(event, title="Harbour walk")
    user = registered(event)
    services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    outbox.clear()
    session.status = SessionStatus.CANCELLED
    services.release_cancelled_session(session)
    db.session.commit()
    [message] = outbox
    assert message.subject == "Session cancelled: Harbour walk"
    [attachment] = message.attachments
    ics = attachment.content.decode()
    assert "METHOD:CANCEL" in ics and f"UID:{session.uid}" in ics and "STATUS:CANCELLED" in ics


def test_moved_session_mail_carries_the_updated_invitation(db, event, outbox):
    from datetime import timedelta

    from expo.registration.services import session_changed

    session = future_session(event, title="Harbour walk")
    user = registered(event)
    services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    outbox.clear()
    old = session.starts_at
    session.starts_at, session.ends_at = old + timedelta(hours=1), session.ends_at + timedelta(hours=1)
    session.revision += 1
    session_changed(session, {"starts_at": {"old": old.isoformat(), "new": session.starts_at.isoformat()}})
    db.session.commit()
    [message] = outbox
    assert message.subject == "Session changed: Harbour walk"
    [attachment] = message.attachments
    ics = attachment.content.decode()
    assert "METHOD:REQUEST" in ics and f"UID:{session.uid}" in ics and "SEQUENCE:1" in ics


def test_waiting_list_joins_send_no_mail_and_promotion_does(db, event, outbox):
    session = future_session(event, capacity=1, title="Harbour walk")
    first, second = registered(event), registered(event)
    booking = services.book_session(delegate=first, session=session, actor=first)
    services.book_session(delegate=second, session=session, actor=second, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    services.cancel_booking(booking=booking, actor=first)
    db.session.commit()
    [given_up] = [m for m in outbox if m.to == first.email]
    [message] = [m for m in outbox if m.to == second.email]
    assert given_up.subject == "Removed from your calendar: Harbour walk"
    assert message.to == second.email
    assert message.subject == "A seat is yours: Harbour walk"
    assert "moved from the waiting list to a confirmed seat" in message.body


SWEDISH = {  # notification: (subject, a phrase of the body)
    "registration_received": ("Anmälan mottagen: H22 City Expo Days",
                              "Vi har tagit emot din anmälan till H22 City Expo Days."),
    "registration_approved": ("Du är anmäld: H22 City Expo Days",
                              "Du är anmäld till H22 City Expo Days (tisdag 3 juni 2031). Nu kan du boka programpunkter."),
    "registration_declined": ("Din anmälan godkändes inte: H22 City Expo Days",
                              "Tyvärr har din anmälan till H22 City Expo Days inte godkänts."),
    "registration_removed": ("Du är inte längre anmäld: H22 City Expo Days",
                             "Arrangörerna har tagit bort dig från deltagarlistan för H22 City Expo Days."),
    "booking_confirmed": ("Bokningsbekräftelse: Hamnpromenad", "Din plats är bokad."),
    "booking_promoted": ("Du har fått en plats: Hamnpromenad",
                         "En plats har blivit ledig och den är din: du har flyttats från väntelistan till en "
                         "bekräftad plats."),
    "session_moved": ("Ändrad programpunkt: Hamnpromenad", "En programpunkt som du har bokat har ändrats."),
    "session_cancelled": ("Inställd programpunkt: Hamnpromenad",
                          "Tyvärr har en programpunkt som du bokat ställts in. Din bokning har tagits bort."),
    "booking_removed": ("Din plats har dragits tillbaka: Hamnpromenad",
                        "Arrangörerna har dragit tillbaka din plats på den här programpunkten:"),
    "seat_ended": ("Borttagen ur din kalender: Hamnpromenad",
                   "Din plats på det här passet har upphört, så det tas bort ur din kalender:"),
    "event_withdrawn": ("Tillfälligt borttagen ur programmet: Hamnpromenad",
                        "Arrangörerna har tills vidare tagit bort H22 City Expo Days ur det publicerade programmet"),
    "event_republished": ("Tillbaka i programmet: Hamnpromenad",
                          "H22 City Expo Days är publicerat igen och din bokning av det här passet gäller fortfarande:"),
}


def test_every_mail_is_written_in_the_delegates_language(db, event, outbox):
    session = future_session(event, start=at(8), title="Hamnpromenad")
    swede = registered(event, locale="sv", name="Sven Svensson")
    registration = services.registration_for(swede, event)
    booking = services.book_session(delegate=swede, session=session, actor=swede)
    db.session.commit()
    outbox.clear()
    send = {
        "registration_received": lambda: notifications.registration_received(registration),
        "registration_approved": lambda: notifications.registration_approved(registration),
        "registration_declined": lambda: notifications.registration_declined(registration),
        "registration_removed": lambda: notifications.registration_removed(registration),
        "booking_confirmed": lambda: notifications.booking_confirmed(booking),
        "booking_promoted": lambda: notifications.booking_confirmed(booking, promoted=True),
        "session_moved": lambda: notifications.session_moved(booking, {"starts_at": {"old": "x", "new": "y"}}),
        "session_cancelled": lambda: notifications.session_cancelled(booking),
        "booking_removed": lambda: notifications.booking_removed(booking),
        "seat_ended": lambda: notifications.seat_ended(booking),
        "event_withdrawn": lambda: notifications.event_withdrawn(booking),
        "event_republished": lambda: notifications.event_republished(booking),
    }
    assert set(send) == set(SWEDISH)
    for kind, notify in send.items():
        notify()
        db.session.commit()
        [message] = outbox
        subject, phrase = SWEDISH[kind]
        assert message.subject == subject, kind
        assert "Hej Sven Svensson!" in message.body and phrase in message.body, kind
        assert "Ditt schema: http://expo.test/agenda" in message.body, kind
        outbox.clear()


def test_each_delegate_gets_their_own_language(db, event, outbox):
    session = future_session(event, start=at(8))
    swede = registered(event, locale="sv")
    english = registered(event, locale="en")
    db.session.commit()
    outbox.clear()
    for person in (swede, english):
        services.book_session(delegate=person, session=session, actor=person)
    db.session.commit()
    by_person = {m.to: m for m in outbox}
    assert by_person[swede.email].subject.startswith("Bokningsbekräftelse:")
    assert "3 juni 2031" in by_person[swede.email].body
    assert by_person[english.email].subject.startswith("Booking confirmed:")
    assert "June 3, 2031" in by_person[english.email].body


def test_mail_outside_a_request_uses_the_base_url(app, db, event):
    """Signals may fire from a command; links then point at BASE_URL."""
    import contextvars

    from flask import has_request_context

    from expo.core.extensions import db as _db
    from expo.registration.models import Booking

    session = future_session(event)
    user = registered(event, locale="sv")
    booking = services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    session_id, booking_id = session.id, booking.id

    def in_a_command():
        with app.app_context():
            assert not has_request_context()
            notifications.session_cancelled(_db.session.get(Booking, booking_id))
            [message] = notifications.pending()
            _db.session.rollback()
            return message

    message = contextvars.Context().run(in_a_command)
    assert f"http://expo.test/sessions/{session_id}" in message.body
    assert "3 juni 2031" in message.body


def test_a_bulk_approval_sends_its_mails_over_one_connection(db, smtp_app, smtp_server):
    from expo.accounts.models import Role, User
    from expo.core.extensions import db as _db
    from expo.events.models import Event
    from expo.registration.models import RegistrationStatus
    from tests.factories import make_registration

    event = future_event(name="Site visits", registration_mode=RegistrationMode.APPROVAL)
    pending = [make_registration(event=event, status=RegistrationStatus.PENDING) for _ in range(40)]
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    event_id, organiser_id, ids = event.id, organiser.id, [r.id for r in pending]
    emails = sorted(r.user.email for r in pending)

    sender = smtp_app()
    with sender.app_context(), sender.test_request_context():
        services.decide_registrations(event=_db.session.get(Event, event_id), registration_ids=ids, approve=True,
                                      actor=_db.session.get(User, organiser_id))
        _db.session.commit()

    assert smtp_server.connections == 1
    assert sorted(r for _conn, [r], _m in smtp_server.received) == emails
    assert {m["Subject"] for _c, _r, m in smtp_server.received} == {"You are registered: Site visits"}
