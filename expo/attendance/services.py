"""Attendance at the door: who is expected in a session, who came, and check-in itself.

Rules kept here (and tested in tests/attendance/test_services.py):

* A delegate with a confirmed booking is checked in with one tap, by QR code (their
  ``badge_token``) or by typing their short ``badge_code``. Checking in twice counts once.
* A walk-in is a delegate with an approved registration for the event but no confirmed
  booking. They take a free seat when there is one: a confirmed booking is made for them
  at the very instant of the check-in (``Booking.confirmed_at == CheckIn.checked_in_at``),
  which is how undo knows to take that seat back. With no free seat they are let in
  standing (a check-in without a booking, ``is_walk_in`` and ``is_standing``).
* A delegate on the waiting list is refused at normal check-in: the next free seat
  belongs to the first in line and the booking service gives it to them. Staff may still
  let a waiting delegate in standing (a walk-in that never takes a seat).
* Undo removes the check-in, and a walk-in's seat with it.
* Someone let in standing who is later given a seat (the waiting list moves up, an
  organiser adds them) has their check-in moved onto that booking: they came, and sit.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from expo.accounts.models import User, user_networks
from expo.attendance.models import CheckIn
from expo.core.errors import Conflict, InvalidState, NotAllowed
from expo.core.i18n import sort_key
from expo.core.text import fold, folded
from expo.events.models import Event
from expo.people.countries import codes_named, country_search_words
from expo.people.models import Country, Network, Organisation
from expo.core.extensions import db
from expo.permissions import can_check_in, can_view_attendance, can_view_event
from expo.programme.models import ProgrammeSession
from expo.registration.models import Booking, BookingEndReason, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import local_day_bounds, to_local, utcnow
from expo.venues.models import Room


class CheckInRefused(InvalidState):
    """The person cannot be checked in as asked; ``reason`` says why, for the door screen.

    ``user`` is set when the code was known, and ``walk_in`` says whether staff may let
    them in as a walk-in instead."""

    def __init__(self, message: str, *, reason: str, user: User | None = None,
                 walk_in: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.user = user
        self.walk_in = walk_in


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    # False when the person was already checked in (another tap, another phone).
    created: bool

    @property
    def took_seat(self) -> bool:
        return self.check_in.booking_id is not None

    @property
    def is_standing(self) -> bool:
        return self.check_in.is_standing


@dataclass(frozen=True)
class AttendanceCounts:
    booked: int
    waitlisted: int
    checked_in: int
    standing: int
    capacity: int | None

    @property
    def free(self) -> int | None:
        """Seats nobody has booked yet (None when the session has no limit)."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.booked, 0)

    def as_dict(self) -> dict[str, int | None]:
        return {
            "booked": self.booked,
            "waitlisted": self.waitlisted,
            "checked_in": self.checked_in,
            "standing": self.standing,
            "capacity": self.capacity,
            "free": self.free,
        }


BOOKED, WAITLIST, WALK_IN = "booked", "waitlist", "walk_in"
# Found by a search among the event's registrants, not on the list: they may walk in.
REGISTERED = "registered"


@dataclass
class AttendanceRow:
    """One person on a session's door list."""

    user: User
    section: str  # BOOKED, WAITLIST, WALK_IN (checked in without a booking) or REGISTERED
    booking: Booking | None = None
    check_in: CheckIn | None = None

    @property
    def position(self) -> int | None:
        return self.booking.waitlist_position if self.booking is not None else None

    @property
    def is_checked_in(self) -> bool:
        return self.check_in is not None

    @property
    def is_walk_in(self) -> bool:
        """Came without a seat booked beforehand: standing, or a seat taken at the door."""
        if self.check_in is None:
            return False
        return self.check_in.is_walk_in or seat_taken_at_door(self.check_in)

    @property
    def networks(self) -> str:
        return ", ".join(n.label for n in self.user.networks)

    @property
    def search_text(self) -> str:
        """What search-as-you-type matches: name, organisation, country and networks."""
        user = self.user
        return search_text(
            user.name, user.email,
            user.organisation.name if user.organisation is not None else None,
            country_search_words(user.country.code, user.country.name) if user.country is not None else None,
            [part for n in user.networks for part in (n.name, n.acronym)],
        )


def search_text(name: str, email: str, organisation: str | None, country: str | None,
                networks: list[str | None]) -> str:
    """One person as the door search sees them, folded (lower case, no accents) as the door
    script folds what staff type, so that the browser and the server find the same people."""
    parts = [name, email.split("@")[0], organisation, country, *networks]
    return fold(" ".join(p for p in parts if p))


def search_terms(q: str | None) -> list[str]:
    """The words of a search, folded, each of which must appear somewhere in ``search_text``."""
    return fold(q or "").split()


def matches(text: str, terms: list[str]) -> bool:
    return all(term in text for term in terms)


@dataclass(frozen=True)
class DaySession:
    session: ProgrammeSession
    counts: AttendanceCounts


@dataclass
class DoorDay:
    day: date
    sessions: list[DaySession] = field(default_factory=list)
    # The nearest earlier and later local days that have sessions, to browse past events.
    earlier: date | None = None
    later: date | None = None


# --- reading ---------------------------------------------------------------------------------

def _counts_for(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """Booking and check-in tallies per session in two grouped queries."""
    tallies: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not session_ids:
        return tallies
    bookings = db.session.execute(
        sa.select(Booking.session_id, Booking.status, sa.func.count())
        .where(Booking.session_id.in_(session_ids), Booking.status != BookingStatus.CANCELLED)
        .group_by(Booking.session_id, Booking.status)
    )
    for session_id, status, number in bookings:
        tallies[session_id][str(status)] = number
    check_ins = db.session.execute(
        sa.select(
            CheckIn.session_id,
            sa.func.count(),
            sa.func.count().filter(CheckIn.is_standing.is_(True)),
        )
        .where(CheckIn.session_id.in_(session_ids))
        .group_by(CheckIn.session_id)
    )
    for session_id, number, standing in check_ins:
        tallies[session_id]["checked_in"] = number
        tallies[session_id]["standing"] = standing
    return tallies


def _counts(session: ProgrammeSession, tally: dict[str, int]) -> AttendanceCounts:
    return AttendanceCounts(
        booked=tally.get(BookingStatus.CONFIRMED.value, 0),
        waitlisted=tally.get(BookingStatus.WAITLISTED.value, 0),
        checked_in=tally.get("checked_in", 0),
        standing=tally.get("standing", 0),
        capacity=session.effective_capacity,
    )


def attendance_counts(session: ProgrammeSession) -> AttendanceCounts:
    """Booked, waiting, checked-in and standing numbers of one session, and its capacity."""
    return _counts(session, _counts_for([session.id])[session.id])


def door_day(*, day: date, tz: str, actor: Any) -> DoorDay:
    """The sessions held on a local day (in ``tz``) that the actor may see, with their counts."""
    start, end = local_day_bounds(day, tz)
    sessions = [
        s
        for s in db.session.scalars(
            sa.select(ProgrammeSession)
            .join(ProgrammeSession.event)
            .where(ProgrammeSession.starts_at >= start, ProgrammeSession.starts_at < end)
            .options(
                joinedload(ProgrammeSession.event),
                joinedload(ProgrammeSession.room).joinedload(Room.venue),
            )
            .order_by(ProgrammeSession.starts_at, Event.name, ProgrammeSession.title)
        )
        if can_view_event(actor, s.event) and can_view_attendance(actor, s)
    ]
    tallies = _counts_for([s.id for s in sessions])
    result = DoorDay(day=day, sessions=[DaySession(s, _counts(s, tallies[s.id])) for s in sessions])
    earlier = db.session.scalar(
        sa.select(sa.func.max(ProgrammeSession.starts_at)).where(ProgrammeSession.starts_at < start)
    )
    later = db.session.scalar(
        sa.select(sa.func.min(ProgrammeSession.starts_at)).where(ProgrammeSession.starts_at >= end)
    )
    result.earlier = to_local(earlier, tz).date() if earlier is not None else None
    result.later = to_local(later, tz).date() if later is not None else None
    return result


def load_session(session_id: int) -> ProgrammeSession | None:
    """A session with its event, room and venue, for the door pages."""
    return db.session.scalar(
        sa.select(ProgrammeSession)
        .where(ProgrammeSession.id == session_id)
        .options(
            joinedload(ProgrammeSession.event),
            joinedload(ProgrammeSession.room).joinedload(Room.venue),
        )
    )


def _user_options() -> list[Any]:
    return [
        joinedload(User.organisation),
        joinedload(User.country),
        selectinload(User.networks),
    ]


def attendance_rows(session: ProgrammeSession, *, q: str | None = None) -> list[AttendanceRow]:
    """The door list: confirmed delegates by name, then the waiting list in order, then
    walk-ins without any booking; ``q`` keeps the people whose name, organisation,
    country or networks contain each of its words. A fixed number of queries, however
    long the list."""
    bookings = list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.session_id == session.id, Booking.user_id.is_not(None))
            .options(joinedload(Booking.user).options(*_user_options()))
        ).unique()
    )
    check_ins = {
        ci.user_id: ci
        for ci in db.session.scalars(
            sa.select(CheckIn)
            .where(CheckIn.session_id == session.id, CheckIn.user_id.is_not(None))
            .options(
                joinedload(CheckIn.user).options(*_user_options()),
                joinedload(CheckIn.checked_in_by),
            )
        ).unique()
    }
    booked: list[AttendanceRow] = []
    waiting: list[AttendanceRow] = []
    for booking in bookings:
        assert booking.user is not None
        check_in = check_ins.pop(booking.user.id, None)
        if booking.status is BookingStatus.CONFIRMED:
            booked.append(AttendanceRow(booking.user, BOOKED, booking, check_in))
        elif booking.status is BookingStatus.WAITLISTED:
            waiting.append(AttendanceRow(booking.user, WAITLIST, booking, check_in))
        elif check_in is not None:  # cancelled, then came anyway
            check_ins[booking.user.id] = check_in
    walk_ins = [AttendanceRow(ci.user, WALK_IN, None, ci) for ci in check_ins.values() if ci.user]
    booked.sort(key=lambda r: (sort_key(r.user.name), r.user.id))
    waiting.sort(key=lambda r: (r.position or 0, r.user.id))
    walk_ins.sort(key=lambda r: (sort_key(r.user.name), r.user.id))
    rows = booked + waiting + walk_ins
    terms = search_terms(q)
    if terms:
        rows = [r for r in rows if matches(r.search_text, terms)]
    return rows


@dataclass
class DoorList:
    """The part of a session's door list a page shows: at most ``limit`` people per section
    (all when ``limit`` is None), and how many there are in each section in all."""

    rows: list[AttendanceRow]
    totals: dict[str, int]

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def is_partial(self) -> bool:
        return self.shown < self.total


def door_list(session: ProgrammeSession, *, q: str | None = None, limit: int | None = None) -> DoorList:
    """The door list as ``attendance_rows`` orders and searches it, but only the first
    ``limit`` people of each section are loaded in full: one light query (names, places and
    networks as one string per person) decides who is on the list, in which order, and who
    matches ``q``. A fixed number of queries, however long the list."""
    people = sa.union(
        sa.select(Booking.user_id.label("user_id")).where(Booking.session_id == session.id),
        sa.select(CheckIn.user_id.label("user_id")).where(CheckIn.session_id == session.id),
    ).subquery("people")
    booking = aliased(Booking)
    check_in = aliased(CheckIn)
    terms = search_terms(q)
    # Without a search only names and places decide the order: nothing else is read.
    searched = _searched_columns() if terms else [User.id, User.name, *(sa.null() for _ in range(5))]
    query = (
        sa.select(*searched, booking.status, booking.waitlist_position, check_in.id)
        .join(people, people.c.user_id == User.id)
        .outerjoin(booking, sa.and_(booking.user_id == User.id, booking.session_id == session.id))
        .outerjoin(check_in, sa.and_(check_in.user_id == User.id, check_in.session_id == session.id))
    )
    if terms:
        query = (query.outerjoin(Organisation, Organisation.id == User.organisation_id)
                 .outerjoin(Country, Country.code == User.country_code))
    sections: dict[str, list[tuple[Any, int]]] = {BOOKED: [], WAITLIST: [], WALK_IN: []}
    for user_id, name, email, organisation, country, network_names, code, status, position, ci_id \
            in db.session.execute(query):
        if status is BookingStatus.CONFIRMED:
            section, key = BOOKED, (sort_key(name), user_id)
        elif status is BookingStatus.WAITLISTED:
            section, key = WAITLIST, (position or 0, user_id)
        elif ci_id is not None:  # no booking, or cancelled and came anyway
            section, key = WALK_IN, (sort_key(name), user_id)
        else:
            continue
        if terms and not matches(
                search_text(name, email, organisation, country_search_words(code, country), [network_names]), terms):
            continue
        sections[section].append((key, user_id))
    chosen: list[tuple[str, int]] = []
    for section, entries in sections.items():
        entries.sort()
        chosen.extend((section, user_id) for _, user_id in entries[:limit])
    bookings, check_ins = _loaded_people(session, [user_id for _, user_id in chosen])
    rows = []
    for section, user_id in chosen:
        ci = check_ins.get(user_id)
        if section == WALK_IN:
            assert ci is not None and ci.user is not None
            rows.append(AttendanceRow(ci.user, WALK_IN, None, ci))
        else:
            b = bookings[user_id]
            assert b.user is not None
            rows.append(AttendanceRow(b.user, section, b, ci))
    return DoorList(rows, {section: len(entries) for section, entries in sections.items()})


def _searched_columns() -> list[Any]:
    """What the door search reads of a person: id, name, e-mail, organisation, country,
    networks (names and acronyms as one string) and, last, the country's code, which names it
    in the reader's language; the query joins Organisation and Country."""
    networks = (
        sa.select(sa.func.aggregate_strings(
            Network.name + " " + sa.func.coalesce(Network.acronym, ""), " "))
        .select_from(user_networks)
        .join(Network, Network.id == user_networks.c.network_id)
        .where(user_networks.c.user_id == User.id)
        .scalar_subquery()
    )
    return [User.id, User.name, User.email, Organisation.name, Country.name, networks, Country.code]


def _loaded_people(session: ProgrammeSession, ids: list[int]
                   ) -> tuple[dict[int, Booking], dict[int, CheckIn]]:
    """The bookings and check-ins of these people for the session, with all a row shows."""
    if not ids:
        return {}, {}
    bookings = {
        b.user_id: b
        for b in db.session.scalars(
            sa.select(Booking)
            .where(Booking.session_id == session.id, Booking.user_id.in_(ids))
            .options(joinedload(Booking.user).options(*_user_options()))
        ).unique()
    }
    check_ins = {
        ci.user_id: ci
        for ci in db.session.scalars(
            sa.select(CheckIn)
            .where(CheckIn.session_id == session.id, CheckIn.user_id.in_(ids))
            .options(joinedload(CheckIn.user).options(*_user_options()),
                     joinedload(CheckIn.checked_in_by))
        ).unique()
    }
    return bookings, check_ins


# Searches shorter than this do not look through everyone registered for the event.
CANDIDATE_MIN_LENGTH = 2


def walk_in_candidates(session: ProgrammeSession, *, q: str | None, limit: int
                       ) -> tuple[list[AttendanceRow], bool]:
    """People with an approved registration for the session's event who are not on its door
    list (no seat, no place on the waiting list, not checked in) and match ``q`` word by
    word: the first ``limit`` by name, and whether there are more. Staff find someone by
    name who forgot their badge and let them in. A fixed number of queries."""
    terms = search_terms(q)
    if sum(len(term) for term in terms) < CANDIDATE_MIN_LENGTH:
        return [], False
    on_list = sa.or_(
        sa.exists().where(Booking.session_id == session.id, Booking.user_id == User.id,
                          Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED))),
        sa.exists().where(CheckIn.session_id == session.id, CheckIn.user_id == User.id),
    )
    columns = _searched_columns()
    query = (
        sa.select(*columns)
        .join(Registration, Registration.user_id == User.id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(Country, Country.code == User.country_code)
        .where(Registration.event_id == session.event_id,
               Registration.status == RegistrationStatus.APPROVED, ~on_list)
    )
    # The database narrows by each folded word; the exact, word-by-word match across the
    # columns is then made here as for the list itself.
    # A country is also found by its name in the reader's language: the codes so named.
    searched = [folded(column) for column in columns[1:-1]]
    for term in terms:
        named = [User.country_code.in_(codes)] if (codes := codes_named(term)) else []
        query = query.where(sa.or_(*(c.contains(term, autoescape=True) for c in searched), *named))
    found = sorted(
        (sort_key(name), user_id)
        for user_id, name, email, organisation, country, networks, code in db.session.execute(query)
        if matches(search_text(name, email, organisation, country_search_words(code, country), [networks]), terms)
    )
    ids = [user_id for _, user_id in found[:limit]]
    users = {
        u.id: u
        for u in db.session.scalars(
            sa.select(User).where(User.id.in_(ids)).options(*_user_options())
        ).unique()
    } if ids else {}
    return [AttendanceRow(users[user_id], REGISTERED) for user_id in ids], len(found) > limit


def row_for(session: ProgrammeSession, user: User) -> AttendanceRow | None:
    """One person's line on the door list (None when they are not on it)."""
    booking = db.session.scalar(
        sa.select(Booking).where(Booking.session_id == session.id, Booking.user_id == user.id)
    )
    check_in = _existing_check_in(session, user)
    if booking is not None and booking.status is BookingStatus.CONFIRMED:
        return AttendanceRow(user, BOOKED, booking, check_in)
    if booking is not None and booking.status is BookingStatus.WAITLISTED:
        return AttendanceRow(user, WAITLIST, booking, check_in)
    if check_in is not None:
        return AttendanceRow(user, WALK_IN, None, check_in)
    return None


def is_held_today(session: ProgrammeSession, *, now: datetime) -> bool:
    """Whether one of the session's local days (in its event's time zone) is today.

    Check-ins on other days are allowed, as organisers fill in afterwards who came, but
    the door says so: staff on the wrong session's page would count people who are not there."""
    tz = session.event.timezone
    today = to_local(now, tz).date()
    return to_local(session.starts_at, tz).date() <= today <= to_local(session.ends_at, tz).date()


def checked_in_user_ids(session: ProgrammeSession) -> list[int]:
    """Who is in, for phones that keep their list in step with each other."""
    return sorted(
        db.session.scalars(
            sa.select(CheckIn.user_id).where(
                CheckIn.session_id == session.id, CheckIn.user_id.is_not(None)
            )
        )
    )


# --- looking people up -----------------------------------------------------------------------

def normalise_code(raw: str) -> str:
    """A typed badge code without spaces or dashes, in capitals; a scanned token as is.

    A QR code may hold the bare token or a link ending in it."""
    text = (raw or "").strip()
    if "/" in text:
        text = text.rstrip("/").rsplit("/", 1)[-1]
    if len(text) <= 12:
        text = "".join(ch for ch in text if ch.isalnum()).upper()
    return text


def find_by_code(raw: str) -> User | None:
    """The person whose badge code (typed) or badge token (scanned) this is."""
    code = normalise_code(raw)
    if not code:
        return None
    column = User.badge_code if len(code) <= 12 else User.badge_token
    return db.session.scalar(sa.select(User).where(column == code))


def _is_registered(event: Event, user: User) -> bool:
    return (
        db.session.scalar(
            sa.select(Registration.id).where(
                Registration.event_id == event.id,
                Registration.user_id == user.id,
                Registration.status == RegistrationStatus.APPROVED,
            )
        )
        is not None
    )


def walk_in_candidate(session: ProgrammeSession, user_id: int) -> User | None:
    """A person with an approved registration for the session's event (else None)."""
    user = db.session.get(User, user_id)
    return user if user is not None and _is_registered(session.event, user) else None


def _booking(session: ProgrammeSession, user: User, *, lock: bool = False) -> Booking | None:
    query = sa.select(Booking).where(Booking.session_id == session.id, Booking.user_id == user.id)
    if lock:
        query = query.execution_options(populate_existing=True)
    return db.session.scalar(query)


def _existing_check_in(session: ProgrammeSession, user: User) -> CheckIn | None:
    return db.session.scalar(
        sa.select(CheckIn)
        .where(CheckIn.session_id == session.id, CheckIn.user_id == user.id)
        .execution_options(populate_existing=True)
    )


def _overlapping_booking(session: ProgrammeSession, user: User) -> Booking | None:
    """A confirmed booking of the same person for another session at the same time."""
    return db.session.scalar(
        sa.select(Booking)
        .join(Booking.session)
        .where(
            Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.session_id != session.id,
            ProgrammeSession.starts_at < session.ends_at,
            ProgrammeSession.ends_at > session.starts_at,
        )
        .options(joinedload(Booking.session).joinedload(ProgrammeSession.room).joinedload(Room.venue))
        .order_by(ProgrammeSession.starts_at)
        .limit(1)
    )


def _place(session: ProgrammeSession) -> str:
    return session.room.label if session.room is not None else _("online")


# --- changing --------------------------------------------------------------------------------

def _authorise(session: ProgrammeSession, actor: Any) -> None:
    if not can_check_in(actor, session):
        raise NotAllowed(_("Only staff can check people in."))
    if session.is_cancelled:
        raise CheckInRefused(_("This session is cancelled."), reason="session_cancelled")


def _insert_check_in(session: ProgrammeSession, user: User, actor: Any, *,
                     booking: Booking | None, standing: bool = False,
                     at: datetime | None = None) -> CheckInResult:
    """Insert the check-in; if another phone got there first, return theirs."""
    check_in = CheckIn(
        session_id=session.id,
        user_id=user.id,
        booking_id=booking.id if booking is not None else None,
        is_walk_in=booking is None,
        is_standing=standing,
        checked_in_at=at or utcnow(),
        checked_in_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(check_in)
    except IntegrityError:
        # Two phones scanned the same badge at once: the unique (session, user) row won.
        existing = _existing_check_in(session, user)
        if existing is None:
            raise
        return CheckInResult(existing, created=False)
    return CheckInResult(check_in, created=True)


def check_in(*, session: ProgrammeSession, user: User, actor: Any) -> CheckInResult:
    """Check a delegate with a confirmed booking in; a second check-in returns the first."""
    _authorise(session, actor)
    existing = _existing_check_in(session, user)
    if existing is not None:
        return CheckInResult(existing, created=False)
    booking = _booking(session, user)
    if booking is None or booking.status is not BookingStatus.CONFIRMED:
        raise _refusal(session, user, booking)
    return _insert_check_in(session, user, actor, booking=booking)


def _refusal(session: ProgrammeSession, user: User, booking: Booking | None) -> CheckInRefused:
    """Why this person has no seat here, in words for the door."""
    if booking is not None and booking.status is BookingStatus.WAITLISTED:
        return CheckInRefused(
            _("%(name)s is on the waiting list (number %(position)s), not booked. "
              "They may come in standing.", name=user.name, position=booking.waitlist_position),
            reason="waitlisted", user=user, walk_in=True,
        )
    if not _is_registered(session.event, user):
        return CheckInRefused(
            _("%(name)s is not registered for this event.", name=user.name),
            reason="not_registered", user=user,
        )
    other = _overlapping_booking(session, user)
    if other is not None:
        return CheckInRefused(
            _("%(name)s is booked for another session: %(title)s (%(place)s).",
              name=user.name, title=other.session.title, place=_place(other.session)),
            reason="other_session", user=user, walk_in=True,
        )
    return CheckInRefused(
        _("%(name)s has not booked this session.", name=user.name),
        reason="not_booked", user=user, walk_in=True,
    )


def check_in_by_code(*, session: ProgrammeSession, code: str, actor: Any) -> CheckInResult:
    """Check in whoever the scanned token or typed badge code belongs to."""
    _authorise(session, actor)
    user = find_by_code(code)
    if user is None:
        raise CheckInRefused(_("Unknown code."), reason="unknown")
    return check_in(session=session, user=user, actor=actor)


def _lock_session(session: ProgrammeSession) -> None:
    """Serialise seat-taking on this session (a row lock on PostgreSQL; SQLite has one writer)."""
    db.session.execute(
        sa.select(ProgrammeSession.id).where(ProgrammeSession.id == session.id).with_for_update()
    )


def _confirmed_count(session: ProgrammeSession) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Booking)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
    ) or 0


def walk_in(*, session: ProgrammeSession, user: User, actor: Any) -> CheckInResult:
    """Let a registered delegate in without a booking: a free seat if any, else standing.

    A delegate who has a confirmed booking is simply checked in; one on the waiting list
    only ever comes in standing (free seats go to the first in line)."""
    _authorise(session, actor)
    _lock_session(session)
    existing = _existing_check_in(session, user)
    if existing is not None:
        return CheckInResult(existing, created=False)
    booking = _booking(session, user, lock=True)
    if booking is not None and booking.status is BookingStatus.CONFIRMED:
        return _insert_check_in(session, user, actor, booking=booking)
    if not _is_registered(session.event, user):
        raise CheckInRefused(
            _("%(name)s is not registered for this event.", name=user.name),
            reason="not_registered", user=user,
        )
    now = utcnow()
    waiting = booking is not None and booking.status is BookingStatus.WAITLISTED
    capacity = session.effective_capacity
    seat_free = capacity is None or _confirmed_count(session) < capacity
    if waiting or not seat_free:
        return _insert_check_in(session, user, actor, booking=None, standing=True, at=now)
    try:
        with db.session.begin_nested():
            if booking is None:
                booking = Booking(session_id=session.id, user_id=user.id, created_at=now)
                db.session.add(booking)
            booking.set_status(BookingStatus.CONFIRMED)
            booking.waitlist_position = None
            booking.confirmed_at = now
            booking.cancelled_at = None
            booking.updated_at = now
    except IntegrityError:
        raise Conflict(_("Someone booked for %(name)s at the same moment. Please try again.",
                         name=user.name)) from None
    return _insert_check_in(session, user, actor, booking=booking, at=now)


# Someone's check-in to a session without a seat; built once, as every booking asks it.
_INSIDE_WITHOUT_SEAT = sa.select(CheckIn).where(
    CheckIn.session_id == sa.bindparam("session_id"), CheckIn.user_id == sa.bindparam("user_id"),
    CheckIn.booking_id.is_(None),
)


def seat_check_in(booking: Booking) -> CheckIn | None:
    """When a booking is confirmed for someone already inside without one (let in standing
    from the waiting list, or a walk-in who found no seat), their check-in becomes the
    check-in of that seat: they no longer stand, and they are not a no-show."""
    if booking.status is not BookingStatus.CONFIRMED or booking.user_id is None:
        return None
    check_in = db.session.scalar(_INSIDE_WITHOUT_SEAT, {"session_id": booking.session_id, "user_id": booking.user_id})
    if check_in is None:
        return None
    check_in.booking_id = booking.id
    check_in.is_walk_in = False
    check_in.is_standing = False
    db.session.flush()
    return check_in


def seat_taken_at_door(check_in: CheckIn) -> bool:
    """The seat was taken at the door: its booking was confirmed at the check-in instant."""
    booking = check_in.booking
    return booking is not None and booking.confirmed_at == check_in.checked_in_at


def undo_check_in(*, session: ProgrammeSession, user: User, actor: Any) -> bool:
    """Take a check-in back (and a walk-in's seat); False when there was nothing to undo."""
    if not can_check_in(actor, session):
        raise NotAllowed(_("Only staff can check people in."))
    _lock_session(session)
    check_in = _existing_check_in(session, user)
    if check_in is None:
        return False
    booking = check_in.booking if seat_taken_at_door(check_in) else None
    db.session.delete(check_in)
    db.session.flush()
    if booking is not None:
        if booking.created_at == booking.confirmed_at:
            db.session.delete(booking)
        else:  # a cancelled booking revived at the door goes back to cancelled
            now = utcnow()
            booking.set_status(BookingStatus.CANCELLED)
            # Back to why it ended before the door revived it (kept meanwhile), if Expo knew.
            booking.end_reason = booking.end_reason or BookingEndReason.CHECK_IN_UNDONE
            booking.cancelled_at = now
            booking.updated_at = now
        db.session.flush()
    return True
