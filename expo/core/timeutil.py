"""Time helpers: instants are UTC inside Expo and local only at the edges."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# The calendar Expo plans in: wide enough for any real expo, narrow enough that every local
# day converts to UTC and back, in every time zone, without leaving Python's datetime range.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(timezone.utc)


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def timezone_choices() -> list[str]:
    return sorted(available_timezones())


def to_local(instant: datetime, tz: str) -> datetime:
    """An aware UTC instant shown in the time zone ``tz``."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime refused")
    return instant.astimezone(ZoneInfo(tz))


def local_stamp(instant: datetime, tz: str | None = None) -> str:
    """An instant as its local date, time and UTC offset, 2022-10-30 02:15 +02:00, for exports:
    the offset tells apart the two 02:15s of an autumn night. ``tz`` converts it first; without
    it an aware local time is written as it is."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime refused")
    local = instant.astimezone(ZoneInfo(tz)) if tz else instant
    return f"{local:%Y-%m-%d %H:%M} {utc_offset(local.utcoffset() or timedelta())}"


@dataclass(frozen=True)
class WallClock:
    """What a wall-clock time is in a zone: an ordinary time, one the clocks skip (``skipped``:
    the switch goes from ``before`` to ``after``) or one they repeat (``repeated``: its first
    and second occurrence have the UTC offsets ``offsets``)."""

    skipped: bool = False
    repeated: bool = False
    before: datetime | None = None
    after: datetime | None = None
    offsets: tuple[timedelta, timedelta] | None = None


def wall_clock(local: datetime, tz: str) -> WallClock:
    """Whether the naive ``local`` time exists in ``tz``, once, twice or not at all."""
    zone_info = ZoneInfo(tz)
    first, second = local.replace(tzinfo=zone_info, fold=0), local.replace(tzinfo=zone_info, fold=1)
    offset_first, offset_second = first.utcoffset() or timedelta(), second.utcoffset() or timedelta()
    if offset_first == offset_second:
        return WallClock()
    if offset_first > offset_second:  # the clocks go back: two instants show this time
        return WallClock(repeated=True, offsets=(offset_first, offset_second))
    # The clocks go forward over this time: find the switch between the two readings of it.
    low, high = second.astimezone(timezone.utc), first.astimezone(timezone.utc)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone_info).utcoffset() == offset_first:
            low = middle
        else:
            high = middle
    switch = high.replace(microsecond=0)
    return WallClock(skipped=True, before=(switch + offset_first).replace(tzinfo=None),
                     after=(switch + offset_second).replace(tzinfo=None))


def utc_offset(offset: timedelta) -> str:
    """An offset as +02:00 or -03:30."""
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    return f"{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"


def from_local(local: datetime, tz: str, *, second: bool = False) -> datetime:
    """A wall-clock time in ``tz`` (naive) turned into an aware UTC instant.

    Ambiguous times (the repeated hour in October) take the first occurrence, or the second
    with ``second``; times that do not exist (the skipped hour in March) are moved forward by
    the gap, as calendars do. (Forms refuse those and ask which of the two: ``wall_clock``.)
    """
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc)
    zone_info = ZoneInfo(tz)
    if second and wall_clock(local, tz).repeated:
        return local.replace(tzinfo=zone_info, fold=1).astimezone(timezone.utc)
    aware = local.replace(tzinfo=zone_info, fold=0)
    roundtrip = aware.astimezone(timezone.utc).astimezone(zone_info)
    if roundtrip.replace(tzinfo=None) != local:  # inside a spring-forward gap
        aware = local.replace(tzinfo=zone_info, fold=1)
    return aware.astimezone(timezone.utc)


def in_planning_range(value: date | datetime) -> bool:
    """The day (of a date-time, the day it shows; never converted, so it cannot overflow)
    lies between EARLIEST_DAY and LATEST_DAY."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST_DAY <= day <= LATEST_DAY


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar day starts and ends in ``tz``.

    Days at the very ends of Python's calendar (a row older than the planning range) are
    clamped to its first and last instants instead of overflowing."""
    try:
        start = from_local(datetime.combine(day, time.min), tz)
    except OverflowError:
        start = datetime.min.replace(tzinfo=timezone.utc)
    try:
        end = from_local(datetime.combine(date.fromordinal(day.toordinal() + 1), time.min), tz)
    except (OverflowError, ValueError):
        end = datetime.max.replace(tzinfo=timezone.utc)
    return start, end
