"""Venues and rooms: shared by every event of the expo."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.accounts.models import User
from expo.core import signals
from expo.core.db import contains_text
from expo.core.errors import Conflict, InvalidState
from expo.core.extensions import db
from expo.events.services import slugify, touch_schedules_of, unique_slug
from expo.programme.models import ProgrammeSession
from expo.venues.models import Room, RoomKind, Venue
from expo.core.i18n import by_name


@dataclass
class VenueData:
    name: str
    slug: str | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    opens_at: time | None = None
    closes_at: time | None = None
    accessibility_notes: str | None = None
    description: str | None = None


def _check_venue(data: VenueData, exclude_id: int | None = None) -> None:
    query = sa.select(Venue.id).where(sa.func.lower(Venue.name) == data.name.strip().lower())
    if exclude_id is not None:
        query = query.where(Venue.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(_l("A venue with this name already exists."), field="name")
    if data.opens_at and data.closes_at and data.opens_at >= data.closes_at:
        raise InvalidState(_l("The venue must close after it opens."), field="closes_at")
    if data.latitude is not None and not -90 <= data.latitude <= 90:
        raise InvalidState(_l("Latitude lies between -90 and 90."), field="latitude")
    if data.longitude is not None and not -180 <= data.longitude <= 180:
        raise InvalidState(_l("Longitude lies between -180 and 180."), field="longitude")


def _apply(venue: Venue, data: VenueData) -> None:
    venue.name = data.name.strip()
    venue.address = data.address.strip()
    venue.latitude = data.latitude
    venue.longitude = data.longitude
    venue.opens_at = data.opens_at
    venue.closes_at = data.closes_at
    venue.accessibility_notes = (data.accessibility_notes or "").strip() or None
    venue.description = (data.description or "").strip() or None


def _places(room_ids: sa.Select) -> dict[int, tuple[str, float | None, float | None]]:
    """Where each room's sessions take place as calendars show it: LOCATION and GEO."""
    rows = db.session.execute(
        sa.select(Room.id, Room.name, Venue.name, Venue.address, Venue.latitude, Venue.longitude)
        .join(Venue, Room.venue_id == Venue.id)
        .where(Room.id.in_(room_ids))
    ).all()
    return {
        room_id: (", ".join([venue, room] + ([address] if address else [])), latitude, longitude)
        for room_id, room, venue, address, latitude, longitude in rows
    }


def _schedules_changed(room_ids: sa.Select, before: dict[int, tuple[str, float | None, float | None]]) -> None:
    """Sessions in these rooms whose place now reads differently than ``before`` are revised
    (calendars and their booked delegates follow); the others' events only learn that pages
    changed."""
    after = _places(room_ids)
    moved = [room_id for room_id, place in after.items() if before.get(room_id) != place]
    for room_id in moved:
        touch_schedules_of(
            sa.select(ProgrammeSession.id).where(ProgrammeSession.room_id == room_id),
            place={"room": {"old": before[room_id][0] if room_id in before else None, "new": after[room_id][0]}},
        )
    touch_schedules_of(
        sa.select(ProgrammeSession.id).where(ProgrammeSession.room_id.in_(room_ids),
                                             ProgrammeSession.room_id.not_in(moved)),
        revise=False,
    )


def create_venue(*, data: VenueData, actor: User) -> Venue:
    """A new venue; rooms are added to it afterwards."""
    _check_venue(data)
    venue = Venue(slug=unique_slug(Venue, data.slug, data.name))
    _apply(venue, data)
    db.session.add(venue)
    db.session.flush()
    return venue


def update_venue(*, venue: Venue, data: VenueData, actor: User) -> Venue:
    _check_venue(data, exclude_id=venue.id)
    if data.slug and slugify(data.slug) != venue.slug:
        venue.slug = unique_slug(Venue, data.slug, data.name, exclude_id=venue.id)
    rooms = sa.select(Room.id).where(Room.venue_id == venue.id)
    before = _places(rooms)
    _apply(venue, data)
    db.session.flush()
    _schedules_changed(rooms, before)
    return venue


def delete_venue(*, venue: Venue, actor: User) -> None:
    """Delete a venue without rooms."""
    if db.session.scalar(sa.select(sa.func.count()).where(Room.venue_id == venue.id)):
        raise InvalidState(_l("This venue still has rooms: delete them first."))
    audit.record(actor=actor, action=AuditAction.VENUE_DELETED, target=venue.name)
    db.session.delete(venue)
    db.session.flush()


def _check_room(venue: Venue, name: str, capacity: int, exclude_id: int | None = None) -> None:
    if capacity is None or capacity <= 0:
        raise InvalidState(_l("Capacity must be a positive number."), field="capacity")
    query = sa.select(Room.id).where(Room.venue_id == venue.id, sa.func.lower(Room.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Room.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(_l("This venue already has a room with this name."), field="name")


def create_room(*, venue: Venue, name: str, capacity: int, actor: User, kind: RoomKind = RoomKind.INDOOR) -> Room:
    name = name.strip()
    _check_room(venue, name, capacity)
    room = Room(venue=venue, name=name, capacity=capacity, kind=kind)
    db.session.add(room)
    db.session.flush()
    return room


def update_room(*, room: Room, name: str, capacity: int, actor: User, kind: RoomKind | None = None) -> Room:
    name = name.strip()
    _check_room(room.venue, name, capacity, exclude_id=room.id)
    old_capacity = room.capacity
    rooms = sa.select(Room.id).where(Room.id == room.id)
    before = _places(rooms)
    room.name = name
    room.capacity = capacity
    if kind is not None:
        room.kind = kind
    db.session.flush()
    _schedules_changed(rooms, before)
    if capacity != old_capacity:
        signals.room_capacity_changed.send(
            current_app._get_current_object(), room=room, old=old_capacity, new=capacity, actor=actor
        )
    return room


def delete_room(*, room: Room, actor: User) -> None:
    """Delete a room that no session (cancelled ones included) uses."""
    if db.session.scalar(sa.select(sa.func.count()).where(ProgrammeSession.room_id == room.id)):
        raise InvalidState(_l("Sessions take place in this room: move or delete them first."))
    audit.record(actor=actor, action=AuditAction.ROOM_DELETED, target=f"{room.name} ({room.venue.name})")
    db.session.delete(room)
    db.session.flush()


def list_venues(q: str = "", *, accessibility: bool | None = None, has_rooms: bool | None = None) -> list[Venue]:
    """Venues with their rooms, for the organisers' list (two queries): those whose name or
    address contains ``q``, with (True) or without (False) accessibility notes and rooms."""
    query = sa.select(Venue).options(selectinload(Venue.rooms)).order_by(by_name(Venue.name))
    if q.strip():
        query = query.where(contains_text(q, Venue.name, Venue.address))
    if accessibility is not None:
        noted = Venue.accessibility_notes.is_not(None)
        query = query.where(noted if accessibility else sa.not_(noted))
    if has_rooms is not None:
        rooms = sa.exists().where(Room.venue_id == Venue.id)
        query = query.where(rooms if has_rooms else sa.not_(rooms))
    return list(db.session.scalars(query))
