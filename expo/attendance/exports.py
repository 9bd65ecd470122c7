"""Door lists as files: CSV and Excel, built from the same rows as the page."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import gettext as _

from expo.attendance.services import BOOKED, WAITLIST, AttendanceRow
from expo.core.timeutil import local_stamp
from expo.programme.models import ProgrammeSession
from expo.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_bytes, xlsx_bytes

def header() -> list[str]:
    return [
        _("List"), _("Waiting list number"), _("Name"), _("Organisation"), _("Country"),
        _("Networks"), _("Checked in"), _("Checked in at"), _("Checked in by"), _("Walk-in"),
        _("Standing"),
    ]


def _section_label(row: AttendanceRow) -> str:
    if row.section == BOOKED:
        return _("Booked")
    if row.section == WAITLIST:
        return _("Waiting list")
    return _("Walk-in")


def table(session: ProgrammeSession, rows: list[AttendanceRow]) -> list[list[object]]:
    """The door list as plain cells: one header row, then one row per person."""
    tz = session.event.timezone
    yes, no = _("yes"), _("no")
    body: list[list[object]] = [header()]
    for row in rows:
        ci = row.check_in
        body.append([
            _section_label(row),
            row.position if row.section == WAITLIST else "",
            row.user.name,
            row.user.organisation.name if row.user.organisation else "",
            row.user.country.name if row.user.country else "",
            row.networks,
            yes if ci else no,
            local_stamp(ci.checked_in_at, tz) if ci else "",
            ci.checked_in_by.name if ci and ci.checked_in_by else "",
            yes if row.is_walk_in else no,
            yes if ci and ci.is_standing else no,
        ])
    return body


@dataclass(frozen=True)
class Exporter(ABC):
    identifier: ClassVar[str]
    extension: ClassVar[str]
    content_type: ClassVar[str]
    # Door lists name people: never public.
    public: ClassVar[bool] = False

    @abstractmethod
    def render(self, session: ProgrammeSession, rows: list[AttendanceRow]) -> bytes:
        """The door list of ``session`` as the file's bytes."""


class CsvExporter(Exporter):
    """Comma-separated values, UTF-8 with a byte-order mark so Excel reads the accents."""

    identifier = "csv"
    extension = "csv"
    content_type = CSV_CONTENT_TYPE

    def render(self, session: ProgrammeSession, rows: list[AttendanceRow]) -> bytes:
        return csv_bytes(table(session, rows))


class XlsxExporter(Exporter):
    """An Excel workbook with one sheet, a bold frozen header and the session in its title."""

    identifier = "xlsx"
    extension = "xlsx"
    content_type = XLSX_CONTENT_TYPE

    def render(self, session: ProgrammeSession, rows: list[AttendanceRow]) -> bytes:
        return xlsx_bytes(
            table(session, rows),
            sheet_title=_("Attendance"),
            title=session.title,
            widths=(14, 10, 28, 30, 18, 28, 10, 18, 22, 9, 9),
        )


EXPORTERS: dict[str, Exporter] = {e.identifier: e for e in (CsvExporter(), XlsxExporter())}
