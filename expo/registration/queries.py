"""Read-side queries for registrations and bookings, each page in a fixed number of queries."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from expo.accounts.models import User
from expo.events.models import Event, RegistrationMode
from expo.core.extensions import db
from expo.people.models import Network, Organisation
from expo.programme.models import ProgrammeSession
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import to_local, utcnow
from expo.venues.models import Room
from expo.core.i18n import by_name, reader_language
from expo.core.tables import Column, Table, joined, name_ranks, remembered
from expo.people.countries import by_country_name


# --- the booking controls of one session -------------------------------------------------------

@dataclass
class BookingState:
    """What the booking controls of one session show to one person."""

    session: ProgrammeSession
    booking: Booking | None
    registration: Registration | None
    confirmed: int
    waiting: int
    now: datetime

    @property
    def capacity(self) -> int | None:
        return self.session.effective_capacity

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.confirmed, 0)

    @property
    def is_full(self) -> bool:
        """No seat to book: all taken, or people wait for the next one (as in book_session)."""
        return self.capacity is not None and (self.confirmed >= self.capacity or self.waiting > 0)

    @property
    def is_booked(self) -> bool:
        return self.booking is not None and self.booking.status is BookingStatus.CONFIRMED

    @property
    def is_waiting(self) -> bool:
        return self.booking is not None and self.booking.status is BookingStatus.WAITLISTED

    @property
    def position(self) -> int | None:
        return self.booking.waitlist_position if self.is_waiting else None

    @property
    def has_started(self) -> bool:
        return self.session.starts_at <= self.now

    @property
    def is_registered(self) -> bool:
        return self.registration is not None and self.registration.status is RegistrationStatus.APPROVED

    @property
    def is_pending(self) -> bool:
        return self.registration is not None and self.registration.status is RegistrationStatus.PENDING

    @property
    def can_book(self) -> bool:
        return self.is_registered and not self.has_started and not self.session.is_cancelled


@dataclass
class _EventStates:
    """One event's booking states for one reader, filled in as a page asks for them."""

    bookings: dict[int, Booking]
    registration: Registration | None
    now: datetime
    confirmed: dict[int, int] = field(default_factory=dict)
    waiting: dict[int, int] = field(default_factory=dict)
    counted: set[int] = field(default_factory=set)

    def count(self, session_ids: Iterable[int]) -> None:
        """Seat counts of these sessions (one query), for those not counted yet."""
        missing = set(session_ids) - self.counted
        if not missing:
            return
        rows = db.session.execute(
            sa.select(Booking.session_id, Booking.status, sa.func.count(Booking.id))
            .where(Booking.session_id.in_(sorted(missing)), Booking.status != BookingStatus.CANCELLED)
            .group_by(Booking.session_id, Booking.status)
        ).all()
        for session_id, status, number in rows:
            (self.confirmed if status is BookingStatus.CONFIRMED else self.waiting)[session_id] = number
        self.counted |= missing


def _event_states(event_id: int, user: Any) -> _EventStates:
    cache: dict[int, _EventStates] = g.setdefault("_expo_booking_states", {})
    states = cache.get(event_id)
    if states is None:
        states = cache[event_id] = _load_event_states(event_id, user)
    return states


def preload_booking_states(sessions: Iterable[ProgrammeSession], user: Any) -> None:
    """Count the seats of every session a page lists at once, so that the booking controls of
    its rows cost a fixed number of queries: counts of those sessions only (never the whole
    event's thousands of bookings), the reader's bookings and registration once per event."""
    by_event: dict[int, list[int]] = defaultdict(list)
    for session in sessions:
        by_event[session.event_id].append(session.id)
    for event_id, ids in by_event.items():
        _event_states(event_id, user).count(ids)


def reader_registration(event_id: int, user: Any) -> Registration | None:
    """The reader's registration for the event, from what the page's booking controls load
    (no query of its own once they have)."""
    return _event_states(event_id, user).registration


def booking_state(session: ProgrammeSession, user: Any) -> BookingState:
    """The booking state of ``session`` for ``user``: from what ``preload_booking_states``
    loaded for the page, else counted for this one session."""
    states = _event_states(session.event_id, user)
    states.count([session.id])
    return BookingState(
        session=session,
        booking=states.bookings.get(session.id),
        registration=states.registration,
        confirmed=states.confirmed.get(session.id, 0),
        waiting=states.waiting.get(session.id, 0),
        now=states.now,
    )


def _load_event_states(event_id: int, user: Any) -> _EventStates:
    bookings: dict[int, Booking] = {}
    registration = None
    if getattr(user, "is_authenticated", False):
        bookings = {
            b.session_id: b
            for b in db.session.scalars(
                sa.select(Booking)
                .join(Booking.session)
                .where(ProgrammeSession.event_id == event_id, Booking.user_id == user.id,
                       Booking.status != BookingStatus.CANCELLED)
            )
        }
        registration = db.session.scalar(
            sa.select(Registration).where(Registration.event_id == event_id, Registration.user_id == user.id)
        )
    return _EventStates(bookings=bookings, registration=registration, now=utcnow())


# --- the personal agenda -------------------------------------------------------------------------

@dataclass
class AgendaItem:
    booking: Booking
    clashes: list[Booking] = field(default_factory=list)

    @property
    def session(self) -> ProgrammeSession:
        return self.booking.session


@dataclass
class AgendaDay:
    day: date
    timezone: str
    items: list[AgendaItem]


def agenda(user: User) -> list[AgendaDay]:
    """The user's active bookings by local day, each with the bookings it overlaps."""
    bookings = list(
        db.session.scalars(
            sa.select(Booking)
            .join(Booking.session)
            .where(Booking.user_id == user.id, Booking.status != BookingStatus.CANCELLED)
            .options(
                joinedload(Booking.session).joinedload(ProgrammeSession.event),
                joinedload(Booking.session).joinedload(ProgrammeSession.room).joinedload(Room.venue),
            )
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.title)
        ).unique()
    )
    items = [AgendaItem(b) for b in bookings]
    live = [i for i in items if not i.session.is_cancelled]
    for index, item in enumerate(live):
        for other in live[index + 1:]:
            if other.session.starts_at >= item.session.ends_at:
                break
            item.clashes.append(other.booking)
            other.clashes.append(item.booking)
    days: dict[tuple[date, str], list[AgendaItem]] = defaultdict(list)
    for item in items:
        tz = item.session.event.timezone
        days[(to_local(item.session.starts_at, tz).date(), tz)].append(item)
    return [AgendaDay(day=day, timezone=tz, items=day_items) for (day, tz), day_items in days.items()]


def my_registrations(user: User) -> list[Registration]:
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.user_id == user.id)
            .options(joinedload(Registration.event))
            .join(Registration.event)
            .order_by(Event.starts_on, Event.name)
        )
    )


def open_events(user: User) -> list[Event]:
    """Published events that take registrations and this user has not registered for."""
    mine = sa.select(Registration.event_id).where(Registration.user_id == user.id)
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.is_published.is_(True), Event.registration_mode != RegistrationMode.CLOSED, Event.id.not_in(mine),
                   Event.ends_on >= utcnow().date())
            .order_by(Event.starts_on, Event.name)
        )
    )


# --- organiser lists --------------------------------------------------------------------------------

@dataclass
class PeopleFilter:
    """Filters shared by the organiser lists of registrations and bookings."""

    status: str | None = None
    country: str | None = None
    network_id: int | None = None
    organisation_id: int | None = None
    q: str | None = None

    def apply(self, query: sa.Select, status_column: Any, person: Any) -> sa.Select:
        """The query narrowed to the matches; it reads the people (along ``person``) only when a
        filter asks about them, so that counting all of a list's rows reads the list alone."""
        if self.status:
            query = query.where(status_column == self.status)
        if self.country or self.organisation_id or self.network_id or (self.q and self.q.strip()):
            query = joined(query, person)
        if self.country:
            query = query.where(User.country_code == self.country)
        if self.organisation_id:
            query = query.where(User.organisation_id == self.organisation_id)
        if self.network_id:
            query = query.where(User.networks.any(Network.id == self.network_id))
        if self.q and self.q.strip():
            # Escaped: a "%" or "_" typed in the search box means itself, not any text.
            text = self.q.strip()
            query = query.where(sa.or_(User.name.icontains(text, autoescape=True),
                                       User.email.icontains(text, autoescape=True)))
        return query

    def as_args(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


# What the filters and sorts of registrations or bookings read besides them: the people (their
# names, addresses, countries, organisations and networks move the registrations' generation),
# networks and organisations (the schedule's).
_PEOPLE_GENERATIONS = ("registrations", "schedule")


def _person_options() -> list:
    return [
        joinedload(User.organisation),
        joinedload(User.country),
        selectinload(User.networks),
    ]


def _person_columns(person: Any) -> tuple[Column, ...]:
    """The columns about the person of each row (reached along ``person``), which a list
    joins only when sorted by one of them."""
    to_person = ((person, False),)
    organisations = name_ranks(Organisation.id, Organisation.name, "organisation_ranks")
    return (
        Column("name", _l("Name"), by_name(User.name), joins=to_person),
        Column("organisation", _l("Organisation"), organisations.c.rank,
               joins=(*to_person, (organisations, True, organisations.c.id == User.organisation_id))),
        Column("country", _l("Country"), by_country_name(User.country_code), joins=to_person),
        Column("networks", _l("Networks")),
        Column("needs", _l("Needs")),
    )


def registrations_table() -> Table:
    """The columns of an event's registrations, sorted by the reader's language for names."""
    return Table(
        columns=(
            *_person_columns(Registration.user),
            Column("status", _l("Status"), Registration.status),
            Column("registered", _l("Registered"), Registration.created_at),
        ),
        key=Registration.id,
        default_sort="registered",
        options=(joinedload(Registration.user).options(*_person_options()),),
        depends_on=_PEOPLE_GENERATIONS,
    )


def event_registrations(event: Event, filters: PeopleFilter) -> sa.Select:
    """The event's registrations that match (of accounts that still exist), for a table."""
    query = sa.select(Registration).where(Registration.event_id == event.id, Registration.user_id.is_not(None))
    return filters.apply(query, Registration.status, Registration.user)


def registration_counts(event: Event) -> dict[str, int]:
    """The event's registrations by status (remembered until registrations change)."""
    def count() -> dict[str, int]:
        rows = db.session.execute(
            sa.select(Registration.status, sa.func.count(Registration.id))
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
        return {str(status): count for status, count in rows}

    return remembered("statuses", event.id, ("registrations",), count)


def bookings_table(*, with_session: bool = False) -> Table:
    """The columns of a session's bookings (confirmed first, then the waiting list in order);
    ``with_session`` adds the session, for the bookings of a whole event."""
    waiting_order = sa.case(
        (Booking.status == BookingStatus.CONFIRMED, 0), (Booking.status == BookingStatus.WAITLISTED, 1), else_=2
    )
    session_columns = (
        (Column("session", _l("Session"), (ProgrammeSession.starts_at, ProgrammeSession.id, waiting_order,
                                            Booking.waitlist_position), joins=((Booking.session, False),)),)
        if with_session else ()
    )
    return Table(
        columns=(
            *session_columns,
            *_person_columns(Booking.user),
            Column("status", _l("Status"), (waiting_order, Booking.waitlist_position)),
            Column("booked", _l("Booked"), Booking.created_at),
        ),
        key=Booking.id,
        default_sort="session" if with_session else "status",
        options=(joinedload(Booking.user).options(*_person_options()), joinedload(Booking.session)),
        depends_on=("bookings", *_PEOPLE_GENERATIONS),
    )


def session_bookings(session: ProgrammeSession, filters: PeopleFilter) -> sa.Select:
    """The session's bookings that match (of accounts that still exist), for a table."""
    query = sa.select(Booking).where(Booking.session_id == session.id, Booking.user_id.is_not(None))
    return filters.apply(query, Booking.status, Booking.user)


def event_bookings(event: Event, filters: PeopleFilter) -> sa.Select:
    """Every booking in the event's sessions that matches, for the export."""
    query = (
        sa.select(Booking)
        .join(Booking.session)
        .where(ProgrammeSession.event_id == event.id, Booking.user_id.is_not(None))
    )
    return filters.apply(query, Booking.status, Booking.user)


def filter_choices() -> dict[str, list[tuple[Any, str]]]:
    """Countries, networks and organisations that delegates actually belong to, in the reader's
    language and order (remembered until people, networks or organisations change)."""
    return remembered("choices", reader_language(), _PEOPLE_GENERATIONS, _filter_choices)


def _filter_choices() -> dict[str, list[tuple[Any, str]]]:
    from expo.people.countries import named_countries
    from expo.people.models import Country

    countries = named_countries(db.session.execute(
        sa.select(Country.code, Country.name).where(Country.code.in_(sa.select(User.country_code)))
    ))
    networks = db.session.execute(sa.select(Network.id, Network.name).order_by(by_name(Network.name))).all()
    organisations = db.session.execute(
        sa.select(Organisation.id, Organisation.name).order_by(by_name(Organisation.name))
    ).all()
    return {
        "countries": countries,
        "networks": [tuple(r) for r in networks],
        "organisations": [tuple(r) for r in organisations],
    }
