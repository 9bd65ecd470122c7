"""A booking's e-mail is stored as the facts of the booking and written by the job that sends
it: the same e-mail, invitation included, as one written in the request, even when the session
changes before it goes out."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core import jobs, mailqueue
from expo.core.extensions import db
from expo.core.mailqueue import MailStatus, OutgoingMail
from expo.events.models import Track
from expo.programme import services as programme
from expo.programme.models import SessionKind, SessionRoleKind
from expo.registration import mailfacts, notifications, services
from tests.factories import add_person, make_network, make_room, make_user, make_venue
from tests.querycount import count_queries
from tests.registration.conftest import at, future_event, future_session, registered


def _rich_session(event, **fields):
    """A session with everything an invitation shows: place (with coordinates), track, people,
    networks and a meeting link."""
    venue = make_venue(name="Dunkers kulturhus", address="Kungsgatan 11", latitude=56.0465, longitude=12.6945)
    track = Track(event=event, name="Mobility")
    db.session.add(track)
    session = future_session(event, title="Harbour, walk; at dawn", kind=SessionKind.HYBRID,
                             room=make_room(venue=venue, name="Sal A"), track=track,
                             meeting_url="https://meet.example.org/harbour", description="Bring boots.\nAnd a hat.",
                             networks=[make_network(name="Eurocities"), make_network(name="Baltic cities")],
                             **fields)
    add_person(session, make_user(name="Sam Speaker"))
    add_person(session, make_user(name="Mo Moderator"), SessionRoleKind.MODERATOR)
    return session


def _rows(db) -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def _same(one, other) -> None:
    assert (one.to, one.subject, one.body) == (other.to, other.subject, other.body)
    assert [(a.filename, a.mimetype, a.content) for a in one.attachments] == [
        (a.filename, a.mimetype, a.content) for a in other.attachments]


def test_the_job_writes_the_email_the_request_would_have_written(db, outbox):
    event = future_event(timezone="America/New_York")
    session = _rich_session(event)
    user = registered(event, locale="sv", name="Åsa Öberg")
    db.session.commit()
    outbox.clear()

    booking = services.book_session(delegate=user, session=session, actor=user)
    [queued] = db.session.info[mailqueue._PENDING_KEY]
    # Written from the live objects, in the request, at the moment of the booking.
    expected = notifications.booking_message(booking, "booking_confirmed", method="REQUEST",
                                             stamp=mailfacts.stamp_of(queued.facts), promoted=False)
    db.session.commit()

    [sent] = outbox
    _same(sent, expected)
    assert sent.subject == "Bokningsbekräftelse: Harbour, walk; at dawn"
    ics = sent.attachments[0].content.decode()
    assert "DTSTART;TZID=America/New_York:20310603T040000" in ics
    assert "SEQUENCE:0" in ics and "METHOD:REQUEST" in ics
    assert "Sam Speaker" in ics and "Baltic cities\\, Eurocities" in ics and "GEO:56.0465;12.6945" in ics
    [row] = _rows(db)
    assert (row.kind, row.subject, row.status) == (notifications.BOOKING_MAIL, "", MailStatus.SENT)


def test_a_session_changed_before_the_email_goes_out_does_not_change_it(db, outbox):
    event = future_event(timezone="Europe/Stockholm")
    session = _rich_session(event, start=at(8))
    user = registered(event, name="Ana Pereira")
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()

    booking = services.book_session(delegate=user, session=session, actor=user)
    # The e-mail is stored with the booking, but its job has not run yet (a busy worker).
    [queued] = db.session.info.pop(mailqueue._PENDING_KEY)
    db.session.add(OutgoingMail.of(queued))
    expected = notifications.booking_message(booking, "booking_confirmed", method="REQUEST",
                                             stamp=mailfacts.stamp_of(queued.facts), promoted=False)
    db.session.commit()
    assert outbox == [] and [r.status for r in _rows(db)] == [MailStatus.QUEUED]

    # The organiser moves, renames and relocates the session before the e-mail goes out.
    data = programme.SessionData.from_session(session)
    data.title, data.room_id = "Harbour walk at noon", make_room(name="Sal B").id
    data.starts_at, data.ends_at = session.starts_at + timedelta(hours=4), session.ends_at + timedelta(hours=4)
    data.speaker_ids = []
    programme.update_session(session=session, data=data, actor=organiser, confirm=True, live=True)
    db.session.commit()

    # The change's job sends what waits: the change's e-mail, and the booking's as it was.
    confirmation = next(m for m in outbox if m.subject.startswith("Booking confirmed"))
    moved = next(m for m in outbox if m.subject.startswith("Session changed"))
    _same(confirmation, expected)
    assert confirmation.subject == "Booking confirmed: Harbour, walk; at dawn"
    invite = confirmation.attachments[0].content.decode()
    assert "DTSTART;TZID=Europe/Stockholm:20310603T100000" in invite and "SEQUENCE:0" in invite
    assert "Sam Speaker" in invite and "Sal A" in invite
    update = moved.attachments[0].content.decode()
    assert "DTSTART;TZID=Europe/Stockholm:20310603T140000" in update and "SEQUENCE:1" in update
    assert "Sal B" in update and "Sam Speaker" not in update
    assert [r.status for r in _rows(db)] == [MailStatus.SENT, MailStatus.SENT]


def test_a_refused_email_is_kept_written_and_sent_again_the_same(db, smtp_app, smtp_server, make_app):
    event = future_event()
    session = _rich_session(event)
    user = registered(event, email="gone@example.org")
    db.session.commit()
    smtp_server.refuse.add("gone@")
    # Read here: this session's objects read in the other app's context would borrow one of
    # its connections, left open when that app closes.
    user_id, session_id = user.id, session.id
    sender = smtp_app()
    with sender.app_context(), sender.test_request_context():
        from expo.core.extensions import db as sender_db

        delegate = sender_db.session.get(type(user), user_id)
        services.book_session(delegate=delegate, session=sender_db.session.get(type(session), session_id),
                              actor=delegate)
        sender_db.session.commit()
        sender_db.session.remove()

    [row] = _rows(db)
    assert (row.status, row.kind, row.subject) == (MailStatus.FAILED, None, "Booking confirmed: Harbour, walk; at dawn")
    kept = row.message()
    assert kept.attachments[0].filename == "invite.ics"
    assert mailfacts.booking_from(row.facts).session.title == "Harbour, walk; at dawn"  # the facts stay

    smtp_server.refuse.clear()
    with sender.app_context():
        assert mailqueue.send_again([row.id]) == 1
        sender_db.session.commit()
    [(_conn, [recipient], message)] = smtp_server.received
    assert recipient == "gone@example.org" and message["Subject"] == kept.subject


def test_one_statement_reads_what_the_email_shows_of_the_session(db):
    """Place, track, networks and people come in one statement, the same as the loaded relations
    give, however many networks and people multiply its rows."""
    event = future_event()
    session = _rich_session(event)
    add_person(session, make_user(name="Hal Host"), SessionRoleKind.HOST)
    session.networks.append(make_network(name="Aalborg network"))
    db.session.commit()
    assert session.room.venue.name and session.track.name and [r.user.name for r in session.roles]
    assert [n.name for n in session.networks]
    loaded = mailfacts._loaded_extras(session)
    assert loaded is not None
    with count_queries() as log:
        queried = mailfacts._queried_extras(session.id)
    assert log.count == 1, str(log)
    assert queried == loaded
    assert queried["networks"] == ["Aalborg network", "Baltic cities", "Eurocities"]
    assert [name for _role, name in queried["roles"]] == ["Sam Speaker", "Mo Moderator", "Hal Host"]
