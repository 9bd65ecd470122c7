"""VTIMEZONE components from the tz database, for the years a calendar needs.

Each STANDARD or DAYLIGHT observance starts at its onset written as RFC 5545 3.6.5 wants it:
the local time in the offset in force *before* the change (TZOFFSETFROM), so 02:00 for the
spring switch in Europe/Stockholm and America/New_York, when the clocks jump to 03:00.
(icalendar's ``Timezone.from_tzid`` writes the spring onset in the new offset: read by the RFC,
that puts the switch an hour late, and the hour after it would show in winter time.)

Onsets that follow a yearly rule ("last Sunday of March at 02:00") are written as one
observance with a yearly RRULE, as the tz database states them and as most calendar servers
write them; an onset that follows no rule gets an observance of its own. Never RDATE: ical.js
(Thunderbird) places every time after the first year's switches an hour out when a VTIMEZONE
lists later onsets in RDATEs, so a feed spanning two years showed summer sessions an hour late.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

# Offsets are sampled this far apart and each change is found between two samples by
# bisection: no zone of the tz database changes twice within a day in the years of events.
_STEP = timedelta(days=1)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


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


# How far back the onset of the time in force on 1 January is looked for.
_LOOK_BACK = timedelta(days=2 * 366)


def _onset_of(start: datetime, zone: ZoneInfo) -> tuple[timedelta, datetime] | None:
    """The offset before, and the instant of, the last change at or before ``start``, or None
    when the zone has not changed in the two years before."""
    state = _state(start, zone)
    instant = start
    while instant > start - _LOOK_BACK:
        earlier = instant - _STEP
        if _state(earlier, zone) != state:
            at = _change_after(earlier, instant, zone)
            return _state(earlier, zone)[0], at
        instant = earlier
    return None


@lru_cache(maxsize=512)
def observances(tzid: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """The observances of ``tzid`` through the local years ``first_year`` to ``last_year``,
    one per kind of change with its onsets: the first is the onset of the time in force on
    1 January of ``first_year`` (the switch before it, or 1 January itself in a zone that has
    not switched for two years; some readers, dateutil's among them, misplace the very first
    instant of a VTIMEZONE)."""
    zone = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(timezone.utc)
    offset, dst, name = _state(start, zone)
    began = _onset_of(start, zone)
    offset_before, onset = began if began is not None else (offset, start)
    changes: list[tuple[timedelta, timedelta, timedelta, str, datetime]] = [
        (offset_before, offset, dst, name, (onset + offset_before).replace(tzinfo=None))
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


def _yearly_rule(onsets: list[datetime]) -> dict[str, object] | None:
    """The yearly rule giving exactly ``onsets`` (one a year, in successive years, same month
    and time), as RRULE parts, or None when no rule of the tz database's kinds does:
    a fixed day, the last or n-th weekday of the month, or the first weekday on or after a day."""
    first = onsets[0]
    years = [onset.year for onset in onsets]
    if years != list(range(first.year, first.year + len(onsets))):
        return None
    if any((o.month, o.time()) != (first.month, first.time()) for o in onsets):
        return None
    base: dict[str, object] = {"freq": "YEARLY", "bymonth": first.month}
    days = [onset.day for onset in onsets]
    if len(set(days)) == 1 and len(onsets) > 1:
        return {**base, "bymonthday": first.day}
    weekday = first.weekday()
    if any(onset.weekday() != weekday for onset in onsets):
        return {**base, "bymonthday": first.day} if len(set(days)) == 1 else None
    code = _WEEKDAYS[weekday]
    # The last weekday first: a last Sunday of March is the fourth in some years.
    if all(o.day + 7 > calendar.monthrange(o.year, o.month)[1] for o in onsets):
        return {**base, "byday": f"-1{code}"}
    nths = {(day - 1) // 7 + 1 for day in days}
    if len(nths) == 1 and nths != {5}:
        return {**base, "byday": f"{nths.pop()}{code}"}
    low = max(days) - 6
    if low <= min(days):
        return {**base, "byday": code, "bymonthday": list(range(low, low + 7))}
    return None


def _runs(onsets: tuple[datetime, ...], following: datetime | None) -> list[tuple[list[datetime], dict | None, bool]]:
    """The onsets cut into runs that each follow one yearly rule: (onsets, rule, open), where
    ``open`` says the rule goes on past the last onset (the tz database's next one, ``following``,
    obeys it too), so the RRULE needs no UNTIL. A lone onset that no rule continues has none."""
    runs: list[tuple[list[datetime], dict | None, bool]] = []
    start = 0
    while start < len(onsets):
        stop = start + 1
        while stop < len(onsets) and _yearly_rule(list(onsets[start:stop + 1])) is not None:
            stop += 1
        run = list(onsets[start:stop])
        last = stop == len(onsets)
        continued = _yearly_rule([*run, following]) if last and following is not None else None
        rule = continued or (_yearly_rule(run) if len(run) > 1 else None)
        runs.append((run, rule, continued is not None))
        start = stop
    return runs


def vtimezone(tzid: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """A VTIMEZONE for ``tzid`` valid through the years ``first_year`` to ``last_year``."""
    component = icalendar.Timezone()
    component.add("tzid", tzid)
    after = {(o.offset_from, o.offset_to, o.name): o.onsets[-1]
             for o in observances(tzid, last_year + 1, last_year + 1)}
    for observance in observances(tzid, first_year, last_year):
        following = after.get((observance.offset_from, observance.offset_to, observance.name))
        if observance.offset_from == observance.offset_to:
            following = None  # 1 January in a zone without switches: not a yearly change
        for run, rule, open_ended in _runs(observance.onsets, following):
            if rule is None:
                for onset in run:
                    component.add_component(_observance(observance, onset))
                continue
            if not open_ended:
                rule = {**rule, "until": (run[-1] - observance.offset_from).replace(tzinfo=timezone.utc)}
            component.add_component(_observance(observance, run[0], rule))
    return component


def _observance(observance: Observance, onset: datetime, rule: dict | None = None) -> icalendar.Component:
    sub = icalendar.TimezoneDaylight() if observance.daylight else icalendar.TimezoneStandard()
    sub.add("dtstart", onset)
    if rule is not None:
        sub.add("rrule", rule)
    sub.add("tzname", observance.name)
    sub.add("tzoffsetfrom", observance.offset_from)
    sub.add("tzoffsetto", observance.offset_to)
    return sub


def local_years(first: datetime, last: datetime, tzid: str) -> tuple[int, int]:
    """The local years in ``tzid`` of the instants ``first`` and ``last``."""
    zone = ZoneInfo(tzid)
    return first.astimezone(zone).year, last.astimezone(zone).year
