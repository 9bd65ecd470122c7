"""What a booking e-mail is made from, kept as plain facts in its outgoing row.

A booking (or any change to one) stores the facts of the moment with the change: who is told,
in which language, the session as it stood (time, place, people, revision), the booking's
status and revision, and when the message was made. The job that sends the e-mail writes it
from these facts, through the same templates and calendar writer as before, so the e-mail
and its invitation (UID, SEQUENCE, time zone) are those of the change even when the session
is edited, or the booking ends, before it goes out. The request itself renders nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from expo.accounts.models import User
from expo.calendar.queries import Named, RoleRow, RoomRow, SessionRow, VenueRow
from expo.core.extensions import db
from expo.events.models import Track
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
from expo.venues.models import Room, Venue

# Raise when the facts change shape; a row carries the version it was written with.
VERSION = 1
_MEMO_KEY = "expo_session_facts"


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


# --- facts, taken in the request ---------------------------------------------------------------

def booking_facts(booking: Booking, *, template: str, method: str | None, stamp: datetime,
                  context: dict[str, Any]) -> dict[str, Any]:
    """The facts of ``booking``'s e-mail ``template`` as they stand now (JSON-friendly)."""
    user, session = booking.user, booking.session
    event = session.event
    return {
        "version": VERSION,
        "template": template,
        "method": method,
        "stamp": _instant(stamp),
        "context": context,
        "user": {"id": user.id, "email": user.email, "name": user.name, "locale": user.locale},
        "booking": {"id": booking.id, "status": booking.status.value, "waitlist_position": booking.waitlist_position,
                    "updated_at": _instant(booking.updated_at), "revision": booking.revision},
        "event": {"id": event.id, "name": event.name, "timezone": event.timezone},
        "session": session_facts(session),
    }


def session_facts(session: ProgrammeSession) -> dict[str, Any]:
    """Everything an e-mail or an invitation shows of the session. Its room, venue, track,
    people and networks come from the relations when they are loaded already, else from two
    light queries (no objects built), kept for the rest of the transaction for each state of
    the session: a cancelled session's hundreds of e-mails ask once."""
    memo = db.session.info.setdefault(_MEMO_KEY, {})
    key = (session.id, session.revision, _instant(session.updated_at), session.room_id, session.track_id)
    extras = memo.get(key)
    if extras is None:
        extras = memo[key] = _loaded_extras(session) or _queried_extras(session.id)
    return {
        "id": session.id, "uid": session.uid, "title": session.title, "description": session.description,
        "kind": session.kind.value, "status": session.status.value, "meeting_url": session.meeting_url,
        "starts_at": _instant(session.starts_at), "ends_at": _instant(session.ends_at),
        "created_at": _instant(session.created_at), "updated_at": _instant(session.updated_at),
        "revision": session.revision, **extras,
    }


def _loaded_extras(session: ProgrammeSession) -> dict[str, Any] | None:
    loaded = sa.inspect(session).dict
    if not all(name in loaded for name in ("room", "track", "roles", "networks")):
        return None
    if any("user" not in sa.inspect(role).dict for role in session.roles):
        return None
    room = session.room
    return {
        "track": session.track.name if session.track is not None else None,
        "room": None if room is None else _room(room.name, room.venue.name, room.venue.address,
                                                room.venue.latitude, room.venue.longitude),
        "roles": [[role.role.value, role.user.name] for role in session.roles],
        "networks": [network.name for network in session.networks],
    }


def _room(name: str, venue: str, address: str | None, latitude: float | None, longitude: float | None
          ) -> dict[str, Any]:
    return {"name": name, "venue": {"name": venue, "address": address,
                                    "latitude": None if latitude is None else float(latitude),
                                    "longitude": None if longitude is None else float(longitude)}}


# The place and track, the networks and the people, in one statement: a row for each pair of
# network and person (or one without either), with their ids to tell them apart; networks in
# their order by name, people in the order they were added. Built once: the request only
# binds the session's id.
_EXTRAS = (
    sa.select(Room.name, Venue.name, Venue.address, Venue.latitude, Venue.longitude, Track.name,
              Network.id, Network.name, SessionRole.id, SessionRole.role, User.name)
    .select_from(ProgrammeSession)
    .outerjoin(Room, Room.id == ProgrammeSession.room_id)
    .outerjoin(Venue, Venue.id == Room.venue_id)
    .outerjoin(Track, Track.id == ProgrammeSession.track_id)
    .outerjoin(session_networks, session_networks.c.session_id == ProgrammeSession.id)
    .outerjoin(Network, Network.id == session_networks.c.network_id)
    .outerjoin(SessionRole, SessionRole.session_id == ProgrammeSession.id)
    .outerjoin(User, User.id == SessionRole.user_id)
    .where(ProgrammeSession.id == sa.bindparam("session_id"))
    .order_by(Network.name, Network.id, SessionRole.id)
)


def _queried_extras(session_id: int) -> dict[str, Any]:
    rows = db.session.execute(_EXTRAS, {"session_id": session_id}).all()
    room, venue, address, latitude, longitude, track = rows[0][:6]
    networks: dict[int, str] = {}
    roles: dict[int, list[str]] = {}
    for *_place, network_id, network, role_id, role, name in rows:
        if network_id is not None:
            networks.setdefault(network_id, network)
        if role_id is not None:
            roles.setdefault(role_id, [role.value, name])
    return {
        "track": track,
        "room": None if room is None else _room(room, venue, address, latitude, longitude),
        "roles": [roles[role_id] for role_id in sorted(roles)],
        "networks": list(networks.values()),
    }


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_args: Any) -> None:
    # What the next transaction reads may differ: the memo lives as long as one transaction.
    session.info.pop(_MEMO_KEY, None)


# --- objects, made from the facts in the job ---------------------------------------------------
# They offer what the mail templates and the calendar writer read of the models, no more.

@dataclass(frozen=True)
class EventFacts:
    id: int
    name: str
    timezone: str


@dataclass(frozen=True)
class UserFacts:
    id: int
    email: str
    name: str
    locale: str | None


@dataclass(frozen=True)
class SessionFacts(SessionRow):
    """A feed's plain row of the session, with its event's name and id for the e-mail."""

    event: EventFacts  # type: ignore[assignment]

    @property
    def event_id(self) -> int:
        return self.event.id

    def people(self, role: SessionRoleKind) -> list[Named]:
        return [r.user for r in self.roles if r.role is role]


@dataclass(frozen=True)
class BookingFacts:
    id: int
    status: BookingStatus
    waitlist_position: int | None
    updated_at: datetime
    revision: int
    user: UserFacts
    session: SessionFacts

    @property
    def session_id(self) -> int:
        return self.session.id

    @property
    def user_id(self) -> int:
        return self.user.id


def booking_from(facts: dict[str, Any]) -> BookingFacts:
    """The booking, its delegate and its session as the facts tell them."""
    if facts.get("version") != VERSION:
        raise ValueError(f"booking e-mail facts of version {facts.get('version')!r}, expected {VERSION}")
    s = facts["session"]
    room = s["room"]
    session = SessionFacts(
        id=s["id"], uid=s["uid"], title=s["title"], description=s["description"], kind=SessionKind(s["kind"]),
        status=SessionStatus(s["status"]), meeting_url=s["meeting_url"], starts_at=_parse(s["starts_at"]),
        ends_at=_parse(s["ends_at"]), created_at=_parse(s["created_at"]), updated_at=_parse(s["updated_at"]),
        revision=s["revision"], event=EventFacts(**facts["event"]),
        track=None if s["track"] is None else Named(s["track"]),
        room=None if room is None else RoomRow(room["name"], VenueRow(**room["venue"])),
        roles=tuple(RoleRow(SessionRoleKind(role), Named(name)) for role, name in s["roles"]),
        networks=tuple(Named(name) for name in s["networks"]),
    )
    b = facts["booking"]
    return BookingFacts(
        id=b["id"], status=BookingStatus(b["status"]), waitlist_position=b["waitlist_position"],
        updated_at=_parse(b["updated_at"]), revision=b["revision"], user=UserFacts(**facts["user"]), session=session,
    )


def stamp_of(facts: dict[str, Any]) -> datetime:
    return _parse(facts["stamp"])
