"""What delegates want: stars and counts for pages, and, for the scheduling assistant, how many
delegates would want each session and each pair of sessions — all in aggregates, never per row."""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g

from expo.assistant.models import AssistantRun, SessionInterest, TimePreference
from expo.core.extensions import db
from expo.core.timeutil import to_local
from expo.events.models import Event
from expo.programme.models import ProgrammeSession, SessionRole, SessionStatus, session_networks
from expo.registration.models import Booking, BookingStatus
from expo.venues.models import Room, Venue


def starred_ids(user: Any) -> set[int]:
    """The ids of the sessions the reader starred (one query per request, whatever the page lists)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cache = g.setdefault("_expo_starred", {})
    if user.id not in cache:
        cache[user.id] = set(db.session.scalars(
            sa.select(SessionInterest.session_id).where(SessionInterest.user_id == user.id)
        ))
    return cache[user.id]


def is_starred(session: ProgrammeSession, user: Any) -> bool:
    return session.id in starred_ids(user)


def interest_counts(session_ids: Iterable[int]) -> dict[int, int]:
    """Stars per session, for these sessions (one grouped query)."""
    ids = list(session_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(SessionInterest.session_id, sa.func.count())
        .where(SessionInterest.session_id.in_(ids))
        .group_by(SessionInterest.session_id)
    ).all())


def _wants(session_ids: Collection[int]) -> sa.CTE:
    """(user_id, session_id) for every delegate who starred or holds a seat or waiting place in
    one of the sessions; UNION counts a delegate who did both once."""
    stars = sa.select(SessionInterest.user_id, SessionInterest.session_id).where(
        SessionInterest.session_id.in_(session_ids)
    )
    seats = sa.select(Booking.user_id, Booking.session_id).where(
        Booking.session_id.in_(session_ids), Booking.user_id.is_not(None),
        Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)),
    )
    return sa.union(stars, seats).cte("wants")


def demand(session_ids: Collection[int]) -> dict[int, int]:
    """How many delegates want each session (starred or booked): its expected attendance."""
    if not session_ids:
        return {}
    wants = _wants(session_ids)
    return dict(db.session.execute(
        sa.select(wants.c.session_id, sa.func.count()).group_by(wants.c.session_id)
    ).all())


@dataclass(frozen=True)
class PairWant:
    """Two sessions, a < b: delegates who want both, and what they share (track, networks)."""

    delegates: int = 0
    same_track: bool = False
    shared_networks: int = 0

    def weight(self, prior: int = 1) -> int:
        """Delegates first; the track and networks a session pair shares count as ``prior``
        delegates each, so a programme without stars yet still keeps related sessions apart."""
        return self.delegates + prior * (int(self.same_track) + self.shared_networks)


def pair_wants(session_ids: Collection[int]) -> dict[tuple[int, int], PairWant]:
    """For every pair of the sessions that anyone wants together, how many delegates want both;
    pairs in one track or sharing networks are listed too. Three aggregate queries."""
    ids = list(session_ids)
    if len(ids) < 2:
        return {}
    wants = _wants(ids)
    a, b = wants.alias("a"), wants.alias("b")
    together = db.session.execute(
        sa.select(a.c.session_id, b.c.session_id, sa.func.count())
        .join(b, sa.and_(a.c.user_id == b.c.user_id, a.c.session_id < b.c.session_id))
        .group_by(a.c.session_id, b.c.session_id)
    ).all()
    s1, s2 = sa.orm.aliased(ProgrammeSession), sa.orm.aliased(ProgrammeSession)
    same_track = db.session.execute(
        sa.select(s1.id, s2.id)
        .join(s2, sa.and_(s1.track_id == s2.track_id, s1.id < s2.id))
        .where(s1.id.in_(ids), s2.id.in_(ids), s1.track_id.is_not(None))
    ).all()
    n1, n2 = session_networks.alias("n1"), session_networks.alias("n2")
    shared = db.session.execute(
        sa.select(n1.c.session_id, n2.c.session_id, sa.func.count())
        .join(n2, sa.and_(n1.c.network_id == n2.c.network_id, n1.c.session_id < n2.c.session_id))
        .where(n1.c.session_id.in_(ids), n2.c.session_id.in_(ids))
        .group_by(n1.c.session_id, n2.c.session_id)
    ).all()
    result: dict[tuple[int, int], dict[str, Any]] = {}
    for x, y, count in together:
        result.setdefault((x, y), {})["delegates"] = count
    for x, y in same_track:
        result.setdefault((x, y), {})["same_track"] = True
    for x, y, count in shared:
        result.setdefault((x, y), {})["shared_networks"] = count
    return {pair: PairWant(**fields) for pair, fields in result.items()}


def latest_runs(event_id: int | None, limit: int = 5) -> list[Any]:
    """The event's (or the whole expo's) latest assistant runs, newest first."""
    return list(db.session.scalars(
        sa.select(AssistantRun).where(AssistantRun.event_id.is_(None) if event_id is None
                                      else AssistantRun.event_id == event_id)
        .order_by(AssistantRun.created_at.desc(), AssistantRun.id.desc()).limit(limit)
    ))


def session_choices(event_id: int | None) -> list[tuple[int, str]]:
    """The event's (or every event's) sessions that are not cancelled, for the assistant's form."""
    query = (
        sa.select(ProgrammeSession.id, ProgrammeSession.title, Event.name.label("event"))
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(ProgrammeSession.status != SessionStatus.CANCELLED)
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    )
    if event_id is not None:
        return [(r.id, r.title) for r in db.session.execute(query.where(ProgrammeSession.event_id == event_id))]
    return [(r.id, f"{r.title} ({r.event})") for r in db.session.execute(query)]


def room_labels() -> dict[int, str]:
    return {r.id: f"{r.venue} – {r.name}" for r in db.session.execute(
        sa.select(Room.id, Room.name, Venue.name.label("venue")).join(Venue, Room.venue_id == Venue.id)
    )}


@dataclass
class DayColumns:
    day: Any
    now: list[dict[str, Any]]
    proposed: list[dict[str, Any]]


def proposal_days(event: Any, placements: list[dict[str, Any]]) -> list[DayColumns]:
    """The event's schedule day by day as it stands and as proposed, side by side (one query)."""
    rows = db.session.execute(
        sa.select(ProgrammeSession.id, ProgrammeSession.title, ProgrammeSession.starts_at, ProgrammeSession.ends_at,
                  ProgrammeSession.room_id)
        .where(ProgrammeSession.event_id == event.id, ProgrammeSession.status != SessionStatus.CANCELLED)
    ).all()
    moves = {p["session_id"]: p for p in placements}
    days: dict[Any, DayColumns] = {}

    def add(column: str, entry: dict[str, Any]) -> None:
        day = to_local(entry["starts_at"], event.timezone).date()
        days.setdefault(day, DayColumns(day, [], []))
        getattr(days[day], column).append(entry)

    for r in rows:
        now = {"id": r.id, "title": r.title, "starts_at": r.starts_at, "ends_at": r.ends_at, "room_id": r.room_id,
               "moved": False}
        add("now", now)
        move = moves.get(r.id)
        if move and move["moved"]:
            add("proposed", {**now, "starts_at": datetime.fromisoformat(move["new_start"]),
                             "ends_at": datetime.fromisoformat(move["new_end"]), "room_id": move["new_room_id"],
                             "moved": True})
        else:
            add("proposed", now)
    for columns in days.values():
        columns.now.sort(key=lambda e: (e["starts_at"], e["title"]))
        columns.proposed.sort(key=lambda e: (e["starts_at"], e["title"]))
    return [days[d] for d in sorted(days)]


@dataclass
class Speaker:
    """A speaker, moderator or host of the event, told apart from namesakes."""

    user: Any
    stated: TimePreference | None
    organisation: str | None
    email: str | None  # shown only beside a namesake from the same organisation (or none)


def event_people(event_id: int) -> list[Speaker]:
    """The speakers, moderators and hosts of the event's sessions, by name, each with their
    organisation and their stated times for it (three queries); two of the same name and
    organisation are told apart by their e-mail."""
    from expo.accounts.models import User

    people = list(db.session.scalars(
        sa.select(User).where(User.id.in_(
            sa.select(SessionRole.user_id).join(ProgrammeSession, SessionRole.session_id == ProgrammeSession.id)
            .where(ProgrammeSession.event_id == event_id)
        )).options(sa.orm.selectinload(User.organisation)).order_by(User.name, User.id)
    ))
    stated = preferences(event_id, [u.id for u in people])

    def who(u: Any) -> tuple[str, str | None]:
        return u.name.casefold(), u.organisation.name if u.organisation else None

    namesakes = Counter(who(u) for u in people)
    return [Speaker(u, stated.get(u.id), u.organisation.name if u.organisation else None,
                    u.email if namesakes[who(u)] > 1 else None) for u in people]


def preferences(event_id: int, user_ids: Collection[int]) -> dict[int, TimePreference]:
    """The stated times of these people for the event, by person (one query)."""
    if not user_ids:
        return {}
    return {p.user_id: p for p in db.session.scalars(sa.select(TimePreference).where(
        TimePreference.event_id == event_id, TimePreference.user_id.in_(list(user_ids))))}


def speaking_events(user: Any) -> list[Event]:
    """The events where the person speaks, moderates or hosts a session (for their profile)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(sa.select(Event).where(Event.id.in_(
        sa.select(ProgrammeSession.event_id).join(SessionRole, SessionRole.session_id == ProgrammeSession.id)
        .where(SessionRole.user_id == user.id)
    )).order_by(Event.starts_on, Event.id)))
