"""The schedule exporters of an event: small classes in a registry over pure builders.

Each declares its identifier (in the URL), file extension, content type and whether anyone
may fetch it (public) or only those allowed to export the schedule; ``render`` makes bytes."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l

from expo.calendar import feeds, frab, ical, spreadsheet
from expo.events.models import Event
from expo.programme.models import ProgrammeSession


class Exporter(ABC):
    identifier: ClassVar[str]
    label: ClassVar[object]
    extension: ClassVar[str]
    content_type: ClassVar[str]
    public: ClassVar[bool]
    # Subscription feeds open inline; files to keep are attachments.
    disposition: ClassVar[str] = "attachment"

    @abstractmethod
    def render(self, event: Event, sessions: Sequence[ProgrammeSession], locale: str | None = None) -> bytes:
        """The file's bytes for this event's published sessions."""

    def filename(self, event: Event) -> str:
        return self.filename_for(event.slug)

    def filename_for(self, slug: str) -> str:
        return f"{slug}.{self.extension}"


class ICalExporter(Exporter):
    """The whole published schedule as an iCalendar feed to subscribe to."""

    identifier = "ical"
    label = _l("Calendar (iCalendar)")
    extension = "ics"
    content_type = "text/calendar; charset=utf-8"
    public = True
    disposition = "inline"

    def render(self, event: Event, sessions: Sequence[ProgrammeSession], locale: str | None = None) -> bytes:
        return feeds.public_feed(sessions, name=event.name, description=event.expo.name, timezone_name=event.timezone)


class _FrabExporter(Exporter):
    """The frab / c3voc schedule, public and in the default language, written by ``write``."""

    public = True
    disposition = "inline"
    # Turns the schedule dictionary into the file's bytes (XML or JSON).
    write: ClassVar[Callable[[dict[str, Any]], bytes]]

    def filename_for(self, slug: str) -> str:
        return f"{slug}-schedule.{self.extension}"

    def render(self, event: Event, sessions: Sequence[ProgrammeSession], locale: str | None = None) -> bytes:
        with ical.written_in():
            return self.write(frab.build_schedule(event, sessions, version=frab.schedule_version(event, sessions)))


class FrabXmlExporter(_FrabExporter):
    """schedule.xml in the frab / c3voc format, for conference apps (Giggity, ConfClerk …)."""

    identifier = "frab-xml"
    label = _l("Conference apps (frab XML)")
    extension = "xml"
    content_type = "application/xml; charset=utf-8"
    write = staticmethod(frab.to_xml)


class FrabJsonExporter(_FrabExporter):
    """schedule.json in the frab / c3voc format (version 1 of the JSON schema)."""

    identifier = "frab-json"
    label = _l("Conference apps (frab JSON)")
    extension = "json"
    content_type = "application/json; charset=utf-8"
    write = staticmethod(frab.to_json)


class _SpreadsheetExporter(Exporter):
    """The schedule as a table for organisers (with meeting links, so never public)."""

    public = False
    # Turns the event's sessions into the file's bytes (CSV or Excel).
    write: ClassVar[Callable[[Event, Sequence[ProgrammeSession]], bytes]]

    def render(self, event: Event, sessions: Sequence[ProgrammeSession], locale: str | None = None) -> bytes:
        with ical.written_in(locale):
            return self.write(event, sessions)


class CsvExporter(_SpreadsheetExporter):
    """CSV, UTF-8 with a byte-order mark."""

    identifier = "csv"
    label = _l("Spreadsheet (CSV)")
    extension = "csv"
    content_type = "text/csv; charset=utf-8"
    write = staticmethod(spreadsheet.to_csv)


class XlsxExporter(_SpreadsheetExporter):
    """An Excel workbook."""

    identifier = "xlsx"
    label = _l("Spreadsheet (Excel)")
    extension = "xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    write = staticmethod(spreadsheet.to_xlsx)


EXPORTERS: dict[str, Exporter] = {
    exporter.identifier: exporter
    for exporter in (ICalExporter(), FrabXmlExporter(), FrabJsonExporter(), CsvExporter(), XlsxExporter())
}
