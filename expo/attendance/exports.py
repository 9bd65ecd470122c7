"""Door lists as files: CSV, Excel and an A4 PDF, built from the same rows as the page."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import gettext as _

from expo.attendance.services import BOOKED, WAITLIST, AttendanceRow
from expo.core.i18n import local_datetime
from expo.core.pdf import PAGE_HEIGHT, PAGE_WIDTH, Document
from expo.core.spreadsheets import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    csv_bytes,
    xlsx_bytes,
)
from expo.core.timeutil import local_stamp
from expo.people.countries import country_name
from expo.programme.models import ProgrammeSession


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
            country_name(row.user.country),
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


# The A4 door list: a box to tick for each person, then who they are and where they stand.
PDF_MARGIN = 15.0
PDF_ROW = 7.0
PDF_COLUMNS = (  # (width in mm, header) after the tick box
    (60.0, lambda: _("Name")), (50.0, lambda: _("Organisation")), (30.0, lambda: _("Country")),
    (24.0, lambda: _("List")), (10.0, lambda: _("In")),
)
PDF_BOX = 6.0


def _pdf_cells(row: AttendanceRow, tz: str) -> list[str]:
    ci = row.check_in
    section = _section_label(row)
    if row.section == WAITLIST and row.position:
        section = f"{section} {row.position}"
    return [
        row.user.name,
        row.user.organisation.name if row.user.organisation else "",
        country_name(row.user.country),
        section,
        local_datetime(ci.checked_in_at, tz, "HH:mm") if ci else "",
    ]


def attendance_pdf(session: ProgrammeSession, rows: list[AttendanceRow]) -> bytes:
    """The door list on A4 pages in every script, a header on each page; FontsMissing without
    the Noto fonts."""
    tz = session.event.timezone
    document = Document(title=session.title)
    heading = session.title
    where = session.room.venue.name + ", " + session.room.name if session.room else _("Online")
    when = local_datetime(session.starts_at, tz, "EEEE d MMMM y, HH:mm")
    width = PAGE_WIDTH - 2 * PDF_MARGIN
    top = 0.0
    for index, row in enumerate([None, *rows]):
        if index == 0 or top + PDF_ROW > PAGE_HEIGHT - PDF_MARGIN:
            document.add_page()
            top = PDF_MARGIN
            top += document.fitted_text(PDF_MARGIN, top, width, heading, size=14, minimum=9, bold=True)
            top += document.fitted_text(PDF_MARGIN, top, width, f"{session.event.name} · {when} · {where}",
                                        size=9, minimum=6) + 3
            x = PDF_MARGIN + PDF_BOX
            for column_width, header in PDF_COLUMNS:
                document.fitted_text(x, top, column_width - 1, header(), size=9, minimum=6, bold=True)
                x += column_width
            top += PDF_ROW
            document.set_draw_color(120)
            document.line(PDF_MARGIN, top - 1, PDF_MARGIN + width, top - 1)
        if row is None:
            continue
        document.set_draw_color(0)
        document.rect(PDF_MARGIN, top + 1, 3.5, 3.5)
        x = PDF_MARGIN + PDF_BOX
        for (column_width, _header), text in zip(PDF_COLUMNS, _pdf_cells(row, tz)):
            document.fitted_text(x, top, column_width - 1, text, size=10, minimum=7)
            x += column_width
        top += PDF_ROW
    return bytes(document.output())


class PdfExporter(Exporter):
    """An A4 list to print: names in any script, shrunk to their column when long."""

    identifier = "pdf"
    extension = "pdf"
    content_type = "application/pdf"

    def render(self, session: ProgrammeSession, rows: list[AttendanceRow]) -> bytes:
        return attendance_pdf(session, rows)


EXPORTERS: dict[str, Exporter] = {e.identifier: e for e in (CsvExporter(), XlsxExporter(), PdfExporter())}
