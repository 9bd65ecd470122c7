"""Changes staged in a published programme, waiting for a release.

Once an event is published, the programme's services no longer write what organisers change
in its sessions to the sessions themselves: they keep, per session, one ``PendingChange`` with
the session as it is to become and its difference from what the public sees. Public pages,
calendar feeds, exports and bookings go on reading the sessions, unchanged and as fast as
before, until a release (``expo/programme/releases.py``) applies the pending changes through
the same services, all at once, as a numbered version. Drafts are edited live."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.programme.models import ADDED, PendingChange, ProgrammeSession, SessionRoleKind, SessionStatus
from expo.venues.models import Room


def is_staged(event: Event) -> bool:
    """Whether changes to the event's sessions wait for a release: once the event has been
    published (``first_published_at``), while it is. A draft, and an event taken back to
    draft, is edited live."""
    return bool(event.is_published and event.first_published_at is not None)


def iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot(s: ProgrammeSession) -> dict[str, Any]:
    """The session's fields as plain JSON values, to compare before and after a change."""
    return _fields(
        s.title, s.description, s.kind.value, s.starts_at, s.ends_at, s.room, s.meeting_url, s.capacity,
        s.language, s.track, s.networks, [(u, role) for role in SessionRoleKind for u in s.people(role)],
        s.status,
    )


def data_snapshot(data: Any, related: tuple, status: SessionStatus) -> dict[str, Any]:
    """What ``snapshot`` would say of a session saved with ``data`` (a ``SessionData``) and
    its loaded ``related`` objects (room, track, networks, users by id), without saving it."""
    room, track, networks, users = related
    people = [(users[i], role) for i, role in dict.fromkeys(data.people())]
    return _fields(
        data.title.strip(), (data.description or "").strip() or None, data.kind.value, data.starts_at,
        data.ends_at, room, (data.meeting_url or "").strip() or None, data.capacity, data.language, track,
        sorted(networks, key=lambda n: n.name), people, status,
    )


def _fields(title: str, description: str | None, kind: str, starts_at: datetime, ends_at: datetime, room: Any,
            meeting_url: str | None, capacity: int | None, language: str, track: Any, networks: Sequence[Any],
            people: list[tuple[User, SessionRoleKind]], status: SessionStatus) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "kind": kind,
        "starts_at": iso(starts_at),
        "ends_at": iso(ends_at),
        "room": room.label if room is not None else None,
        "meeting_url": meeting_url,
        "capacity": capacity,
        "language": language,
        "track": track.name if track is not None else None,
        "networks": [n.name for n in networks],
        "speakers": [u.name for u, r in people if r is SessionRoleKind.SPEAKER],
        "moderators": [u.name for u, r in people if r is SessionRoleKind.MODERATOR],
        "hosts": [u.name for u, r in people if r is SessionRoleKind.HOST],
        "status": status.value,
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"old": before[k], "new": after[k]} for k in after if before[k] != after[k]}


def pending_for(session: ProgrammeSession) -> PendingChange | None:
    """The session's unreleased change, if any."""
    if session.id is None:
        return None
    return db.session.scalar(sa.select(PendingChange).where(PendingChange.session_id == session.id))


@dataclass
class Staged:
    """One change to stage: a session's (or, with ``session`` None, a new session's)."""

    session: ProgrammeSession | None
    data_json: dict[str, Any]
    after: dict[str, Any]
    status: SessionStatus
    give_back: bool = False
    external: dict[str, str] | None = None


def stage(
    *, event: Event, session: ProgrammeSession | None, data_json: dict[str, Any], after: dict[str, Any],
    status: SessionStatus, actor: User | None, give_back: bool = False, external: dict[str, str] | None = None,
) -> PendingChange | None:
    """Keep the session's change (or a new session) for the next release, replacing what was
    staged for it before; a change that undoes what was staged leaves nothing pending."""
    if session is None:
        row = _pending_addition(event, external) if external else None
    else:
        row = pending_for(session)
    row = _put(event, row, Staged(session, data_json, after, status, give_back, external), actor)
    db.session.flush()
    return row


@dataclass
class PendingIndex:
    """What is staged already for an event's sessions, by number rather than as rows: each
    session's pending row (its id, status and ``give_back``) and each staged addition's row
    by the key it came with from another system. An import of many rows reads it once and
    loads a chunk's pending rows only while it writes them (``stage_chunk``)."""

    sessions: dict[int, tuple[int, SessionStatus, bool]]
    additions: dict[tuple, int]

    @classmethod
    def of(cls, event: Event) -> PendingIndex:
        """The event's pending rows, in one query."""
        index = cls({}, {})
        for row in db.session.execute(
            sa.select(PendingChange.id, PendingChange.session_id, PendingChange.status, PendingChange.give_back,
                      PendingChange.external).where(PendingChange.event_id == event.id)
        ):
            if row.session_id is not None:
                index.sessions[row.session_id] = (row.id, row.status, row.give_back)
            elif row.external:
                index.additions[_external_key(row.external)] = row.id
        return index

    def status(self, session: ProgrammeSession) -> SessionStatus:
        """The session's status as staged, or its own when nothing is."""
        entry = self.sessions.get(session.id)
        return entry[1] if entry is not None else session.status

    def give_back(self, session: ProgrammeSession) -> bool:
        entry = self.sessions.get(session.id)
        return entry is not None and entry[2]

    def row_id(self, change: Staged) -> int | None:
        if change.session is not None:
            entry = self.sessions.get(change.session.id)
            return entry[0] if entry is not None else None
        return self.additions.get(_external_key(change.external)) if change.external else None


def stage_chunk(*, event: Event, changes: Sequence[Staged], index: PendingIndex, actor: User | None) -> None:
    """``stage`` for a chunk of an import's changes to one event: the chunk's pending rows
    loaded in one query and written in one flush, then let go (they leave the database
    session), so that staging a large file holds no more than a chunk of them. ``index``
    (``PendingIndex.of``, read once for the whole file) is kept up to date: an addition
    imported twice updates its row, a change that undoes what was staged removes it."""
    ids = {i for change in changes if (i := index.row_id(change)) is not None}
    rows = {r.id: r for r in db.session.scalars(sa.select(PendingChange).where(PendingChange.id.in_(ids)))} \
        if ids else {}
    added: dict[tuple, PendingChange] = {}  # the chunk's additions by key, before they have an id
    written: list[PendingChange] = []
    for change in changes:
        key = _external_key(change.external) if change.session is None and change.external else None
        before = added.get(key) if key is not None else None
        if before is None:
            row_id = index.row_id(change)
            before = rows.get(row_id) if row_id is not None else None
        row = _put(event, before, change, actor)
        if row is None:  # undone: nothing is pending for the session any more
            index.sessions.pop(change.session.id, None)
            continue
        if key is not None:
            added[key] = row
        written.append(row)
    db.session.flush()
    for row in dict.fromkeys(written):
        if row.session_id is not None:
            index.sessions[row.session_id] = (row.id, row.status, row.give_back)
        elif row.external:
            index.additions[_external_key(row.external)] = row.id
    for row in {*rows.values(), *written}:
        if row in db.session:
            db.session.expunge(row)


def _external_key(external: dict[str, str]) -> tuple:
    return tuple(sorted(external.items()))


def _put(event: Event, row: PendingChange | None, change: Staged, actor: User | None) -> PendingChange | None:
    """Write one change into the session's pending row (``row``, None when it has none yet)."""
    if change.session is None:
        changes = {ADDED: {"old": None, "new": change.after["title"], "room": change.after["room"]}}
    else:
        changes = diff(snapshot(change.session), change.after)
        if not changes:
            if row is not None:
                db.session.delete(row)
            return None
    if row is None:
        row = PendingChange(event_id=event.id, session=change.session)
        db.session.add(row)
    row.data, row.status, row.changes = change.data_json, change.status, changes
    row.give_back, row.external = change.give_back, change.external
    row.changed_by, row.updated_at = actor, utcnow()
    return row


def restage_addition(row: PendingChange, *, data_json: dict[str, Any], after: dict[str, Any],
                     actor: User | None) -> None:
    """Replace what a staged addition (a session not yet released) will add, in its own row."""
    _put(row.event, row, Staged(None, data_json, after, row.status, external=row.external), actor)
    db.session.flush()


def superseded(session: ProgrammeSession) -> None:
    """A live edit of the session (in a draft) replaces whatever was staged for it while the
    event was published, so that a later release cannot bring the older version back."""
    row = pending_for(session)
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def _pending_addition(event: Event, external: dict[str, str]) -> PendingChange | None:
    """The staged addition that came from the same row of another system (a schedule fetched
    again before its release updates it instead of adding the session twice)."""
    rows = db.session.scalars(
        sa.select(PendingChange).where(PendingChange.event_id == event.id, PendingChange.session_id.is_(None))
    )
    return next((r for r in rows if r.external == external), None)


def pending_changes(event: Event) -> list[PendingChange]:
    """The event's unreleased changes, in the programme's order, with their sessions' rooms
    and venues loaded (two queries)."""
    rows = list(db.session.scalars(
        sa.select(PendingChange)
        .where(PendingChange.event_id == event.id)
        .options(selectinload(PendingChange.session).selectinload(ProgrammeSession.room).selectinload(Room.venue),
                 selectinload(PendingChange.changed_by))
        .order_by(PendingChange.id)
    ))
    return sorted(rows, key=lambda r: (r.starts_at, r.title.casefold(), r.id))


def pending_count(event: Event) -> int:
    """How many sessions have unreleased changes (additions included)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(PendingChange).where(PendingChange.event_id == event.id)
    ) or 0


def pending_session_ids(event: Event) -> tuple[int, set[int]]:
    """How many changes wait for the event's next release, and which of its sessions have
    one (one query, for the organisers' list of sessions)."""
    ids = list(db.session.scalars(sa.select(PendingChange.session_id).where(PendingChange.event_id == event.id)))
    return len(ids), {i for i in ids if i is not None}

