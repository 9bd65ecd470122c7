"""Independent readings of our calendars: icalendar's own parser and Mozilla's ical.js."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import icalendar
import pytest

SCRIPT = Path(__file__).with_name("icaljs_dump.js")


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def icaljs(data: bytes) -> dict:
    """What Thunderbird's parser reads from the calendar (events keyed by UID)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to check calendars with ical.js (tests/vendor/ical.js)")
    result = subprocess.run(
        [node, str(SCRIPT)], input=data, capture_output=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    parsed = json.loads(result.stdout)
    parsed["by_uid"] = {event["uid"]: event for event in parsed["events"]}
    return parsed


def unfolded(data: bytes) -> str:
    """The calendar text with folded lines joined (RFC 5545 3.1), for substring checks."""
    return data.decode().replace("\r\n ", "").replace("\r\n\t", "")


# The repository's sibling folder shared/frab-schema, or EXPO_FRAB_SCHEMA_DIR.
FRAB_SCHEMA_DIR = Path(
    os.environ.get("EXPO_FRAB_SCHEMA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "frab-schema"
)


def frab_schema(name: str) -> Path:
    """A file of the published frab / c3voc schemas, read from /work/shared (never copied)."""
    path = FRAB_SCHEMA_DIR / name
    if not path.is_file():
        pytest.fail(
            f"The frab schedule schemas are missing: expected {path}. They are the c3voc "
            "schemas (voc/schedule, validator/); put the folder back beside the repository."
        )
    return path
