"""Local times around the clock changes in the venue and door forms. Neither takes a local date
and time that could fall in a gap or happen twice: opening hours are daily wall-clock times
(compared with a session's local wall clock, whichever of a repeated hour it is in), and the
door's day is a date, whose sessions are found between the day's real bounds (23 or 25 hours)."""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.attendance import services as attendance
from expo.core.timeutil import from_local
from expo.programme.conflicts import Slot, outside_opening_hours
from expo.venues.models import Venue
from tests.factories import make_event, make_room, make_session, make_user, make_venue, utc

TZ = "Europe/Stockholm"  # summer time ends at 03:00 on 30 October 2022 and starts at 02:00 on 27 March


def _slot(starts_at: datetime, ends_at: datetime, opens: time | None = time(3), closes: time | None = None) -> Slot:
    return Slot(key=1, starts_at=starts_at, ends_at=ends_at, timezone=TZ, venue_id=1, opens_at=opens, closes_at=closes)


@pytest.mark.parametrize("second", [False, True])
def test_opening_hours_read_the_wall_clock_in_either_repeated_hour(second):
    start = from_local(datetime(2022, 10, 30, 2, 30), TZ, second=second)
    assert start == (utc(2022, 10, 30, 1, 30) if second else utc(2022, 10, 30, 0, 30))
    # 02:30 is before a 03:00 opening, whichever of the two 02:30s the session starts at.
    assert outside_opening_hours(_slot(start, utc(2022, 10, 30, 3)))
    assert not outside_opening_hours(_slot(utc(2022, 10, 30, 2), utc(2022, 10, 30, 3)))  # 03:00 CET


def test_a_session_just_after_the_spring_gap_is_inside_hours_that_open_in_the_gap():
    # 02:30 does not exist on 27 March; a venue opening then is open from 03:00 that night.
    start = from_local(datetime(2022, 3, 27, 3, 0), TZ)
    assert start == utc(2022, 3, 27, 1)
    assert not outside_opening_hours(_slot(start, utc(2022, 3, 27, 2), opens=time(2, 30)))
    assert outside_opening_hours(_slot(start, utc(2022, 3, 27, 2), closes=time(3, 30)))


def test_a_venue_may_open_at_a_time_the_clocks_skip_once_a_year(client, db, login_as):
    login_as(Role.ORGANISER)
    response = client.post("/manage/venues/new", data={
        "name": "Nattbadet", "slug": "", "address": "Hamntorget 1", "latitude": "", "longitude": "",
        "opens_at": "02:30", "closes_at": "23:30", "accessibility_notes": "", "description": "",
    })
    assert response.status_code == 302
    venue = db.session.scalar(sa.select(Venue).where(Venue.name == "Nattbadet"))
    assert (venue.opens_at, venue.closes_at) == (time(2, 30), time(23, 30))


@pytest.mark.parametrize(("day", "hours"), [(date(2022, 10, 30), 25), (date(2022, 3, 27), 23)])
def test_the_door_day_holds_every_session_of_a_day_the_clocks_change(db, day, hours):
    event = make_event(starts_on=date(2022, 3, 1), ends_on=date(2022, 11, 30), timezone=TZ)
    room = make_room(venue=make_venue())
    first = from_local(datetime(day.year, day.month, day.day, 0, 0), TZ)
    last_minute = datetime.fromtimestamp(first.timestamp() + hours * 3600 - 60, timezone.utc)
    inside = [make_session(event=event, room=room, title=t, starts_at=s, ends_at=last_minute.replace(second=59))
              for t, s in (("Midnight", first), ("Last minute", last_minute))]
    make_session(event=event, room=room, title="Next day",
                 starts_at=datetime.fromtimestamp(first.timestamp() + hours * 3600, timezone.utc),
                 ends_at=datetime.fromtimestamp(first.timestamp() + hours * 3600 + 3600, timezone.utc))
    admin = make_user(role=Role.ADMIN)

    listed = attendance.door_day(day=day, tz=TZ, actor=admin).sessions

    assert [d.session.title for d in listed] == [s.title for s in inside]
