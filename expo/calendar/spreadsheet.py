"""The schedule as a table for organisers: CSV and an Excel workbook (openpyxl)."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from expo.events.models import Event
from expo.programme.models import ProgrammeSession, SessionRoleKind

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    """Text that a spreadsheet shows as text, never evaluates (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def header() -> list[str]:
    return [
        _("UID"), _("Title"), _("Kind"), _("Status"), _("Date"), _("Starts"), _("Ends"), _("Time zone"),
        _("Venue"), _("Room"), _("Address"), _("Track"), _("Speakers"), _("Moderators"), _("Hosts"),
        _("Networks"), _("Language"), _("Capacity"), _("Meeting link"), _("Revision"),
        _("Last changed (UTC)"),
    ]


def rows(event: Event, sessions: Sequence[ProgrammeSession]) -> list[list[object]]:
    """One row per session, times in the event's time zone."""
    body: list[list[object]] = []
    for s in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        tz = s.event.timezone
        start, end = s.starts_at.astimezone(ZoneInfo(tz)), s.ends_at.astimezone(ZoneInfo(tz))
        venue = s.room.venue if s.room is not None else None
        body.append([
            s.uid, s.title, s.kind.label,
            _("Cancelled") if s.is_cancelled else _("Scheduled"),
            start.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M"), tz,
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
    """UTF-8 with a byte-order mark so Excel reads the accents; CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header())
    for row in rows(event, sessions):
        writer.writerow([_safe(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(event: Event, sessions: Sequence[ProgrammeSession]) -> bytes:
    """One sheet, bold frozen header, filters on, columns sized to their content."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (event.name[:31] or "Schedule").translate(str.maketrans("[]:*?/\\", "       "))
    sheet.append(header())
    for row in rows(event, sessions):
        sheet.append([_safe(cell) for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, column in enumerate(sheet.columns, start=1):
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
