"""Independent readings of our calendars: icalendar's own parser, Mozilla's ical.js
(Thunderbird) and vobject (with dateutil reading each calendar's own VTIMEZONEs)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime, timezone, tzinfo
from pathlib import Path

import icalendar
import pytest
import vobject

from tests.conftest import must_run_in_ci

SCRIPT = Path(__file__).with_name("icaljs_dump.js")
ZONE_SCRIPT = Path(__file__).with_name("icaljs_zone.js")


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _node(script: Path, data: bytes) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to check calendars with ical.js (tests/vendor/ical.js)")
    result = subprocess.run([node, str(script)], input=data, capture_output=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def icaljs(data: bytes) -> dict:
    """What Thunderbird's parser reads from the calendar (events keyed by UID)."""
    parsed = _node(SCRIPT, data)
    parsed["by_uid"] = {event["uid"]: event for event in parsed["events"]}
    return parsed


def icaljs_instants(vtimezone: str, walls: list[datetime]) -> list[datetime]:
    """The instants ical.js reads for wall-clock times (naive) in the zone of ``vtimezone``."""
    request = {"vtimezone": vtimezone,
               "local": [[w.year, w.month, w.day, w.hour, w.minute] for w in walls]}
    seconds = _node(ZONE_SCRIPT, json.dumps(request).encode())["instants"]
    return [datetime.fromtimestamp(s, timezone.utc) for s in seconds]


def vobject_zone(vtimezone: str) -> tzinfo:
    """The zone vobject (with dateutil) makes of a VTIMEZONE, without the tz database."""
    calendar = vobject.readOne(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{vtimezone}END:VCALENDAR\r\n")
    return calendar.vtimezone.gettzinfo()


def vobject_read(data: bytes) -> dict[str, dict]:
    """What vobject reads from the calendar: each event's UID, SEQUENCE, STATUS and start/end
    in UTC, with times placed by the calendar's own VTIMEZONEs (not the tz database)."""
    text = data.decode()
    # vobject keeps the first VTIMEZONE it meets under a TZID for the whole process.
    for tzid in re.findall(r"^TZID:(.+?)\r?$", text, re.M):
        vobject.icalendar.registerTzid(tzid, None)
    calendar = vobject.readOne(text)
    events = {}
    for vevent in getattr(calendar, "vevent_list", []):
        events[vevent.uid.value] = {
            "sequence": int(vevent.sequence.value),
            "status": vevent.status.value,
            "start": _instant(vevent.dtstart.value),
            "end": _instant(vevent.dtend.value),
        }
    return events


def _instant(value: datetime) -> datetime:
    assert value.tzinfo is not None, f"{value} was read as floating time"
    return value.astimezone(timezone.utc)


def js_instant(instant: datetime) -> str:
    """An instant as ical.js's dump writes it (JavaScript's toISOString)."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def assert_read_alike(data: bytes, expected: dict[str, tuple[int, str, datetime, datetime]]) -> None:
    """ical.js and vobject both read exactly these events: UID → (SEQUENCE, STATUS, start, end)."""
    by_icaljs = {uid: (e["sequence"], e["status"], e["start"], e["end"]) for uid, e in icaljs(data)["by_uid"].items()}
    assert by_icaljs == {uid: (seq, status, js_instant(start), js_instant(end))
                         for uid, (seq, status, start, end) in expected.items()}
    by_vobject = {uid: (e["sequence"], e["status"], e["start"], e["end"]) for uid, e in vobject_read(data).items()}
    assert by_vobject == expected


def unfolded(data: bytes) -> str:
    """The calendar text with folded lines joined (RFC 5545 3.1), for substring checks."""
    return data.decode().replace("\r\n ", "").replace("\r\n\t", "")


# The published c3voc schemas in ../shared/frab-schema beside the repository, or EXPO_FRAB_SCHEMA_DIR.
FRAB_SCHEMA_DIR = Path(
    os.environ.get("EXPO_FRAB_SCHEMA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "frab-schema"
)


def frab_schema(name: str) -> Path:
    """A file of the published frab / c3voc schemas, read from ../shared/frab-schema (never copied):
    skipped with the reason in a clone without it, a failure in CI."""
    path = FRAB_SCHEMA_DIR / name
    if not path.is_file():
        must_run_in_ci(
            "frab schema tests", f"the c3voc schedule schemas are missing ({path})",
            "put ../shared/frab-schema beside the repository or set EXPO_FRAB_SCHEMA_DIR",
        )
    return path
