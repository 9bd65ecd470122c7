"""The programme: sessions (talks, panels, workshops, site visits, digital and hybrid
meetings), the people in them and the log of changes that calendars follow.

The model is called ``ProgrammeSession`` so that it is never confused with Flask's
``session`` or the database session."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.text import single_line
from expo.core.timeutil import utcnow

if TYPE_CHECKING:
    from expo.accounts.models import User
    from expo.events.models import Event, Track
    from expo.people.models import Network
    from expo.registration.models import Booking
    from expo.venues.models import Room


class SessionKind(enum.StrEnum):
    TALK = "talk"
    PANEL = "panel"
    WORKSHOP = "workshop"
    SITE_VISIT = "site_visit"
    DIGITAL = "digital"
    HYBRID = "hybrid"

    @property
    def label(self) -> str:
        return str(_KIND_LABELS[self])

    @property
    def needs_room(self) -> bool:
        return self is not SessionKind.DIGITAL

    @property
    def needs_meeting_url(self) -> bool:
        return self in (SessionKind.DIGITAL, SessionKind.HYBRID)


_KIND_LABELS = {
    SessionKind.TALK: _l("Talk"),
    SessionKind.PANEL: _l("Panel"),
    SessionKind.WORKSHOP: _l("Workshop"),
    SessionKind.SITE_VISIT: _l("Site visit"),
    SessionKind.DIGITAL: _l("Digital meeting"),
    SessionKind.HYBRID: _l("Hybrid meeting"),
}


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


session_networks = sa.Table(
    "session_networks",
    db.metadata,
    sa.Column(
        "session_id", sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_session_networks_network_id", "network_id"),
)


def new_uid() -> str:
    return str(uuid.uuid4())


class ProgrammeSession(db.Model):
    __tablename__ = "programme_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("revision >= 0", name="revision_not_negative"),
        sa.CheckConstraint("kind = 'digital' OR room_id IS NOT NULL", name="room_unless_digital"),
        sa.CheckConstraint("kind <> 'digital' OR room_id IS NULL", name="no_room_if_digital"),
        sa.CheckConstraint(
            "kind NOT IN ('digital', 'hybrid') OR meeting_url IS NOT NULL", name="meeting_url_if_online"
        ),
        sa.Index("ix_programme_sessions_event_starts", "event_id", "starts_at"),
        sa.Index("ix_programme_sessions_room_starts", "room_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable forever: the UID in every calendar feed and the GUID in schedule exports.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_uid)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    track_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tracks.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind), default=SessionKind.TALK)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="RESTRICT"))
    meeting_url: Mapped[str | None] = mapped_column(sa.String(500))
    capacity: Mapped[int | None]
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), default=SessionStatus.SCHEDULED
    )
    # Grows whenever anything a calendar shows of the session changes (its time, place, status,
    # title, people, or the name and address of its room and venue): the iCalendar SEQUENCE.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="sessions")
    track: Mapped[Track | None] = relationship()
    room: Mapped[Room | None] = relationship(back_populates="sessions")
    networks: Mapped[list[Network]] = relationship(
        secondary=session_networks, back_populates="sessions", order_by="Network.name"
    )
    roles: Mapped[list[SessionRole]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionRole.id"
    )
    changes: Mapped[list[SessionChange]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionChange.id.desc()"
    )
    bookings: Mapped[list[Booking]] = relationship(back_populates="session", passive_deletes="all")

    @validates("title", "meeting_url")
    def _one_line(self, _key: str, value: str | None) -> str | None:
        return single_line(value)

    def __repr__(self) -> str:
        return f"<ProgrammeSession {self.id} {self.title!r}>"

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    @property
    def effective_capacity(self) -> int | None:
        """Seats on offer: the session's own capacity, else its room's, else unlimited."""
        if self.capacity is not None:
            return self.capacity
        return self.room.capacity if self.room is not None else None

    def people(self, role: SessionRoleKind) -> list[User]:
        return [r.user for r in self.roles if r.role is role]


class SessionRoleKind(enum.StrEnum):
    SPEAKER = "speaker"
    MODERATOR = "moderator"
    HOST = "host"


class SessionRole(db.Model):
    __tablename__ = "session_roles"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[SessionRoleKind] = mapped_column(enum_column(SessionRoleKind))

    session: Mapped[ProgrammeSession] = relationship(back_populates="roles")
    user: Mapped[User] = relationship()


# The change log's key for a session added to the programme: {"added": {"old": None, "new": title}}.
ADDED = "added"


class SessionChange(db.Model):
    """One entry of a session's change log: who changed what, from which value to which."""

    __tablename__ = "session_changes"
    __table_args__ = (sa.Index("ix_session_changes_event_created", "event_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), index=True
    )
    # Denormalised so an event's change page is one indexed query.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int]
    # {"field": {"old": …, "new": …}} with instants as ISO 8601 UTC strings.
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # The numbered release that made the change public (None: made live at once, in a draft).
    release_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programme_releases.id", ondelete="SET NULL"), index=True
    )

    session: Mapped[ProgrammeSession] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship()
    release: Mapped[Release | None] = relationship(back_populates="changes")


class Release(db.Model):
    """One version of a published programme (v1, v2 …): the staged changes it made public,
    with the organiser's note."""

    __tablename__ = "programme_releases"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    number: Mapped[int]
    note: Mapped[str | None] = mapped_column(sa.Text)
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    released_by: Mapped[User | None] = relationship()
    changes: Mapped[list[SessionChange]] = relationship(back_populates="release", order_by="SessionChange.id")

    @property
    def label(self) -> str:
        return f"v{self.number}"


class PendingChange(db.Model):
    """What an organiser changed in a session of a published programme and has not released:
    the session as it is to become (``data``, ``status``), and the difference from what the
    public sees (``changes``, as in the change log). A session added to a published programme
    has no row of its own until it is released (``session_id`` None). Public pages, feeds and
    bookings read the sessions themselves, which only a release changes."""

    __tablename__ = "pending_session_changes"
    __table_args__ = (sa.UniqueConstraint("session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"))
    # The session's data as the programme's services take it (instants as ISO 8601 UTC strings).
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), default=SessionStatus.SCHEDULED)
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # Restoring a cancelled session: whether the bookings its cancellation ended come back.
    give_back: Mapped[bool] = mapped_column(default=False)
    # An added session's id in another system ({"source": …, "id": …}), kept by the release.
    external: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    session: Mapped[ProgrammeSession | None] = relationship()
    changed_by: Mapped[User | None] = relationship()

    @property
    def title(self) -> str:
        return str(self.data.get("title", ""))

    @property
    def starts_at(self) -> datetime:
        return datetime.fromisoformat(self.data["starts_at"].replace("Z", "+00:00"))

    @property
    def ends_at(self) -> datetime:
        return datetime.fromisoformat(self.data["ends_at"].replace("Z", "+00:00"))

    @property
    def place(self) -> str | None:
        """An added session's room (None: online)."""
        return (self.changes.get(ADDED) or {}).get("room")

    @property
    def kinds(self) -> list[str]:
        """What the change does, in the diff's words: added, cancelled, restored, moved,
        relocated, renamed, edited (other details)."""
        keys = set(self.changes)
        found = []
        if ADDED in keys:
            return [ADDED]
        status = self.changes.get("status", {}).get("new")
        if status == SessionStatus.CANCELLED.value:
            found.append("cancelled")
        elif status == SessionStatus.SCHEDULED.value:
            found.append("restored")
        if keys & {"starts_at", "ends_at"}:
            found.append("moved")
        if "room" in keys:
            found.append("relocated")
        if "title" in keys:
            found.append("renamed")
        if keys - {"status", "starts_at", "ends_at", "room", "title"}:
            found.append("edited")
        return found
