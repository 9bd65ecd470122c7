"""What feeds and exports read: the sessions of a scope, loaded in a fixed number of queries,
and the cheap aggregate behind each scope's ETag and Last-Modified."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.extensions import db
from expo.events.models import Event, Track
from expo.people.models import Network
from expo.programme.models import (
    ProgrammeSession,
    SessionKind,
    SessionRole,
    SessionRoleKind,
    SessionStatus,
    session_networks,
)
from expo.registration.models import Booking, BookingStatus
from expo.twinning.models import OneToOne, OneToOneStatus
from expo.venues.models import Room, Venue

# Bookings that put a session in the delegate's own calendar.
LIVE_BOOKINGS = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


@dataclass(frozen=True)
class Fingerprint:
    """Enough about a scope's data to tell whether anything in it changed."""

    parts: tuple[object, ...]
    last_modified: datetime


def _session_options() -> list:
    return [
        selectinload(ProgrammeSession.event),
        selectinload(ProgrammeSession.track),
        selectinload(ProgrammeSession.room).selectinload(Room.venue),
        selectinload(ProgrammeSession.roles).selectinload(SessionRole.user),
        selectinload(ProgrammeSession.networks),
    ]


def _ordered(stmt: sa.Select) -> sa.Select:
    return stmt.options(*_session_options()).order_by(ProgrammeSession.starts_at, ProgrammeSession.id)


def _published() -> sa.ColumnElement[bool]:
    return ProgrammeSession.event.has(Event.is_published.is_(True))


# --- scopes ---------------------------------------------------------------------------------

def published_event(slug: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.slug == slug, Event.is_published.is_(True)))


def event_by_slug(slug: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def published_track(slug: str, track_id: int) -> Track | None:
    return db.session.scalar(
        sa.select(Track)
        .join(Event)
        .where(Track.id == track_id, Event.slug == slug, Event.is_published.is_(True))
    )


def venue_by_slug(slug: str) -> Venue | None:
    return db.session.scalar(sa.select(Venue).where(Venue.slug == slug))


def network_by_slug(slug: str) -> Network | None:
    return db.session.scalar(sa.select(Network).where(Network.slug == slug))


def published_session(session_id: int) -> ProgrammeSession | None:
    return db.session.scalar(
        _ordered(sa.select(ProgrammeSession).where(ProgrammeSession.id == session_id, _published()))
    )


def user_id_by_feed_token(token: str) -> int | None:
    """Whose active account's feed this token opens: one indexed lookup of the id alone."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(User.id).where(User.feed_token == token, User.active.is_(True)))


# --- sessions ---------------------------------------------------------------------------------

def _event_filter(event: Event) -> sa.ColumnElement[bool]:
    return ProgrammeSession.event_id == event.id


def _track_filter(track: Track) -> sa.ColumnElement[bool]:
    return sa.and_(ProgrammeSession.track_id == track.id, _published())


def _venue_filter(venue: Venue) -> sa.ColumnElement[bool]:
    return sa.and_(ProgrammeSession.room.has(Room.venue_id == venue.id), _published())


def _network_filter(network: Network) -> sa.ColumnElement[bool]:
    return sa.and_(ProgrammeSession.networks.any(Network.id == network.id), _published())


def expo_sessions() -> Sequence[ProgrammeSession]:
    """Every session of every published event."""
    return db.session.scalars(_ordered(sa.select(ProgrammeSession).where(_published()))).all()


def event_sessions(event: Event) -> Sequence[ProgrammeSession]:
    return db.session.scalars(_ordered(sa.select(ProgrammeSession).where(_event_filter(event)))).all()


def track_sessions(track: Track) -> Sequence[ProgrammeSession]:
    return db.session.scalars(_ordered(sa.select(ProgrammeSession).where(_track_filter(track)))).all()


def venue_sessions(venue: Venue) -> Sequence[ProgrammeSession]:
    return db.session.scalars(_ordered(sa.select(ProgrammeSession).where(_venue_filter(venue)))).all()


def network_sessions(network: Network) -> Sequence[ProgrammeSession]:
    return db.session.scalars(_ordered(sa.select(ProgrammeSession).where(_network_filter(network)))).all()


def _personal_filter(user: User) -> sa.ColumnElement[bool]:
    """Live bookings, and cancelled ones of cancelled sessions (narrowed in Python below)."""
    return sa.and_(
        Booking.user_id == user.id,
        Event.is_published.is_(True),
        sa.or_(
            Booking.status.in_(LIVE_BOOKINGS),
            sa.and_(Booking.status == BookingStatus.CANCELLED, ProgrammeSession.status == SessionStatus.CANCELLED),
        ),
    )


def released_by_cancellation(booking: Booking) -> bool:
    """The booking was let go because its session was cancelled (not dropped by the delegate
    before): the session stays in the delegate's calendar, marked cancelled."""
    session = booking.session
    if booking.status is not BookingStatus.CANCELLED or not session.is_cancelled or booking.cancelled_at is None:
        return False
    for change in session.changes:  # newest first
        if change.changes.get("status", {}).get("new") == SessionStatus.CANCELLED.value:
            return booking.cancelled_at >= change.created_at
    return False


def personal_bookings(user: User) -> Sequence[Booking]:
    """The delegate's confirmed and waitlisted bookings in published events, and those that a
    session's cancellation let go, with their sessions."""
    rows = db.session.scalars(
        sa.select(Booking)
        .join(Booking.session)
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(_personal_filter(user))
        .options(selectinload(Booking.session).options(*_session_options(), selectinload(ProgrammeSession.changes)))
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    ).all()
    return [b for b in rows if b.status in LIVE_BOOKINGS or released_by_cancellation(b)]


# --- fingerprints -------------------------------------------------------------------------------

def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite aggregates come back as naive UTC
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _latest(*values: datetime | None) -> datetime:
    present = [v for v in (_utc(v) for v in values) if v is not None]
    return max(present) if present else datetime(2000, 1, 1, tzinfo=timezone.utc)


def _aggregate(where: sa.ColumnElement[bool]) -> tuple[int, datetime | None, datetime | None, int]:
    row = db.session.execute(
        sa.select(
            sa.func.count(ProgrammeSession.id),
            sa.func.max(ProgrammeSession.updated_at),
            sa.func.max(Event.updated_at),
            sa.func.coalesce(sa.func.sum(ProgrammeSession.revision), 0),
        )
        .select_from(ProgrammeSession)
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(where)
    ).one()
    # Raw aggregates bypass the UTC column type; read them through it.
    return int(row[0]), _raw_instant(row[1]), _raw_instant(row[2]), int(row[3])


def _raw_instant(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns MAX() of a datetime column as text
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return _utc(value)


def _fingerprint(kind: str, ident: object, where: sa.ColumnElement[bool], *extra: object,
                 also_modified: datetime | None = None) -> Fingerprint:
    count, latest_session, latest_event, revisions = _aggregate(where)
    modified = _latest(latest_session, latest_event, also_modified)
    return Fingerprint((kind, ident, count, revisions, modified.isoformat(), *extra), modified)


def expo_fingerprint() -> Fingerprint:
    return _fingerprint("expo", None, _published())


def event_fingerprint(event: Event) -> Fingerprint:
    return _fingerprint("event", event.id, _event_filter(event), also_modified=event.updated_at)


def venue_fingerprint(venue: Venue) -> Fingerprint:
    return _fingerprint("venue", venue.id, _venue_filter(venue), venue.name)


def network_fingerprint(network: Network) -> Fingerprint:
    return _fingerprint("network", network.id, _network_filter(network), network.name)


def personal_fingerprint(user: User) -> Fingerprint:
    row = db.session.execute(
        sa.select(
            sa.func.count(Booking.id),
            sa.func.max(Booking.updated_at),
            sa.func.max(ProgrammeSession.updated_at),
            sa.func.max(Event.updated_at),
            sa.func.coalesce(sa.func.sum(ProgrammeSession.revision), 0),
            # Which sessions, and which of them hold a seat, even if no timestamp moved.
            sa.func.coalesce(sa.func.sum(Booking.session_id), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((Booking.status == BookingStatus.CONFIRMED, Booking.session_id), else_=0)), 0
            ),
            # The delegate's SEQUENCEs, which count the bookings' revisions too.
            sa.func.coalesce(sa.func.sum(Booking.revision), 0),
            # Their twinning one-to-ones: which, and when each was asked and answered.
            *_one_to_one_state(user.id),
        )
        .select_from(Booking)
        .join(ProgrammeSession, Booking.session_id == ProgrammeSession.id)
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(_personal_filter(user))
    ).one()
    modified = _latest(_raw_instant(row[1]), _raw_instant(row[2]), _raw_instant(row[3]), _raw_instant(row[9]),
                       _raw_instant(row[10]))
    parts = ("personal", user.id, user.feed_token, user.locale, user.name,
             *(int(v) for v in (row[0], row[4], row[5], row[6], row[7], row[8], row[11])), modified.isoformat())
    return Fingerprint(parts, modified)


def _one_to_one_state(user_id: int) -> tuple[Any, ...]:
    """Scalar subqueries of a person's one-to-ones, for their feed's fingerprint: how many,
    the latest asked and answered, and which are answered how (as sums of their ids)."""
    mine = sa.or_(OneToOne.requester_id == user_id, OneToOne.invitee_id == user_id)

    def of(column: Any) -> Any:
        return sa.select(column).select_from(OneToOne).where(mine).scalar_subquery()

    answered = sa.case((OneToOne.status == OneToOneStatus.ACCEPTED, OneToOne.id),
                       (OneToOne.status == OneToOneStatus.DECLINED, -OneToOne.id), else_=0)
    return (of(sa.func.count(OneToOne.id)), of(sa.func.max(OneToOne.created_at)),
            of(sa.func.max(OneToOne.decided_at)), of(sa.func.coalesce(sa.func.sum(answered), 0)))


# --- the state behind a cache generation ---------------------------------------------------------

def schedule_state() -> tuple[str, datetime]:
    """A digest of everything feeds are written from that signals announce (sessions, events
    and the names of venues, rooms, tracks and networks, which carry no timestamp), and the
    latest change time. The same database state always gives the same digest, so a cache
    generation made from it after an eviction matches on every server and every request."""
    sessions = db.session.execute(
        sa.select(
            sa.func.count(ProgrammeSession.id),
            sa.func.max(ProgrammeSession.updated_at),
            sa.func.coalesce(sa.func.sum(ProgrammeSession.revision), 0),
            sa.func.coalesce(sa.func.sum(ProgrammeSession.id), 0),
        )
    ).one()
    events = db.session.execute(
        sa.select(Event.id, Event.updated_at, Event.is_published, Event.name, Event.timezone).order_by(Event.id)
    ).all()
    names = [
        db.session.execute(sa.select(*columns).order_by(columns[0])).all()
        for columns in (
            (Venue.id, Venue.name, Venue.address, Venue.latitude, Venue.longitude),
            (Room.id, Room.name, Room.venue_id),
            (Track.id, Track.name),
            (Network.id, Network.name),
        )
    ]
    latest_session = _raw_instant(sessions[1])
    latest = _latest(latest_session, *(_utc(row[1]) for row in events))
    raw = repr((int(sessions[0]), latest_session and latest_session.isoformat(), int(sessions[2]), int(sessions[3]),
                [(r[0], _utc(r[1]).isoformat(), bool(r[2]), r[3], r[4]) for r in events],
                [[tuple(r) for r in rows] for rows in names]))
    return hashlib.sha256(raw.encode()).hexdigest()[:32], latest


# --- validators in one query: the scope's own row and its fingerprint, no ORM objects -------------

def _session_totals() -> tuple[sa.ColumnElement, ...]:
    return (
        sa.func.count(ProgrammeSession.id),
        sa.func.max(ProgrammeSession.updated_at),
        sa.func.coalesce(sa.func.sum(ProgrammeSession.revision), 0),
    )


def published_event_fingerprint(slug: str) -> tuple[int, Fingerprint] | None:
    """A published event's id and fingerprint (as ``event_fingerprint``) in one aggregate."""
    row = db.session.execute(
        sa.select(Event.id, Event.updated_at, *_session_totals())
        .select_from(Event)
        .outerjoin(ProgrammeSession, ProgrammeSession.event_id == Event.id)
        .where(Event.slug == slug, Event.is_published.is_(True))
        .group_by(Event.id, Event.updated_at)
    ).first()
    if row is None:
        return None
    event_id, event_updated, count, latest_session, revisions = row
    modified = _latest(_raw_instant(latest_session), event_updated)
    return event_id, Fingerprint(("event", event_id, int(count), int(revisions), modified.isoformat()), modified)


def published_track_fingerprint(slug: str, track_id: int) -> tuple[str, str, Fingerprint] | None:
    """A published event's track: its feed name, the event's slug and the fingerprint."""
    row = db.session.execute(
        sa.select(Track.name, Event.name, Event.slug, Event.updated_at, *_session_totals())
        .select_from(Track)
        .join(Event, Track.event_id == Event.id)
        .outerjoin(ProgrammeSession, ProgrammeSession.track_id == Track.id)
        .where(Track.id == track_id, Event.slug == slug, Event.is_published.is_(True))
        .group_by(Track.id, Track.name, Event.id, Event.name, Event.slug, Event.updated_at)
    ).first()
    if row is None:
        return None
    track_name, event_name, event_slug, event_updated, count, latest_session, revisions = row
    modified = _latest(_raw_instant(latest_session), event_updated)
    parts = ("track", track_id, int(count), int(revisions), modified.isoformat(), track_name)
    return f"{event_name}: {track_name}", event_slug, Fingerprint(parts, modified)


def published_session_fingerprint(session_id: int) -> tuple[str, Fingerprint] | None:
    """A published session's title and fingerprint from one row, without loading the session."""
    row = db.session.execute(
        sa.select(ProgrammeSession.title, ProgrammeSession.revision, ProgrammeSession.updated_at, Event.updated_at)
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(ProgrammeSession.id == session_id, Event.is_published.is_(True))
    ).first()
    if row is None:
        return None
    title, revision, session_updated, event_updated = row
    modified = _latest(session_updated, event_updated)
    return title, Fingerprint(("session", session_id, revision, modified.isoformat()), modified)


# --- the whole expo's feed from plain rows ----------------------------------------------------------

@dataclass(frozen=True)
class Named:
    name: str


@dataclass(frozen=True)
class _EventRow:
    timezone: str


@dataclass(frozen=True)
class VenueRow:
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class RoomRow:
    name: str
    venue: VenueRow


@dataclass(frozen=True)
class RoleRow:
    role: SessionRoleKind
    user: Named


@dataclass(frozen=True)
class SessionRow:
    """What a public feed writes of a session, read as plain columns (the same attribute
    names as ProgrammeSession, so the feed writer takes either)."""

    id: int
    uid: str
    title: str
    description: str | None
    kind: SessionKind
    status: SessionStatus
    meeting_url: str | None
    revision: int
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    updated_at: datetime
    event: _EventRow
    track: Named | None
    room: RoomRow | None
    roles: tuple[RoleRow, ...]
    networks: tuple[Named, ...]

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED


def expo_session_rows() -> list[SessionRow]:
    """Every session of every published event in three queries of plain columns, ordered as
    ``expo_sessions``: no ORM objects for the thousands of sessions of a large expo."""
    published = sa.select(Event.id).where(Event.is_published.is_(True)).scalar_subquery()
    S = ProgrammeSession
    rows = db.session.execute(
        sa.select(S.id, S.uid, S.title, S.description, S.kind, S.status, S.meeting_url, S.revision, S.starts_at,
                  S.ends_at, S.created_at, S.updated_at, Event.timezone, Track.name, Room.name, Venue.name,
                  Venue.address, Venue.latitude, Venue.longitude)
        .join(Event, S.event_id == Event.id)
        .outerjoin(Track, S.track_id == Track.id)
        .outerjoin(Room, S.room_id == Room.id)
        .outerjoin(Venue, Room.venue_id == Venue.id)
        .where(Event.is_published.is_(True))
        .order_by(S.starts_at, S.id)
    ).all()
    roles: dict[int, list[RoleRow]] = {}
    for session_id, role, name in db.session.execute(
        sa.select(SessionRole.session_id, SessionRole.role, User.name)
        .join(User, SessionRole.user_id == User.id)
        .join(S, SessionRole.session_id == S.id)
        .where(S.event_id.in_(published))
        .order_by(SessionRole.session_id, SessionRole.id)
    ):
        roles.setdefault(session_id, []).append(RoleRow(role, Named(name)))
    networks: dict[int, list[Named]] = {}
    for session_id, name in db.session.execute(
        sa.select(session_networks.c.session_id, Network.name)
        .join(Network, session_networks.c.network_id == Network.id)
        .join(S, session_networks.c.session_id == S.id)
        .where(S.event_id.in_(published))
        .order_by(session_networks.c.session_id, Network.name)
    ):
        networks.setdefault(session_id, []).append(Named(name))
    zones: dict[str, _EventRow] = {}
    out = []
    for r in rows:
        room = RoomRow(r[14], VenueRow(r[15], r[16], r[17], r[18])) if r[14] is not None else None
        out.append(SessionRow(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
            zones.setdefault(r[12], _EventRow(r[12])), Named(r[13]) if r[13] is not None else None, room,
            tuple(roles.get(r[0], ())), tuple(networks.get(r[0], ())),
        ))
    return out
