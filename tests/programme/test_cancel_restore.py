"""Nothing is lost to one click: cancelling a session or unpublishing an event asks first, with the
seats and waiting places at stake; bookings remember why they ended; restoring a session offers to
give everyone back their seat or place, in the original order and within its capacity, and tells them."""
from __future__ import annotations

import html as html_module

import sqlalchemy as sa

from expo.accounts.models import Role
from expo.programme.models import SessionStatus
from expo.registration import services as registration
from expo.registration.models import Booking, BookingEndReason, BookingStatus
from tests.factories import make_user
from tests.registration.conftest import at, future_event, future_session, registered


def _text(response) -> str:
    return html_module.unescape(response.get_data(as_text=True))


def _booked_session(db, *, capacity: int = 2):
    """A published session with two seats taken (Ana, then Ben) and Cai, then Dee, waiting."""
    event = future_event(is_published=True)
    session = future_session(event, title="Harbour walk", capacity=capacity, start=at(9))
    people = [registered(event, name=name) for name in ("Ana", "Ben", "Cai", "Dee")]
    for person in people:
        registration.book_session(delegate=person, session=session, actor=person, join_waitlist=True)
    db.session.commit()
    return session, people


def _bookings(db, session) -> dict[str, tuple]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Booking).where(Booking.session_id == session.id))
    return {b.user.name: (b.status, b.waitlist_position, b.end_reason) for b in rows}


def test_cancelling_asks_first_with_the_seats_and_places_it_ends(client, db, login_as, outbox):
    session, _people = _booked_session(db)
    login_as(Role.ORGANISER)
    outbox.clear()

    question = client.post(f"/manage/sessions/{session.id}/cancel")
    assert question.status_code == 200
    page = _text(question)
    assert "It ends 2 booked seats." in page and "It ends 2 places on the waiting list." in page
    assert 'name="proceed" value="yes"' in page
    db.session.refresh(session)
    assert session.status is SessionStatus.SCHEDULED and outbox == []

    done = client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"})
    assert done.status_code == 302
    db.session.refresh(session)
    assert session.is_cancelled
    ended = BookingEndReason.SESSION_CANCELLED
    assert _bookings(db, session) == {name: (BookingStatus.CANCELLED, None, ended) for name in ("Ana", "Ben", "Cai", "Dee")}
    assert len(outbox) == 4
    listing = _text(client.get(f"/manage/sessions/{session.id}/bookings"))
    assert listing.count("Cancelled · the session was cancelled") == 4


def test_restoring_gives_everyone_back_their_seat_and_place_in_order_and_tells_them(client, db, login_as, outbox):
    session, _people = _booked_session(db)
    login_as(Role.ORGANISER)
    client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"})
    outbox.clear()

    question = client.post(f"/manage/sessions/{session.id}/restore")
    assert question.status_code == 200
    page = _text(question)
    assert "Cancelling it ended 2 booked seats and 2 places on the waiting list." in page
    assert '<input checked id="give_back" name="give_back"' in page  # offered, ticked
    assert '<input id="answered" name="answered" type="hidden" value="yes">' in page
    db.session.refresh(session)
    assert session.is_cancelled

    done = client.post(f"/manage/sessions/{session.id}/restore", data={"answered": "yes", "give_back": "y"})
    assert done.status_code == 302
    db.session.refresh(session)
    assert not session.is_cancelled
    assert _bookings(db, session) == {
        "Ana": (BookingStatus.CONFIRMED, None, None), "Ben": (BookingStatus.CONFIRMED, None, None),
        "Cai": (BookingStatus.WAITLISTED, 1, None), "Dee": (BookingStatus.WAITLISTED, 2, None),
    }
    mails = {m.body.split(",")[0].removeprefix("Hello "): m for m in outbox}
    assert sorted(mails) == ["Ana", "Ben", "Cai", "Dee"]
    assert {m.subject for m in outbox} == {"Session back in the programme: Harbour walk"}
    assert "and your seat with it." in mails["Ana"].body
    assert [a.filename for a in mails["Ana"].attachments] == ["invite.ics"]
    assert "you are back on its waiting list: number 2." in mails["Dee"].body
    assert mails["Dee"].attachments == []


def test_restoring_keeps_to_the_capacity_the_session_has_now(db, outbox):
    from expo.programme import services as programme

    session, _people = _booked_session(db, capacity=3)
    organiser = make_user(role=Role.ORGANISER)
    programme.cancel_session(session=session, actor=organiser, confirm=True)
    db.session.commit()
    session.capacity = 1  # the session moved to a smaller room meanwhile
    db.session.commit()

    programme.restore_session(session=session, actor=organiser, give_back=True)
    db.session.commit()

    assert _bookings(db, session) == {
        "Ana": (BookingStatus.CONFIRMED, None, None), "Ben": (BookingStatus.WAITLISTED, 1, None),
        "Cai": (BookingStatus.WAITLISTED, 2, None), "Dee": (BookingStatus.WAITLISTED, 3, None),
    }


def test_restoring_without_giving_back_leaves_the_bookings_ended_and_tells_nobody(client, db, login_as, outbox):
    session, _people = _booked_session(db)
    login_as(Role.ORGANISER)
    client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"})
    outbox.clear()

    client.post(f"/manage/sessions/{session.id}/restore", data={"answered": "yes"})

    db.session.refresh(session)
    assert not session.is_cancelled
    assert {status for status, _p, _r in _bookings(db, session).values()} == {BookingStatus.CANCELLED}
    assert outbox == []


def test_a_delegate_who_left_the_event_meanwhile_is_not_given_a_seat_back(db):
    from expo.programme import services as programme

    session, (ana, *_rest) = _booked_session(db)
    organiser = make_user(role=Role.ORGANISER)
    programme.cancel_session(session=session, actor=organiser, confirm=True)
    db.session.commit()
    registration.remove_registration(registration=registration.registration_for(ana, session.event), actor=organiser)
    db.session.commit()

    programme.restore_session(session=session, actor=organiser, give_back=True)
    db.session.commit()

    bookings = _bookings(db, session)
    assert bookings["Ana"][0] is BookingStatus.CANCELLED
    assert bookings["Ben"] == (BookingStatus.CONFIRMED, None, None)
    assert bookings["Cai"] == (BookingStatus.CONFIRMED, None, None)  # Ana's seat is free: next in line
    assert bookings["Dee"] == (BookingStatus.WAITLISTED, 1, None)


def test_bookings_remember_why_they_ended(db):
    event = future_event(is_published=True)
    organiser = make_user(role=Role.ORGANISER)
    first, second, third = (future_session(event, start=at(hour), capacity=10) for hour in (8, 10, 12))
    delegate, removed, leaving = (registered(event) for _ in range(3))
    own = registration.book_session(delegate=delegate, session=first, actor=delegate)
    taken_off = registration.book_session(delegate=removed, session=second, actor=removed)
    left = registration.book_session(delegate=leaving, session=third, actor=leaving)
    db.session.commit()

    registration.cancel_booking(booking=own, actor=delegate)
    registration.remove_booking(booking=taken_off, actor=organiser)
    registration.remove_registration(registration=registration.registration_for(leaving, event), actor=organiser)
    db.session.commit()

    assert (own.end_reason, own.ended_as) == (BookingEndReason.DELEGATE, BookingStatus.CONFIRMED)
    assert taken_off.end_reason is BookingEndReason.ORGANISER
    assert left.end_reason is BookingEndReason.REGISTRATION

    again = registration.book_session(delegate=delegate, session=first, actor=delegate)
    db.session.commit()
    assert (again.status, again.end_reason, again.ended_as) == (BookingStatus.CONFIRMED, None, None)


def test_unpublishing_an_event_asks_first_with_its_seats_and_places(client, db, login_as):
    session, _people = _booked_session(db)
    event = session.event
    login_as(Role.ORGANISER)

    question = client.post(f"/manage/events/{event.id}/unpublish")
    assert question.status_code == 200
    page = _text(question)
    assert "2 seats are booked in its sessions." in page and "2 places on waiting lists." in page
    db.session.refresh(event)
    assert event.is_published

    client.post(f"/manage/events/{event.id}/unpublish", data={"proceed": "yes"})
    db.session.refresh(event)
    assert not event.is_published
    assert {status for status, _p, _r in _bookings(db, session).values()} == {
        BookingStatus.CONFIRMED, BookingStatus.WAITLISTED}
