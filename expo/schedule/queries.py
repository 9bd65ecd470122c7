"""Read-side queries for the public schedule: every page loads what it shows in a fixed
number of statements, whatever the size of the programme."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload, selectinload

from expo.accounts.models import User, user_networks
from expo.core.db import contains_text
from expo.events.models import MAX_EVENT_DAYS, Event, Track
from expo.core.extensions import db
from expo.permissions import visible_events_clause
from expo.people.models import Country, Network
from expo.programme.models import (
    ProgrammeSession,
    Release,
    SessionChange,
    SessionKind,
    SessionRole,
    session_networks,
)
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import local_day_bounds, to_local
from expo.venues.models import Room, Venue
from expo.core.i18n import by_name

# Longest text search accepted, in characters.
SEARCH_MAX_LENGTH = 100

# The event page lists every session of an event this small on one page; a larger event is
# shown one local day at a time.
SMALL_EVENT_SESSIONS = 60

# Most sessions one list page shows (a day, or a search across days); past this the page asks
# the visitor to refine the search or pick a day.
LIST_LIMIT = 100


@dataclass(frozen=True)
class SessionFilters:
    """What a visitor narrowed the list to; None means "any"."""

    track_id: int | None = None
    kind: SessionKind | None = None
    venue_slug: str | None = None
    network_slug: str | None = None
    language: str | None = None
    text: str | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in vars(self).values())


def _listing_options() -> tuple[Any, ...]:
    return (
        joinedload(ProgrammeSession.room).joinedload(Room.venue),
        joinedload(ProgrammeSession.track),
        selectinload(ProgrammeSession.roles).joinedload(SessionRole.user),
        selectinload(ProgrammeSession.networks),
    )


def _visible_events(user: Any) -> sa.ColumnElement[bool]:
    """Published events for everyone; administrators and an event's team also see its draft."""
    return visible_events_clause(user)


def event_by_slug(slug: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def _speaker_matches(text: str, event_id: int) -> sa.ColumnElement[bool]:
    """The session has a person in a role whose name contains ``text``. Only the names of the
    event's sessions' people are looked at: each role's name is fetched by key in a correlated
    subquery, so no database plans a scan of every user's name (which a join invites)."""
    in_event = aliased(ProgrammeSession)
    name = sa.select(User.name).where(User.id == SessionRole.user_id).scalar_subquery()
    return ProgrammeSession.id.in_(
        sa.select(SessionRole.session_id)
        .join(in_event, in_event.id == SessionRole.session_id)
        .where(in_event.event_id == event_id, contains_text(text, name))
    )


def event_sessions(
    event: Event,
    filters: SessionFilters = SessionFilters(),
    *,
    day: date | None = None,
    limit: int | None = None,
) -> list[ProgrammeSession]:
    """The event's sessions narrowed by ``filters`` (and to one local ``day`` if given), in time
    order, with what a list shows; at most ``limit`` of them."""
    query = sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
    if day is not None:
        start, end = local_day_bounds(day, event.timezone)
        query = query.where(ProgrammeSession.starts_at >= start, ProgrammeSession.starts_at < end)
    if filters.track_id is not None:
        query = query.where(ProgrammeSession.track_id == filters.track_id)
    if filters.kind is not None:
        query = query.where(ProgrammeSession.kind == filters.kind)
    if filters.venue_slug is not None:
        query = query.where(ProgrammeSession.room.has(Room.venue.has(Venue.slug == filters.venue_slug)))
    if filters.network_slug is not None:
        query = query.where(ProgrammeSession.networks.any(Network.slug == filters.network_slug))
    if filters.language is not None:
        query = query.where(ProgrammeSession.language == filters.language)
    if filters.text:
        text = filters.text
        query = query.where(
            sa.or_(
                contains_text(text, ProgrammeSession.title, ProgrammeSession.description),
                _speaker_matches(text, event.id),
            )
        )
    query = query.options(*_listing_options()).order_by(
        ProgrammeSession.starts_at, ProgrammeSession.title, ProgrammeSession.id
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query).unique())


@dataclass(frozen=True)
class TimeSlot:
    starts_at: Any  # the aware instant all the slot's sessions start at
    sessions: list[ProgrammeSession]


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    slots: list[TimeSlot]


def group_by_day_and_time(sessions: Iterable[ProgrammeSession], tz: str) -> list[ScheduleDay]:
    """Sessions (already in time order) grouped by local day, then by start time."""
    days: list[ScheduleDay] = []
    for s in sessions:
        day = to_local(s.starts_at, tz).date()
        if not days or days[-1].day != day:
            days.append(ScheduleDay(day, []))
        slots = days[-1].slots
        if not slots or slots[-1].starts_at != s.starts_at:
            slots.append(TimeSlot(s.starts_at, []))
        slots[-1].sessions.append(s)
    return days


def group_by_event(sessions: Iterable[ProgrammeSession]) -> list[tuple[Event, list[ScheduleDay]]]:
    """Sessions (loaded with their event) per event in date order, then by local day and time."""
    by_event: dict[int, list[ProgrammeSession]] = {}
    for s in sessions:
        by_event.setdefault(s.event_id, []).append(s)
    events = sorted((group[0].event for group in by_event.values()), key=lambda e: (e.starts_on, e.name))
    return [(e, group_by_day_and_time(by_event[e.id], e.timezone)) for e in events]


@dataclass(frozen=True)
class FilterChoices:
    tracks: list[Track]
    venues: list[Venue]
    networks: list[Network]
    languages: list[str]


def filter_choices(event: Event) -> FilterChoices:
    """What the event's sessions can be narrowed to: only values its sessions use."""
    in_event = ProgrammeSession.event_id == event.id
    tracks = db.session.scalars(sa.select(Track).where(Track.event_id == event.id).order_by(Track.name))
    venues = db.session.scalars(
        sa.select(Venue)
        .where(Venue.id.in_(sa.select(Room.venue_id).join(ProgrammeSession.room).where(in_event)))
        .order_by(by_name(Venue.name))
    )
    networks = db.session.scalars(
        sa.select(Network)
        .where(
            Network.id.in_(
                sa.select(session_networks.c.network_id)
                .join(ProgrammeSession, ProgrammeSession.id == session_networks.c.session_id)
                .where(in_event)
            )
        )
        .order_by(by_name(Network.name))
    )
    languages = db.session.scalars(
        sa.select(ProgrammeSession.language).where(in_event).distinct().order_by(ProgrammeSession.language)
    )
    return FilterChoices(list(tracks), list(venues), list(networks), list(languages))


# --- the day grid ---------------------------------------------------------------------------

def event_day_counts(event: Event) -> dict[date, int]:
    """Sessions per local day, in day order: the event's dates (0 when empty) plus any day a
    session starts outside them. Empty days count only up to MAX_EVENT_DAYS from the first
    (the longest event Expo accepts), whatever an older row says."""
    first = event.starts_on.toordinal()
    last = min(event.ends_on.toordinal(), first + MAX_EVENT_DAYS - 1)
    counts = {date.fromordinal(n): 0 for n in range(first, last + 1)}
    starts = db.session.scalars(
        sa.select(ProgrammeSession.starts_at).where(ProgrammeSession.event_id == event.id)
    )
    for instant in starts:
        day = to_local(instant, event.timezone).date()
        counts[day] = counts.get(day, 0) + 1
    return dict(sorted(counts.items()))


def event_days(event: Event) -> list[date]:
    """The event's local days: its dates, plus any day a session starts outside them."""
    return list(event_day_counts(event))


def day_sessions(event: Event, day: date) -> list[ProgrammeSession]:
    """Sessions starting on the local ``day``, with their room, venue and track."""
    start, end = local_day_bounds(day, event.timezone)
    return list(
        db.session.scalars(
            sa.select(ProgrammeSession)
            .where(
                ProgrammeSession.event_id == event.id,
                ProgrammeSession.starts_at >= start,
                ProgrammeSession.starts_at < end,
            )
            .options(
                joinedload(ProgrammeSession.room).joinedload(Room.venue),
                joinedload(ProgrammeSession.track),
            )
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.title, ProgrammeSession.id)
        ).unique()
    )


# --- one session ----------------------------------------------------------------------------

def session_for_page(session_id: int) -> ProgrammeSession | None:
    """A session with its event, place, track, people (and their organisations) and networks."""
    return db.session.scalar(
        sa.select(ProgrammeSession)
        .where(ProgrammeSession.id == session_id)
        .options(
            joinedload(ProgrammeSession.event),
            joinedload(ProgrammeSession.room).joinedload(Room.venue),
            joinedload(ProgrammeSession.track),
            selectinload(ProgrammeSession.roles)
            .joinedload(SessionRole.user)
            .joinedload(User.organisation),
            selectinload(ProgrammeSession.networks),
        )
    )


def confirmed_bookings(session: ProgrammeSession) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Booking.id)).where(
            Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED
        )
    ) or 0


def seats_left(session: ProgrammeSession) -> int | None:
    """Seats still free (capacity minus confirmed bookings); None when there is no limit."""
    capacity = session.effective_capacity
    if capacity is None:
        return None
    return max(0, capacity - confirmed_bookings(session))


# --- venues, networks, countries ------------------------------------------------------------

# Sessions per page on a venue's or a network's page.
PLACE_PAGE_SIZE = 50


@dataclass(frozen=True)
class SessionPage:
    sessions: list[ProgrammeSession]
    number: int  # from 1
    has_next: bool


def _sessions_where(*criteria: Any, user: Any, page: int) -> SessionPage:
    """One page (PLACE_PAGE_SIZE sessions, in time order) of the sessions matching ``criteria``
    in events the user may see."""
    rows = list(
        db.session.scalars(
            sa.select(ProgrammeSession)
            .join(ProgrammeSession.event)
            .where(_visible_events(user), *criteria)
            .options(
                joinedload(ProgrammeSession.event),
                joinedload(ProgrammeSession.room).joinedload(Room.venue),
                joinedload(ProgrammeSession.track),
            )
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.title, ProgrammeSession.id)
            .limit(PLACE_PAGE_SIZE + 1)
            .offset((page - 1) * PLACE_PAGE_SIZE)
        ).unique()
    )
    return SessionPage(rows[:PLACE_PAGE_SIZE], page, len(rows) > PLACE_PAGE_SIZE)


def _counts(query: sa.Select) -> dict[Any, int]:
    return {key: count for key, count in db.session.execute(query)}


def all_venues() -> list[Venue]:
    return list(db.session.scalars(sa.select(Venue).options(selectinload(Venue.rooms)).order_by(by_name(Venue.name))))


def venue_session_counts(user: Any) -> dict[int, int]:
    """Sessions per venue id, counting only events the user may see."""
    return _counts(
        sa.select(Room.venue_id, sa.func.count(ProgrammeSession.id))
        .join(ProgrammeSession.room)
        .join(ProgrammeSession.event)
        .where(_visible_events(user))
        .group_by(Room.venue_id)
    )


def venue_by_slug(slug: str) -> Venue | None:
    return db.session.scalar(sa.select(Venue).where(Venue.slug == slug).options(selectinload(Venue.rooms)))


def venue_sessions(venue: Venue, user: Any, page: int = 1) -> SessionPage:
    return _sessions_where(
        ProgrammeSession.room_id.in_(sa.select(Room.id).where(Room.venue_id == venue.id)), user=user, page=page
    )


def all_networks() -> list[Network]:
    return list(db.session.scalars(sa.select(Network).order_by(by_name(Network.name))))


def network_member_counts() -> dict[int, int]:
    return _counts(
        sa.select(user_networks.c.network_id, sa.func.count(user_networks.c.user_id)).group_by(
            user_networks.c.network_id
        )
    )


def network_member_count(network: Network) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(user_networks.c.user_id)).where(user_networks.c.network_id == network.id)
    ) or 0


def network_session_counts(user: Any) -> dict[int, int]:
    return _counts(
        sa.select(session_networks.c.network_id, sa.func.count(session_networks.c.session_id))
        .join(ProgrammeSession, ProgrammeSession.id == session_networks.c.session_id)
        .join(ProgrammeSession.event)
        .where(_visible_events(user))
        .group_by(session_networks.c.network_id)
    )


def network_by_slug(slug: str) -> Network | None:
    return db.session.scalar(sa.select(Network).where(Network.slug == slug))


def network_sessions(network: Network, user: Any, page: int = 1) -> SessionPage:
    return _sessions_where(
        ProgrammeSession.id.in_(
            sa.select(session_networks.c.session_id).where(session_networks.c.network_id == network.id)
        ),
        user=user,
        page=page,
    )


def _attends() -> sa.ColumnElement[bool]:
    """The user (``User``) has an approved registration for a published event."""
    return sa.exists(
        sa.select(Registration.id)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.user_id == User.id,
            Registration.status == RegistrationStatus.APPROVED,
            Event.is_published.is_(True),
        )
    )


def delegates_per_country() -> list[tuple[Country, int]]:
    """Countries with how many people come from each, largest first; no names, only counts.
    Attending people are counted per country code in a subquery; names are joined on after."""
    per_code = (
        sa.select(User.country_code, sa.func.count(User.id).label("n"))
        .where(_attends())
        .group_by(User.country_code)
        .subquery()
    )
    query = (
        sa.select(Country, per_code.c.n)
        .join(per_code, per_code.c.country_code == Country.code)
        .order_by(per_code.c.n.desc(), Country.name)
    )
    return [(country, count) for country, count in db.session.execute(query)]


def country_by_code(code: str) -> Country | None:
    return db.session.get(Country, code.upper()) if len(code) == 2 else None


def country_delegates(country: Country) -> tuple[int, list[tuple[Event, int]]]:
    """How many people come from the country in all, and per published event. A person
    registers once per event (a unique constraint), so per event a plain count suffices."""
    total = db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.country_code == country.code, _attends())
    ) or 0
    counts = (
        sa.select(Registration.event_id, sa.func.count(Registration.id).label("n"))
        .join(User, User.id == Registration.user_id)
        .where(Registration.status == RegistrationStatus.APPROVED, User.country_code == country.code)
        .group_by(Registration.event_id)
        .subquery()
    )
    per_event = db.session.execute(
        sa.select(Event, counts.c.n)
        .join(counts, counts.c.event_id == Event.id)
        .where(Event.is_published.is_(True))
        .order_by(Event.starts_on, Event.name)
    )
    return total, [(event, count) for event, count in per_event]


# --- changes --------------------------------------------------------------------------------

def event_changes(event: Event) -> list[SessionChange]:
    """The event's change log, newest first; once published, only what changed since it was
    first published (going back to draft and publishing again hides nothing)."""
    query = (
        sa.select(SessionChange)
        .where(SessionChange.event_id == event.id)
        .options(joinedload(SessionChange.session).joinedload(ProgrammeSession.room).joinedload(Room.venue))
        .order_by(SessionChange.created_at.desc(), SessionChange.id.desc())
    )
    if event.first_published_at is not None:
        query = query.where(SessionChange.created_at >= event.first_published_at)
    return list(db.session.scalars(query).unique())


def event_releases(event: Event) -> list[Release]:
    """The event's versions (newest first), for the changes page: one query."""
    return list(db.session.scalars(
        sa.select(Release).where(Release.event_id == event.id).order_by(Release.number.desc())
    ))


def rooms_by_id(ids: Iterable[int]) -> dict[int, Room]:
    ids = set(ids)
    if not ids:
        return {}
    rooms = db.session.scalars(sa.select(Room).where(Room.id.in_(ids)).options(joinedload(Room.venue)))
    return {room.id: room for room in rooms}
