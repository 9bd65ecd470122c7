"""Venues across the city and the rooms in them (shared by every event of the expo)."""
from __future__ import annotations

import enum
from datetime import time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.text import single_line

if TYPE_CHECKING:
    from expo.programme.models import ProgrammeSession


class Venue(db.Model):
    __tablename__ = "venues"
    __table_args__ = (
        sa.CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude"),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude"
        ),
        sa.CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at", name="opening_hours"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # Daily opening hours in the venue's local (expo) time; None means open around the clock.
    opens_at: Mapped[time | None]
    closes_at: Mapped[time | None]
    accessibility_notes: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="venue", order_by="Room.name", passive_deletes="all"
    )

    @validates("name", "address")
    def _one_line(self, _key: str, value: str | None) -> str | None:
        return single_line(value)

    @property
    def map_url(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (
            "https://www.openstreetmap.org/?mlat="
            f"{self.latitude:.6f}&mlon={self.longitude:.6f}#map=18/{self.latitude:.6f}/{self.longitude:.6f}"
        )


class RoomKind(enum.StrEnum):
    INDOOR = "indoor"
    OUTDOOR = "outdoor"  # an outdoor place or off-site meeting point: where site visits start

    @property
    def label(self) -> str:
        return str(_ROOM_KIND_LABELS[self])


_ROOM_KIND_LABELS = {
    RoomKind.INDOOR: _l("Room indoors"),
    RoomKind.OUTDOOR: _l("Outdoors or off-site meeting point"),
}


class Room(db.Model):
    __tablename__ = "rooms"
    __table_args__ = (
        sa.UniqueConstraint("venue_id", "name"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.String(200))
    capacity: Mapped[int]
    kind: Mapped[RoomKind] = mapped_column(enum_column(RoomKind), default=RoomKind.INDOOR, server_default="indoor")

    venue: Mapped[Venue] = relationship(back_populates="rooms")
    sessions: Mapped[list[ProgrammeSession]] = relationship(
        back_populates="room", passive_deletes="all"
    )

    @validates("name")
    def _one_line(self, _key: str, value: str) -> str | None:
        return single_line(value)

    @property
    def label(self) -> str:
        return f"{self.venue.name} – {self.name}"
