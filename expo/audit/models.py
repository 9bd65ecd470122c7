"""An audit entry: one action of one person, kept for organisers to read."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow


class AuditAction(enum.StrEnum):
    PERSON_INVITED = "person_invited"
    ROLE_CHANGED = "role_changed"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"
    ACCOUNT_DELETED = "account_deleted"
    EVENT_PUBLISHED = "event_published"
    EVENT_UNPUBLISHED = "event_unpublished"
    EVENT_DELETED = "event_deleted"
    TRACK_DELETED = "track_deleted"
    SESSION_DELETED = "session_deleted"
    VENUE_DELETED = "venue_deleted"
    ROOM_DELETED = "room_deleted"
    NETWORK_DELETED = "network_deleted"
    ORGANISATION_DELETED = "organisation_deleted"
    EXPORT_REGISTRATIONS = "export_registrations"
    EXPORT_BOOKINGS = "export_bookings"
    EXPORT_ATTENDANCE = "export_attendance"
    EXPORT_BADGES = "export_badges"
    EXPORT_OWN_DATA = "export_own_data"
    TEAM_MEMBER_ADDED = "team_member_added"
    TEAM_MEMBER_REMOVED = "team_member_removed"
    IMPORT_CONFIRMED = "import_confirmed"
    EXPORT_PEOPLE = "export_people"
    TWINNING_APPLICATION_DECIDED = "application_decided"
    TWINNING_PAIRS_PUBLISHED = "pairs_published"
    TRAVEL_CLAIM_DECIDED = "claim_decided"
    BRANDING_CHANGED = "branding_changed"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    AuditAction.PERSON_INVITED: _l("Person invited"),
    AuditAction.ROLE_CHANGED: _l("Role changed"),
    AuditAction.ACCOUNT_DEACTIVATED: _l("Account deactivated"),
    AuditAction.ACCOUNT_REACTIVATED: _l("Account reactivated"),
    AuditAction.ACCOUNT_DELETED: _l("Account deleted"),
    AuditAction.EVENT_PUBLISHED: _l("Event published"),
    AuditAction.EVENT_UNPUBLISHED: _l("Event unpublished"),
    AuditAction.EVENT_DELETED: _l("Event deleted"),
    AuditAction.TRACK_DELETED: _l("Track deleted"),
    AuditAction.SESSION_DELETED: _l("Session deleted"),
    AuditAction.VENUE_DELETED: _l("Venue deleted"),
    AuditAction.ROOM_DELETED: _l("Room deleted"),
    AuditAction.NETWORK_DELETED: _l("Network deleted"),
    AuditAction.ORGANISATION_DELETED: _l("Organisation deleted"),
    AuditAction.EXPORT_REGISTRATIONS: _l("Registrations exported"),
    AuditAction.EXPORT_BOOKINGS: _l("Bookings exported"),
    AuditAction.EXPORT_ATTENDANCE: _l("Attendance list exported"),
    AuditAction.EXPORT_BADGES: _l("Badges printed"),
    AuditAction.EXPORT_OWN_DATA: _l("Own data downloaded"),
    AuditAction.TEAM_MEMBER_ADDED: _l("Added to an event team"),
    AuditAction.TEAM_MEMBER_REMOVED: _l("Taken off an event team"),
    AuditAction.IMPORT_CONFIRMED: _l("File imported"),
    AuditAction.EXPORT_PEOPLE: _l("People list exported"),
    AuditAction.TWINNING_APPLICATION_DECIDED: _l("Twinning application decided"),
    AuditAction.TWINNING_PAIRS_PUBLISHED: _l("Twinning pairs published"),
    AuditAction.TRAVEL_CLAIM_DECIDED: _l("Travel claim decided"),
    AuditAction.BRANDING_CHANGED: _l("Look of the expo changed"),
}


class AuditEntry(db.Model):
    """Account numbers carry no foreign key, so an entry outlives the accounts it names;
    the names are copies taken at the time, erased when that person deletes their account."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str | None] = mapped_column(sa.String(200))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction), index=True)
    subject_id: Mapped[int | None] = mapped_column(index=True)
    subject_name: Mapped[str | None] = mapped_column(sa.String(200))
    target: Mapped[str | None] = mapped_column(sa.String(300))
    detail: Mapped[str | None] = mapped_column(sa.String(500))

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} by {self.actor_id}>"
