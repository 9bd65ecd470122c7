"""VTIMEZONEs from the tz database: every onset where RFC 5545 puts it, for any event zone."""
import bisect
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from expo.calendar.timezones import local_years, observances, vtimezone

# Spring and autumn switches, half-hour saving, negative saving in winter, saving in Ramadan,
# a southern summer and a zone without any switch.
ZONES = ["Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "Europe/Dublin", "Africa/Casablanca",
         "America/Santiago", "Asia/Kolkata", "UTC"]


@pytest.mark.parametrize("tzid", ZONES)
def test_observances_give_the_tz_database_offset_at_every_hour(tzid):
    zone = ZoneInfo(tzid)
    # Each onset is local time in the offset before it, so onset - TZOFFSETFROM is the instant.
    changes = sorted((onset - o.offset_from, o.offset_to) for o in observances(tzid, 2026, 2026) for onset in o.onsets)
    instants = [instant for instant, _offset in changes]
    hour = datetime(2026, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    end = datetime(2027, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    while hour < end:
        _instant, offset = changes[bisect.bisect_right(instants, hour.replace(tzinfo=None)) - 1]
        assert offset == hour.astimezone(zone).utcoffset(), (tzid, hour)
        hour += timedelta(hours=1)


def test_onsets_are_local_times_before_the_change():
    by_name = {(o.name, o.offset_from): o for o in observances("America/New_York", 2026, 2026)}
    assert by_name["EDT", timedelta(hours=-5)].onsets == (datetime(2026, 3, 8, 2),)
    assert by_name["EST", timedelta(hours=-4)].onsets == (datetime(2026, 11, 1, 2),)
    assert by_name["EST", timedelta(hours=-5)].onsets == (datetime(2026, 1, 1),)


def test_negative_saving_is_written_as_standard_time_in_winter():
    dublin = {o.name: o.daylight for o in observances("Europe/Dublin", 2026, 2026)}
    assert dublin == {"GMT": False, "IST": True}


def test_vtimezone_repeats_an_observance_with_rdate():
    text = vtimezone("Europe/Stockholm", 2026, 2027).to_ical().decode()
    assert "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nRDATE:20270328T020000\r\nTZNAME:CEST\r\n" in text
    assert "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nRDATE:20271031T030000\r\nTZNAME:CET\r\n" in text


def test_local_years_are_those_of_the_wall_clock():
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)  # already 2027 in Stockholm
    assert local_years(new_year, new_year, "Europe/Stockholm") == (2027, 2027)
    assert local_years(new_year, new_year, "America/New_York") == (2026, 2026)
