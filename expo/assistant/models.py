"""The scheduling assistant's data: delegates' interest in sessions, and the assistant's runs
(what an organiser asked for, the solver's progress and its proposal)."""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow

if TYPE_CHECKING:
    from expo.accounts.models import User
    from expo.events.models import Event
    from expo.programme.models import ProgrammeSession


class SessionInterest(db.Model):
    """A delegate's star on a session: "I would like to attend this" (no seat is held)."""

    __tablename__ = "session_interests"
    __table_args__ = (sa.Index("ix_session_interests_session_id", "session_id"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    session: Mapped[ProgrammeSession] = relationship()


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.DONE, RunStatus.FAILED)

    @property
    def label(self) -> str:
        return str(_STATUS_LABELS[self])


_STATUS_LABELS = {
    RunStatus.QUEUED: _l("Waiting to start"),
    RunStatus.RUNNING: _l("Searching"),
    RunStatus.DONE: _l("Proposal ready"),
    RunStatus.FAILED: _l("No proposal"),
}


class AssistantRun(db.Model):
    """One run of the scheduling assistant over an event's sessions (or the whole expo's)."""

    __tablename__ = "assistant_runs"
    __table_args__ = (
        sa.CheckConstraint("time_limit > 0", name="time_limit_positive"),
        sa.Index("ix_assistant_runs_event_created", "event_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the whole expo.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.QUEUED)
    time_limit: Mapped[int] = mapped_column(default=30)  # seconds
    # {"session_ids": [...], "weights": {...}, "move_published": bool}
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # [[seconds, objective, bound], ...]: one point per improving solution the solver found.
    progress: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    # The proposal: {"placements": [...], "figures": {...}} (see expo.assistant.planning).
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Why there is no proposal: the solver's status, "cancelled", "stopped" (no answer in time), or an error.
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    event: Mapped[Event | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class DayPart(enum.StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    @property
    def hours(self) -> tuple[time, time]:
        """The part of the day, in the event's zone."""
        return _DAY_PART_HOURS[self]

    @property
    def label(self) -> str:
        return str(_DAY_PART_LABELS[self])


_DAY_PART_HOURS = {
    DayPart.MORNING: (time(8, 0), time(12, 0)),
    DayPart.AFTERNOON: (time(12, 0), time(17, 0)),
    DayPart.EVENING: (time(17, 0), time(21, 0)),
}
_DAY_PART_LABELS = {
    DayPart.MORNING: _l("Mornings (08:00–12:00)"),
    DayPart.AFTERNOON: _l("Afternoons (12:00–17:00)"),
    DayPart.EVENING: _l("Evenings (17:00–21:00)"),
}


class TimePreference(db.Model):
    """When a speaker, moderator or host would rather be on stage at one event: a part of the
    day they prefer (the assistant weighs it) and days they cannot come (the assistant keeps to it)."""

    __tablename__ = "time_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    part_of_day: Mapped[DayPart | None] = mapped_column(enum_column(DayPart))
    # ISO dates (the event's local days) on which the person cannot take part.
    unavailable_dates: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()

    @property
    def unavailable(self) -> list[date]:
        return [date.fromisoformat(d) for d in self.unavailable_dates or []]
