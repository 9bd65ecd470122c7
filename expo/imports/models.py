"""Imports: an uploaded file waiting for its preview to be confirmed, the keys that tie
imported rows to sessions (so a re-import updates and never duplicates) and the rooms a
schedule's own room names were mapped to."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow

if TYPE_CHECKING:
    from expo.accounts.models import User
    from expo.events.models import Event
    from expo.programme.models import ProgrammeSession
    from expo.venues.models import Room


class ImportFormat(enum.StrEnum):
    SPREADSHEET = "spreadsheet"  # CSV or Excel, our template or our own export
    FRAB = "frab"  # a frab / pretalx schedule (c3voc XML or JSON)


class ImportKind(enum.StrEnum):
    SESSIONS = "sessions"
    VENUES = "venues"  # venues and their rooms, shared by every event
    REGISTRATIONS = "registrations"  # the event's delegates, by e-mail
    PEOPLE = "people"  # accounts of the whole expo, by e-mail (no event)


class ImportStatus(enum.StrEnum):
    PREVIEW = "preview"
    APPLIED = "applied"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportFilePiece(db.Model):
    """A piece of an uploaded file, in order. The file is written and read a piece at a time,
    so neither the upload nor a job reading it holds it whole."""

    __tablename__ = "import_file_pieces"

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # from 0
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class ImportBatch(db.Model):
    """One uploaded file: kept between the preview and the organiser's confirmation, then
    marked applied with what it changed. A large file is previewed and confirmed by a job,
    whose progress (rows done of the total) and result are kept here for the progress page."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for the expo's people, who belong to no event.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    format: Mapped[ImportFormat] = mapped_column(enum_column(ImportFormat))
    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind), default=ImportKind.SESSIONS)
    filename: Mapped[str] = mapped_column(sa.String(255))
    # The file itself is kept in pieces (``ImportFilePiece``): its size in bytes.
    size: Mapped[int] = mapped_column(default=0)
    # Which schedule this is (a frab file's conference acronym): its room mapping and keys.
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.PREVIEW)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    # {"new": n, "update": n, "unchanged": n, "cancel": n} once applied.
    summary: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)
    # The schedule address this file was fetched from, when it was.
    schedule_url_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("import_schedule_urls.id", ondelete="SET NULL")
    )
    # The job that previews or confirms the file: None when it runs within the request.
    job_state: Mapped[str | None] = mapped_column(sa.String(20))
    job_step: Mapped[str | None] = mapped_column(sa.String(20))  # "preview" or "confirm"
    rows_done: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_total: Mapped[int | None]
    job_error: Mapped[str | None] = mapped_column(sa.String(500))
    # When the job last showed it was alive: queued, started, a chunk done. A job that stays
    # silent past its time-out was stopped (time-out, worker gone) and is shown as failed.
    job_heartbeat_at: Mapped[datetime | None]
    # The job's preview: counts, digest and the rows worth showing (see expo.imports.people).
    result: Mapped[dict | None] = mapped_column(sa.JSON)

    event: Mapped[Event | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    schedule_url: Mapped[ScheduleUrl | None] = relationship()

    @property
    def job_running(self) -> bool:
        return self.job_state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def percent_done(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)


class ScheduleUrl(db.Model):
    """The address of a frab / pretalx schedule an event's programme is fetched from; its
    room mapping is remembered under the schedule's own source, as for an upload."""

    __tablename__ = "import_schedule_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()


class ExternalKey(db.Model):
    """The id a session has in another system (a frab GUID, a spreadsheet's own id)."""

    __tablename__ = "import_external_keys"
    __table_args__ = (sa.UniqueConstraint("event_id", "source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(100))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )

    session: Mapped[ProgrammeSession] = relationship()


class RoomMapping(db.Model):
    """The expo room an imported schedule's room stands for, remembered for the next import."""

    __tablename__ = "import_room_mappings"
    __table_args__ = (sa.UniqueConstraint("event_id", "source", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(200))
    room_id: Mapped[int] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"), index=True)

    room: Mapped[Room] = relationship()
