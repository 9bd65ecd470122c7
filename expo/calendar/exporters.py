"""The schedule exporters of an event: small classes in a registry over pure builders.

Each declares its identifier (in the URL), file extension, content type and whether anyone
may fetch it (public) or only those allowed to export the schedule; ``render`` makes bytes."""
from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from flask_babel import lazy_gettext as _l

from expo.calendar import ical
from expo.events.models import Event
from expo.programme.models import ProgrammeSession


class Exporter:
    identifier: ClassVar[str]
    label: ClassVar[object]
    extension: ClassVar[str]
    content_type: ClassVar[str]
    public: ClassVar[bool]
    # Subscription feeds open inline; files to keep are attachments.
    disposition: ClassVar[str] = "attachment"

    def render(self, event: Event, sessions: Sequence[ProgrammeSession]) -> bytes:
        raise NotImplementedError

    def filename(self, event: Event) -> str:
        return f"{event.slug}.{self.extension}"


class ICalExporter(Exporter):
    """The whole published schedule as an iCalendar feed to subscribe to."""

    identifier = "ical"
    label = _l("Calendar (iCalendar)")
    extension = "ics"
    content_type = "text/calendar; charset=utf-8"
    public = True
    disposition = "inline"

    def render(self, event: Event, sessions: Sequence[ProgrammeSession]) -> bytes:
        with ical.written_in():
            calendar = ical.build_calendar(
                [ical.FeedEntry(s) for s in sessions],
                name=event.name,
                description=event.expo.name,
                timezone_name=event.timezone,
            )
        return calendar.to_ical()


EXPORTERS: dict[str, Exporter] = {
    exporter.identifier: exporter
    for exporter in (ICalExporter(),)
}
