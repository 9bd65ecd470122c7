from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from expo.core import signals
from expo.accounts.models import Role
from expo.core.errors import CapacityFull, Conflict, InvalidState, NeedsConfirmation, NotAllowed
from expo.events.models import RegistrationMode
from expo.programme.models import SessionKind, SessionStatus
from expo.registration import services
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.factories import make_registration, make_room, make_user
from tests.registration.conftest import at, future_event, future_session, registered


def book(user, session, **kwargs) -> Booking:
    return services.book_session(delegate=user, session=session, actor=user, **kwargs)


def line_up(event, waiting: int):
    """A one-seat session, its seated delegate first, then ``waiting`` delegates in line."""
    session = future_session(event, capacity=1)
    people = [registered(event) for _ in range(waiting + 1)]
    book(people[0], session)
    return session, people, [book(p, session, join_waitlist=True) for p in people[1:]]


def waiting_positions(db, session) -> list[tuple[int, int]]:
    return db.session.execute(
        sa.select(Booking.user_id, Booking.waitlist_position)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlist_position)
    ).all()


# --- registrations ---------------------------------------------------------------------------

def test_open_registration_is_approved_at_once(db, event):
    user = make_user()
    registration = services.register(delegate=user, event=event, actor=user)
    assert registration.status is RegistrationStatus.APPROVED
    assert registration.decided_at is not None


def test_approval_mode_waits_for_an_organiser(db):
    event = future_event(registration_mode=RegistrationMode.APPROVAL)
    user, organiser = make_user(), make_user(role=Role.ORGANISER)
    registration = services.register(delegate=user, event=event, actor=user)
    assert registration.status is RegistrationStatus.PENDING
    services.decide_registration(registration=registration, approve=True, actor=organiser)
    assert registration.status is RegistrationStatus.APPROVED
    assert registration.decided_by == organiser


def test_closed_events_take_no_registrations(db):
    event = future_event(registration_mode=RegistrationMode.CLOSED)
    user = make_user()
    with pytest.raises(InvalidState, match="closed"):
        services.register(delegate=user, event=event, actor=user)


def test_registration_deadline(db):
    event = future_event(registration_deadline=at(12) - timedelta(days=30))
    user = make_user()
    with pytest.raises(InvalidState, match="deadline"):
        services.register(delegate=user, event=event, actor=user, now=at(12) - timedelta(days=29))
    registration = services.register(delegate=user, event=event, actor=user, now=at(12) - timedelta(days=31))
    assert registration.status is RegistrationStatus.APPROVED


def test_event_capacity_counts_approved_and_pending(db):
    event = future_event(capacity=2, registration_mode=RegistrationMode.APPROVAL)
    first, second, third = make_user(), make_user(), make_user()
    services.register(delegate=first, event=event, actor=first)
    make_registration(event=event, user=second, status=RegistrationStatus.APPROVED)
    make_registration(event=event, user=make_user(), status=RegistrationStatus.DECLINED)
    with pytest.raises(CapacityFull):
        services.register(delegate=third, event=event, actor=third)


def test_registering_twice_is_refused_but_a_cancelled_registration_can_be_renewed(db, event):
    user = make_user()
    registration = services.register(delegate=user, event=event, actor=user)
    with pytest.raises(Conflict):
        services.register(delegate=user, event=event, actor=user)
    services.cancel_registration(registration=registration, actor=user)
    again = services.register(delegate=user, event=event, actor=user)
    assert again.id == registration.id and again.status is RegistrationStatus.APPROVED


def test_a_declined_delegate_cannot_register_again(db):
    event = future_event(registration_mode=RegistrationMode.APPROVAL)
    user, organiser = make_user(), make_user(role=Role.ORGANISER)
    registration = services.register(delegate=user, event=event, actor=user)
    services.decide_registration(registration=registration, approve=False, actor=organiser)
    with pytest.raises(InvalidState, match="declined"):
        services.register(delegate=user, event=event, actor=user)


def test_only_organisers_decide_and_only_the_owner_cancels(db):
    event = future_event(registration_mode=RegistrationMode.APPROVAL)
    user, other = make_user(), make_user()
    registration = services.register(delegate=user, event=event, actor=user)
    with pytest.raises(NotAllowed):
        services.decide_registration(registration=registration, approve=True, actor=user)
    with pytest.raises(NotAllowed):
        services.cancel_registration(registration=registration, actor=other)
    with pytest.raises(NotAllowed):
        services.register(delegate=other, event=event, actor=user)


def test_bulk_decision_ignores_registrations_of_other_events(db):
    event = future_event(registration_mode=RegistrationMode.APPROVAL)
    other_event = future_event(registration_mode=RegistrationMode.APPROVAL)
    organiser = make_user(role=Role.ORGANISER)
    mine = [make_registration(event=event, status=RegistrationStatus.PENDING) for _ in range(3)]
    foreign = make_registration(event=other_event, status=RegistrationStatus.PENDING)
    decided = services.decide_registrations(
        event=event, registration_ids=[r.id for r in mine] + [foreign.id], approve=True, actor=organiser
    )
    assert sorted(r.id for r in decided) == sorted(r.id for r in mine)
    assert all(r.status is RegistrationStatus.APPROVED for r in mine)
    assert foreign.status is RegistrationStatus.PENDING


def test_cancelling_a_registration_releases_the_event_bookings_only(db, event):
    session = future_session(event, capacity=1)
    other_event = future_event()
    elsewhere = future_session(other_event, start=at(14))
    user = registered(event)
    registered(other_event, user)
    waiting = registered(event)
    book(user, session)
    book(user, elsewhere)
    book(waiting, session, join_waitlist=True)
    registration = services.registration_for(user, event)
    services.cancel_registration(registration=registration, actor=user)
    statuses = dict(db.session.execute(sa.select(Booking.session_id, Booking.status).where(Booking.user_id == user.id)).all())
    assert statuses == {session.id: BookingStatus.CANCELLED, elsewhere.id: BookingStatus.CONFIRMED}
    assert services._booking_of(session, waiting).status is BookingStatus.CONFIRMED


def test_an_organiser_removes_a_delegate_from_the_event_and_their_seats_go_on(db, event, outbox):
    session, people, waiting = line_up(event, waiting=1)
    past = future_session(event, start=at(6))
    book(people[0], past, now=at(5))
    organiser = make_user(role=Role.ORGANISER)
    registration = services.registration_for(people[0], event)
    with pytest.raises(NotAllowed):
        services.remove_registration(registration=registration, actor=people[1])
    services.remove_registration(registration=registration, actor=organiser, now=at(7))
    assert registration.status is RegistrationStatus.CANCELLED
    assert (registration.decided_by, registration.decided_at) == (organiser, at(7))
    assert services._booking_of(session, people[0]).status is BookingStatus.CANCELLED
    assert waiting[0].status is BookingStatus.CONFIRMED
    # a session already under way keeps its attendance record
    assert services._booking_of(past, people[0]).status is BookingStatus.CONFIRMED
    with pytest.raises(InvalidState):
        services.remove_registration(registration=registration, actor=organiser)


def test_declining_an_approved_registration_releases_bookings(db, event):
    session = future_session(event)
    user, organiser = registered(event), make_user(role=Role.ORGANISER)
    booking = book(user, session)
    services.decide_registration(registration=services.registration_for(user, event), approve=False, actor=organiser)
    assert booking.status is BookingStatus.CANCELLED


def test_organiser_adds_a_delegate_over_event_capacity_only_when_confirmed(db):
    event = future_event(capacity=1, registration_mode=RegistrationMode.CLOSED)
    organiser = make_user(role=Role.ORGANISER)
    make_registration(event=event, status=RegistrationStatus.APPROVED)
    late = make_user()
    with pytest.raises(NeedsConfirmation):
        services.add_registration(event=event, delegate=late, actor=organiser)
    registration = services.add_registration(event=event, delegate=late, actor=organiser, allow_over_capacity=True)
    assert registration.status is RegistrationStatus.APPROVED
    with pytest.raises(NotAllowed):
        services.add_registration(event=event, delegate=make_user(), actor=late)


# --- bookings --------------------------------------------------------------------------------

def test_booking_within_capacity_confirms(db, event):
    session = future_session(event, capacity=2)
    user = registered(event)
    booking = book(user, session)
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.waitlist_position is None and booking.confirmed_at is not None
    assert services.seats_left(session) == 1


def test_capacity_falls_back_to_the_room_and_none_is_unlimited(db, event):
    roomy = future_session(event, room=make_room(capacity=1))
    online = future_session(event, kind=SessionKind.DIGITAL, start=at(14))
    first, second = registered(event), registered(event)
    book(first, roomy)
    with pytest.raises(CapacityFull):
        book(second, roomy)
    for person in (first, second):
        assert book(person, online).status is BookingStatus.CONFIRMED
    assert services.seats_left(online) is None


def test_full_session_offers_the_waiting_list_in_order(db, event):
    session = future_session(event, capacity=1)
    people = [registered(event) for _ in range(4)]
    book(people[0], session)
    with pytest.raises(CapacityFull, match="waiting list"):
        book(people[1], session)
    for person in people[1:]:
        book(person, session, join_waitlist=True)
    assert waiting_positions(db, session) == [(people[1].id, 1), (people[2].id, 2), (people[3].id, 3)]


def test_a_freed_seat_goes_to_the_first_waiting_and_the_list_closes_up(db, event):
    session = future_session(event, capacity=1)
    people = [registered(event) for _ in range(4)]
    first = book(people[0], session)
    for person in people[1:]:
        book(person, session, join_waitlist=True)
    services.cancel_booking(booking=first, actor=people[0])
    assert services._booking_of(session, people[1]).status is BookingStatus.CONFIRMED
    assert waiting_positions(db, session) == [(people[2].id, 1), (people[3].id, 2)]


def test_leaving_the_middle_of_the_waiting_list_leaves_no_gap(db, event):
    session, people, waiting = line_up(event, waiting=3)
    services.cancel_booking(booking=waiting[0], actor=people[1])
    assert waiting_positions(db, session) == [(people[2].id, 1), (people[3].id, 2)]
    assert services.confirmed_count(session) == 1


@pytest.mark.parametrize("leaving", [0, 1, 2, 3], ids=["seat", "first in line", "middle", "last in line"])
def test_giving_up_ones_own_place_keeps_seats_and_line_whole(db, event, leaving):
    """A delegate's own cancellation reads the seat counts with their booking and works out
    the rest: a freed seat goes to the first in line, and the line closes up behind any place."""
    session, people, _waiting = line_up(event, waiting=3)
    db.session.commit()
    cancelled = services.cancel_own_booking(session=session, delegate=people[leaving])
    assert cancelled.status is BookingStatus.CANCELLED
    staying = people[:leaving] + people[leaving + 1:]
    assert services._booking_of(session, staying[0]).status is BookingStatus.CONFIRMED
    assert services.seat_counts(session) == (1, 2)
    assert waiting_positions(db, session) == [(person.id, place) for place, person in enumerate(staying[1:], 1)]


def test_giving_up_ones_own_seat_promotes_only_into_free_seats(db, event):
    session = future_session(event, capacity=2)
    people = [registered(event) for _ in range(5)]
    for person in people[:2]:
        book(person, session)
    for person in people[2:]:
        book(person, session, join_waitlist=True)
    session.capacity = 3  # raised behind the line's back: two seats free once someone leaves
    db.session.commit()
    services.cancel_own_booking(session=session, delegate=people[0])
    assert services.seat_counts(session) == (3, 1)
    assert waiting_positions(db, session) == [(people[4].id, 1)]
    assert services.cancel_own_booking(session=session, delegate=people[0]) is None


def test_two_bookings_cannot_wait_at_the_same_place(db, event):
    from sqlalchemy.exc import IntegrityError

    session = future_session(event, capacity=1)
    first, second = registered(event), registered(event)
    for person in (first, second):
        db.session.add(Booking(session=session, user=person, status=BookingStatus.WAITLISTED, waitlist_position=1))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_the_line_closes_up_whatever_order_the_rows_were_written_in(db, event):
    """Someone who left and came back has an older row than the people now ahead of them."""
    session, people, waiting = line_up(event, waiting=5)
    services.cancel_booking(booking=waiting[1], actor=people[2])
    services.cancel_booking(booking=waiting[0], actor=people[1])
    book(people[1], session, join_waitlist=True)
    book(people[2], session, join_waitlist=True)
    assert waiting_positions(db, session) == [
        (people[3].id, 1), (people[4].id, 2), (people[5].id, 3), (people[1].id, 4), (people[2].id, 5)]
    services.cancel_booking(booking=waiting[2], actor=people[3])
    assert waiting_positions(db, session) == [
        (people[4].id, 1), (people[5].id, 2), (people[1].id, 3), (people[2].id, 4)]
    services.cancel_booking(booking=services._booking_of(session, people[0]), actor=people[0])
    services.cancel_booking(booking=services._booking_of(session, people[4]), actor=people[4])
    assert waiting_positions(db, session) == [(people[1].id, 1), (people[2].id, 2)]
    assert services._booking_of(session, people[5]).status is BookingStatus.CONFIRMED


def test_the_line_closes_up_when_later_places_were_stored_first(db, event):
    """Rows are moved in the order they are stored (here: last place first), as PostgreSQL
    does when it reads the table rather than an index."""
    from expo.core.db import is_postgres

    if is_postgres():
        for setting in ("enable_indexscan", "enable_bitmapscan"):
            db.session.execute(sa.text(f"SET LOCAL {setting} = off"))
    session = future_session(event, capacity=1)
    book(registered(event), session)
    people = [registered(event) for _ in range(4)]
    for person, position in zip(people, (4, 3, 2, 1)):
        db.session.add(Booking(session=session, user=person, status=BookingStatus.WAITLISTED,
                               waitlist_position=position))
    db.session.flush()
    services.cancel_booking(booking=services._booking_of(session, people[3]), actor=people[3])
    assert waiting_positions(db, session) == [(people[2].id, 1), (people[1].id, 2), (people[0].id, 3)]


def test_a_cancelled_booking_can_be_made_again_at_the_end_of_the_line(db, event):
    session = future_session(event, capacity=1)
    a, b, c = registered(event), registered(event), registered(event)
    book(a, session)
    waiting_b = book(b, session, join_waitlist=True)
    book(c, session, join_waitlist=True)
    services.cancel_booking(booking=waiting_b, actor=b)
    again = book(b, session, join_waitlist=True)
    assert again.id == waiting_b.id
    assert waiting_positions(db, session) == [(c.id, 1), (b.id, 2)]


def test_double_booking_is_refused(db, event):
    session = future_session(event, capacity=1)
    a, b = registered(event), registered(event)
    book(a, session)
    book(b, session, join_waitlist=True)
    with pytest.raises(Conflict, match="already booked"):
        book(a, session)
    with pytest.raises(Conflict, match="position 1"):
        book(b, session, join_waitlist=True)


def test_booking_needs_an_approved_registration(db, event):
    session = future_session(event)
    user = make_user()
    with pytest.raises(NotAllowed, match="approved registration"):
        book(user, session)
    make_registration(event=event, user=user, status=RegistrationStatus.PENDING)
    with pytest.raises(NotAllowed):
        book(user, session)


def test_booking_closes_when_the_session_starts(db, event):
    session = future_session(event, start=at(10))
    user = registered(event)
    with pytest.raises(InvalidState, match="started"):
        book(user, session, now=at(10))
    assert book(user, session, now=at(9, 59)).status is BookingStatus.CONFIRMED


def test_cancelled_sessions_cannot_be_booked(db, event):
    session = future_session(event, status=SessionStatus.CANCELLED)
    with pytest.raises(InvalidState, match="cancelled"):
        book(registered(event), session)


def test_nobody_books_for_someone_else_but_an_organiser(db, event):
    session = future_session(event)
    user, other = registered(event), registered(event)
    with pytest.raises(NotAllowed):
        services.book_session(delegate=user, session=session, actor=other)
    booking = book(user, session)
    with pytest.raises(NotAllowed):
        services.cancel_booking(booking=booking, actor=other)


def test_overlapping_booking_needs_confirmation(db, event):
    morning = future_session(event, title="Mobility hubs", start=at(8))
    overlapping = future_session(event, title="Circular harbours", start=at(8, 30))
    afterwards = future_session(event, title="Lunch talk", start=at(9))
    user = registered(event)
    book(user, morning)
    with pytest.raises(NeedsConfirmation) as question:
        book(user, overlapping)
    assert question.value.warnings == ["Mobility hubs overlaps it."]
    assert services._booking_of(overlapping, user) is None
    assert book(user, overlapping, confirm_overlap=True).status is BookingStatus.CONFIRMED
    # back to back is not an overlap
    with pytest.raises(NeedsConfirmation):
        book(user, afterwards)  # overlaps the 08:30–09:30 one
    services.cancel_booking(booking=services._booking_of(overlapping, user), actor=user)
    assert book(user, afterwards).status is BookingStatus.CONFIRMED


def test_waitlisted_overlap_also_warns(db, event):
    full = future_session(event, capacity=1, start=at(8))
    other = future_session(event, start=at(8, 15))
    user = registered(event)
    book(registered(event), full)
    book(user, full, join_waitlist=True)
    with pytest.raises(NeedsConfirmation):
        book(user, other)


# --- organiser actions -----------------------------------------------------------------------

def test_organiser_adds_over_capacity_only_when_confirmed(db, event):
    session = future_session(event, capacity=1)
    organiser = make_user(role=Role.ORGANISER)
    book(registered(event), session)
    extra = registered(event)
    with pytest.raises(NeedsConfirmation):
        services.add_to_session(session=session, delegate=extra, actor=organiser)
    booking = services.add_to_session(session=session, delegate=extra, actor=organiser, allow_over_capacity=True)
    assert booking.status is BookingStatus.CONFIRMED
    assert services.confirmed_count(session) == 2


def test_organiser_moves_a_delegate_from_the_waiting_list(db, event):
    session = future_session(event, capacity=1)
    organiser = make_user(role=Role.ORGANISER)
    book(registered(event), session)
    a, b = registered(event), registered(event)
    waiting_a = book(a, session, join_waitlist=True)
    book(b, session, join_waitlist=True)
    with pytest.raises(NeedsConfirmation):
        services.confirm_waitlisted(booking=waiting_a, actor=organiser)
    services.confirm_waitlisted(booking=waiting_a, actor=organiser, allow_over_capacity=True)
    assert waiting_a.status is BookingStatus.CONFIRMED
    assert waiting_positions(db, session) == [(b.id, 1)]
    with pytest.raises(NotAllowed):
        services.confirm_waitlisted(booking=services._booking_of(session, b), actor=a)


def test_organiser_removing_someone_promotes_the_next(db, event, outbox):
    session = future_session(event, capacity=1)
    organiser = make_user(role=Role.ORGANISER)
    seated, waiting = registered(event), registered(event)
    booking = book(seated, session)
    book(waiting, session, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    services.remove_booking(booking=booking, actor=organiser)
    db.session.commit()
    assert services._booking_of(session, waiting).status is BookingStatus.CONFIRMED
    assert sorted(m.to for m in outbox) == sorted([seated.email, waiting.email])


# --- the programme changes -------------------------------------------------------------------

def send_change(app, session, changes):
    signals.session_changed.send(app, session=session, changes=changes, actor=None)


def test_nobody_is_promoted_into_a_session_under_way(db, event, outbox):
    session, people, waiting = line_up(event, waiting=2)
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    outbox.clear()
    seated = services._booking_of(session, people[0])
    services.cancel_booking(booking=seated, actor=organiser, now=session.starts_at)
    assert services.promote_waiting(session, now=session.starts_at + timedelta(minutes=5)) == []
    db.session.commit()
    assert services.confirmed_count(session) == 0
    assert waiting_positions(db, session) == [(people[1].id, 1), (people[2].id, 2)]
    assert outbox == []


def test_an_organiser_seating_someone_from_the_line_after_the_start_sends_no_seat_mail(db, event, outbox):
    session, people, waiting = line_up(event, waiting=1)
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    outbox.clear()
    services.confirm_waitlisted(booking=waiting[0], actor=organiser, allow_over_capacity=True,
                                now=session.starts_at + timedelta(minutes=10))
    db.session.commit()
    assert waiting[0].status is BookingStatus.CONFIRMED
    assert [m for m in outbox if m.subject.startswith("A seat is yours")] == []


def test_cancelled_session_releases_everyone_and_tells_them(app, db, event, outbox):
    session = future_session(event, capacity=1, title="Harbour walk")
    seated, waiting = registered(event), registered(event)
    book(seated, session)
    book(waiting, session, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    session.status = SessionStatus.CANCELLED
    signals.session_cancelled.send(app, session=session, actor=None)
    db.session.commit()
    statuses = db.session.scalars(sa.select(Booking.status).where(Booking.session_id == session.id)).all()
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CANCELLED]
    assert waiting_positions(db, session) == []
    assert sorted(m.to for m in outbox) == sorted([seated.email, waiting.email])
    assert all("Session cancelled: Harbour walk" == m.subject for m in outbox)


def test_more_capacity_promotes_the_waiting_list(app, db, event, outbox):
    session = future_session(event, capacity=1)
    people = [registered(event) for _ in range(4)]
    book(people[0], session)
    for person in people[1:]:
        book(person, session, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    session.capacity = 3
    send_change(app, session, {"capacity": {"old": 1, "new": 3}})
    db.session.commit()
    assert services.confirmed_count(session) == 3
    assert waiting_positions(db, session) == [(people[3].id, 1)]
    assert sorted(m.to for m in outbox) == sorted([people[1].email, people[2].email])


def test_a_bigger_room_promotes_the_waiting_lists_of_its_sessions_to_come(db, event, outbox):
    from expo.venues.services import update_room

    room = make_room(capacity=1)
    organiser = make_user(role=Role.ORGANISER)
    upcoming = future_session(event, room=room, start=at(8))
    own_capacity = future_session(event, room=room, start=at(10), capacity=1)
    lines = {}
    for session in (upcoming, own_capacity):
        lines[session.id] = [registered(event) for _ in range(3)]
        book(lines[session.id][0], session, confirm_overlap=True)
        for person in lines[session.id][1:]:
            book(person, session, join_waitlist=True, confirm_overlap=True)
    db.session.commit()
    outbox.clear()

    update_room(room=room, name=room.name, capacity=2, actor=organiser)
    db.session.commit()

    assert services.confirmed_count(upcoming) == 2
    assert waiting_positions(db, upcoming) == [(lines[upcoming.id][2].id, 1)]
    assert services.confirmed_count(own_capacity) == 1
    assert [m.to for m in outbox] == [lines[upcoming.id][1].email]
    assert outbox[0].subject == f"A seat is yours: {upcoming.title}"


def test_a_bigger_room_promotes_nobody_into_a_session_under_way(db, event, outbox):
    from expo.venues.services import update_room

    room = make_room(capacity=1)
    session = future_session(event, room=room, start=at(8))
    seated, waiting = registered(event), registered(event)
    book(seated, session, now=at(7))
    book(waiting, session, join_waitlist=True, now=at(7))
    room.capacity = 2
    assert services.room_capacity_changed(room, now=at(8, 30)) == []
    assert services._booking_of(session, waiting).status is BookingStatus.WAITLISTED
    assert [b.user for b in services.room_capacity_changed(room, now=at(7))] == [waiting]


def test_a_newcomer_never_overtakes_the_waiting_list(db, event):
    session, people, waiting = line_up(event, waiting=1)
    session.capacity = 2  # a seat that nobody offered to the waiting list yet
    newcomer = registered(event)
    with pytest.raises(CapacityFull, match="waiting list"):
        book(newcomer, session)
    booking = book(newcomer, session, join_waitlist=True)
    assert (booking.status, booking.waitlist_position) == (BookingStatus.WAITLISTED, 2)
    assert services.confirmed_count(session) == 1


def test_moved_session_tells_booked_delegates_only(app, db, event, outbox):
    session = future_session(event, capacity=1, title="Smart grids")
    seated, waiting, other = registered(event), registered(event), registered(event)
    book(seated, session)
    book(waiting, session, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    session.starts_at += timedelta(hours=2)
    session.ends_at += timedelta(hours=2)
    send_change(app, session, {"starts_at": {"old": "x", "new": "y"}, "ends_at": {"old": "x", "new": "y"}})
    db.session.commit()
    assert sorted(m.to for m in outbox) == sorted([seated.email, waiting.email])
    assert other.email not in [m.to for m in outbox]
    assert outbox[0].subject == "Session changed: Smart grids"
    outbox.clear()
    send_change(app, session, {"title": {"old": "a", "new": "b"}})
    db.session.commit()
    assert outbox == []


def test_mails_are_not_sent_when_the_transaction_rolls_back(db, event, outbox):
    session = future_session(event)
    user = registered(event)
    db.session.commit()
    book(user, session)
    db.session.rollback()
    assert outbox == []
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0


def test_registration_row_stays_unique_per_event(db, event):
    from sqlalchemy.exc import IntegrityError

    user = make_user()
    registration = services.register(delegate=user, event=event, actor=user)
    services.cancel_registration(registration=registration, actor=user)
    assert services.register(delegate=user, event=event, actor=user) is registration
    assert db.session.scalar(sa.select(sa.func.count(Registration.id)).where(Registration.user_id == user.id)) == 1
    db.session.add(Registration(event=event, user=user))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_delegates_cannot_cancel_once_the_session_started_but_organisers_can(db, event):
    session = future_session(event, start=at(10))
    user, organiser = registered(event), make_user(role=Role.ORGANISER)
    booking = book(user, session, now=at(9))
    with pytest.raises(InvalidState, match="started"):
        services.cancel_booking(booking=booking, actor=user, now=at(10, 5))
    services.cancel_booking(booking=booking, actor=organiser, now=at(10, 5))
    assert booking.status is BookingStatus.CANCELLED
