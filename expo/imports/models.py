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


class ImportStatus(enum.StrEnum):
    PREVIEW = "preview"
    APPLIED = "applied"


class ImportBatch(db.Model):
    """One uploaded file: kept between the preview and the organiser's confirmation, then
    marked applied with what it changed."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    format: Mapped[ImportFormat] = mapped_column(enum_column(ImportFormat))
    kind: Mapped[ImportKind] = mapped_column(enum_column(ImportKind), default=ImportKind.SESSIONS)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    # Which schedule this is (a frab file's conference acronym): its room mapping and keys.
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus), default=ImportStatus.PREVIEW)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    # {"new": n, "update": n, "unchanged": n, "cancel": n} once applied.
    summary: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)

    event: Mapped[Event] = relationship()
    created_by: Mapped[User | None] = relationship()


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
