"""The change log as people read it. The public sees moves in time and place, cancellations
and new titles; other fields (meeting links, capacity, notes …) stay out of public pages and
are shown, in the same words, only on the organisers' session page."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flask_babel import lazy_gettext as _l

from expo.programme.models import ADDED, ProgrammeSession, Release, SessionChange, SessionKind, SessionStatus
from expo.schedule.forms import language_name
from expo.venues.models import Room

ROOM_KEYS = ("room_id", "room")
STATUSES = {status.value for status in SessionStatus}
KINDS = {kind.value: kind for kind in SessionKind}
# The fields only organisers see, in the order their lines are shown.
PRIVATE_KEYS = (
    "kind", "meeting_url", "capacity", "language", "track", "networks", "speakers", "moderators", "hosts",
    "description",
)


@dataclass(frozen=True)
class ChangeLine:
    """One field's move: ``kind`` is "time", "starts_at", "ends_at", "room", "status", "title",
    "added" (the session was added: old None, new True) or (for organisers) one of PRIVATE_KEYS; time values are aware instants, statuses
    SessionStatus, the others text (None: not set, e.g. a room when the session is online)."""

    kind: str
    old: Any
    new: Any


@dataclass(frozen=True)
class PublicChange:
    created_at: datetime
    session: ProgrammeSession
    lines: list[ChangeLine]
    release_id: int | None = None

    @property
    def added(self) -> bool:
        """The session was added to the programme (its current time and place are shown)."""
        return any(line.kind == ADDED for line in self.lines)

    @property
    def cancelled(self) -> bool:
        return any(line.kind == "status" and line.new == SessionStatus.CANCELLED for line in self.lines)


def parse_instant(value: Any) -> datetime | None:
    """An ISO 8601 string from the change log as an aware UTC instant (naive means UTC)."""
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc)


def room_ids(rows: list[SessionChange]) -> set[int]:
    """Room ids mentioned by the rows, to load them in one query."""
    ids: set[int] = set()
    for row in rows:
        for key in ROOM_KEYS:
            change = (row.changes or {}).get(key)
            if isinstance(change, dict):
                ids.update(v for v in (change.get("old"), change.get("new")) if isinstance(v, int))
    return ids


def _room_text(value: Any, rooms: dict[int, Room]) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        room = rooms.get(value)
        return room.label if room is not None else str(_l("a room since removed"))
    return str(value)


def _pair(changes: dict[str, Any], key: str) -> tuple[Any, Any] | None:
    change = changes.get(key)
    if not isinstance(change, dict):
        return None
    return change.get("old"), change.get("new")


def _private_text(key: str, value: Any) -> str | None:
    """A private field's value in the reader's words: kinds and languages by name, lists joined."""
    if value is None or value == [] or value == "":
        return None
    if key == "kind" and value in KINDS:
        return KINDS[value].label
    if key == "language" and isinstance(value, str):
        return language_name(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def change_lines(changes: dict[str, Any], rooms: dict[int, Room], *, public: bool = True) -> list[ChangeLine]:
    """The lines a log entry shows: the public ones, and with ``public=False`` the private too."""
    lines = _public_lines(changes, rooms)
    if not public:
        for key in PRIVATE_KEYS:
            pair = _pair(changes, key)
            if pair is not None:
                lines.append(ChangeLine(key, *(_private_text(key, v) for v in pair)))
    return [line for line in lines if line.old != line.new]


def public_lines(changes: dict[str, Any], rooms: dict[int, Room]) -> list[ChangeLine]:
    return change_lines(changes, rooms)


def _public_lines(changes: dict[str, Any], rooms: dict[int, Room]) -> list[ChangeLine]:
    lines: list[ChangeLine] = []
    starts, ends = _pair(changes, "starts_at"), _pair(changes, "ends_at")
    times = {
        key: tuple(parse_instant(v) for v in pair)
        for key, pair in (("starts_at", starts), ("ends_at", ends))
        if pair is not None
    }
    if len(times) == 2 and all(None not in pair for pair in times.values()):
        lines.append(
            ChangeLine("time", (times["starts_at"][0], times["ends_at"][0]), (times["starts_at"][1], times["ends_at"][1]))
        )
    else:
        lines.extend(ChangeLine(key, *pair) for key, pair in times.items() if None not in pair)
    for key in ROOM_KEYS:
        pair = _pair(changes, key)
        if pair is not None:
            lines.append(ChangeLine("room", *(_room_text(v, rooms) for v in pair)))
            break
    status = _pair(changes, "status")
    if status is not None and all(v in STATUSES for v in status):
        lines.append(ChangeLine("status", *(SessionStatus(v) for v in status)))
    title = _pair(changes, "title")
    if title is not None:
        lines.append(ChangeLine("title", *title))
    if _pair(changes, ADDED) is not None:
        lines.append(ChangeLine(ADDED, None, True))
    return lines


def public_changes(rows: list[SessionChange], rooms: dict[int, Room]) -> list[PublicChange]:
    """The rows (newest first) that have something public to say, in the same order."""
    result = []
    for row in rows:
        lines = public_lines(row.changes or {}, rooms)
        if lines:
            result.append(PublicChange(row.created_at, row.session, lines, row.release_id))
    return result


@dataclass
class Version:
    """A release with its public changes, or (``release`` None) changes made public at once,
    before releases or while the programme was a draft."""

    release: Release | None
    changes: list[PublicChange] = field(default_factory=list)


def by_version(changes: list[PublicChange], releases: list[Release]) -> list[Version]:
    """The changes (newest first) under their versions, newest first; every release is
    listed, with its note, even one that changed nothing the public sees."""
    versions = {r.id: Version(r) for r in releases}
    entries: list[tuple[datetime, int, Version | PublicChange]] = [
        (r.created_at, r.number, versions[r.id]) for r in releases
    ]
    for change in changes:
        if change.release_id in versions:
            versions[change.release_id].changes.append(change)
        else:
            entries.append((change.created_at, 0, change))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    result: list[Version] = []
    for _when, _number, item in entries:
        if isinstance(item, Version):
            result.append(item)
        elif result and result[-1].release is None:
            result[-1].changes.append(item)
        else:
            result.append(Version(None, [item]))
    return result


@dataclass(frozen=True)
class LoggedChange:
    """One entry of a session's log as organisers read it: when, who, revision and lines."""

    row: SessionChange
    lines: list[ChangeLine]


def session_history(rows: list[SessionChange], rooms: dict[int, Room]) -> list[LoggedChange]:
    """Every entry of the rows (newest first), every field included."""
    return [LoggedChange(row, change_lines(row.changes or {}, rooms, public=False)) for row in rows]
