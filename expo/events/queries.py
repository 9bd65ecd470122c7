"""Read-side queries for events: what a page shows, in a fixed number of queries."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from expo.core.branding import DEFAULT_ACCENT, DEFAULT_PRIMARY, Look
from expo.core.extensions import db
from expo.events.models import Event, Expo
from expo.permissions import visible_events_clause
from expo.programme.models import ProgrammeSession, SessionRole
from expo.venues.models import Room


def current_expo() -> Expo | None:
    return db.session.scalar(sa.select(Expo).order_by(Expo.id).limit(1))


def expo_timezone() -> str:
    """The expo's time zone (the setting's default before an expo is saved): what pages that
    belong to no one event show times in."""
    expo = current_expo()
    return expo.timezone if expo is not None else current_app.config["TIMEZONE"]


def visible_events(user: Any) -> list[Event]:
    """Published events for everyone; administrators and an event's team also see its draft."""
    query = sa.select(Event).where(visible_events_clause(user)).order_by(Event.starts_on, Event.name)
    return list(db.session.scalars(query))


def event_choices() -> list[tuple[int, str]]:
    """Every event as (id, name), in date order, for a filter's select."""
    return [tuple(row) for row in db.session.execute(sa.select(Event.id, Event.name).order_by(Event.starts_on, Event.name))]


def event_by_slug(slug: str) -> Event | None:
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def sessions_by_day(event: Event) -> dict[date, list[ProgrammeSession]]:
    """The event's sessions grouped by local day, in order, with room, venue, track and people."""
    sessions = db.session.scalars(
        sa.select(ProgrammeSession)
        .where(ProgrammeSession.event_id == event.id)
        .options(
            joinedload(ProgrammeSession.room).joinedload(Room.venue),
            joinedload(ProgrammeSession.track),
            selectinload(ProgrammeSession.roles).joinedload(SessionRole.user),
            selectinload(ProgrammeSession.networks),
        )
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.title)
    ).unique()
    from expo.core.timeutil import to_local

    days: dict[date, list[ProgrammeSession]] = defaultdict(list)
    for s in sessions:
        days[to_local(s.starts_at, event.timezone).date()].append(s)
    return dict(days)


def expo_look() -> Look:
    """The expo's look from its row (one query; the logo's bytes stay in the database)."""
    row = db.session.execute(
        sa.select(Expo.name, Expo.primary_colour, Expo.accent_colour, Expo.logo_type, Expo.look_version)
        .order_by(Expo.id).limit(1)
    ).one_or_none()
    if row is None:
        return Look()
    return Look(name=row.name, primary=row.primary_colour or DEFAULT_PRIMARY, accent=row.accent_colour or DEFAULT_ACCENT,
                logo_type=row.logo_type, version=row.look_version or "0")


def expo_logo() -> tuple[bytes, str, str] | None:
    """The logo's bytes, content type and version, if the expo has one."""
    row = db.session.execute(
        sa.select(Expo.logo, Expo.logo_type, Expo.look_version).order_by(Expo.id).limit(1)
    ).one_or_none()
    if row is None or row.logo is None or row.logo_type is None:
        return None
    return row.logo, row.logo_type, row.look_version or "0"
