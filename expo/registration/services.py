"""Registrations for events and bookings of sessions, with capacity and waiting lists.

Every change to a session's bookings first locks the session's row (SELECT … FOR UPDATE on
PostgreSQL), so concurrent requests queue up one behind the other: capacity is never
exceeded, nobody holds two bookings of one session and waiting-list positions stay 1, 2, 3 …
without gaps. Event registrations lock the event's row the same way. Booking, and ending a
registration, lock the delegate's registration row first (before any session), so that a
booking never outlives a registration cancelled at the same moment; always taking the
registration before the session keeps two such requests from waiting for each other. Services flush and never
commit; e-mails go out when the caller commits (see notifications)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from expo.core import signals
from expo.accounts.models import User
from expo.core.db import held_lock, holds_lock, is_database_id, remember_lock
from expo.core.errors import CapacityFull, Conflict, InvalidState, NeedsConfirmation, NotAllowed
from expo.events.models import Event, RegistrationMode
from expo.core.extensions import db
from expo.permissions import can_manage_registrations, owns
from expo.programme.models import ProgrammeSession, SessionStatus
from expo.registration import notifications
from expo.registration.models import Booking, BookingEndReason, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import utcnow
from expo.venues.models import Room

ACTIVE_BOOKING = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)
HOLDS_PLACE = (RegistrationStatus.APPROVED, RegistrationStatus.PENDING)
# Changes to these fields mean a booked delegate has to be somewhere else or at another time.
TIME_AND_PLACE = frozenset({"starts_at", "ends_at", "room", "room_id", "kind", "meeting_url"})


# --- locks and counts ------------------------------------------------------------------------

def _locked(model: type[Any], *criteria: Any) -> Any:
    """The matching row (or None), locked until the transaction ends and freshly read."""
    return _remember_locked(db.session.execute(
        sa.select(model).where(*criteria).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none())


def _remember_locked(row: Any) -> Any:
    if row is not None:
        remember_lock(row)
    return row


# The session's many-to-one relations and their foreign keys.
_SESSION_PARENTS = (("event", "event_id"), ("room", "room_id"), ("track", "track_id"))


def lock_session(session: ProgrammeSession) -> ProgrammeSession:
    """Lock the session's row until the transaction ends and reload it. Its event, room and
    track, if already loaded, stay attached: reloading the row would otherwise drop them and
    the next read of each would query again. A session this transaction has read under its
    lock already is as fresh as it can be, and is not read again."""
    if holds_lock(session):
        return session
    loaded = sa.inspect(session).dict
    parents = {name: loaded[name] for name, _fk in _SESSION_PARENTS if name in loaded}
    locked = _locked(ProgrammeSession, ProgrammeSession.id == session.id)
    for name, fk in _SESSION_PARENTS:
        if name in parents and getattr(locked, fk) == getattr(parents[name], "id", None):
            set_committed_value(locked, name, parents[name])
    return locked


def _lock_registration(user: User, event_id: int) -> Registration | None:
    """Lock the user's registration for the event (if any) until the transaction ends."""
    held = held_lock(Registration, event_id=event_id, user_id=user.id)
    if held is not None:
        return held
    return _locked(Registration, Registration.event_id == event_id, Registration.user_id == user.id)


# The session to be booked or given up, under its row's lock, with its event (which the
# permission rules read) in the same statement.
_SESSION_LOCKED = (
    sa.select(ProgrammeSession).options(joinedload(ProgrammeSession.event))
    .where(ProgrammeSession.id == sa.bindparam("session_id"))
    .with_for_update(of=ProgrammeSession).execution_options(populate_existing=True)
)
# The delegate's registration for the event of a session, under its row's lock.
_REGISTRATION_FOR_SESSION_LOCKED = (
    sa.select(Registration)
    .where(Registration.user_id == sa.bindparam("user_id"),
           Registration.event_id == sa.select(ProgrammeSession.event_id)
           .where(ProgrammeSession.id == sa.bindparam("session_id")).scalar_subquery())
    .with_for_update().execution_options(populate_existing=True)
)


def lock_for_booking(delegate: User, session_id: int) -> ProgrammeSession | None:
    """The session ``delegate`` is about to book (None if there is none), with its event, read
    once under the locks booking takes, in their order: first the delegate's registration for
    the session's event, then the session. ``book_session`` then reads neither again."""
    if not is_database_id(session_id):
        return None
    _remember_locked(db.session.execute(_REGISTRATION_FOR_SESSION_LOCKED,
                                        {"user_id": delegate.id, "session_id": session_id}).scalar_one_or_none())
    return lock_for_change(session_id)


def lock_for_change(session_id: int) -> ProgrammeSession | None:
    """The session (None if there is none), with its event, read under its lock, for a change
    of its bookings that takes no registration's lock first (a delegate giving up a seat)."""
    if not is_database_id(session_id):
        return None
    return _remember_locked(db.session.execute(_SESSION_LOCKED, {"session_id": session_id}).unique().scalar_one_or_none())


def _relock_registration(registration: Registration) -> Registration:
    return _locked(Registration, Registration.id == registration.id)


def lock_registrations(user: User) -> None:
    """Lock every registration of the user, in id order, until the transaction ends."""
    db.session.execute(
        sa.select(Registration.id).where(Registration.user_id == user.id).order_by(Registration.id).with_for_update()
    )


def _lock_event(event: Event) -> Event:
    return _locked(Event, Event.id == event.id)


def confirmed_count(session: ProgrammeSession) -> int:
    return seat_counts(session)[0]


def waitlist_length(session: ProgrammeSession) -> int:
    return seat_counts(session)[1]


def seat_counts(session: ProgrammeSession) -> tuple[int, int]:
    """Confirmed seats and the last waiting-list position (0 when nobody waits), in one query."""
    return _counted(*db.session.execute(_SEAT_COUNTS, {"session_id": session.id}).one())


# The statements a booking or a cancellation sends are built once, here, with the values of the
# request as parameters: building one costs more than sending it.

# Active, spelt out: IN with a list of values would be expanded anew for every statement.
_ACTIVE = sa.or_(Booking.status == BookingStatus.CONFIRMED, Booking.status == BookingStatus.WAITLISTED)

# ``seat_counts``: one row, ``confirmed`` and ``last``.
_SEAT_COUNTS = sa.select(
    sa.func.count(sa.case((Booking.status == BookingStatus.CONFIRMED, Booking.id))).label("confirmed"),
    sa.func.max(sa.case((Booking.status == BookingStatus.WAITLISTED, Booking.waitlist_position))).label("last"),
).where(Booking.session_id == sa.bindparam("session_id"), _ACTIVE)
_COUNTS = _SEAT_COUNTS.subquery("seat_counts")

# The delegate's booking of the session, if any, and their other active bookings of sessions,
# not cancelled, that overlap it, with the session's ``seat_counts``: the counts are the one row
# the bookings are joined to (see ``_booking_and_overlaps``).
_BOOKING_OVERLAPS_AND_COUNTS = (
    sa.select(_COUNTS.c.confirmed, _COUNTS.c.last, Booking, ProgrammeSession.title)
    .select_from(_COUNTS.outerjoin(
        sa.join(Booking, ProgrammeSession, Booking.session_id == ProgrammeSession.id),
        sa.and_(
            Booking.user_id == sa.bindparam("user_id"),
            sa.or_(
                Booking.session_id == sa.bindparam("session_id"),
                sa.and_(
                    _ACTIVE,
                    ProgrammeSession.status != SessionStatus.CANCELLED,
                    ProgrammeSession.starts_at < sa.bindparam("ends_at"),
                    ProgrammeSession.ends_at > sa.bindparam("starts_at"),
                ),
            ),
        ),
    ))
    .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    .execution_options(populate_existing=True)
)

# The delegate's active booking of the session, with the session's ``seat_counts``.
_ACTIVE_BOOKING_AND_COUNTS = (
    sa.select(Booking, _COUNTS.c.confirmed, _COUNTS.c.last)
    .join(_COUNTS, sa.true())
    .where(Booking.session_id == sa.bindparam("session_id"), Booking.user_id == sa.bindparam("user_id"), _ACTIVE)
    .execution_options(populate_existing=True)
)


def _counted(confirmed: int | None, last: int | None) -> tuple[int, int]:
    return confirmed or 0, last or 0


def seats_left(session: ProgrammeSession) -> int | None:
    """Free seats, or None when the session has no limit."""
    capacity = session.effective_capacity
    if capacity is None:
        return None
    return max(capacity - confirmed_count(session), 0)


def _booking_of(session: ProgrammeSession, user: User) -> Booking | None:
    return db.session.execute(
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.user_id == user.id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def registration_for(user: User, event: Event) -> Registration | None:
    return db.session.scalar(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id)
    )


def places_taken(event: Event) -> int:
    """Registrations that hold a place at the event: approved and pending ones."""
    return db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status.in_(HOLDS_PLACE)
        )
    ) or 0


def _check_actor(actor: User, obj: Any, event: Event) -> None:
    if not (owns(actor, obj) or can_manage_registrations(actor, event)):
        raise NotAllowed(_("You may not change this."))


def _check_acting_for(actor: User, delegate: User, event: Event) -> None:
    if actor.id != delegate.id and not can_manage_registrations(actor, event):
        raise NotAllowed(_("You may not act for another person."))


# --- event registrations ---------------------------------------------------------------------

def register(*, delegate: User, event: Event, actor: User, now: datetime | None = None) -> Registration:
    """Ask to take part in an event: approved at once when registration is open, else pending."""
    _check_acting_for(actor, delegate, event)
    now = now or utcnow()
    event = _lock_event(event)
    if not event.is_published:
        raise InvalidState(_("This event is not published."))
    if event.registration_mode is RegistrationMode.CLOSED:
        raise InvalidState(_("Registration for this event is closed."))
    if event.registration_deadline is not None and now > event.registration_deadline:
        raise InvalidState(_("The registration deadline has passed."))
    registration = registration_for(delegate, event)
    if registration is not None:
        if registration.status in HOLDS_PLACE:
            raise Conflict(_("You are already registered for this event."))
        if registration.status is RegistrationStatus.DECLINED:
            raise InvalidState(_("Your registration for this event was declined."))
    if event.capacity is not None and places_taken(event) >= event.capacity:
        raise CapacityFull(_("The event is full."))
    if registration is None:
        registration = Registration(event=event, user=delegate)
        db.session.add(registration)
    registration.created_at = now
    registration.decided_by = None
    if event.registration_mode is RegistrationMode.OPEN:
        registration.status = RegistrationStatus.APPROVED
        registration.decided_at = now
        db.session.flush()
        notifications.registration_approved(registration)
    else:
        registration.status = RegistrationStatus.PENDING
        registration.decided_at = None
        db.session.flush()
        notifications.registration_received(registration)
    return registration


def cancel_registration(*, registration: Registration, actor: User, now: datetime | None = None) -> Registration:
    """Withdraw from an event; the delegate's seats in its sessions go to the waiting lists."""
    _check_actor(actor, registration, registration.event)
    return _end_registration(registration, now=now)


def remove_registration(*, registration: Registration, actor: User, now: datetime | None = None) -> Registration:
    """An organiser takes a delegate out of the event: the registration is cancelled, the seats
    go to the waiting lists and the delegate is told in plain words (not as a refusal)."""
    if not can_manage_registrations(actor, registration.event):
        raise NotAllowed(_("Only organisers remove delegates."))
    now = now or utcnow()
    registration = _end_registration(registration, now=now)
    registration.decided_at = now
    registration.decided_by = actor
    db.session.flush()
    notifications.registration_removed(registration)
    return registration


def _end_registration(registration: Registration, *, now: datetime | None) -> Registration:
    """Cancel an active registration and release the delegate's seats in the event's sessions."""
    registration = _relock_registration(registration)
    if registration.status not in HOLDS_PLACE:
        raise InvalidState(_("This registration is not active."))
    registration.status = RegistrationStatus.CANCELLED
    if registration.user is not None:
        release_bookings(user=registration.user, event=registration.event, now=now)
    db.session.flush()
    return registration


def decide_registration(
    *, registration: Registration, approve: bool, actor: User, now: datetime | None = None
) -> Registration:
    """An organiser approves or declines one registration; the delegate is told."""
    if not can_manage_registrations(actor, registration.event):
        raise NotAllowed(_("Only organisers decide on registrations."))
    now = now or utcnow()
    registration = _relock_registration(registration)
    target = RegistrationStatus.APPROVED if approve else RegistrationStatus.DECLINED
    if registration.status is target:
        return registration
    if registration.status is RegistrationStatus.CANCELLED:
        raise InvalidState(_("The delegate has cancelled this registration."))
    if approve and registration.status is RegistrationStatus.DECLINED:
        event = _lock_event(registration.event)
        if event.capacity is not None and places_taken(event) >= event.capacity:
            raise CapacityFull(_("The event is full."))
    was_approved = registration.status is RegistrationStatus.APPROVED
    registration.status = target
    registration.decided_at = now
    registration.decided_by = actor
    if not approve and was_approved and registration.user is not None:
        release_bookings(user=registration.user, event=registration.event, now=now)
    db.session.flush()
    if approve:
        notifications.registration_approved(registration)
    else:
        notifications.registration_declined(registration)
    return registration


def decide_registrations(
    *, event: Event, registration_ids: Iterable[int], approve: bool, actor: User
) -> list[Registration]:
    """Approve or decline several registrations of one event; ids of other events are ignored."""
    ids = sorted({int(i) for i in registration_ids})
    if not ids:
        return []
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(ids))
        .order_by(Registration.id)
    ).all()
    decided = []
    for registration in registrations:
        if registration.status is RegistrationStatus.CANCELLED:
            continue
        decided.append(decide_registration(registration=registration, approve=approve, actor=actor))
    return decided


def remove_registrations(*, event: Event, registration_ids: Iterable[int], actor: User) -> list[Registration]:
    """Take several delegates out of one event (see ``remove_registration``); registrations
    no longer active and ids of other events are passed over."""
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.id.in_(sorted({int(i) for i in registration_ids})),
               Registration.status.in_(HOLDS_PLACE))
        .order_by(Registration.id)
    ).all()
    return [remove_registration(registration=r, actor=actor) for r in registrations]


def add_registration(
    *, event: Event, delegate: User, actor: User, allow_over_capacity: bool = False
) -> Registration:
    """An organiser registers a delegate by hand (approved), past the deadline if need be."""
    if not can_manage_registrations(actor, event):
        raise NotAllowed(_("Only organisers add delegates."))
    event = _lock_event(event)
    registration = registration_for(delegate, event)
    if registration is not None and registration.status is RegistrationStatus.APPROVED:
        raise Conflict(_("%(name)s is already registered.", name=delegate.name))
    holds_place = registration is not None and registration.status in HOLDS_PLACE
    if (event.capacity is not None and not holds_place and not allow_over_capacity
            and places_taken(event) >= event.capacity):
        raise NeedsConfirmation(
            _("The event is full."),
            [_("Adding %(name)s goes over the event's capacity of %(n)s.", name=delegate.name, n=event.capacity)],
        )
    if registration is None:
        registration = Registration(event=event, user=delegate)
        db.session.add(registration)
    registration.status = RegistrationStatus.APPROVED
    registration.decided_at = utcnow()
    registration.decided_by = actor
    db.session.flush()
    notifications.registration_approved(registration)
    return registration


# --- session bookings ------------------------------------------------------------------------

def _booking_and_overlaps(session: ProgrammeSession, user: User) -> tuple[Booking | None, list[str], tuple[int, int]]:
    """In one query: the user's booking row of this session (in any state, freshly read), the
    titles of the other sessions, not cancelled, that they hold a booking of and that overlap
    it in time, and the session's ``seat_counts``. Titles only: loading those sessions as rows
    would reload this one too and drop what its lock kept loaded."""
    rows = db.session.execute(_BOOKING_OVERLAPS_AND_COUNTS, {
        "session_id": session.id, "user_id": user.id, "starts_at": session.starts_at, "ends_at": session.ends_at,
    }).all()
    own = next((booking for *_counts, booking, _title in rows if booking is not None and booking.session_id == session.id),
               None)
    overlaps = [title for *_counts, booking, title in rows if booking is not None and booking.session_id != session.id]
    return own, overlaps, _counted(rows[0].confirmed, rows[0].last)


def _is_approved(registration: Registration | None) -> bool:
    return registration is not None and registration.status is RegistrationStatus.APPROVED


def _confirm(booking: Booking, now: datetime) -> None:
    booking.set_status(BookingStatus.CONFIRMED)
    booking.waitlist_position = None
    booking.confirmed_at = now
    _taken_up(booking, now)


def _taken_up(booking: Booking, now: datetime) -> None:
    """The booking holds a seat or a place again: it no longer ended."""
    booking.cancelled_at = None
    booking.end_reason = booking.ended_as = booking.ended_position = None
    booking.updated_at = now


def _end(booking: Booking, now: datetime, reason: BookingEndReason) -> None:
    """End an active booking, remembering why and what it held (seat or place in line)."""
    booking.ended_as = booking.status
    booking.ended_position = booking.waitlist_position
    booking.end_reason = reason
    booking.set_status(BookingStatus.CANCELLED)
    booking.waitlist_position = None
    booking.cancelled_at = now
    booking.updated_at = now


def _seat_taken(booking: Booking, *, promoted: bool = False, notify: bool = True) -> None:
    """A booking has just become a seat: other domains follow it (a delegate let in standing
    now sits) and, unless ``notify`` is off, the delegate is told."""
    signals.booking_confirmed.send(current_app._get_current_object(), booking=booking)
    if notify:
        notifications.booking_confirmed(booking, promoted=promoted)


def _close_gap(session: ProgrammeSession, after: int, by: int = 1, *, end: int | None = None) -> None:
    """Move everyone waiting behind position ``after`` forward by ``by`` places.

    The places ``after - by + 1 … after`` must be free already. A unique index keeps two
    people off one place and PostgreSQL checks it row by row, in no particular order, so
    ``position - by`` in one statement could collide with a row not yet moved. The moving
    rows are therefore first lifted past the end of the line, then set down in their new
    places: at no moment do two rows share a place. ``end``, the last place taken, is counted
    unless the caller knows it."""
    end = waitlist_length(session) if end is None else end
    if end <= after:
        return
    now = utcnow()
    waiting = (Booking.session_id == session.id, Booking.status == BookingStatus.WAITLISTED)
    for behind, shift in ((after, end), (end, -(end + by))):
        db.session.execute(
            sa.update(Booking)
            .where(*waiting, Booking.waitlist_position > behind)
            .values(waitlist_position=Booking.waitlist_position + shift, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )


def book_session(
    *,
    delegate: User,
    session: ProgrammeSession,
    actor: User,
    confirm_overlap: bool = False,
    join_waitlist: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book a seat, or a place on the waiting list when full and ``join_waitlist`` is set."""
    _check_acting_for(actor, delegate, session.event)
    now = now or utcnow()
    registration = _lock_registration(delegate, session.event_id)
    session = lock_session(session)
    if session.is_cancelled:
        raise InvalidState(_("This session is cancelled."))
    if session.starts_at <= now:
        raise InvalidState(_("Booking closed when the session started."))
    if not session.event.is_published:
        raise InvalidState(_("This event is not published."))
    if not _is_approved(registration):
        raise NotAllowed(_("Booking needs an approved registration for %(event)s.", event=session.event.name))
    booking, overlaps, counts = _booking_and_overlaps(session, delegate)
    if booking is not None and booking.status is BookingStatus.CONFIRMED:
        raise Conflict(_("You have already booked this session."))
    if booking is not None and booking.status is BookingStatus.WAITLISTED:
        raise Conflict(_("You are already on the waiting list (position %(n)s).", n=booking.waitlist_position))
    if overlaps and not confirm_overlap:
        raise NeedsConfirmation(
            _("This session overlaps another one you booked."),
            [_("%(title)s overlaps it.", title=title) for title in overlaps],
        )
    capacity = session.effective_capacity
    # While anyone waits, a free seat is theirs, never a newcomer's: the newcomer queues behind.
    confirmed, waiting = counts if capacity is not None else (0, 0)
    full = capacity is not None and (waiting > 0 or confirmed >= capacity)
    if full and not join_waitlist:
        raise CapacityFull(_("This session is full. You can join the waiting list."))
    position = waiting + 1 if full else None
    if booking is None:
        booking = Booking(session=session, user=delegate, created_at=now)
        db.session.add(booking)
    _taken_up(booking, now)
    if full:
        booking.set_status(BookingStatus.WAITLISTED)
        booking.waitlist_position = position
        booking.confirmed_at = None
        db.session.flush()
    else:
        _confirm(booking, now)
        db.session.flush()
        _seat_taken(booking)
    return booking


def promote_waiting(session: ProgrammeSession, *, now: datetime | None = None,
                    counts: tuple[int, int] | None = None) -> list[Booking]:
    """Give free seats to the first on the waiting list, in order; they are e-mailed. Once the
    session is under way nobody is promoted: a seat offered then could not be taken.

    The caller holds the session's lock; ``counts`` are its ``seat_counts`` as they stand, if
    the caller knows them."""
    now = now or utcnow()
    if session.is_cancelled or session.starts_at <= now:
        return []
    capacity = session.effective_capacity
    confirmed, waiting = seat_counts(session) if counts is None else counts
    free = None if capacity is None else capacity - confirmed
    if not waiting or (free is not None and free <= 0):
        return []
    query = (
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlist_position)
        .execution_options(populate_existing=True)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query))
    if not promoted:
        return []
    for booking in promoted:
        _confirm(booking, now)
    db.session.flush()
    # Places 1 … len(promoted) were taken, and the line has no gaps: whoever is left ends at ``waiting``.
    _close_gap(session, after=0, by=len(promoted), end=waiting if len(promoted) < waiting else 0)
    for booking in promoted:
        _seat_taken(booking, promoted=True)
    db.session.flush()
    return promoted


def _release(booking: Booking, now: datetime, reason: BookingEndReason,
             counts: tuple[int, int] | None = None) -> tuple[int, int] | None:
    """Cancel one active booking of a locked session and keep the waiting list without gaps.
    Given the session's ``seat_counts`` before, returns them after."""
    was_waiting_at = booking.waitlist_position if booking.status is BookingStatus.WAITLISTED else None
    _end(booking, now, reason)
    db.session.flush()
    if was_waiting_at is not None:
        _close_gap(booking.session, after=was_waiting_at, end=None if counts is None else counts[1])
    if counts is None:
        return None
    confirmed, last = counts
    return (confirmed, last - 1) if was_waiting_at is not None else (confirmed - 1, last)


def _reload_locked(booking: Booking) -> tuple[ProgrammeSession, Booking]:
    session = lock_session(booking.session)
    fresh = db.session.execute(
        sa.select(Booking).where(Booking.id == booking.id).execution_options(populate_existing=True)
    ).scalar_one()
    return session, fresh


def _give_up(booking: Booking, actor: User, now: datetime | None) -> tuple[Booking, bool]:
    """Cancel a seat or a place on the waiting list; a freed seat goes to the next in line.
    Returns the booking and whether it held a seat in a session still to come."""
    _check_actor(actor, booking, booking.session.event)
    session, booking = _reload_locked(booking)
    return booking, _give_up_locked(session, booking, actor, now or utcnow())


def _give_up_locked(session: ProgrammeSession, booking: Booking, actor: User, now: datetime,
                    counts: tuple[int, int] | None = None) -> bool:
    """``_give_up`` once the session is locked and the booking freshly read under that lock
    (with the session's ``seat_counts``, if read with it)."""
    if booking.status not in ACTIVE_BOOKING:
        raise InvalidState(_("This booking is already cancelled."))
    # Once a session is under way its bookings are the attendance record; organisers may still correct it.
    if session.starts_at <= now and not can_manage_registrations(actor, session.event):
        raise InvalidState(_("The session has started; the booking can no longer be cancelled."))
    # A seat of a session to come was in the delegate's calendar; a correction of the attendance
    # record once the session is under way tells nobody.
    held_seat = booking.status is BookingStatus.CONFIRMED and session.starts_at > now
    own = booking.user_id is not None and booking.user_id == actor.id
    counts = _release(booking, now, BookingEndReason.DELEGATE if own else BookingEndReason.ORGANISER, counts)
    promote_waiting(session, now=now, counts=counts)
    return held_seat


def cancel_booking(*, booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """Give up a seat or a place on the waiting list; a freed seat goes to the next in line,
    and the calendar that accepted the seat's invitation is sent its cancellation."""
    booking, held_seat = _give_up(booking, actor, now)
    if held_seat:
        notifications.seat_ended(booking)
    return booking


def cancel_own_booking(*, session: ProgrammeSession, delegate: User, now: datetime | None = None) -> Booking | None:
    """``cancel_booking`` of the delegate's own seat or waiting place in ``session``, found
    under the session's lock (read once, never stale, with the session's ``seat_counts``);
    None when they hold neither."""
    session = lock_session(session)
    row = db.session.execute(_ACTIVE_BOOKING_AND_COUNTS, {"session_id": session.id, "user_id": delegate.id}).one_or_none()
    if row is None:
        return None
    booking = row.Booking
    set_committed_value(booking, "session", session)
    if _give_up_locked(session, booking, delegate, now or utcnow(), _counted(row.confirmed, row.last)):
        notifications.seat_ended(booking)
    return booking


def remove_booking(*, booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """An organiser takes a delegate off a session (seat or waiting list); they are told."""
    if not can_manage_registrations(actor, booking.session.event):
        raise NotAllowed(_("Only organisers remove delegates."))
    cancelled, _held_seat = _give_up(booking, actor, now)
    notifications.booking_removed(cancelled)
    return cancelled


def _session_bookings(session: ProgrammeSession, booking_ids: Iterable[int], *statuses: BookingStatus) -> Sequence[Booking]:
    """The session's bookings among ``booking_ids`` in these states, waiting list in order."""
    return db.session.scalars(
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.id.in_(sorted({int(i) for i in booking_ids})),
               Booking.status.in_(statuses))
        .order_by(Booking.waitlist_position, Booking.id)
    ).all()


def remove_bookings(*, session: ProgrammeSession, booking_ids: Iterable[int], actor: User) -> list[Booking]:
    """Take several delegates off one session (see ``remove_booking``); bookings already
    cancelled and ids of other sessions are passed over."""
    chosen = _session_bookings(session, booking_ids, *ACTIVE_BOOKING)
    # Waiting places first: a freed seat must not go to someone who is being removed too.
    chosen = sorted(chosen, key=lambda b: b.status is BookingStatus.CONFIRMED)
    return [remove_booking(booking=b, actor=actor) for b in chosen]


def confirm_waitlisted_bookings(
    *, session: ProgrammeSession, booking_ids: Iterable[int], actor: User
) -> list[Booking]:
    """Give several delegates on the waiting list a seat, in the list's order, within capacity
    (see ``confirm_waitlisted``); other bookings are passed over."""
    chosen = _session_bookings(session, booking_ids, BookingStatus.WAITLISTED)
    return [confirm_waitlisted(booking=b, actor=actor) for b in chosen]


def add_to_session(
    *, session: ProgrammeSession, delegate: User, actor: User, allow_over_capacity: bool = False,
    now: datetime | None = None,
) -> Booking:
    """An organiser books a delegate by hand; over capacity only when explicitly allowed."""
    if not can_manage_registrations(actor, session.event):
        raise NotAllowed(_("Only organisers add delegates."))
    now = now or utcnow()
    registration = _lock_registration(delegate, session.event_id)
    session = lock_session(session)
    if session.is_cancelled:
        raise InvalidState(_("This session is cancelled."))
    if not _is_approved(registration):
        raise InvalidState(_("%(name)s has no approved registration for this event.", name=delegate.name))
    booking = _booking_of(session, delegate)
    if booking is not None and booking.status is BookingStatus.CONFIRMED:
        raise Conflict(_("%(name)s already has a seat.", name=delegate.name))
    if booking is not None and booking.status is BookingStatus.WAITLISTED:
        return confirm_waitlisted(booking=booking, actor=actor, allow_over_capacity=allow_over_capacity, now=now)
    _check_room_for_one_more(session, delegate, allow_over_capacity)
    if booking is None:
        booking = Booking(session=session, user=delegate, created_at=now)
        db.session.add(booking)
    _confirm(booking, now)
    db.session.flush()
    _seat_taken(booking)
    return booking


def _check_room_for_one_more(session: ProgrammeSession, delegate: User, allow_over_capacity: bool) -> None:
    capacity = session.effective_capacity
    if capacity is not None and not allow_over_capacity and confirmed_count(session) >= capacity:
        raise NeedsConfirmation(
            _("The session is full."),
            [_("Giving %(name)s a seat goes over the capacity of %(n)s.", name=delegate.name, n=capacity)],
        )


def confirm_waitlisted(
    *, booking: Booking, actor: User, allow_over_capacity: bool = False, now: datetime | None = None
) -> Booking:
    """An organiser moves a delegate from the waiting list to a confirmed seat."""
    if not can_manage_registrations(actor, booking.session.event):
        raise NotAllowed(_("Only organisers move delegates."))
    now = now or utcnow()
    session, booking = _reload_locked(booking)
    if booking.status is not BookingStatus.WAITLISTED:
        raise InvalidState(_("This booking is not on the waiting list."))
    if booking.user is not None:
        _check_room_for_one_more(session, booking.user, allow_over_capacity)
    position = booking.waitlist_position
    _confirm(booking, now)
    db.session.flush()
    _close_gap(session, after=position or 0)
    # A correction of the attendance record once the session is under way tells nobody.
    _seat_taken(booking, promoted=True, notify=session.starts_at > now)
    return booking


def release_bookings(*, user: User, event: Event | None = None, now: datetime | None = None) -> list[Booking]:
    """Cancel the user's bookings of sessions still to come (of one event, or all); each freed
    seat goes to the waiting list and its invited event is cancelled. Sessions are locked in
    id order so that two releases never wait for each other."""
    now = now or utcnow()
    query = (
        sa.select(Booking.id, Booking.session_id)
        .join(Booking.session)
        .where(
            Booking.user_id == user.id,
            Booking.status.in_(ACTIVE_BOOKING),
            ProgrammeSession.starts_at > now,
        )
        .order_by(Booking.session_id)
    )
    if event is not None:
        query = query.where(ProgrammeSession.event_id == event.id)
    released = []
    for booking_id, _session_id in db.session.execute(query).all():
        booking = db.session.get(Booking, booking_id)
        session, booking = _reload_locked(booking)
        if booking.status in ACTIVE_BOOKING:
            held_seat = booking.status is BookingStatus.CONFIRMED
            _release(booking, now, BookingEndReason.REGISTRATION)
            promote_waiting(session, now=now)
            released.append(booking)
            if held_seat:
                notifications.seat_ended(booking)
    return released


# --- reactions to the programme ----------------------------------------------------------------

def release_cancelled_session(session: ProgrammeSession, *, now: datetime | None = None) -> list[Booking]:
    """A cancelled session lets everyone go (seats and waiting list); each is told."""
    now = now or utcnow()
    session = lock_session(session)
    bookings = _active_bookings(session)
    for booking in bookings:
        _end(booking, now, BookingEndReason.SESSION_CANCELLED)
    db.session.flush()
    for booking in bookings:
        notifications.session_cancelled(booking)
    return bookings


def ended_with_session(session: ProgrammeSession) -> list[Booking]:
    """The bookings its latest cancellation ended, in their original order: the seats as they
    were taken, then the waiting list as it stood."""
    latest = db.session.scalar(
        sa.select(sa.func.max(Booking.cancelled_at))
        .where(Booking.session_id == session.id, Booking.end_reason == BookingEndReason.SESSION_CANCELLED)
    )
    if latest is None:
        return []
    return list(db.session.scalars(
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.CANCELLED,
               Booking.end_reason == BookingEndReason.SESSION_CANCELLED, Booking.cancelled_at == latest,
               Booking.ended_as.is_not(None))
        .order_by(sa.case((Booking.ended_as == BookingStatus.CONFIRMED, 0), else_=1),
                  Booking.confirmed_at, Booking.ended_position, Booking.id)
        .options(joinedload(Booking.user))
    ))


def give_back_bookings(session: ProgrammeSession, *, now: datetime | None = None) -> list[Booking]:
    """A restored session gives the bookings its cancellation ended back, in their original
    order and within its capacity as it is now: seats while there are seats, then places on the
    waiting list. Delegates no longer registered for the event are left out. Each is told."""
    now = now or utcnow()
    session = lock_session(session)
    capacity = session.effective_capacity
    seats, waiting = seat_counts(session)
    ended = ended_with_session(session)
    registered = set(db.session.scalars(
        sa.select(Registration.user_id).where(
            Registration.event_id == session.event_id, Registration.status == RegistrationStatus.APPROVED,
            Registration.user_id.in_([b.user_id for b in ended if b.user_id is not None]))
    ))
    given = []
    for booking in ended:
        if booking.user_id not in registered:
            continue
        if capacity is None or (seats < capacity and not waiting):
            _confirm(booking, now)
            seats += 1
        else:
            _taken_up(booking, now)
            waiting += 1
            booking.set_status(BookingStatus.WAITLISTED)
            booking.waitlist_position = waiting
            booking.confirmed_at = None
        given.append(booking)
    db.session.flush()
    for booking in given:
        if booking.status is BookingStatus.CONFIRMED:
            signals.booking_confirmed.send(current_app._get_current_object(), booking=booking)
        notifications.session_restored(booking)
    return given


def _active_bookings(session: ProgrammeSession) -> Sequence[Booking]:
    return db.session.scalars(
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.status.in_(ACTIVE_BOOKING))
        .order_by(Booking.id)
        .execution_options(populate_existing=True)
    ).all()


def session_changed(session: ProgrammeSession, changes: dict[str, Any], *, now: datetime | None = None) -> list[Booking]:
    """After a change: tell booked delegates about a new time or place; more seats promote."""
    session = lock_session(session)
    if session.is_cancelled:
        return []
    if TIME_AND_PLACE & set(changes):
        for booking in _active_bookings(session):
            notifications.session_moved(booking, changes)
    return promote_waiting(session, now=now)


def _kept_seats(event: Event, now: datetime) -> Sequence[Booking]:
    """The seats held in the event's sessions still to come, not cancelled, in id order."""
    return db.session.scalars(
        sa.select(Booking)
        .join(Booking.session)
        .where(ProgrammeSession.event_id == event.id, ProgrammeSession.starts_at > now,
               ProgrammeSession.status != SessionStatus.CANCELLED,
               Booking.status == BookingStatus.CONFIRMED, Booking.user_id.is_not(None))
        .order_by(Booking.id)
    ).all()


def event_visibility_changed(event: Event, *, published: bool, now: datetime | None = None) -> list[Booking]:
    """An event left the published programme (or came back): the seats in its sessions to come
    are kept, but each delegate's calendar drops the event (or gets it again), so each such
    booking counts a revision (a higher SEQUENCE) and its delegate is sent the cancellation
    (or a new invitation)."""
    now = now or utcnow()
    seats = _kept_seats(event, now)
    for booking in seats:
        booking.revision += 1
        booking.updated_at = now
    db.session.flush()
    for booking in seats:
        if published:
            notifications.event_republished(booking)
        else:
            notifications.event_withdrawn(booking)
    return list(seats)


def room_capacity_changed(room: Room, *, now: datetime | None = None) -> list[Booking]:
    """A room took a new capacity: the sessions still to come that use the room's capacity
    give any new seats to their waiting lists. Sessions are locked in id order, as in
    release_bookings, so that two such changes never wait for each other."""
    now = now or utcnow()
    session_ids = db.session.scalars(
        sa.select(ProgrammeSession.id)
        .where(
            ProgrammeSession.room_id == room.id,
            ProgrammeSession.capacity.is_(None),
            ProgrammeSession.status != SessionStatus.CANCELLED,
            ProgrammeSession.starts_at > now,
            sa.exists().where(Booking.session_id == ProgrammeSession.id, Booking.status == BookingStatus.WAITLISTED),
        )
        .order_by(ProgrammeSession.id)
    ).all()
    promoted = []
    for session_id in session_ids:
        promoted += promote_waiting(lock_session(db.session.get(ProgrammeSession, session_id)), now=now)
    return promoted
