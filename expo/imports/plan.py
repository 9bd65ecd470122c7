"""What an import would do, row by row, checked with the programme's own rules — and doing it.

Every source (a spreadsheet, a frab schedule) turns its rows into ``Incoming`` values; the
plan finds each row's session by its stable key, builds the ``SessionData`` the session form
would, checks it with the same field rules and the same conflict rules (room clashes refused;
person clashes, transfers, seats and opening hours warned) and says per row whether it is new,
updates a session, leaves it unchanged, or has a warning or an error, and in which cell.

``applying.apply_plan`` then makes the changes through the programme's services, in the
caller's transaction, so the import is all or nothing."""
from __future__ import annotations

import hashlib
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Hashable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.extensions import db
from expo.events.models import Event
from expo.imports import conflicts_check
from expo.imports.models import ExternalKey
from expo.imports.scratch import NumberMap, Scratch
from expo.programme import conflicts
from expo.programme import services as programme
from expo.programme.models import ProgrammeSession, SessionKind, SessionRole, SessionStatus
from expo.venues.models import Room

NEW, UPDATE, UNCHANGED, CANCEL = "new", "update", "unchanged", "cancel"
STALE = _l("The programme has changed since the preview: check the new preview and confirm again.")
Progress = Callable[[int, int], None]  # told the rows done of the total as an import goes
# Which cell to point at when the programme's rules refuse a field.
FIELD_COLUMNS = {
    "title": "title", "kind": "kind", "starts_at": "starts", "ends_at": "ends", "room_id": "room",
    "meeting_url": "meeting_url", "capacity": "capacity", "track_id": "track", "network_ids": "networks",
    "speaker_ids": "speakers",
}


# How the preview names a changed field.
FIELD_LABELS = {
    "title": _l("Title"), "description": _l("Description"), "kind": _l("Kind"), "starts_at": _l("Starts"),
    "ends_at": _l("Ends"), "room_id": _l("Room"), "meeting_url": _l("Meeting link"), "capacity": _l("Capacity"),
    "language": _l("Language"), "track_id": _l("Track"), "network_ids": _l("Networks"),
    "speaker_ids": _l("Speakers"), "moderator_ids": _l("Moderators"), "host_ids": _l("Hosts"), "status": _l("Status"),
}


@dataclass(frozen=True)
class Problem:
    cell: str  # "C4", or "" for the row as a whole
    message: Any


@dataclass
class Incoming:
    """One row of a source, parsed: ``values`` holds only the fields the row gives, with the
    programme's types (``starts_at`` aware UTC, ``room_id``, ``speaker_ids`` …)."""

    line: int
    key: tuple[str, str] | None  # ("uid", uid) or (source, external id)
    values: dict[str, Any] = field(default_factory=dict)
    refs: Mapping[str, str] = field(default_factory=dict)  # column → cell
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    track_name: str | None = None  # a track to look up, or to add when the event has none by that name
    failed: set[str] = field(default_factory=set)  # columns whose cell was refused

    def cell(self, column: str) -> str:
        return self.refs.get(column, "")

    def error(self, column: str, message: Any) -> None:
        self.failed.add(column)
        self.errors.append(Problem(self.cell(column), message))


@dataclass(slots=True)  # a plan holds one a row of the file
class PlannedRow:
    line: int
    title: str
    action: str  # NEW, UPDATE, UNCHANGED or CANCEL
    session: ProgrammeSession | None = None
    data: programme.SessionData | None = None
    status: SessionStatus = SessionStatus.SCHEDULED
    key: tuple[str, str] | None = None
    track_name: str | None = None
    refs: Mapping[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def state(self) -> str:
        """What the preview shows: error, warning, or the action."""
        if self.errors:
            return "error"
        if self.warnings:
            return "warning"
        return self.action

    @property
    def changed_labels(self) -> list[str]:
        return [str(FIELD_LABELS.get(name, name)) for name in self.changed]

    @property
    def changes_programme(self) -> bool:
        return self.action in (NEW, UPDATE, CANCEL)


@dataclass
class TableRow:
    """A row of an import that touches no session (venues and rooms, registrations)."""

    line: int
    title: str
    action: str
    changed: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    session: None = None  # the preview links a row to its session; these rows have none
    data: None = None

    @property
    def state(self) -> str:
        if self.errors:
            return "error"
        return "warning" if self.warnings else self.action


@dataclass
class RowsPlan(ABC):
    """What an import would do, whatever it imports: rows with an action, a state, problems."""

    rows: list[Any]
    notes: list[Any] = field(default_factory=list)  # about the file as a whole (ignored columns)

    def close(self) -> None:
        """Let go of what the plan keeps aside (a large file's scratch database)."""

    def __enter__(self) -> RowsPlan:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def has_errors(self) -> bool:
        return any(r.errors for r in self.rows)

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)

    def summary(self) -> dict[str, int]:
        counts = {NEW: 0, UPDATE: 0, UNCHANGED: 0, CANCEL: 0}
        for r in self.rows:
            counts[r.action] += 1
        return counts

    @abstractmethod
    def fingerprint(self, row: Any) -> Any:
        """The row's action and values as a JSON-ready list."""

    def fingerprints(self) -> Iterator[Any]:
        return (self.fingerprint(r) for r in self.rows)

    @property
    def digest(self) -> str:
        """A fingerprint of what confirming would do: a confirmation counts only for it."""
        digest = Digest()
        for values in self.fingerprints():
            digest.add(values)
        return digest.hexdigest()


class Digest:
    """A plan's digest, its rows' lines joined by line breaks hashed one at a time as they are
    gone through, never held together."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._rows = 0

    def add(self, values: Any) -> None:
        self._hash.update((b"\n" if self._rows else b"") + json.dumps(values, default=str).encode())
        self._rows += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()[:32]


class PlannedAgain:
    """The rows of a plan too large to hold (``streamed_plan``): planned again from the file
    each time they are gone through, one at a time, so that they are never held together."""

    def __init__(self, rows: Callable[[], Iterator[PlannedRow]]) -> None:
        self._rows = rows

    def __iter__(self) -> Iterator[PlannedRow]:
        return self._rows()


@dataclass
class Plan(RowsPlan):
    rows: list[PlannedRow] | PlannedAgain
    scratch: Scratch | None = field(default=None, repr=False, compare=False)  # a streamed plan's

    def slots(self) -> conflicts_check.Slots:
        """Where the conflict check keeps the rows' slots: in memory, or a streamed plan's scratch database."""
        return conflicts_check.HeldSlots() if self.scratch is None else conflicts_check.ScratchSlots(self.scratch)

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.close()

    def fingerprint(self, row: PlannedRow) -> Any:
        return [row.line, row.action, row.state, row.session.id if row.session else None, row.status.value,
                _data_repr(row.data), row.track_name, [str(w.message) for w in row.warnings]]


def _data_repr(data: programme.SessionData | None) -> Any:
    if data is None:
        return None
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.values().items()}


# --- planning ---------------------------------------------------------------------------------

CHUNK = 500  # rows whose sessions are looked up and loaded at once


def event_sessions(event: Event, ids: Iterable[int] | None = None) -> list[ProgrammeSession]:
    """The event's sessions (those of ``ids``, if given) with what a comparison reads, in a
    fixed number of queries."""
    query = sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
    if ids is not None:
        ids = list(ids)
        if not ids:
            return []
        query = query.where(ProgrammeSession.id.in_(ids))
    return list(
        db.session.scalars(
            query.options(
                selectinload(ProgrammeSession.networks),
                selectinload(ProgrammeSession.roles).selectinload(SessionRole.user),
                selectinload(ProgrammeSession.room),
            )
        )
    )


def folded_title(title: Any) -> str:
    """A title as rows and sessions are matched by it: trimmed, case folded (“Straße” is “STRASSE”)."""
    return str(title or "").strip().casefold()


def _moment(value: Any) -> str | None:
    """A start as the scratch database keeps it, equal where the datetimes are equal: an aware
    one as its instant, a naive one as itself (never equal to an aware one); None for no time."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None and value.utcoffset() is not None:
        return "A" + value.astimezone(timezone.utc).replace(tzinfo=None).isoformat()
    return "N" + value.isoformat()


class SessionIndex:
    """The event's sessions as a plan finds a row's session — by id, by external key, by title
    — as they were when planning began: their ids (and titles and starts) only, put aside in a
    scratch database (a few bytes a session), the sessions themselves loaded a chunk of rows at
    a time (``_Planner.rows``). Rows are compared with the programme as it was when they were
    first planned, however often they are planned again (a job's confirmation writes as it goes)."""

    def __init__(self, scratch: Scratch, event: Event, source: str) -> None:
        self.scratch = scratch
        self.sessions, self.keys = scratch.table("sessions"), scratch.table("keys")
        scratch.execute(f"CREATE TABLE {self.sessions} (id INTEGER PRIMARY KEY, uid TEXT NOT NULL, "
                        "folded TEXT NOT NULL, starts TEXT)")
        scratch.execute(f"CREATE TABLE {self.keys} (external TEXT PRIMARY KEY, id INTEGER NOT NULL)")
        listed = db.session.execute(
            sa.select(ProgrammeSession.id, ProgrammeSession.uid, ProgrammeSession.title, ProgrammeSession.starts_at)
            .where(ProgrammeSession.event_id == event.id).execution_options(yield_per=1000))
        for part in listed.partitions():
            scratch.insert(f"INSERT INTO {self.sessions} VALUES (?, ?, ?, ?)",
                           [(sid, uid, folded_title(title), _moment(starts)) for sid, uid, title, starts in part])
        keyed = db.session.execute(
            sa.select(ExternalKey.external_id, ExternalKey.session_id)
            .join(ProgrammeSession, ProgrammeSession.id == ExternalKey.session_id)
            .where(ExternalKey.event_id == event.id, ExternalKey.source == source,
                   ProgrammeSession.event_id == event.id).order_by(ExternalKey.id).execution_options(yield_per=1000))
        for part in keyed.partitions():
            scratch.insert(f"INSERT OR REPLACE INTO {self.keys} VALUES (?, ?)", list(part))
        scratch.execute(f"CREATE INDEX {self.sessions}_uid ON {self.sessions} (uid)")
        scratch.execute(f"CREATE INDEX {self.sessions}_folded ON {self.sessions} (folded)")

    def _lookup(self, statement: str, values: set[str]) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        values_list = sorted(values)
        for start in range(0, len(values_list), CHUNK):
            part = values_list[start:start + CHUNK]
            found += self.scratch.execute(statement.format(marks=", ".join("?" * len(part))), part).fetchall()
        return found

    def by_uid(self, uids: set[str]) -> dict[str, int]:
        return dict(self._lookup(f"SELECT uid, id FROM {self.sessions} WHERE uid IN ({{marks}})", uids))

    def by_key(self, externals: set[str]) -> dict[str, int]:
        return dict(self._lookup(f"SELECT external, id FROM {self.keys} WHERE external IN ({{marks}})", externals))

    def by_title(self, folded: set[str]) -> dict[str, list[tuple[int, str | None]]]:
        titles: dict[str, list[tuple[int, str | None]]] = {}
        for title, sid, starts in self._lookup(
                f"SELECT folded, id, starts FROM {self.sessions} WHERE folded IN ({{marks}}) ORDER BY id", folded):
            titles.setdefault(title, []).append((sid, starts))
        return titles

    def keyed(self) -> Iterator[tuple[str, int]]:
        """Every external key of the source with its session's id, in the order they were given."""
        return self.scratch.rows(f"SELECT external, id FROM {self.keys} ORDER BY rowid")


def _comparable(data: programme.SessionData) -> programme.SessionData:
    """The data with its lists in a fixed order: reordering people or networks is no change."""
    return replace(
        data,
        title=data.title.strip(),
        description=(data.description or "").strip() or None,
        meeting_url=(data.meeting_url or "").strip() or None,
        network_ids=sorted(set(data.network_ids)),
        speaker_ids=sorted(set(data.speaker_ids)),
        moderator_ids=sorted(set(data.moderator_ids)),
        host_ids=sorted(set(data.host_ids)),
    )


class _Planner:
    """What the rows of one file are compared with: the event's sessions found by id, external
    key and title (``SessionIndex``, in the plan's scratch database) and loaded a chunk of rows
    at a time, its tracks, the expo's rooms."""

    def __init__(self, event: Event, source: str, scratch: Scratch) -> None:
        self.event, self.source = event, source
        self.index = SessionIndex(scratch, event, source)
        self.tracks = {t.name.casefold(): t for t in event.tracks}
        self.rooms = {r.id: r for r in db.session.scalars(sa.select(Room).options(selectinload(Room.venue)))}

    def rows(self, incoming: Iterable[Incoming], seen: MutableMapping[int, int] | None = None) -> Iterator[PlannedRow]:
        """Each incoming row compared and checked with the programme's rules, but for conflicts;
        ``seen`` keeps which line imports each session (in memory, unless given one). The sessions
        a chunk of rows (``CHUNK``) names are loaded together, with what is staged for them for
        the next release in a published programme, and let go before the next chunk's."""
        seen = {} if seen is None else seen
        incoming = iter(incoming)
        while chunk := list(itertools.islice(incoming, CHUNK)):
            ids = self._session_ids(chunk, seen)
            sessions = {s.id: s for s in event_sessions(self.event, {i for i in ids if i is not None})}
            working = programme.WorkingCopies.of(self.event, sessions)
            for item, sid in zip(chunk, ids):
                session = sessions.get(sid) if sid is not None else None
                if item.key is not None and item.key[0] == "uid" and session is None:
                    item.error("id", _l("No session of this event has the id %(id)s.", id=item.key[1]))
                yield _plan_row(self.event, item, session, self.tracks, self.rooms, seen, working)
            del chunk, sessions, working

    def _session_ids(self, chunk: list[Incoming], seen: MutableMapping[int, int]) -> list[int | None]:
        """The id of each row's session: by the row's id, its external key, or else its title
        (``_same_session``), the rows before it in the chunk counted as seen."""
        uids = self.index.by_uid({item.key[1] for item in chunk if item.key is not None and item.key[0] == "uid"})
        keyed = self.index.by_key({item.key[1] for item in chunk if item.key is not None and item.key[0] != "uid"})
        titles = self.index.by_title({folded_title(item.values.get("title")) for item in chunk if item.key is None})
        claimed: set[int] = set()
        ids: list[int | None] = []
        for item in chunk:
            if item.key is not None:
                sid = (uids if item.key[0] == "uid" else keyed).get(item.key[1])
            else:
                sid = _same_session(item, titles, lambda candidate: candidate in claimed or candidate in seen)
            if sid is not None:
                claimed.add(sid)
            ids.append(sid)
        return ids

    def cancelled(self, listed: set[str]) -> Iterator[PlannedRow]:
        """The sessions the source gave before and no longer lists (``listed``), to be cancelled."""
        gone = iter([(ext, sid) for ext, sid in self.index.keyed() if ext not in listed])
        while chunk := list(itertools.islice(gone, CHUNK)):
            sessions = {s.id: s for s in event_sessions(self.event, {sid for _, sid in chunk})}
            working = programme.WorkingCopies.of(self.event, sessions)
            for ext, sid in chunk:
                session = sessions.get(sid)
                if session is not None and working.status(session) is not SessionStatus.CANCELLED:
                    yield PlannedRow(line=0, title=session.title, action=CANCEL, session=session,
                                     status=SessionStatus.CANCELLED, key=(self.source, ext))


def make_plan(event: Event, incoming: Iterable[Incoming], *, source: str, missing_cancelled: bool = False) -> Plan:
    """Compare each incoming row with the event's sessions and check it with the programme's
    rules. With ``missing_cancelled`` (a whole schedule), sessions the source gave before and
    no longer lists are to be cancelled."""
    with Scratch() as scratch:
        planner = _Planner(event, source, scratch)
        rows = list(planner.rows(incoming))
        if missing_cancelled:
            rows += planner.cancelled({r.key[1] for r in rows if r.key})
    found = _conflicts(event, rows, conflicts_check.HeldSlots())
    for row in rows:
        _add_conflicts(row, found)
    return Plan(rows)


def streamed_plan(event: Event, read: Callable[[], Iterable[Incoming]], *, source: str) -> Plan:
    """``make_plan`` for a file too large to hold its plan: the file is read (``read``) once
    for what the conflict rules need (each row's slot, put aside in a scratch database; the
    rows themselves are not kept), and again, row by row, each time the plan's rows are gone
    through (``PlannedAgain``); the event's sessions are found through the scratch database
    too (``SessionIndex``) and loaded a chunk of rows at a time. The caller closes the plan
    (``Plan.close``) when done with it."""
    scratch = Scratch()
    try:
        planner = _Planner(event, source, scratch)
        with NumberMap(scratch) as seen:
            found = _conflicts(event, planner.rows(read(), seen), conflicts_check.ScratchSlots(scratch))
    except BaseException:
        scratch.close()
        raise

    def rows() -> Iterator[PlannedRow]:
        with NumberMap(scratch) as seen:
            for row in planner.rows(read(), seen):
                _add_conflicts(row, found)
                yield row

    return Plan(PlannedAgain(rows), scratch=scratch)


def _same_session(item: Incoming, by_title: Mapping[str, list[tuple[int, str | None]]],
                  claimed: Callable[[int], bool]) -> int | None:
    """For a row without an id: the id of the event's one session of that title (``by_title``:
    ids and starts by title, ``folded_title``) not claimed by an earlier row (of several, the one
    at the row's start), so a filled-in template uploaded twice updates its sessions instead of
    adding them again."""
    candidates = [(sid, starts) for sid, starts in by_title.get(folded_title(item.values.get("title")), [])
                  if not claimed(sid)]
    if len(candidates) > 1:
        starts_at = _moment(item.values.get("starts_at"))
        candidates = [(sid, starts) for sid, starts in candidates if starts is not None and starts == starts_at]
    return candidates[0][0] if len(candidates) == 1 else None


def _plan_row(
    event: Event, item: Incoming, session: ProgrammeSession | None, tracks: dict[str, Any],
    rooms: dict[int, Room], seen: MutableMapping[int, int], working: programme.WorkingCopies,
) -> PlannedRow:
    base = working.data(session) if session is not None else None
    values = dict(item.values)
    status = values.pop("status", working.status(session) if session is not None else SessionStatus.SCHEDULED)
    if session is not None:
        if session.id in seen:
            item.error("id", _l("Line %(line)s already imports this session.", line=seen[session.id]))
        seen[session.id] = item.line
        # The export shows the seats on offer: the room's when the session sets none.
        capacity = values.get("capacity")
        room = rooms.get(values.get("room_id", session.room_id) or 0)
        if session.capacity is None and room is not None and capacity == room.capacity:
            values["capacity"] = None
    track_name = None
    if item.track_name is not None:
        track = tracks.get(item.track_name.casefold())
        values["track_id"] = track.id if track else None
        if track is None:
            track_name = item.track_name
            item.warnings.append(Problem(item.cell("track"), _l("The track “%(track)s” will be added to the event.",
                                                                track=item.track_name)))
    if base is None:
        values.setdefault("kind", SessionKind.TALK)
        times_refused = bool(item.failed & {"date", "starts", "ends", "timezone"})
        for name in ("title", "starts_at", "ends_at"):
            column = FIELD_COLUMNS[name]
            if name not in values and column not in item.failed and not (name != "title" and times_refused):
                item.error(column, _l("A new session needs a title, a day, a start and an end."))
                break
    data = None
    if not item.errors:
        defaults = base or programme.SessionData(title="", kind=SessionKind.TALK, starts_at=values["starts_at"],
                                                 ends_at=values["ends_at"])
        data = replace(defaults, **values)
        for name, message in programme.session_data_problems(event, data).items():
            item.error(FIELD_COLUMNS.get(name, ""), message)
    title = str(values.get("title") or (session.title if session else ""))
    if item.errors:
        return PlannedRow(item.line, title, UPDATE if session else NEW, session, None, status, item.key,
                          refs=item.refs, errors=item.errors, warnings=item.warnings)
    assert data is not None
    changed: list[str] = []
    if session is not None:
        old, new = _comparable(base).values(), _comparable(data).values()
        changed = [k for k in new if old[k] != new[k] and not (k == "track_id" and track_name)]
        if track_name:
            changed.append("track_id")
        if status is not session.status:
            changed.append("status")
    action = NEW if session is None else (UPDATE if changed else UNCHANGED)
    return PlannedRow(
        item.line, title, action, session, data, status, item.key, track_name=track_name, refs=item.refs,
        changed=changed, errors=item.errors, warnings=item.warnings if action != UNCHANGED else [],
    )


def conflict_key(row: PlannedRow) -> Hashable | None:
    """The row's key in the conflict check, or None when the row is not checked: one that
    adds or changes a session that is not cancelled, without errors."""
    if row.data is None or row.action not in (NEW, UPDATE) or row.status is SessionStatus.CANCELLED:
        return None
    return row.session.id if row.session is not None else ("line", row.line)


def _conflicts(event: Event, rows: Iterable[PlannedRow],
               slots: conflicts_check.Slots) -> dict[Hashable, list[tuple[conflicts.Finding, Any]]]:
    """The programme's conflict rules over the whole expo as it would be after the import: each
    checked row's findings with their messages, by the row's key (``conflict_key``; rows without
    findings are left out). Rows are checked together, so two rows that clash with each other are
    found; only each row's slot is put aside (``slots``) while the rows are gone through, and they
    are checked a window of time at a time (``conflicts_check``). The rooms are loaded
    (``_Planner``), so building a slot queries nothing."""
    with slots:
        for row in rows:
            if row.session is not None and row.action in (UPDATE, CANCEL):
                slots.move(row.session.id)
            key = conflict_key(row)
            if key is not None:
                slots.add(row.line, programme.candidate_slot(event, row.data, key))
        found = conflicts_check.check(slots)
    ids = {f.person_id for findings in found.values() for f in findings if f.person_id is not None}
    names = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return {key: [(finding, programme.describe(finding, names)) for finding in findings]
            for key, findings in found.items()}


def _add_conflicts(row: PlannedRow, found: dict[Hashable, list[tuple[conflicts.Finding, Any]]]) -> None:
    """The row's findings (``_conflicts``) as its errors (a room clash) or warnings, in its cells."""
    key = conflict_key(row)
    for finding, message in found.get(key, ()) if key is not None else ():
        cell = row.refs.get("room" if finding.rule is not conflicts.Rule.PERSON_OVERLAP else "speakers", "")
        (row.errors if finding.refused else row.warnings).append(Problem(cell or row.refs.get("starts", ""), message))
