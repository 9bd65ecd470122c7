from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from expo.stats import queries
from expo.stats.queries import StatsData
from tests.stats import dataset
from tests.stats.dataset import NOW

SWEDEN = ZoneInfo("Europe/Stockholm")


@pytest.fixture(autouse=True)
def request_context(app):
    """Table titles and labels are translated, for the reader's language."""
    with app.test_request_context("/stats/"):
        yield


def stats(event=None, tz="Europe/Stockholm") -> StatsData:
    return StatsData(event=event, timezone=tz, now=NOW)


@pytest.fixture
def data():
    return dataset.build()


def rows(table_id: str, data: StatsData) -> list[list]:
    return [[str(c) if isinstance(c, str) or hasattr(c, "__html__") else c for c in row]
            for row in queries.TABLES[table_id](data).rows]


def test_delegates_by_country_for_one_event(data):
    a = stats(data.a)
    assert a.by_country == [("SE", "Sweden", 4), ("FI", "Finland", 2), ("DE", "Germany", 1)]
    assert a.delegate_count == 7
    assert a.country_count == 3
    assert rows("countries", a) == [["Sweden", 4, 0.5714], ["Finland", 2, 0.2857], ["Germany", 1, 0.1429]]


def test_all_events_count_each_delegate_once(data):
    everything = stats()
    assert everything.delegate_count == 8
    assert everything.country_count == 4
    assert ("NO", "Norway", 1) in everything.by_country


def test_delegates_without_any_country_are_not_given(data):
    from tests.factories import make_registration, make_user

    make_registration(event=data.a, user=make_user(name="Nowhere"))
    a = stats(data.a)
    assert a.by_country[-1] == (None, None, 1)
    assert a.country_count == 3
    assert rows("countries", a)[-1] == ["Not given", 1, 0.125]


def test_delegates_by_network(data):
    assert rows("networks", stats(data.a)) == [
        ["UNECE", 3, 0.4286], ["CPMR", 2, 0.2857], ["No network", 3, 0.4286]
    ]


def test_delegates_by_kind_of_organisation(data):
    assert rows("organisation_kinds", stats(data.a)) == [
        ["City", 3, 0.4286], ["University", 2, 0.2857], ["Company", 1, 0.1429], ["No organisation", 1, 0.1429]
    ]


def test_registrations_per_local_day(data):
    assert stats(data.a).registrations_per_day == [
        (date(2022, 5, 1), 3, 3), (date(2022, 5, 2), 3, 2), (date(2022, 5, 3), 3, 2)
    ]


def test_registrations_per_day_follow_the_time_zone(data):
    # In UTC the two late registrations of 1 May stay on 1 May.
    assert stats(data.a, tz="UTC").registrations_per_day == [
        (date(2022, 5, 1), 5, 5), (date(2022, 5, 2), 1, 0), (date(2022, 5, 3), 3, 2)
    ]


def test_session_fill_and_no_shows(data):
    by_title = {s.title: s for s in stats(data.a).sessions}
    assert sorted(by_title) == ["Bikes", "Buses", "Online", "Trams"]
    bikes, buses, online, trams = by_title["Bikes"], by_title["Buses"], by_title["Online"], by_title["Trams"]
    assert (bikes.capacity, bikes.confirmed, bikes.fill_rate, bikes.attended, bikes.no_shows) == (4, 3, 0.75, 2, 1)
    assert (bikes.check_ins, bikes.walk_ins, bikes.venue) == (3, 1, "Dunkers")
    assert (buses.capacity, buses.confirmed, buses.fill_rate, buses.attended, buses.no_shows) == (2, 2, 1.0, 2, 0)
    assert (buses.check_ins, buses.walk_ins) == (2, 1)
    assert (online.capacity, online.confirmed, online.fill_rate, online.venue) == (None, 1, None, None)
    assert not online.has_ended(NOW)
    assert trams.cancelled and not trams.has_ended(NOW)


def test_sessions_table_and_fill_bands(data):
    a = stats(data.a)
    table = queries.TABLES["sessions"](a)
    assert rows("sessions", a) == [
        ["Bikes", datetime(2022, 6, 1, 10, tzinfo=SWEDEN), "Dunkers", 4, 3, 0.75, 2, 1, 0.3333, 3, 1],
        ["Buses", datetime(2022, 6, 1, 12, tzinfo=SWEDEN), "Sundspärlan", 2, 2, 1.0, 2, 0, 0.0, 2, 1],
        ["Trams (cancelled)", datetime(2022, 6, 1, 14, tzinfo=SWEDEN), "Dunkers", 4, 0, 0.0, None, None, None, 0, 0],
        ["Online", datetime(2022, 6, 2, 10, tzinfo=SWEDEN), "Online", None, 1, None, None, None, None, 0, 0],
    ]
    assert [(bar.label, bar.value) for bar in table.bars] == [
        ("Under 25 %", 0), ("25–49 %", 0), ("50–74 %", 0), ("75–99 %", 1), ("Full", 1), ("No seat limit", 1)
    ]
    assert a.fill_rate == round(5 / 6, 4)
    assert a.no_show_rate == 0.2


def test_no_shows_per_day(data):
    assert rows("no_shows_per_day", stats(data.a)) == [[date(2022, 6, 1), 5, 1, 0.2]]


def test_attendance_per_day_and_venue(data):
    a = stats(data.a)
    assert rows("attendance_per_day", a) == [[date(2022, 6, 1), 4, 2], [date(2022, 6, 2), 1, 0]]
    assert rows("attendance_per_venue", a) == [["Dunkers", 3, 1], ["Sundspärlan", 2, 1]]
    assert a.check_in_count == 5
    assert rows("attendance_per_venue", stats()) == [["Dunkers", 3, 1], ["Sundspärlan", 3, 1]]


def test_empty_expo_has_empty_tables():
    empty = stats()
    assert empty.delegate_count == 0 and empty.country_count == 0
    assert empty.fill_rate is None and empty.no_show_rate is None
    for build in queries.TABLES.values():
        table = build(empty)
        assert table.rows == [] or table.id == "sessions"


def test_deleted_accounts_still_count_as_delegates(data):
    from expo.accounts.models import User
    from expo.core.extensions import db

    db.session.delete(db.session.get(User, data.a.registrations[0].user_id))  # u1: SE, UNECE, CPMR, city
    db.session.flush()
    db.session.expire_all()
    a = stats(data.a)
    assert a.delegate_count == 7
    assert a.country_count == 3
    assert rows("countries", a) == [
        ["Sweden", 3, 0.4286], ["Finland", 2, 0.2857], ["Germany", 1, 0.1429], ["Account deleted", 1, 0.1429]
    ]
    assert rows("networks", a)[-1] == ["Account deleted", 1, 0.1429]
    assert rows("organisation_kinds", a)[-1] == ["Account deleted", 1, 0.1429]
