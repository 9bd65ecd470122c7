"""VTIMEZONEs from the tz database: every onset where RFC 5545 puts it, for any event zone."""
import bisect
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from expo.calendar.timezones import Observance, local_years, observances, vtimezone
from tests.calendar.helpers import icaljs_instants, vobject_zone

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
    # The time in force on 1 January begins at the switch before it.
    assert by_name["EST", timedelta(hours=-4)].onsets == (datetime(2025, 11, 2, 2), datetime(2026, 11, 1, 2))
    assert set(by_name) == {("EDT", timedelta(hours=-5)), ("EST", timedelta(hours=-4))}


def test_a_zone_without_switches_begins_on_the_first_of_january():
    assert observances("Asia/Kolkata", 2026, 2030) == (
        Observance(False, timedelta(hours=5, minutes=30), timedelta(hours=5, minutes=30), "IST",
                   (datetime(2026, 1, 1),)),)


def test_negative_saving_is_written_as_standard_time_in_winter():
    dublin = {o.name: o.daylight for o in observances("Europe/Dublin", 2026, 2026)}
    assert dublin == {"GMT": False, "IST": True}


def test_vtimezone_writes_the_zones_yearly_rules_and_never_rdate():
    for years in ((2026, 2026), (2026, 2027), (2026, 2030)):
        text = vtimezone("Europe/Stockholm", *years).to_ical().decode()
        assert "RDATE" not in text
        assert text.count("BEGIN:DAYLIGHT") == 1 and text.count("BEGIN:STANDARD") == 1
        assert ("BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
                "TZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n") in text
        assert "BEGIN:STANDARD\r\nDTSTART:20251026T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n" in text


def test_rules_of_every_kind_the_tz_database_uses():
    rules = {tzid: [str(sub["RRULE"].to_ical().decode()) for sub in vtimezone(tzid, 2026, 2030).subcomponents
                    if "RRULE" in sub] for tzid in ("America/New_York", "Australia/Sydney", "America/Santiago")}
    assert rules["America/New_York"] == ["FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", "FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"]
    assert rules["Australia/Sydney"] == ["FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", "FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"]
    # Chile switches on the first Sunday on or after the 2nd (tz database: Sun>=2).
    assert rules["America/Santiago"] == ["FREQ=YEARLY;BYDAY=SU;BYMONTHDAY=2,3,4,5,6,7,8;BYMONTH=9",
                                         "FREQ=YEARLY;BYDAY=SU;BYMONTHDAY=2,3,4,5,6,7,8;BYMONTH=4"]


def test_a_rule_that_ends_in_the_span_gets_until_and_irregular_onsets_their_own_observance():
    # Morocco keeps summer time but for Ramadan, whose dates follow no yearly rule.
    text = vtimezone("Africa/Casablanca", 2026, 2028).to_ical().decode()
    assert "RDATE" not in text and "RRULE" not in text
    assert text.count("BEGIN:STANDARD") + text.count("BEGIN:DAYLIGHT") == 1 + 2 * 3  # and the switch before
    # The United States moved its switches in 2007: the old rule ends with UNTIL.
    text = vtimezone("America/New_York", 2005, 2008).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;UNTIL=20060402T070000Z;BYDAY=1SU;BYMONTH=4\r\n" in text
    assert "DTSTART:20070311T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\n" in text


def test_local_years_are_those_of_the_wall_clock():
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)  # already 2027 in Stockholm
    assert local_years(new_year, new_year, "Europe/Stockholm") == (2027, 2027)
    assert local_years(new_year, new_year, "America/New_York") == (2026, 2026)


def _walls(tzid: str, first_year: int, last_year: int) -> list[datetime]:
    """Every hour of the years as wall-clock times in ``tzid``, and every quarter hour from three
    hours before to three hours after each switch, leaving out the times a switch skips or
    repeats (Expo writes those in UTC, never with TZID: see ``local_instant``)."""
    zone = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    instants = set()
    instant, offset = start, start.astimezone(zone).utcoffset()
    while instant < end:
        instants.add(instant)
        following = instant + timedelta(hours=1)
        if following.astimezone(zone).utcoffset() != offset:
            offset = following.astimezone(zone).utcoffset()
            instants.update(instant + timedelta(minutes=15 * q) for q in range(-12, 17))
        instant = following
    walls = []
    for instant in sorted(i for i in instants if start <= i < end):
        wall = instant.astimezone(zone)
        if wall.replace(fold=1 - wall.fold).utcoffset() == wall.utcoffset():
            walls.append(wall.replace(tzinfo=None))
    return walls


# Northern and southern summers, a rule of the form "first Sunday on or after the 2nd", and a
# zone that never switches.
SPAN_ZONES = ["Europe/Stockholm", "Australia/Sydney", "America/Santiago", "Asia/Kolkata"]


@pytest.mark.parametrize("years", [1, 2, 5], ids=lambda n: f"{n}y")
@pytest.mark.parametrize("tzid", SPAN_ZONES)
def test_ical_js_and_vobject_read_every_wall_clock_time_as_the_tz_database(tzid, years):
    text = vtimezone(tzid, 2026, 2026 + years - 1).to_ical().decode()
    walls = _walls(tzid, 2026, 2026 + years - 1)
    zone, read_by_vobject = ZoneInfo(tzid), vobject_zone(text)
    expected = [wall.replace(tzinfo=zone).astimezone(timezone.utc) for wall in walls]

    assert icaljs_instants(text, walls) == expected
    assert [wall.replace(tzinfo=read_by_vobject).astimezone(timezone.utc) for wall in walls] == expected
    # And back: vobject shows every instant at the tz database's wall-clock time.
    assert [instant.astimezone(read_by_vobject).utcoffset() for instant in expected] == [
        instant.astimezone(zone).utcoffset() for instant in expected]
