"""The schedule as a table for organisers: CSV and an Excel workbook (openpyxl)."""
from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from expo.events.models import Event
from expo.programme.models import ProgrammeSession, SessionRoleKind
from expo.core.spreadsheets import csv_bytes, xlsx_bytes
from expo.core.timeutil import local_stamp

def header() -> list[str]:
    return [
        _("UID"), _("Title"), _("Kind"), _("Status"), _("Date"), _("Starts"), _("Ends"), _("Time zone"),
        _("Venue"), _("Room"), _("Address"), _("Track"), _("Speakers"), _("Moderators"), _("Hosts"),
        _("Networks"), _("Language"), _("Capacity"), _("Meeting link"), _("Revision"),
        _("Last changed (UTC)"),
    ]


def rows(event: Event, sessions: Sequence[ProgrammeSession]) -> list[list[object]]:
    """One row per session, times in the event's time zone, each with its date and UTC offset."""
    body: list[list[object]] = []
    for s in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        tz = s.event.timezone
        start, end = s.starts_at.astimezone(ZoneInfo(tz)), s.ends_at.astimezone(ZoneInfo(tz))
        venue = s.room.venue if s.room is not None else None
        body.append([
            s.uid, s.title, s.kind.label,
            _("Cancelled") if s.is_cancelled else _("Scheduled"),
            start.date().isoformat(), local_stamp(start), local_stamp(end), tz,
            venue.name if venue else _("Online"), s.room.name if s.room else "",
            venue.address if venue else "", s.track.name if s.track else "",
            ", ".join(u.name for u in s.people(SessionRoleKind.SPEAKER)),
            ", ".join(u.name for u in s.people(SessionRoleKind.MODERATOR)),
            ", ".join(u.name for u in s.people(SessionRoleKind.HOST)),
            ", ".join(n.name for n in s.networks), s.language,
            s.effective_capacity if s.effective_capacity is not None else "",
            s.meeting_url or "", s.revision,
            s.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        ])
    return body


def to_csv(event: Event, sessions: Sequence[ProgrammeSession]) -> bytes:
    """The schedule as CSV (see expo.core.spreadsheets)."""
    return csv_bytes([header(), *rows(event, sessions)])


def to_xlsx(event: Event, sessions: Sequence[ProgrammeSession]) -> bytes:
    """The schedule as an Excel sheet named after the event."""
    return xlsx_bytes([header(), *rows(event, sessions)], sheet_title=event.name or "Schedule", title=event.name)
