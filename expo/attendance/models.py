"""Check-ins at the door of a session: booked delegates and walk-ins."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expo.core.extensions import db
from expo.core.timeutil import utcnow

if TYPE_CHECKING:
    from expo.accounts.models import User
    from expo.programme.models import ProgrammeSession
    from expo.registration.models import Booking


class CheckIn(db.Model):
    __tablename__ = "check_ins"
    __table_args__ = (
        # Scanning a delegate twice counts once; an anonymised row (deleted account) stays.
        sa.UniqueConstraint("session_id", "user_id"),
        sa.CheckConstraint(
            "(booking_id IS NULL) = is_walk_in OR user_id IS NULL", name="walk_in_has_no_booking"
        ),
        sa.CheckConstraint("NOT is_standing OR is_walk_in", name="standing_only_walk_in"),
        # The booking a check-in counts is one for the session the person was checked in to.
        sa.ForeignKeyConstraint(
            ["booking_id", "session_id"], ["bookings.id", "bookings.session_id"],
            name="fk_check_ins_booking_id_session_id_bookings",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="SET NULL"), unique=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    is_walk_in: Mapped[bool] = mapped_column(default=False)
    # A walk-in who found no free seat.
    is_standing: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    session: Mapped[ProgrammeSession] = relationship()
    booking: Mapped[Booking | None] = relationship(
        primaryjoin="CheckIn.booking_id == Booking.id", foreign_keys=[booking_id]
    )
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])
