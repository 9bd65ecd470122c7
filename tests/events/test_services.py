"""The event services, called directly: the rules hold for every caller, not only the forms."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from expo.accounts.models import Role
from expo.core.errors import InvalidState
from expo.events import services
from expo.events.services import EventData
from tests.factories import make_event, make_user


@pytest.fixture
def actor(db):
    return make_user(role=Role.ORGANISER)


def event_data(**overrides) -> EventData:
    fields = {"name": "H22 +50 Sessions", "starts_on": date(2022, 6, 1), "ends_on": date(2022, 6, 2),
              "timezone": "Europe/Stockholm"}
    fields.update(overrides)
    return EventData(**fields)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"starts_on": date(1, 1, 1)}, "starts_on", "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"ends_on": date(9999, 12, 31)}, "ends_on", "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"starts_on": date(1999, 12, 31)}, "starts_on", "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"ends_on": date(2101, 1, 1)}, "ends_on", "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"registration_deadline": datetime(1, 1, 1, tzinfo=timezone.utc)}, "registration_deadline",
         "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"starts_on": date(2022, 1, 1), "ends_on": date(2023, 1, 2)}, "ends_on", "An event lasts at most 366 days."),
    ],
)
def test_create_and_update_refuse_dates_outside_the_calendar_or_too_long(db, actor, overrides, field, message):
    with pytest.raises(InvalidState) as refused:
        services.create_event(data=event_data(**overrides), actor=actor)
    assert (refused.value.field, str(refused.value.message)) == (field, message)
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    with pytest.raises(InvalidState) as refused:
        services.update_event(event=event, data=event_data(**overrides), actor=actor)
    assert (refused.value.field, str(refused.value.message)) == (field, message)
    assert (event.starts_on, event.ends_on) == (date(2022, 6, 1), date(2022, 6, 2))


def test_the_edges_of_the_calendar_and_a_leap_year_are_accepted(db, actor):
    first = services.create_event(data=event_data(starts_on=date(2000, 1, 1), ends_on=date(2000, 12, 31)), actor=actor)
    last = services.create_event(data=event_data(starts_on=date(2100, 12, 31), ends_on=date(2100, 12, 31)), actor=actor)
    assert ((first.ends_on - first.starts_on).days, last.starts_on) == (365, date(2100, 12, 31))
