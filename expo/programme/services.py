"""Building the programme: create, change, move, cancel, restore and delete sessions.

In a published programme every change is staged (``expo/programme/staging.py``) and written
to the session only by a release (``expo/programme/releases.py``), through these same
functions with ``live=True``; what follows describes the writing.

Every schedule change moves the event's ``updated_at``; every change a calendar shows (time,
place, status, title, people …) also raises the session's revision and writes a
``SessionChange`` that calendars and the public changes page follow. Signals go out after the flush, before the view commits."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.accounts.models import User
from expo.core import signals
from expo.core.db import contains_text, is_database_id
from expo.core.errors import Conflict, InvalidState, NeedsConfirmation
from expo.core.extensions import db
from expo.core.text import has_control_characters
from expo.core.timeutil import in_planning_range, local_day_bounds, local_stamp, to_local, utcnow
from expo.events.models import Event, Track
from expo.events.services import DATE_RANGE_MESSAGE
from expo.people.models import Network
from expo.programme import conflicts, staging
from expo.programme.models import (
    ADDED,
    PendingChange,
    ProgrammeSession,
    SessionChange,
    SessionKind,
    SessionRole,
    SessionRoleKind,
    SessionStatus,
)
from expo.registration.models import Booking, BookingEndReason, BookingStatus
from expo.venues.models import Room, Venue
from expo.core.i18n import by_name
from expo.core.tables import Column, Table

# Everything a calendar shows of a session: changing any of these raises the revision (the
# iCalendar SEQUENCE) with LAST-MODIFIED, and is logged. Capacity and language show nowhere in
# a calendar, so they move LAST-MODIFIED of pages only.
REVISED_FIELDS = (
    "title", "description", "kind", "starts_at", "ends_at", "room", "meeting_url", "track", "networks",
    "speakers", "moderators", "hosts", "status",
)
NEW_SESSION = "new"
NOBODY: frozenset[int] = frozenset()  # one for every slot without people (an empty set takes 216 bytes)


@dataclass(slots=True)  # an import's plan holds one a row of its file
class SessionData:
    """A session as an organiser describes it; instants are aware (UTC)."""

    title: str
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    description: str | None = None
    room_id: int | None = None
    meeting_url: str | None = None
    capacity: int | None = None
    language: str = "en"
    track_id: int | None = None
    network_ids: list[int] = field(default_factory=list)
    speaker_ids: list[int] = field(default_factory=list)
    moderator_ids: list[int] = field(default_factory=list)
    host_ids: list[int] = field(default_factory=list)

    def people(self) -> list[tuple[int, SessionRoleKind]]:
        return (
            [(i, SessionRoleKind.SPEAKER) for i in self.speaker_ids]
            + [(i, SessionRoleKind.MODERATOR) for i in self.moderator_ids]
            + [(i, SessionRoleKind.HOST) for i in self.host_ids]
        )

    def values(self) -> dict[str, Any]:
        """Each field's value by its name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self) -> dict[str, Any]:
        """The data as JSON values (instants as ISO 8601 UTC strings), to be staged."""
        values = self.values()
        values.update(kind=self.kind.value, starts_at=staging.iso(self.starts_at), ends_at=staging.iso(self.ends_at))
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> SessionData:
        return cls(**{
            **values, "kind": SessionKind(values["kind"]),
            "starts_at": datetime.fromisoformat(values["starts_at"].replace("Z", "+00:00")),
            "ends_at": datetime.fromisoformat(values["ends_at"].replace("Z", "+00:00")),
        })

    @classmethod
    def from_session(cls, s: ProgrammeSession) -> SessionData:
        return cls(
            title=s.title,
            kind=s.kind,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            description=s.description,
            room_id=s.room_id,
            meeting_url=s.meeting_url,
            capacity=s.capacity,
            language=s.language,
            track_id=s.track_id,
            network_ids=[n.id for n in s.networks],
            speaker_ids=[u.id for u in s.people(SessionRoleKind.SPEAKER)],
            moderator_ids=[u.id for u in s.people(SessionRoleKind.MODERATOR)],
            host_ids=[u.id for u in s.people(SessionRoleKind.HOST)],
        )


# --- validation -------------------------------------------------------------------------------

def is_http_url(value: str | None) -> bool:
    """An absolute http(s) address with a host."""
    if not value:
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    # urlsplit quietly drops tabs and line breaks: an address holding any is refused, never
    # stored, so it cannot start a line of its own in a calendar.
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value.strip()
            and not has_control_characters(value.strip()))


def session_data_problems(event: Event, data: SessionData) -> dict[str, Any]:
    """Field-level problems with a session's data (the form shows them; the service refuses)."""
    problems: dict[str, Any] = {}
    for name in ("starts_at", "ends_at"):
        value = getattr(data, name)
        if value is not None and not in_planning_range(value):
            problems[name] = DATE_RANGE_MESSAGE
    if data.starts_at and data.ends_at and not problems:
        if data.ends_at <= data.starts_at:
            problems["ends_at"] = _l("The end must be after the start.")
        first, _ = local_day_bounds(event.starts_on, event.timezone)
        _, last = local_day_bounds(event.ends_on, event.timezone)
        if not first <= data.starts_at < last:
            problems["starts_at"] = _l(
                "The session must take place during the event (%(first)s to %(last)s).",
                first=event.starts_on.isoformat(), last=event.ends_on.isoformat(),
            )
        elif data.ends_at > last and "ends_at" not in problems:
            problems["ends_at"] = _l(
                "The session must end by the end of the event (%(last)s).", last=event.ends_on.isoformat()
            )
    if data.kind is SessionKind.DIGITAL and data.room_id is not None:
        problems["room_id"] = _l("A digital meeting takes place online: leave the room empty.")
    if data.kind.needs_room and data.room_id is None:
        problems["room_id"] = (
            _l("A hybrid meeting needs a room as well as a meeting URL.")
            if data.kind is SessionKind.HYBRID
            else _l("Choose a room for a session held in person.")
        )
    if data.kind.needs_meeting_url and not data.meeting_url:
        problems["meeting_url"] = _l("A digital or hybrid meeting needs a meeting URL.")
    elif data.meeting_url and not is_http_url(data.meeting_url):
        problems["meeting_url"] = _l("Enter a full web address starting with http:// or https://.")
    if data.capacity is not None and data.capacity <= 0:
        problems["capacity"] = _l("Capacity must be a positive number.")
    return problems


def _check(event: Event, data: SessionData) -> None:
    problems = session_data_problems(event, data)
    if problems:
        name, message = next(iter(problems.items()))
        raise InvalidState(message, field=name)


# --- conflicts --------------------------------------------------------------------------------

def _slot_select() -> sa.Select:
    s = ProgrammeSession
    return (
        sa.select(
            s.id, s.title, s.event_id, s.starts_at, s.ends_at, s.room_id,
            s.capacity.label("capacity"),
            Event.timezone, Event.transfer_minutes,
            Room.venue_id, Room.name.label("room_name"), Room.capacity.label("room_capacity"),
            Venue.name.label("venue_name"), Venue.opens_at, Venue.closes_at,
        )
        .select_from(s)
        .join(Event, s.event_id == Event.id)
        .outerjoin(Room, s.room_id == Room.id)
        .outerjoin(Venue, Room.venue_id == Venue.id)
        .where(s.status != SessionStatus.CANCELLED)
    )


def _slots(rows: list[Any], roles: list[Any]) -> list[conflicts.Slot]:
    people: dict[int, set[int]] = {}
    for session_id, user_id in roles:
        people.setdefault(session_id, set()).add(user_id)
    return [
        conflicts.Slot(
            key=r.id, title=r.title, event_id=r.event_id, starts_at=r.starts_at, ends_at=r.ends_at,
            timezone=r.timezone, transfer_minutes=r.transfer_minutes, room_id=r.room_id,
            venue_id=r.venue_id, capacity=r.capacity, room_capacity=r.room_capacity,
            opens_at=r.opens_at, closes_at=r.closes_at, person_ids=frozenset(people.get(r.id, ())) or NOBODY,
            room_label=f"{r.venue_name} – {r.room_name}" if r.room_id else "",
            venue_name=r.venue_name or "",
        )
        for r in rows
    ]


def all_slots() -> list[conflicts.Slot]:
    """Every session that is not cancelled, across the expo, in two queries."""
    rows = db.session.execute(_slot_select()).all()
    roles = db.session.execute(
        sa.select(SessionRole.session_id, SessionRole.user_id)
        .join(ProgrammeSession, SessionRole.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.status != SessionStatus.CANCELLED)
    ).all()
    return _slots(rows, roles)


def candidate_slot(event: Event, data: SessionData, key: Any) -> conflicts.Slot:
    """The session described by ``data`` as the conflict rules see it, under ``key``."""
    room = db.session.get(Room, data.room_id) if data.room_id else None
    venue = room.venue if room else None
    return conflicts.Slot(
        key=key, title=data.title, event_id=event.id, starts_at=data.starts_at, ends_at=data.ends_at,
        timezone=event.timezone, transfer_minutes=event.transfer_minutes,
        room_id=room.id if room else None, venue_id=venue.id if venue else None,
        capacity=data.capacity, room_capacity=room.capacity if room else None,
        opens_at=venue.opens_at if venue else None, closes_at=venue.closes_at if venue else None,
        person_ids=frozenset(i for i, _ in data.people()) or NOBODY,
        # One label a room, however many slots (an import makes one a row of its file).
        room_label=sys.intern(room.label) if room else "", venue_name=venue.name if venue else "",
    )


def _neighbours(candidate: conflicts.Slot) -> list[conflicts.Slot]:
    """Sessions that could clash with the candidate: same room or same people, near in time."""
    return neighbours([candidate])


def neighbours(candidates: Sequence[conflicts.Slot]) -> list[conflicts.Slot]:
    """Sessions that could clash with any of the candidates (saved ones left out): in their
    rooms or with their people, from the first one's start to the last one's end (and the
    longest transfer either side), in three queries however many candidates there are."""
    if not candidates:
        return []
    reach = timedelta(minutes=db.session.scalar(sa.select(sa.func.max(Event.transfer_minutes))) or 0)
    rooms = {c.room_id for c in candidates if c.room_id is not None}
    people = {i for c in candidates for i in c.person_ids}
    near: list[Any] = []
    if rooms:
        near.append(ProgrammeSession.room_id == next(iter(rooms)) if len(rooms) == 1
                    else ProgrammeSession.room_id.in_(sorted(rooms)))
    if people:
        near.append(
            ProgrammeSession.id.in_(
                sa.select(SessionRole.session_id).where(SessionRole.user_id.in_(sorted(people)))
            )
        )
    if not near:
        return []
    query = _slot_select().where(
        sa.or_(*near),
        ProgrammeSession.starts_at < max(c.ends_at for c in candidates) + reach,
        ProgrammeSession.ends_at > min(c.starts_at for c in candidates) - reach,
    )
    saved = {c.key for c in candidates if isinstance(c.key, int)}
    if len(saved) == 1:
        query = query.where(ProgrammeSession.id != next(iter(saved)))
    rows = [r for r in db.session.execute(query).all() if r.id not in saved]
    roles = db.session.execute(
        sa.select(SessionRole.session_id, SessionRole.user_id).where(
            SessionRole.session_id.in_([r.id for r in rows]) if len(rows) <= 500
            else SessionRole.session_id.in_(query.with_only_columns(ProgrammeSession.id))
        )
    ).all() if rows else []
    return _slots(rows, roles)


def _when(slot: conflicts.Slot) -> str:
    start = to_local(slot.starts_at, slot.timezone)
    end = to_local(slot.ends_at, slot.timezone)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


def describe(finding: conflicts.Finding, names: dict[int, str]) -> Any:
    """A sentence an organiser understands, naming the sessions, the room or the person."""
    a = finding.slots[0]
    b = finding.slots[1] if len(finding.slots) > 1 else None
    person = names.get(finding.person_id or 0, "")
    rule = finding.rule
    if rule is conflicts.Rule.ROOM_DOUBLE_BOOKED:
        return _l(
            "%(room)s is double-booked: “%(a)s” (%(a_when)s) and “%(b)s” (%(b_when)s).",
            room=a.room_label, a=a.title, a_when=_when(a), b=b.title, b_when=_when(b),
        )
    if rule is conflicts.Rule.PERSON_OVERLAP:
        return _l(
            "%(person)s is in two sessions at once: “%(a)s” (%(a_when)s) and “%(b)s” (%(b_when)s).",
            person=person, a=a.title, a_when=_when(a), b=b.title, b_when=_when(b),
        )
    if rule is conflicts.Rule.TRANSFER_TOO_SHORT:
        return _l(
            "%(person)s has %(gap)s minutes to get from “%(a)s” at %(va)s to “%(b)s” at %(vb)s; "
            "the event allows %(needed)s minutes for a transfer.",
            person=person, gap=int(finding.gap.total_seconds() // 60), a=a.title, va=a.venue_name,
            b=b.title, vb=b.venue_name, needed=max(a.transfer_minutes, b.transfer_minutes),
        )
    if rule is conflicts.Rule.PERSON_UNAVAILABLE:
        return _l(
            "%(person)s cannot come on %(day)s but is in “%(a)s” (%(when)s).",
            person=person, day=f"{to_local(a.starts_at, a.timezone):%Y-%m-%d}", a=a.title, when=_when(a),
        )
    if rule is conflicts.Rule.CAPACITY_ABOVE_ROOM:
        return _l(
            "“%(a)s” offers %(capacity)s seats but %(room)s holds only %(room_capacity)s.",
            a=a.title, capacity=a.capacity, room=a.room_label, room_capacity=a.room_capacity,
        )
    return _l(
        "“%(a)s” (%(when)s) is outside the opening hours of %(venue)s (%(opens)s–%(closes)s).",
        a=a.title, when=_when(a), venue=a.venue_name,
        opens=a.opens_at.strftime("%H:%M") if a.opens_at else "00:00",
        closes=a.closes_at.strftime("%H:%M") if a.closes_at else "24:00",
    )


def _person_names(findings: list[conflicts.Finding]) -> dict[int, str]:
    ids = {f.person_id for f in findings if f.person_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())


@dataclass(frozen=True)
class ReportItem:
    finding: conflicts.Finding
    message: Any

    @property
    def refused(self) -> bool:
        return self.finding.refused


def _unavailable_days() -> dict[tuple[int, int], set[date]]:
    """(person, event) -> the days the person said they cannot come to the event (one query)."""
    from expo.assistant.models import TimePreference

    return {
        (p.user_id, p.event_id): set(p.unavailable)
        for p in db.session.scalars(sa.select(TimePreference))
        if p.unavailable
    }


def conflict_report() -> list[ReportItem]:
    """Every conflict in the expo, refused ones first, in a fixed number of queries; with the
    people on stage on a day they cannot come."""
    slots = all_slots()
    findings = conflicts.in_order(conflicts.find_conflicts(slots)
                                  + conflicts.unavailable_people(slots, _unavailable_days()))
    names = _person_names(findings)
    return [ReportItem(f, describe(f, names)) for f in findings]


def _lock_room(room_id: int | None) -> None:
    """Hold the room's row until the transaction ends (SELECT … FOR UPDATE), so that two
    organisers saving sessions in one room at once check for clashes one after the other."""
    if room_id is not None:
        db.session.execute(sa.select(Room.id).where(Room.id == room_id).with_for_update())


def lock_rooms(room_ids: Iterable[int | None]) -> None:
    """``_lock_room`` for many rooms at once (one statement, in the order of their ids)."""
    ids = sorted({i for i in room_ids if i is not None})
    if len(ids) == 1:
        _lock_room(ids[0])
    elif ids:
        db.session.execute(sa.select(Room.id).where(Room.id.in_(ids)).order_by(Room.id).with_for_update())


def end_state_conflicts(candidates: dict[Any, conflicts.Slot], leaving: Iterable[int] = ()) -> dict[Any, list[conflicts.Finding]]:
    """The conflicts of each candidate (key → slot) with the programme once all of them are in
    place, where sessions in ``leaving`` (and the candidates) no longer are where they were:
    their neighbours loaded once (``neighbours``), the rules swept once (``conflicts.conflicts_of``;
    a candidate without findings is not listed, and has an empty list when asked for).
    Saving one session, changing several, importing a file: all check with this."""
    leaving = set(leaving)
    others = [n for n in neighbours(list(candidates.values())) if n.key not in candidates and n.key not in leaving]
    return conflicts.conflicts_of(candidates.values(), others)


def refuse_clashes(found: dict[Any, list[conflicts.Finding]]) -> None:
    """Refuse (``Conflict``) when any of these findings is a room clash."""
    refused = [f for findings in found.values() for f in findings if f.refused]
    if refused:
        raise Conflict(describe(refused[0], _person_names(refused)), field="room_id")


def _enforce_conflict_rules(
    event: Event, data: SessionData, key: Any, confirm: bool, confirmed_warnings: str | None
) -> None:
    """Refuse a room clash and ask to confirm warnings, under the room's lock. A confirmation
    with ``confirmed_warnings`` (the digest of the warnings shown) counts only if the warnings
    are still those; without it (scripts), ``confirm`` accepts whatever warnings there are."""
    _lock_room(data.room_id)
    findings = end_state_conflicts({key: candidate_slot(event, data, key)})[key]
    names = _person_names(findings)
    refused = [f for f in findings if f.refused]
    if refused:
        raise Conflict(describe(refused[0], names), field="room_id")
    digest = conflicts.warnings_digest(findings)
    if findings and not (confirm and confirmed_warnings in (None, digest)):
        raise NeedsConfirmation(
            _l("Please check these warnings and confirm to save anyway."),
            [describe(f, names) for f in findings],
            digest,
        )


# --- saving -----------------------------------------------------------------------------------

_snapshot = staging.snapshot
_diff = staging.diff


def _load_related(event: Event, data: SessionData) -> tuple[Room | None, Track | None, list[Network], dict[int, User]]:
    return Related.load(event, [data]).of(data)


def _loaded(model: Any, ids: set[int], *options: Any) -> dict[int, Any]:
    if len(ids) == 1:  # from the session's identity map when it is there
        found = db.session.get(model, next(iter(ids)))
        return {found.id: found} if found is not None else {}
    return {o.id: o for o in db.session.scalars(sa.select(model).where(model.id.in_(ids)).options(*options))} \
        if ids else {}


@dataclass
class Related:
    """The rooms, tracks, networks and people that sessions' data name, loaded at once for
    many sessions (a query a kind); ``of`` gives one session's, refusing what does not exist."""

    event: Event
    rooms: dict[int, Room]
    tracks: dict[int, Track]
    networks: dict[int, Network]
    users: dict[int, User]

    @classmethod
    def load(cls, event: Event, datas: Iterable[SessionData]) -> Related:
        datas = list(datas)
        return cls(
            event,
            _loaded(Room, {d.room_id for d in datas if d.room_id is not None}, selectinload(Room.venue)),
            _loaded(Track, {d.track_id for d in datas if d.track_id is not None}),
            {n.id: n for n in db.session.scalars(
                sa.select(Network).where(Network.id.in_({i for d in datas for i in d.network_ids})))},
            {u.id: u for u in db.session.scalars(
                sa.select(User).where(User.id.in_({i for d in datas for i, _ in d.people()})))},
        )

    def of(self, data: SessionData) -> tuple[Room | None, Track | None, list[Network], dict[int, User]]:
        room = self.rooms.get(data.room_id) if data.room_id is not None else None
        if data.room_id is not None and room is None:
            raise InvalidState(_l("This room does not exist."), field="room_id")
        track = self.tracks.get(data.track_id) if data.track_id is not None else None
        if data.track_id is not None and (track is None or track.event_id != self.event.id):
            raise InvalidState(_l("Choose a track of this event."), field="track_id")
        networks = [self.networks[i] for i in dict.fromkeys(data.network_ids) if i in self.networks]
        if len(networks) != len(set(data.network_ids)):
            raise InvalidState(_l("One of the networks does not exist."), field="network_ids")
        person_ids = {i for i, _ in data.people()}
        if not person_ids <= self.users.keys():
            raise InvalidState(_l("One of the people does not exist."), field="speaker_ids")
        return room, track, networks, {i: self.users[i] for i in person_ids}


def _apply(s: ProgrammeSession, data: SessionData, related: tuple) -> None:
    room, track, networks, users = related
    s.room = room
    s.track = track
    _apply_values(s, data, networks, users)


def _apply_values(s: ProgrammeSession, data: SessionData, networks: list[Network], users: dict[int, User]) -> None:
    """The data's values, networks and people, but not its room and track, on the session."""
    s.title = data.title.strip()
    s.description = (data.description or "").strip() or None
    s.kind = data.kind
    s.starts_at = data.starts_at
    s.ends_at = data.ends_at
    s.meeting_url = (data.meeting_url or "").strip() or None
    s.capacity = data.capacity
    s.language = data.language
    s.networks = sorted(networks, key=lambda n: n.name)
    wanted = list(dict.fromkeys(data.people()))
    current = {(r.user_id, r.role): r for r in s.roles}
    s.roles = [current.get(key) or SessionRole(user=users[key[0]], role=key[1]) for key in wanted]


def _apply_new(event: Event, data: SessionData, related: tuple) -> ProgrammeSession:
    """A new session of the event as ``_apply`` makes it, naming its event, room and track by
    number: the event's and the room's collections of sessions (``Event.sessions``,
    ``Room.sessions``) are not filled with it, so that they do not hold it once written."""
    room, track, networks, users = related
    session = ProgrammeSession(event_id=event.id, room_id=room.id if room is not None else None,
                               track_id=track.id if track is not None else None)
    _apply_values(session, data, networks, users)
    return session


def _let_go(sessions: list[ProgrammeSession], related: Related) -> None:
    """Forget written sessions, so that they do not stay in memory until the commit: the
    collections of sessions of their event, rooms and networks (a network's is filled as a
    session joins it, even while not loaded) are expired, to be read again from the database
    if they are needed, and the sessions with their people and change log entries leave the
    database session."""
    for owner in (related.event, *related.rooms.values(), *related.networks.values()):
        db.session.expire(owner, ["sessions"])
    for session in sessions:
        db.session.expunge(session)


def _touch(event: Event) -> None:
    event.updated_at = utcnow()


def _send(signal: Any, **kwargs: Any) -> None:
    signal.send(current_app._get_current_object(), **kwargs)


def working_data(session: ProgrammeSession) -> tuple[SessionData, SessionStatus]:
    """The session as its organisers are making it: with its unreleased change, if any."""
    pending = staging.pending_for(session)
    if pending is None:
        return SessionData.from_session(session), session.status
    return SessionData.from_json(pending.data), pending.status


@dataclass
class WorkingCopies:
    """An event's sessions as their organisers are making them (``working_data`` for many at
    once): the staged data and status where a change waits for release (one query for all)."""

    pending: dict[int, PendingChange]

    @classmethod
    def of(cls, event: Event, session_ids: Iterable[int] | None = None) -> WorkingCopies:
        """What is staged for the event's sessions (for those of ``session_ids`` only, if given)."""
        query = sa.select(PendingChange).where(PendingChange.event_id == event.id, PendingChange.session_id.is_not(None))
        if session_ids is not None:
            session_ids = list(session_ids)
            if not session_ids:
                return cls({})
            query = query.where(PendingChange.session_id.in_(session_ids))
        rows = db.session.scalars(query)
        return cls({row.session_id: row for row in rows if row.session_id is not None})

    def data(self, session: ProgrammeSession) -> SessionData:
        row = self.pending.get(session.id)
        return SessionData.from_json(row.data) if row is not None else SessionData.from_session(session)

    def status(self, session: ProgrammeSession) -> SessionStatus:
        row = self.pending.get(session.id)
        return row.status if row is not None else session.status


def _writes_live(event: Event, live: bool | None, session: ProgrammeSession | None = None) -> bool:
    """Whether a change is written to the session at once: in a draft, or by a release
    (``live=True``); in a published programme it is staged for the next release. A draft's
    live edit drops what was staged for the session before the event went back to draft."""
    if live is not None:
        return live
    if staging.is_staged(event):
        return False
    if session is not None:
        staging.superseded(session)
    return True


def _stage_session(session: ProgrammeSession, data: SessionData, status: SessionStatus, actor: User | None, *,
                   related: tuple | None = None, give_back: bool = False) -> dict[str, dict[str, Any]]:
    related = related or _load_related(session.event, data)
    row = staging.stage(event=session.event, session=session, data_json=data.to_json(),
                        after=staging.data_snapshot(data, related, status), status=status, actor=actor,
                        give_back=give_back)
    return dict(row.changes) if row is not None else {}


def create_session(
    *, event: Event, data: SessionData, actor: User, confirm: bool = False, confirmed_warnings: str | None = None,
    external: dict[str, str] | None = None, live: bool | None = None,
) -> ProgrammeSession | None:
    """Add a session to an event's programme after checking its data and conflicts. In a
    published programme the addition waits for the next release (and None is returned);
    ``external`` names the session in the system it came from, ``live`` is for releases."""
    _check(event, data)
    related = _load_related(event, data)
    _enforce_conflict_rules(event, data, NEW_SESSION, confirm, confirmed_warnings)
    if not _writes_live(event, live):
        staging.stage(event=event, session=None, data_json=data.to_json(),
                      after=staging.data_snapshot(data, related, SessionStatus.SCHEDULED),
                      status=SessionStatus.SCHEDULED, actor=actor, external=external)
        return None
    session = ProgrammeSession(event=event)
    _apply(session, data, related)
    db.session.add(session)
    _touch(event)
    db.session.flush()
    db.session.add(_addition(session, actor))
    db.session.flush()
    _send(signals.schedule_changed, event=event)
    return session


def update_staged_addition(
    *, change: PendingChange, data: SessionData, actor: User, confirm: bool = False,
    confirmed_warnings: str | None = None,
) -> None:
    """Change a session added to a published programme before its release: checked as the
    addition was (the data's rules, room clashes refused, warnings to confirm), and kept in
    the same pending row, so that the release still adds it once."""
    if change.session_id is not None:
        raise InvalidState(_l("This change is to a released session: edit the session itself."))
    event = change.event
    _check(event, data)
    related = _load_related(event, data)
    _enforce_conflict_rules(event, data, NEW_SESSION, confirm, confirmed_warnings)
    staging.restage_addition(change, data_json=data.to_json(),
                             after=staging.data_snapshot(data, related, SessionStatus.SCHEDULED), actor=actor)


def _addition(session: ProgrammeSession, actor: User | None) -> SessionChange:
    """A new session is logged like a change, so that the public changes page lists additions
    to a published programme beside the moves and cancellations (before publication it shows
    nothing)."""
    return SessionChange(session=session, event_id=session.event_id, changed_by=actor, created_at=session.created_at,
                         revision=session.revision, changes={ADDED: {"old": None, "new": session.title}})


WRITE_CHUNK = 500  # sessions written (flushed) at a time by ``write_checked`` and an import's confirmation


def write_checked(
    *, event: Event, new: Sequence[tuple[SessionData, dict[str, str] | None]],
    changed: Sequence[tuple[ProgrammeSession, SessionData]], actor: User, related: Related | None = None,
    written: Callable[[int], None] = lambda count: None,
) -> list[int | None]:
    """Add (``new``: data and the external key, if any) and change many sessions of one event
    at once, as ``create_session`` and ``update_session`` do with ``confirm``, once the caller
    has checked their conflicts together under their rooms' locks (``lock_rooms``,
    ``end_state_conflicts``): their data checked, what they name loaded once (``Related``); in a
    published programme staged for the next release (``_stage_checked``); in a draft
    written with their revisions, change log entries and signals, a chunk at a time. Returns
    the numbers of the sessions added (None for each addition staged); ``written`` is told how
    many as each chunk is done (an import's progress). Status changes are not made here.

    The sessions added are let go once their chunk is written: they name their event, room and
    track by number (``_apply_new``), so no collection of those keeps them, and nothing else
    does, so the memory of a large file's addition does not grow with it."""
    writer = CheckedWriter(event, actor, written)
    added = writer.write(new, changed, related)
    writer.finish()
    return added


class CheckedWriter:
    """``write_checked`` a part at a time, for a caller that goes through its sessions a chunk
    at a time rather than holding them all (a large import): ``write`` each part (its data
    checked as it is written), then ``finish`` once (the event touched, one signal)."""

    def __init__(self, event: Event, actor: User, written: Callable[[int], None] = lambda count: None) -> None:
        self.event, self.actor, self.written = event, actor, written
        self.pending = staging.PendingIndex.of(event)
        self.staged = staging.is_staged(event)
        self.wrote = False

    def write(self, new: Sequence[tuple[SessionData, dict[str, str] | None]],
              changed: Sequence[tuple[ProgrammeSession, SessionData]], related: Related | None = None,
              ) -> list[int | None]:
        """Add and change these sessions (``write_checked``); returns the numbers of those added."""
        event, actor, written, pending = self.event, self.actor, self.written, self.pending
        for data in [d for d, _ in new] + [d for _, d in changed]:
            _check(event, data)
        related = related or Related.load(event, [d for d, _ in new] + [d for _, d in changed])
        self.wrote = self.wrote or bool(new or changed)
        if self.staged:
            _stage_checked(event, new, changed, actor, related, pending, written)
            return [None] * len(new)
        # A draft's live edit drops what was staged before (``_writes_live``).
        gone = [pending.sessions[s.id][0] for s, _ in changed if s.id in pending.sessions]
        for start in range(0, len(gone), WRITE_CHUNK):
            db.session.execute(sa.delete(PendingChange).where(PendingChange.id.in_(gone[start:start + WRITE_CHUNK])))
        for start in range(0, len(changed), WRITE_CHUNK):
            chunk = changed[start:start + WRITE_CHUNK]
            befores = [_snapshot(session) for session, _ in chunk]
            for session, data in chunk:
                _apply(session, data, related.of(data))
            db.session.flush()
            logged = [(session, changes) for (session, _), before in zip(chunk, befores)
                      if (changes := _diff(before, _snapshot(session)))]
            for session, changes in logged:
                _log(session, changes, actor)
            db.session.flush()
            for session, changes in logged:
                _signal_change(session, changes, actor)
            written(len(chunk))
        added: list[int | None] = []
        for start in range(0, len(new), WRITE_CHUNK):
            sessions = [_apply_new(event, data, related.of(data)) for data, _ in new[start:start + WRITE_CHUNK]]
            db.session.add_all(sessions)
            db.session.flush()
            db.session.add_all([_addition(session, actor) for session in sessions])
            db.session.flush()
            added += [session.id for session in sessions]
            _let_go(sessions, related)
            written(len(sessions))
            del sessions
        return added

    def finish(self) -> None:
        """In a draft that was changed: the event touched and ``schedule_changed`` sent, once."""
        if self.wrote and not self.staged:
            _touch(self.event)
            db.session.flush()
            _send(signals.schedule_changed, event=self.event)


def _stage_checked(
    event: Event, new: Sequence[tuple[SessionData, dict[str, str] | None]],
    changed: Sequence[tuple[ProgrammeSession, SessionData]], actor: User, related: Related,
    pending: staging.PendingIndex, written: Callable[[int], None],
) -> None:
    """``write_checked`` in a published programme: the changes and additions staged for the
    next release a chunk at a time (``staging.stage_chunk``), each chunk's pending rows let go
    once written, so that the memory of a large file's staging does not grow with it."""

    def staged() -> Iterator[staging.Staged]:
        for s, d in changed:
            status = pending.status(s)
            yield staging.Staged(s, d.to_json(), staging.data_snapshot(d, related.of(d), status), status,
                                 give_back=pending.give_back(s))
        for d, external in new:
            yield staging.Staged(None, d.to_json(), staging.data_snapshot(d, related.of(d), SessionStatus.SCHEDULED),
                                 SessionStatus.SCHEDULED, external=external)

    changes = staged()
    while chunk := list(islice(changes, WRITE_CHUNK)):
        staging.stage_chunk(event=event, changes=chunk, index=pending, actor=actor)
        written(len(chunk))


def update_session(
    *, session: ProgrammeSession, data: SessionData, actor: User, confirm: bool = False,
    confirmed_warnings: str | None = None, live: bool | None = None,
) -> dict[str, dict[str, Any]]:
    """Change a session; moves raise its revision and are logged. Returns the changes (in a
    published programme: all that is staged for the session's next release)."""
    return _update(session, data, actor, live=live,
                   enforce=lambda: _enforce_conflict_rules(session.event, data, session.id, confirm, confirmed_warnings))


def refused_moves(changes: list[tuple[ProgrammeSession, SessionData]]) -> dict[int, Any]:
    """For each of these changes that the conflict rules refuse once all of them are made, why
    (the rooms are locked as for one change; warnings are not counted here)."""
    refused = {key: [f for f in found if f.refused] for key, found in _end_state(changes).items()}
    return {key: describe(found[0], _person_names(found)) for key, found in refused.items() if found}


def _end_state(changes: list[tuple[ProgrammeSession, SessionData]]) -> dict[int, list[conflicts.Finding]]:
    """The conflicts of each changed session with the programme as it is once all the changes
    are made: the changed sessions meet one another where they go, never where they leave."""
    for room_id in sorted({d.room_id for _, d in changes if d.room_id is not None}):
        _lock_room(room_id)
    candidates = {s.id: candidate_slot(s.event, d, s.id) for s, d in changes
                  if working_data(s)[1] is not SessionStatus.CANCELLED}
    return end_state_conflicts(candidates)


def update_sessions(
    *, changes: list[tuple[ProgrammeSession, SessionData]], actor: User, confirm: bool = False,
    live: bool | None = None,
) -> dict[int, dict[str, dict[str, Any]]]:
    """Change several sessions in one go, the conflict rules checked on the programme the
    changes leave behind rather than after each one: sessions may swap rooms or times, or move
    round a cycle. A refused conflict stops them all; warnings need ``confirm``."""
    found = _end_state(changes)
    refuse_clashes(found)
    warnings = list(dict.fromkeys(f for findings in found.values() for f in findings))
    if warnings and not confirm:
        names = _person_names(warnings)
        raise NeedsConfirmation(_l("Please check these warnings and confirm to save anyway."),
                                [describe(f, names) for f in warnings], conflicts.warnings_digest(warnings))
    return {session.id: _update(session, data, actor, live=live, enforce=lambda: None) for session, data in changes}


def _update(session: ProgrammeSession, data: SessionData, actor: User, *, live: bool | None,
            enforce: Any) -> dict[str, dict[str, Any]]:
    event = session.event
    writes_live = _writes_live(event, live, session)
    status = session.status if writes_live else working_data(session)[1]
    _check(event, data)
    related = _load_related(event, data)
    if status is not SessionStatus.CANCELLED:
        enforce()
    if not writes_live:
        pending = staging.pending_for(session)
        return _stage_session(session, data, status, actor, related=related,
                              give_back=pending.give_back if pending is not None else False)
    before = _snapshot(session)
    _apply(session, data, related)
    db.session.flush()
    changes = _diff(before, _snapshot(session))
    if changes:
        _record(session, changes, actor)
    return changes


def _record(session: ProgrammeSession, changes: dict[str, dict[str, Any]], actor: User | None) -> None:
    """Bump timestamps, raise the revision for moves, log them, and tell the other domains."""
    _log(session, changes, actor)
    db.session.flush()
    _signal_change(session, changes, actor)
    _send(signals.schedule_changed, event=session.event)


def _log(session: ProgrammeSession, changes: dict[str, dict[str, Any]], actor: User | None) -> None:
    """Bump timestamps, and raise the revision (the iCalendar SEQUENCE) of a change calendars
    show, with its entry in the change log."""
    now = utcnow()
    session.updated_at = now
    _touch(session.event)
    if any(k in changes for k in REVISED_FIELDS):
        session.revision += 1
        db.session.add(
            SessionChange(
                session=session, event_id=session.event_id, changed_by=actor, created_at=now,
                revision=session.revision, changes=changes,
            )
        )


def _signal_change(session: ProgrammeSession, changes: dict[str, dict[str, Any]], actor: User | None) -> None:
    if changes.get("status", {}).get("new") == SessionStatus.CANCELLED.value:
        _send(signals.session_cancelled, session=session, actor=actor)
    else:
        _send(signals.session_changed, session=session, changes=changes, actor=actor)


def booking_counts(session: ProgrammeSession) -> tuple[int, int]:
    """Seats held and places on the waiting list of a session."""
    rows = dict(db.session.execute(
        sa.select(Booking.status, sa.func.count())
        .where(Booking.session_id == session.id,
               Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))
        .group_by(Booking.status)
    ).all())
    return rows.get(BookingStatus.CONFIRMED, 0), rows.get(BookingStatus.WAITLISTED, 0)


def ended_by_cancellation(session: ProgrammeSession) -> tuple[int, int]:
    """Seats and waiting places the session's latest cancellation ended (what restoring can give back)."""
    latest = (
        sa.select(sa.func.max(Booking.cancelled_at))
        .where(Booking.session_id == session.id, Booking.end_reason == BookingEndReason.SESSION_CANCELLED)
        .scalar_subquery()
    )
    rows = dict(db.session.execute(
        sa.select(Booking.ended_as, sa.func.count())
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.CANCELLED,
               Booking.end_reason == BookingEndReason.SESSION_CANCELLED, Booking.cancelled_at == latest)
        .group_by(Booking.ended_as)
    ).all())
    return rows.get(BookingStatus.CONFIRMED, 0), rows.get(BookingStatus.WAITLISTED, 0)


def cancel_session(*, session: ProgrammeSession, actor: User, confirm: bool = False, live: bool | None = None) -> None:
    """Cancel a session: it stays in the programme, marked cancelled, for calendars to follow;
    every seat and waiting place ends (each delegate is told). Asks first, with the numbers.
    In a published programme the cancellation waits for the next release."""
    writes_live = _writes_live(session.event, live, session)
    data, status = (SessionData.from_session(session), session.status) if writes_live else working_data(session)
    if status is SessionStatus.CANCELLED:
        raise InvalidState(_l("This session is already cancelled."))
    if not confirm:
        seats, waiting = booking_counts(session)
        raise NeedsConfirmation(
            _l("Cancel this session? Delegates and calendars will see it as cancelled."),
            [_ln("It ends %(num)s booked seat.", "It ends %(num)s booked seats.", seats),
             _ln("It ends %(num)s place on the waiting list.", "It ends %(num)s places on the waiting list.", waiting),
             _l("Everyone who loses a seat or a place is told by e-mail.")],
        )
    if not writes_live:
        _stage_session(session, data, SessionStatus.CANCELLED, actor)
        return
    session.status = SessionStatus.CANCELLED
    _record(session, {"status": {"old": SessionStatus.SCHEDULED.value, "new": SessionStatus.CANCELLED.value}}, actor)


def restore_session(
    *, session: ProgrammeSession, actor: User, confirm: bool = False, confirmed_warnings: str | None = None,
    give_back: bool | None = None, live: bool | None = None,
) -> None:
    """Bring a cancelled session back, if its room is still free (warnings need confirming).
    ``give_back`` gives the bookings its cancellation ended their seats and places again; while
    there are any, the organiser is asked (None: not asked yet). In a published programme the
    return waits for the next release."""
    writes_live = _writes_live(session.event, live, session)
    data, status = (SessionData.from_session(session), session.status) if writes_live else working_data(session)
    if status is not SessionStatus.CANCELLED:
        raise InvalidState(_l("Only a cancelled session can be restored."))
    _enforce_conflict_rules(session.event, data, session.id, confirm, confirmed_warnings)
    if give_back is None and session.is_cancelled and any(ended_by_cancellation(session)):
        raise NeedsConfirmation(_l("Restore this session?"))
    if not writes_live:
        _stage_session(session, data, SessionStatus.SCHEDULED, actor, give_back=bool(give_back))
        return
    session.status = SessionStatus.SCHEDULED
    _record(session, {"status": {"old": SessionStatus.CANCELLED.value, "new": SessionStatus.SCHEDULED.value}}, actor)
    _send(signals.session_restored, session=session, actor=actor, give_back=bool(give_back))


def delete_session(*, session: ProgrammeSession, actor: User) -> None:
    """Remove a session that nobody has booked from an unpublished programme."""
    if db.session.scalar(sa.select(sa.func.count()).where(Booking.session_id == session.id)):
        raise InvalidState(_l("People have booked this session: cancel it instead of deleting it."))
    if session.event.is_published:
        raise InvalidState(
            _l("The programme is published: cancel the session instead, so that calendars learn of it.")
        )
    event = session.event
    audit.record(actor=actor, action=AuditAction.SESSION_DELETED, target=f"{session.title} ({event.name})")
    db.session.delete(session)
    _touch(event)
    db.session.flush()
    _send(signals.schedule_changed, event=event)


# --- reading ----------------------------------------------------------------------------------

@dataclass
class SessionFilters:
    q: str = ""
    track_id: int | None = None
    kind: SessionKind | None = None
    status: SessionStatus | None = None
    venue_id: int | None = None


def sessions_table() -> Table:
    """The columns of an event's sessions for organisers (room, venue, track and people loaded)."""
    from sqlalchemy.orm import joinedload

    return Table(
        columns=(
            Column("when", _l("When"), (ProgrammeSession.starts_at, ProgrammeSession.title)),
            Column("title", _l("Title"), by_name(ProgrammeSession.title)),
            Column("where", _l("Where")),
            Column("track", _l("Track")),
            Column("people", _l("People")),
            Column("revision", _l("Revision"), ProgrammeSession.revision, numeric=True),
        ),
        key=ProgrammeSession.id,
        default_sort="when",
        options=(
            joinedload(ProgrammeSession.room).joinedload(Room.venue),
            joinedload(ProgrammeSession.track),
            # Only the people's names are shown: their other columns are not read.
            selectinload(ProgrammeSession.roles).joinedload(SessionRole.user).load_only(User.name),
        ),
        depends_on=("schedule",),  # sessions, their rooms and venues, the names of their people
    )


def session_list(event: Event, filters: SessionFilters) -> sa.Select:
    """An event's sessions that match the filters, for the organisers' table."""
    query = sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
    if filters.q:
        query = query.where(
            sa.or_(
                contains_text(filters.q, ProgrammeSession.title),
                ProgrammeSession.id.in_(
                    sa.select(SessionRole.session_id).join(User).where(contains_text(filters.q, User.name))
                ),
            )
        )
    if filters.track_id is not None:
        query = query.where(ProgrammeSession.track_id == filters.track_id)
    if filters.kind is not None:
        query = query.where(ProgrammeSession.kind == filters.kind)
    if filters.status is not None:
        query = query.where(ProgrammeSession.status == filters.status)
    if filters.venue_id is not None:
        query = query.where(ProgrammeSession.room_id.in_(sa.select(Room.id).where(Room.venue_id == filters.venue_id)))
    return query


def list_sessions(event: Event, filters: SessionFilters) -> list[ProgrammeSession]:
    """An event's sessions for the organisers' list, by time, with room, venue, track and people loaded."""
    table = sessions_table()
    return list(db.session.scalars(table.ordered(session_list(event, filters), table.state({}))
                                   .options(*table.options)))


def session_rows(sessions: Iterable[ProgrammeSession], timezone: str) -> tuple[list[Any], Iterator[list[Any]]]:
    """The header and rows of an event's session list as a download (rows built as read)."""
    header = [_l("Starts"), _l("Ends"), _l("Title"), _l("Kind"), _l("Status"), _l("Venue"), _l("Room"),
              _l("Track"), _l("People"), _l("Revision")]
    rows = (
        [local_stamp(s.starts_at, timezone), local_stamp(s.ends_at, timezone), s.title, str(s.kind.label),
         s.status.value, s.room.venue.name if s.room else "", s.room.name if s.room else "",
         s.track.name if s.track else "", ", ".join(dict.fromkeys(r.user.name for r in s.roles if r.user)),
         s.revision]
        for s in sessions
    )
    return header, rows


def search_people(q: str, limit: int = 20) -> list[User]:
    """Active accounts whose name or e-mail contains ``q`` (for the speaker picker); % and _
    in ``q`` are letters like any other."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.active.is_(True))
            .where(contains_text(q, User.name, User.email))
            .order_by(by_name(User.name), User.id)
            .limit(limit)
        )
    )


def person_label(user: User) -> str:
    """How the picker names a person: "Name <e-mail>"."""
    return f"{user.name} <{user.email}>"


def picker_people(ids: Iterable[int], emails: Iterable[str]) -> list[User]:
    """The accounts a session form names, by id (active or not) or by e-mail, in one query:
    the form shows and checks only these, never a list of everyone."""
    ids = {i for i in ids if is_database_id(i)}
    emails = {e.strip().lower() for e in emails if e.strip()}
    if not ids and not emails:
        return []
    return list(db.session.scalars(sa.select(User).where(sa.or_(User.id.in_(ids), User.email.in_(emails)))))


def room_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Room.id, Room.name, Room.capacity, Venue.name.label("venue"))
        .join(Venue, Room.venue_id == Venue.id)
        .order_by(by_name(Venue.name), by_name(Room.name))
    ).all()
    return [(r.id, f"{r.venue} – {r.name} ({r.capacity})") for r in rows]


def network_choices() -> list[tuple[int, str]]:
    return [(n.id, n.name) for n in db.session.scalars(sa.select(Network).order_by(by_name(Network.name)))]
