"""VTIMEZONE components from the tz database, for the years a calendar needs.

Each STANDARD or DAYLIGHT observance starts at its onset written as RFC 5545 3.6.5 wants it:
the local time in the offset in force *before* the change (TZOFFSETFROM), so 02:00 for the
spring switch in Europe/Stockholm and America/New_York, when the clocks jump to 03:00.
(icalendar's ``Timezone.from_tzid`` writes the spring onset in the new offset: read by the RFC,
that puts the switch an hour late, and the hour after it would show in winter time.)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

# Offsets are sampled this far apart and each change is found between two samples by
# bisection: no zone of the tz database changes twice within a day in the years of events.
_STEP = timedelta(days=1)


@dataclass(frozen=True)
class Observance:
    """One STANDARD or DAYLIGHT: its offsets, its name and every onset (local, naive)."""

    daylight: bool
    offset_from: timedelta
    offset_to: timedelta
    name: str
    onsets: tuple[datetime, ...]


def _state(instant: datetime, zone: ZoneInfo) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset() or timedelta(), local.dst() or timedelta(), local.tzname() or ""


def _change_after(start: datetime, end: datetime, zone: ZoneInfo) -> datetime:
    """The first second after ``start`` (exclusive) up to ``end`` where the zone's state differs."""
    before = _state(start, zone)
    low, high = start, end
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if _state(middle, zone) == before:
            low = middle
        else:
            high = middle
    return high


@lru_cache(maxsize=512)
def observances(tzid: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """The observances of ``tzid`` from 1 January of ``first_year`` to the end of ``last_year``
    (local time): the one in force at the start, then one per kind of change, with its onsets."""
    zone = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    offset, dst, name = _state(start, zone)
    changes: list[tuple[timedelta, timedelta, timedelta, str, datetime]] = [
        (offset, offset, dst, name, (start + offset).replace(tzinfo=None))
    ]
    previous, instant = (offset, dst, name), start
    while instant < end:
        following = min(instant + _STEP, end)
        if _state(following, zone) != previous:
            at = _change_after(instant, following, zone)
            current = _state(at, zone)
            changes.append((previous[0], current[0], current[1], current[2], (at + previous[0]).replace(tzinfo=None)))
            previous, instant = current, at
        else:
            instant = following
    # Where the tz database keeps a negative saving (Europe/Dublin's winter, Morocco in Ramadan),
    # that time is written as STANDARD and the other as DAYLIGHT, as calendar apps expect.
    negative = any(dst < timedelta() for _f, _t, dst, _n, _o in changes)
    grouped: dict[tuple[bool, timedelta, timedelta, str], list[datetime]] = {}
    for offset_from, offset_to, dst, name, onset in changes:
        daylight = dst > timedelta() or (negative and dst == timedelta())
        grouped.setdefault((daylight, offset_from, offset_to, name), []).append(onset)
    return tuple(Observance(*key, tuple(onsets)) for key, onsets in grouped.items())


def vtimezone(tzid: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """A VTIMEZONE for ``tzid`` valid through the years ``first_year`` to ``last_year``."""
    component = icalendar.Timezone()
    component.add("tzid", tzid)
    for observance in observances(tzid, first_year, last_year):
        sub = icalendar.TimezoneDaylight() if observance.daylight else icalendar.TimezoneStandard()
        sub.add("dtstart", observance.onsets[0])
        sub.add("tzname", observance.name)
        sub.add("tzoffsetfrom", observance.offset_from)
        sub.add("tzoffsetto", observance.offset_to)
        if len(observance.onsets) > 1:
            sub.add("rdate", list(observance.onsets[1:]))
        component.add_component(sub)
    return component


def local_years(first: datetime, last: datetime, tzid: str) -> tuple[int, int]:
    """The local years in ``tzid`` of the instants ``first`` and ``last``."""
    zone = ZoneInfo(tzid)
    return first.astimezone(zone).year, last.astimezone(zone).year
