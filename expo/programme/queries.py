"""Read-side queries for the organisers' pages, each in a fixed number of statements."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from expo.permissions import managed_events_clause
from expo.core.db import contains_text
from expo.core.extensions import db
from expo.events.models import Event, Track
from expo.people.models import Network, Organisation
from expo.programme import staging
from expo.programme.models import ProgrammeSession, SessionChange, SessionStatus
from expo.registration.models import Registration
from expo.schedule import changes as change_log
from expo.schedule.queries import rooms_by_id
from expo.venues.models import Room, Venue
from expo.core.i18n import by_name


def _count(column: Any, where: Any) -> sa.ScalarSelect:
    return sa.select(sa.func.count(column)).where(where).scalar_subquery()


def events(q: str = "", status: str = "", *, user: Any) -> list[tuple[Event, int, int, int]]:
    """The events ``user`` manages with their numbers of sessions, cancelled sessions and
    registrations (one query)."""
    query = sa.select(
        Event,
        _count(ProgrammeSession.id, ProgrammeSession.event_id == Event.id),
        _count(
            ProgrammeSession.id,
            sa.and_(ProgrammeSession.event_id == Event.id, ProgrammeSession.status == SessionStatus.CANCELLED),
        ),
        _count(Registration.id, Registration.event_id == Event.id),
    ).where(managed_events_clause(user)).order_by(Event.starts_on, Event.name)
    if q.strip():
        query = query.where(contains_text(q, Event.name))
    if status == "published":
        query = query.where(Event.is_published.is_(True))
    elif status == "draft":
        query = query.where(Event.is_published.is_(False))
    return [tuple(row) for row in db.session.execute(query)]


def dashboard(user: Any) -> dict[str, Any]:
    """The organisers' start page: events and how much of everything there is (two queries)."""
    counts = db.session.execute(
        sa.select(
            sa.select(sa.func.count(Venue.id)).scalar_subquery(),
            sa.select(sa.func.count(Room.id)).scalar_subquery(),
            sa.select(sa.func.count(Network.id)).scalar_subquery(),
            sa.select(sa.func.count(Organisation.id)).scalar_subquery(),
        )
    ).one()
    return {
        "events": events(user=user),
        "venue_count": counts[0],
        "room_count": counts[1],
        "network_count": counts[2],
        "organisation_count": counts[3],
    }


def tracks(event: Event, q: str = "", used: bool | None = None) -> list[tuple[Track, int]]:
    """An event's tracks with how many sessions each holds (one query): those whose name
    contains ``q``, holding sessions (True) or none (False)."""
    count = _count(ProgrammeSession.id, ProgrammeSession.track_id == Track.id)
    query = sa.select(Track, count).where(Track.event_id == event.id).order_by(Track.name)
    if q.strip():
        query = query.where(contains_text(q, Track.name))
    if used is not None:
        query = query.where(count > 0 if used else count == 0)
    return [tuple(row) for row in db.session.execute(query)]


def venue_choices() -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(sa.select(Venue.id, Venue.name).order_by(by_name(Venue.name)))]


def event_names() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Event.id, Event.name)).all())


def change_history(session: ProgrammeSession) -> list[change_log.LoggedChange]:
    """The session's change log, newest first, worded as on the public changes page but with
    every field (three queries: the log with its authors, and the rooms it names)."""
    rows = list(
        db.session.scalars(
            sa.select(SessionChange)
            .where(SessionChange.session_id == session.id)
            .options(joinedload(SessionChange.changed_by))
            .order_by(SessionChange.id.desc())
        )
    )
    return change_log.session_history(rows, rooms_by_id(change_log.room_ids(rows)))


def pending_diff(event: Event) -> list[tuple[Any, list[change_log.ChangeLine]]]:
    """The event's unreleased changes with their lines, every field included (the staged
    changes name rooms by their labels: no query for rooms)."""
    return [(row, change_log.change_lines(row.changes, {}, public=False)) for row in staging.pending_changes(event)]


def pending_of(session: ProgrammeSession) -> dict[str, Any]:
    """The session's unreleased change and its lines, for its edit page."""
    row = staging.pending_for(session)
    return {"pending": row, "pending_lines": change_log.change_lines(row.changes, {}, public=False) if row else []}
