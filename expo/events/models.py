"""The expo and its events, each with its own dates, time zone and registration rules."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow

if TYPE_CHECKING:
    from expo.accounts.models import User
    from expo.programme.models import ProgrammeSession
    from expo.registration.models import Registration


class Expo(db.Model):
    """The city expo as a whole (one row): H22 City Expo in Helsingborg."""

    __tablename__ = "expos"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    city: Mapped[str] = mapped_column(sa.String(120))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Stockholm")
    description: Mapped[str | None] = mapped_column(sa.Text)
    # Its look (Settings → Branding): colours as "#rrggbb" (None: Expo's own), a logo, and a
    # token that changes with each edit so that browsers fetch the new stylesheet and logo.
    primary_colour: Mapped[str | None] = mapped_column(sa.String(7))
    accent_colour: Mapped[str | None] = mapped_column(sa.String(7))
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(sa.String(20))
    look_version: Mapped[str | None] = mapped_column(sa.String(16))

    events: Mapped[list[Event]] = relationship(back_populates="expo", order_by="Event.starts_on")


# The longest event, in days: a year (a leap year's) at most, so that its days can be listed.
MAX_EVENT_DAYS = 366


class RegistrationMode(enum.StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    CLOSED = "closed"


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("transfer_minutes >= 0", name="transfer_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expo_id: Mapped[int] = mapped_column(sa.ForeignKey("expos.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Stockholm")
    is_published: Mapped[bool] = mapped_column(default=False, index=True)
    published_at: Mapped[datetime | None]
    # Kept when the event goes back to draft: the public change log starts here.
    first_published_at: Mapped[datetime | None]
    registration_mode: Mapped[RegistrationMode] = mapped_column(
        enum_column(RegistrationMode), default=RegistrationMode.OPEN
    )
    capacity: Mapped[int | None]
    registration_deadline: Mapped[datetime | None]
    # Minimum time a person needs between sessions held at different venues.
    transfer_minutes: Mapped[int] = mapped_column(default=15)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moves whenever the event or anything in its schedule changes (feeds, caches, ETags).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    expo: Mapped[Expo] = relationship(back_populates="events")
    tracks: Mapped[list[Track]] = relationship(
        back_populates="event", order_by="Track.name", passive_deletes="all"
    )
    sessions: Mapped[list[ProgrammeSession]] = relationship(
        back_populates="event", passive_deletes="all"
    )
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="event", passive_deletes="all"
    )
    team: Mapped[list[TeamMember]] = relationship(back_populates="event", passive_deletes="all")

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Track(db.Model):
    __tablename__ = "tracks"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "name"),
        sa.CheckConstraint("length(colour) = 7", name="colour_hex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    colour: Mapped[str] = mapped_column(sa.String(7), default="#1d5b79")

    event: Mapped[Event] = relationship(back_populates="tracks")


class TeamRole(enum.StrEnum):
    ORGANISER = "organiser"  # manages the event: programme, registrations, badges, figures
    STAFF = "staff"  # checks people in at the event's sessions


class TeamMember(db.Model):
    """A person on an event's team (one role per event)."""

    __tablename__ = "event_team_members"
    __table_args__ = (sa.UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[TeamRole] = mapped_column(enum_column(TeamRole))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="team")
    user: Mapped[User] = relationship(back_populates="team_roles")

    def __repr__(self) -> str:
        return f"<TeamMember {self.user_id} {self.role} of {self.event_id}>"
