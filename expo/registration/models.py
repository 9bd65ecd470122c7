"""Event registrations and session bookings with waiting lists."""
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


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (
        # A deleted account leaves an anonymous row (user_id NULL) so figures stay right.
        sa.UniqueConstraint("event_id", "user_id"),
        sa.Index("ix_registrations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus), default=RegistrationStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="registrations")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class BookingEndReason(enum.StrEnum):
    """Why a booking ended."""

    DELEGATE = "delegate"  # the delegate cancelled it
    ORGANISER = "organiser"  # an organiser took the delegate off the session
    REGISTRATION = "registration"  # the delegate left the event (registration ended, account deleted)
    SESSION_CANCELLED = "session_cancelled"
    CHECK_IN_UNDONE = "check_in_undone"  # a seat taken at the door, then the check-in undone


class Booking(db.Model):
    """A delegate's seat in a session, or place on its waiting list."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "user_id"),
        sa.CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name="position_iff_waitlisted"
        ),
        sa.CheckConstraint(
            "waitlist_position IS NULL OR waitlist_position > 0", name="position_positive"
        ),
        # A held seat has the time it was confirmed; a place in the queue has none yet.
        sa.CheckConstraint(
            "status = 'cancelled' OR (status = 'confirmed') = (confirmed_at IS NOT NULL)",
            name="confirmed_at_iff_seat",
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_at_iff_cancelled"
        ),
        # Lets a check-in name its booking together with the session (see check_ins).
        sa.UniqueConstraint("id", "session_id"),
        sa.Index("ix_bookings_session_status", "session_id", "status"),
        # Two people waiting never share a place in the line.
        sa.Index(
            "uq_bookings_session_waitlist_position", "session_id", "waitlist_position", unique=True,
            sqlite_where=sa.text("status = 'waitlisted'"), postgresql_where=sa.text("status = 'waitlisted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus))
    # 1 is next in line; kept without gaps while the booking waits.
    waitlist_position: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Grows each time the booking's status changes (a seat taken again, given up, promoted …).
    # The delegate's SEQUENCE for the session is the session's revision plus this, so every
    # invitation and cancellation sent for one UID carries a higher SEQUENCE than the last.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    # Why it ended, and what it held then (a seat, or the place in line): restoring a cancelled
    # session gives each back. Cleared when the booking is taken up again.
    end_reason: Mapped[BookingEndReason | None] = mapped_column(enum_column(BookingEndReason))
    ended_as: Mapped[BookingStatus | None] = mapped_column(enum_column(BookingStatus, name="bookingendedas"))
    ended_position: Mapped[int | None]

    session: Mapped[ProgrammeSession] = relationship(back_populates="bookings")
    user: Mapped[User | None] = relationship()

    def set_status(self, status: BookingStatus) -> None:
        """Give the booking ``status``; an existing booking whose status changes counts one
        more revision."""
        if self.status is not None and self.status is not status:
            self.revision = (self.revision or 0) + 1
        self.status = status
