"""Making an import's changes (``apply_plan``): the one place an import changes the programme,
through the programme's services, in the caller's transaction, so the import is all or nothing."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.db import forget_locks
from expo.core.errors import Conflict, InvalidState
from expo.core.extensions import db
from expo.events import services as event_services
from expo.events.models import Event
from expo.imports import conflicts_check
from expo.imports.models import ExternalKey
from expo.imports.plan import (
    CANCEL, NEW, STALE, UNCHANGED, UPDATE, Digest, Plan, PlannedRow, Progress, conflict_key,
)
from expo.programme import services as programme
from expo.programme.models import ProgrammeSession, SessionStatus
from expo.venues.models import Room

TRACK_COLOUR = "#1d5b79"  # the colour a new track gets, as in the track form
REPORT_EVERY = 500  # rows made one by one between two reports of progress


def apply_plan(event: Event, plan: Plan, *, source: str, actor: User,
               progress: Progress = lambda done, total: None, digest: str | None = None) -> dict[str, int]:
    """Make the plan's changes through the programme's services (the one place an import
    changes the programme); the caller commits them as one transaction or rolls them back.
    ``progress`` hears the rows done (those that change nothing at once) as chunks are written;
    with ``digest``, the plan is applied only if it is still the one previewed. The plan's rows
    are gone through twice (they may be planned again each time: ``PlannedAgain``), the digest
    checked and the errors refused in the first time, before anything is written; only the few
    rows that go one by one (cancellations, restores) are held, the slots of the others put
    aside for the conflict check (``Plan.slots``)."""
    hashed = Digest()
    has_errors = False
    tracks = {t.name.casefold(): t for t in event.tracks}
    added_tracks: dict[str, str] = {}  # the tracks to add, by their names folded, in the file's order
    summary = {NEW: 0, UPDATE: 0, UNCHANGED: 0, CANCEL: 0}
    rooms: set[int | None] = set()
    candidates = plan.slots()  # each row's slot, and the sessions that leave where they were
    pending: list[PlannedRow] = []  # the rows that go one by one
    together = 0
    # Every room and venue kept loaded, so that building each row's slot queries nothing.
    loaded = list(db.session.scalars(sa.select(Room).options(selectinload(Room.venue))))
    for row in plan.rows:
        hashed.add(plan.fingerprint(row))
        summary[row.action] += 1
        if row.errors:
            has_errors = True
            continue
        if row.track_name and row.track_name.casefold() not in tracks:
            added_tracks.setdefault(row.track_name.casefold(), row.track_name)
        if row.session is not None and row.action in (UPDATE, CANCEL):
            candidates.move(row.session.id)
        if not row.changes_programme:
            continue
        if not _together(row):
            pending.append(row)
            continue
        together += 1
        rooms.add(row.data.room_id)
        if (key := conflict_key(row)) is not None:  # (a cancelled session holds no room)
            candidates.add(row.line, programme.candidate_slot(event, row.data, key))
    del loaded
    if digest is not None and hashed.hexdigest() != digest:
        raise InvalidState(STALE)
    if has_errors:
        raise InvalidState(_l("Correct the errors in the file and upload it again."))
    for folded, name in added_tracks.items():
        tracks[folded] = event_services.create_track(event=event, name=name, colour=TRACK_COLOUR, actor=actor)
    total = sum(summary.values())
    done = total - together - len(pending)
    progress(done, total)

    def wrote(count: int) -> None:
        nonlocal done
        done += count
        progress(done, total)

    if together:
        _apply_together(event, plan, tracks, rooms, candidates, actor, wrote, hashed.hexdigest())
    for row in pending:
        _with_track(row, tracks)
    one_by_one = bool(pending)
    # The rest (cancellations, restores) go row by row through the services. A later row may
    # free the room an earlier row takes (a session moving out of the slot another moves into):
    # a row refused for a clash is tried again once the others are in place. The services
    # refuse a clash before they change anything, so only a restore, which follows its update,
    # needs a savepoint to be undone.
    for attempt in (1, 2):
        deferred = []
        for number, row in enumerate(pending, 1):
            try:
                if "status" in row.changed:
                    with db.session.begin_nested():
                        _apply_row(event, row, source, actor)
                else:
                    _apply_row(event, row, source, actor)
            except Conflict:
                if attempt == 2:
                    raise
                deferred.append(row)
            if number % REPORT_EVERY == 0:
                progress(done + number - len(deferred), total)
        done += len(pending) - len(deferred)
        pending = deferred
    if one_by_one:
        progress(done, total)
    return summary


def _with_track(row: PlannedRow, tracks: dict[str, Any]) -> None:
    """The row's data naming the track its file names (added to the event if it was new)."""
    if row.track_name and row.data is not None:
        row.data = replace(row.data, track_id=tracks[row.track_name.casefold()].id)


def _together(row: PlannedRow) -> bool:
    """Whether the row is written with the others at once: an addition or a change that leaves
    the session's status as it is (cancelling and restoring go through their own services)."""
    return row.action == NEW and row.status is SessionStatus.SCHEDULED \
        or row.action == UPDATE and "status" not in row.changed


def _apply_together(event: Event, plan: Plan, tracks: dict[str, Any], rooms: set[int | None],
                    candidates: conflicts_check.Slots, actor: User, written: Callable[[int], None],
                    checked: str) -> None:
    """Additions and changes at once, as the services would make them row by row: the rooms
    they use locked, the conflict rules checked on the programme as the whole file leaves it
    (``candidates``, each row's slot put aside, checked a window of time at a time: a room clash
    with a session or between two rows refuses the file; warnings were shown in the preview), then
    the rows gone through again and written a chunk at a time (``programme.CheckedWriter``), so
    that they are never held together.
    Rows planned again must be those checked (their digest, ``checked``): an account or a room
    they name may have changed in between, and the import is then refused (rolled back)."""
    programme.lock_rooms(rooms)
    with candidates:
        programme.refuse_clashes(conflicts_check.check(candidates))
    writer = programme.CheckedWriter(event, actor, written)
    hashed = Digest()
    chunk: list[PlannedRow] = []
    for row in plan.rows:
        hashed.add(plan.fingerprint(row))
        if row.errors:
            raise InvalidState(STALE)
        if row.changes_programme and _together(row):
            _with_track(row, tracks)
            chunk.append(row)
            if len(chunk) == programme.WRITE_CHUNK:
                _write_chunk(event, writer, chunk)
                chunk = []
    _write_chunk(event, writer, chunk)
    if hashed.hexdigest() != checked:
        raise InvalidState(STALE)
    writer.finish()


def _write_chunk(event: Event, writer: programme.CheckedWriter, rows: list[PlannedRow]) -> None:
    """A chunk of rows written together, with the keys of the sessions they add. The sessions
    they change, read again under their locks as they were written (for their bookings), are
    not remembered past the chunk: a file's rows never name a session twice."""
    new = [r for r in rows if r.action == NEW]
    changed = [(r.session, r.data) for r in rows if r.action == UPDATE]
    added = writer.write([(r.data, _external(r)) for r in new], changed)
    forget_locks(session for session, _ in changed)
    db.session.add_all([
        ExternalKey(event_id=event.id, source=external["source"], external_id=external["id"], session_id=session_id)
        for r, session_id in zip(new, added) if session_id is not None and (external := _external(r)) is not None
    ])
    db.session.flush()


def _external(row: PlannedRow) -> dict[str, str] | None:
    return {"source": row.key[0], "id": row.key[1]} if row.key is not None and row.key[0] != "uid" else None


def _apply_row(event: Event, row: PlannedRow, source: str, actor: User) -> None:
    """One row through the programme's services: in a published programme they stage the
    change for the next release, so the status compared is the one staged."""
    if row.action == CANCEL:
        if _status(row.session) is not SessionStatus.CANCELLED:
            programme.cancel_session(session=row.session, actor=actor, confirm=True)
        return
    session = row.session
    external = _external(row)
    if session is None:
        session = programme.create_session(event=event, data=row.data, actor=actor, confirm=True, external=external)
        if session is None:  # staged with its key: the release adds both
            return
        if external is not None:
            db.session.add(ExternalKey(event_id=event.id, source=external["source"], external_id=external["id"],
                                       session=session))
    else:
        if row.status is SessionStatus.CANCELLED and _status(session) is not SessionStatus.CANCELLED:
            programme.cancel_session(session=session, actor=actor, confirm=True)  # first: a cancelled session holds no room
        programme.update_session(session=session, data=row.data, actor=actor, confirm=True)
    status = _status(session)
    if row.status is SessionStatus.CANCELLED and status is not SessionStatus.CANCELLED:
        programme.cancel_session(session=session, actor=actor, confirm=True)
    elif row.status is SessionStatus.SCHEDULED and status is SessionStatus.CANCELLED:
        programme.restore_session(session=session, actor=actor, confirm=True)
    db.session.flush()


def _status(session: ProgrammeSession) -> SessionStatus:
    return programme.working_data(session)[1]
