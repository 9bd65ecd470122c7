"""Importing an event's sessions: upload a file, preview what it would change, confirm.

The uploaded file is kept (an ``ImportBatch``) until the organiser confirms its preview; the
confirmation reads it again, checks that the preview is still what it would do, and applies
it in the caller's one transaction. ``record_import`` is the one place an applied import is
recorded, ``applying.apply_plan`` the one place its changes are made."""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.errors import InvalidState
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.imports import fetch, frab, people, registrations, spreadsheet, venues
from expo.imports.models import (
    ImportBatch, ImportFilePiece, ImportFormat, ImportKind, ImportStatus, RoomMapping, ScheduleUrl,
)
from expo.imports.applying import apply_plan
from expo.imports.plan import (
    STALE, Incoming, Plan, Progress, RowsPlan, make_plan, streamed_plan,
)
from expo.imports.readers import Content, FileRefused, Row, check_size, head_of, pieces, read_rows, size_of
from expo.programme.models import ProgrammeSession, SessionRole
from expo.venues.models import Room


CONTENT_PIECE = 1 << 18  # bytes of a file written to the database and read from it (and held) at a time


def store_file(batch: ImportBatch, content: Content) -> None:
    """Keep the uploaded file with its batch (flushed), a piece at a time (``ImportFilePiece``):
    an upload on disk (a large one is, until the request ends) is never held whole."""
    size = 0
    for number, piece in enumerate(pieces(content, CONTENT_PIECE)):
        db.session.execute(sa.insert(ImportFilePiece).values(batch_id=batch.id, number=number, data=piece))
        size += len(piece)
    batch.size = size
    db.session.flush()


@contextmanager
def stored_file(batch: ImportBatch) -> Iterator[IO[bytes]]:
    """``with stored_file(batch) as content:`` the stored file of the upload as a temporary
    file (on disk past its first piece), copied from the database a piece at a time, and
    removed on leaving the block, whatever happens: a job never holds the whole file in memory."""
    with tempfile.SpooledTemporaryFile(max_size=CONTENT_PIECE, prefix="expo-import-") as file:
        stored = sa.select(ImportFilePiece.data).where(ImportFilePiece.batch_id == batch.id)
        for number in db.session.scalars(stored.with_only_columns(ImportFilePiece.number)
                                         .order_by(ImportFilePiece.number)).all():
            file.write(db.session.scalar(stored.where(ImportFilePiece.number == number)))
        file.seek(0)
        yield file


def file_bytes(batch: ImportBatch) -> bytes:
    """The stored file as bytes: for what is read whole anyway (a frab schedule), or small (a
    file previewed within the request, below ``IMPORT_JOB_BYTES``)."""
    with stored_file(batch) as file:
        return file.read()


def detect_format(content: Content) -> ImportFormat:
    """A frab / pretalx schedule (XML or JSON) or a table (CSV or Excel)."""
    head = head_of(content, 2048).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<", b"{")):
        return ImportFormat.FRAB
    return ImportFormat.SPREADSHEET


def start_import(
    *, event: Event, filename: str, content: Content, actor: User, schedule_url: ScheduleUrl | None = None,
) -> ImportBatch:
    """Keep an uploaded file (bytes, or the upload's file) for its preview, once it is known to
    be readable."""
    check_size(size_of(content))
    fmt = detect_format(content)
    if schedule_url is not None and fmt is not ImportFormat.FRAB:
        raise FileRefused(_l("The address does not give a frab or pretalx schedule (XML or JSON)."))
    source, kind = spreadsheet.SPREADSHEET_SOURCE, ImportKind.SESSIONS
    if fmt is ImportFormat.FRAB:
        source = frab.read_schedule(content).source
    else:
        kind = _table_kind(content)
        if kind is ImportKind.VENUES:
            venues.read_plan(*_split_header(content))  # refuses what cannot be read, before it is kept
        elif kind is ImportKind.REGISTRATIONS:
            registrations.read_plan(event, *_split_header(content))
        else:
            for _raw in spreadsheet.raw_rows(read_rows(content))[0]:  # every row read, none kept
                pass
    batch = ImportBatch(
        event=event, format=fmt, kind=kind, filename=(filename or "upload")[:255], source=source,
        created_by=actor, schedule_url=schedule_url,
    )
    db.session.add(batch)
    db.session.flush()
    store_file(batch, content)
    return batch


def start_people_import(*, filename: str, content: Content, actor: User) -> ImportBatch:
    """Keep an uploaded people file for its preview, once its header is known to be readable."""
    check_size(size_of(content))
    people.check_header(content)
    batch = ImportBatch(
        event=None, format=ImportFormat.SPREADSHEET, kind=ImportKind.PEOPLE, filename=(filename or "upload")[:255],
        created_by=actor,
    )
    db.session.add(batch)
    db.session.flush()
    store_file(batch, content)
    return batch


# --- schedules fetched by address ---------------------------------------------------------------

def schedule_urls(event: Event) -> list[ScheduleUrl]:
    """The schedule addresses the event's programme is fetched from, oldest first."""
    return list(db.session.scalars(
        sa.select(ScheduleUrl).where(ScheduleUrl.event_id == event.id).order_by(ScheduleUrl.id)
    ))


def _fetched(schedule_url: ScheduleUrl, actor: User) -> ImportBatch:
    content = fetch.fetch(schedule_url.url)
    batch = start_import(event=schedule_url.event, filename=schedule_url.url[:255], content=content, actor=actor,
                         schedule_url=schedule_url)
    schedule_url.fetched_at = utcnow()
    db.session.flush()
    return batch


def add_schedule_url(*, event: Event, url: str, actor: User) -> ImportBatch:
    """Remember a schedule's address for the event and fetch it for a first preview; an
    address the event has already is fetched again."""
    url = fetch.check_url(url)
    existing = db.session.scalar(sa.select(ScheduleUrl).where(ScheduleUrl.event_id == event.id, ScheduleUrl.url == url))
    schedule_url = existing or ScheduleUrl(event=event, url=url, created_by_id=actor.id)
    db.session.add(schedule_url)
    db.session.flush()
    return _fetched(schedule_url, actor)


def fetch_schedule_again(*, schedule_url: ScheduleUrl, actor: User) -> ImportBatch:
    """Download the schedule again: its preview shows what moved, was cancelled or is new."""
    return _fetched(schedule_url, actor)


def _split_header(content: Content) -> tuple[list[Row], Row]:
    rows = iter(read_rows(content))
    header = next(rows, None)
    if header is None:
        raise FileRefused(_l("The file is empty."))
    return list(rows), header


def _table_kind(content: Content) -> ImportKind:
    """What a table holds, from the columns its header names: sessions unless it names
    venues and rooms, or delegates by e-mail, and no sessions."""
    header = next(iter(read_rows(content)), None)
    if header is None:
        return ImportKind.SESSIONS
    keys = {
        key for columns in (spreadsheet.COLUMNS, venues.COLUMNS, registrations.COLUMNS)
        for key in spreadsheet.column_keys(header, columns)[0]
    }
    if venues.is_venues_header(keys):
        return ImportKind.VENUES
    if registrations.is_registrations_header(keys):
        return ImportKind.REGISTRATIONS
    return ImportKind.SESSIONS


# --- the preview --------------------------------------------------------------------------------

def _row_uid(raw: spreadsheet.RawRow) -> str:
    return str(raw.cells.get("id") or "").strip()


def _current_people(event: Event, raws: list[spreadsheet.RawRow]) -> Callable[[spreadsheet.RawRow], dict[str, list[User]]]:
    """For a chunk of rows: the people already in the session each row names by its id, by
    name (a name alone in the row names one of them), loaded for the chunk's sessions only."""
    uids = {uid for raw in raws if (uid := _row_uid(raw))}
    people: dict[str, dict[str, list[User]]] = {}
    if uids:
        roles = db.session.execute(
            sa.select(ProgrammeSession.uid, User)
            .join(SessionRole, SessionRole.session_id == ProgrammeSession.id)
            .join(User, User.id == SessionRole.user_id)
            .where(ProgrammeSession.event_id == event.id, ProgrammeSession.uid.in_(uids))
            .order_by(SessionRole.id)
        )
        for uid, user in roles:
            people.setdefault(uid, {}).setdefault(user.name, []).append(user)
    return lambda raw: people.get(_row_uid(raw), {})


def _spreadsheet_plan(event: Event, content: Content, *, streamed: bool = False) -> Plan:
    unknown: list[str] = []

    def read() -> Iterator[Incoming]:
        raws, unknown[:] = spreadsheet.raw_rows(read_rows(content))
        return spreadsheet.RowReader(event).rows(raws, lambda chunk: _current_people(event, chunk))

    source = spreadsheet.SPREADSHEET_SOURCE
    plan = streamed_plan(event, read, source=source) if streamed else make_plan(event, read(), source=source)
    if unknown:
        plan.notes.append(_l("These columns are not known and were left out: %(columns)s.", columns=", ".join(unknown)))
    return plan


def room_mappings(event: Event, source: str) -> dict[str, int]:
    """A schedule's room names → the expo rooms they were mapped to before."""
    return dict(
        db.session.execute(
            sa.select(RoomMapping.name, RoomMapping.room_id).where(
                RoomMapping.event_id == event.id, RoomMapping.source == source
            )
        ).all()
    )


def unmapped_rooms(batch: ImportBatch) -> list[str]:
    """The rooms of a frab schedule that are not yet mapped to expo rooms."""
    if batch.format is not ImportFormat.FRAB:
        return []
    schedule = frab.read_schedule(file_bytes(batch))
    mapped = room_mappings(batch.event, batch.source)
    return [name for name in schedule.rooms if name not in mapped]


def schedule_rooms(batch: ImportBatch) -> list[str]:
    return frab.read_schedule(file_bytes(batch)).rooms if batch.format is ImportFormat.FRAB else []


def map_rooms(*, batch: ImportBatch, mapping: dict[str, int], actor: User) -> None:
    """Remember which expo room each of a schedule's rooms stands for (for later imports too)."""
    rooms = set(db.session.scalars(sa.select(Room.id).where(Room.id.in_(mapping.values()))))
    known = set(schedule_rooms(batch))
    existing = {
        m.name: m for m in db.session.scalars(
            sa.select(RoomMapping).where(RoomMapping.event_id == batch.event_id, RoomMapping.source == batch.source)
        )
    }
    for name, room_id in mapping.items():
        if name not in known:
            continue
        if room_id not in rooms:
            raise InvalidState(_l("Choose an expo room for “%(room)s”.", room=name))
        if name in existing:
            existing[name].room_id = room_id
        else:
            db.session.add(RoomMapping(event_id=batch.event_id, source=batch.source, name=name, room_id=room_id))
    db.session.flush()


def preview(batch: ImportBatch, *, streamed: bool = False, content: Content | None = None) -> RowsPlan:
    """What confirming the upload would do, row by row; writes nothing. With ``streamed`` (a
    job's, whose rows are gone through a few times, in order), a spreadsheet's rows are not held
    but planned again as they are gone through (``plan.streamed_plan``). ``content``: the
    stored file, if the caller has it (a job's ``stored_file``)."""
    content = file_bytes(batch) if content is None else content
    if batch.kind is ImportKind.VENUES:
        return venues.read_plan(*_split_header(content))
    if batch.kind is ImportKind.REGISTRATIONS:
        return registrations.read_plan(batch.event, *_split_header(content))
    if batch.format is ImportFormat.FRAB:
        schedule = frab.read_schedule(content)
        incoming: list[Incoming] = frab.incoming(batch.event, schedule, room_mappings(batch.event, batch.source))
        return make_plan(batch.event, incoming, source=batch.source, missing_cancelled=True)
    return _spreadsheet_plan(batch.event, content, streamed=streamed)


# --- confirming ---------------------------------------------------------------------------------

def record_import(*, batch: ImportBatch, summary: dict[str, int], actor: User) -> None:
    """Mark the upload as applied with what it changed, and write it in the audit log: the
    one place an import is recorded."""
    batch.status = ImportStatus.APPLIED
    batch.applied_at = utcnow()
    batch.summary = summary
    audit.record(
        actor=actor, action=AuditAction.IMPORT_CONFIRMED,
        target=f"{batch.kind.value}: {batch.filename}" + (f" ({batch.event.name})" if batch.event else ""),
        detail=", ".join(f"{key} {summary.get(key, 0)}" for key in ("new", "update", "unchanged", "cancel")),
    )
    db.session.flush()


def confirm_import(*, batch: ImportBatch, digest: str, actor: User, progress: Progress = lambda done, total: None,
                   streamed: bool = False, content: Content | None = None) -> dict[str, int]:
    """Apply the previewed upload, if the preview shown is still what it would do; a
    programme's ``progress`` is reported as its rows are written. With ``streamed`` (a job), a
    spreadsheet's rows are planned again as they are gone through rather than held (``preview``)."""
    if batch.status is not ImportStatus.PREVIEW:
        raise InvalidState(_l("This file has already been imported."))
    if unmapped_rooms(batch):
        raise InvalidState(_l("Map every room of the schedule to a room of the expo first."))
    with preview(batch, streamed=streamed, content=content) as plan:  # (a streamed plan's scratch database let go at the end)
        if isinstance(plan, Plan):  # its digest checked as its rows are first gone through
            summary = apply_plan(batch.event, plan, source=batch.source, actor=actor, progress=progress,
                                 digest=digest)
        elif plan.digest != digest:
            raise InvalidState(STALE)
        elif isinstance(plan, venues.VenuePlan):
            summary = venues.apply_plan(plan, actor=actor)
        else:
            summary = registrations.apply_plan(batch.event, plan, actor=actor)
    record_import(batch=batch, summary=summary, actor=actor)
    return summary


def safe_preview(batch: ImportBatch) -> tuple[RowsPlan | None, Any]:
    """The preview, or the reason the stored file cannot be read (None, message)."""
    try:
        return preview(batch), None
    except FileRefused as error:
        return None, error.message
