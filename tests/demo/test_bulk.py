"""Bulk-writing helpers: free rooms, free people, seats and waiting lists, ids in order."""
from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from expo.demo.bulk import (
    Agendas,
    RoomPlanner,
    allocate_bookings,
    ensure_rows,
    insert_rows,
)
from expo.people.models import Network
from expo.registration.models import BookingStatus
from tests.factories import make_network, utc

DAY = date(2022, 6, 1)


def test_the_room_planner_never_hands_out_overlapping_slots():
    planner = RoomPlanner("Europe/Stockholm")

    first = planner.place(1, DAY, 60, time(10, 0))
    second = planner.place(1, DAY, 60, time(10, 30))
    elsewhere = planner.place(2, DAY, 60, time(10, 30))

    assert first == (utc(2022, 6, 1, 8, 0), utc(2022, 6, 1, 9, 0))
    assert second == (utc(2022, 6, 1, 9, 15), utc(2022, 6, 1, 10, 15))  # after a changeover
    assert elsewhere == (utc(2022, 6, 1, 8, 30), utc(2022, 6, 1, 9, 30))


def test_the_room_planner_keeps_to_opening_hours_and_to_slots_taken_before():
    planner = RoomPlanner("Europe/Stockholm")
    planner.occupy(1, utc(2022, 6, 1, 7, 0), utc(2022, 6, 1, 14, 0))  # 09:00–16:00 local

    assert planner.place(1, DAY, 120, time(9, 0), closes=time(17, 0)) is None
    assert planner.place(1, DAY, 45, time(9, 0), closes=time(17, 0)) == (
        utc(2022, 6, 1, 14, 15), utc(2022, 6, 1, 15, 0)
    )
    assert planner.place(2, DAY, 60, time(9, 0), opens=time(10, 0))[0] == utc(2022, 6, 1, 8, 0)


def test_a_released_slot_can_be_handed_out_again():
    planner = RoomPlanner("Europe/Stockholm")
    slot = planner.place(1, DAY, 60, time(10, 0))

    planner.release(1, *slot)

    assert planner.place(1, DAY, 60, time(10, 0)) == slot


def test_agendas_keep_people_out_of_two_places_and_leave_transfer_time():
    agendas = Agendas(timedelta(minutes=15))
    agendas.take(7, utc(2022, 6, 1, 8, 0), utc(2022, 6, 1, 9, 0), 1)

    assert not agendas.is_free(7, utc(2022, 6, 1, 8, 30), utc(2022, 6, 1, 9, 30), 1)
    assert agendas.is_free(7, utc(2022, 6, 1, 9, 0), utc(2022, 6, 1, 10, 0), 1)
    assert not agendas.is_free(7, utc(2022, 6, 1, 9, 10), utc(2022, 6, 1, 10, 0), 2)
    assert agendas.is_free(7, utc(2022, 6, 1, 9, 15), utc(2022, 6, 1, 10, 0), 2)
    assert agendas.is_free(8, utc(2022, 6, 1, 8, 0), utc(2022, 6, 1, 9, 0), 1)


def test_bookings_are_first_come_first_served_then_wait_in_line():
    at = [utc(2022, 5, 1, h) for h in range(6)]
    requests = [(at[3], 13, None), (at[0], 10, None), (at[1], 11, at[2]), (at[2], 12, None),
                (at[4], 14, None), (at[5], 15, None)]

    rows = allocate_bookings(99, 2, requests)

    assert [(r["user_id"], r["status"], r["waitlist_position"]) for r in rows] == [
        (10, BookingStatus.CONFIRMED, None),
        (11, BookingStatus.CANCELLED, None),
        (12, BookingStatus.CONFIRMED, None),
        (13, BookingStatus.WAITLISTED, 1),
        (14, BookingStatus.WAITLISTED, 2),
        (15, BookingStatus.WAITLISTED, 3),
    ]
    assert rows[1]["cancelled_at"] == at[2]
    assert rows[0]["confirmed_at"] == at[0]
    assert all(r["session_id"] == 99 for r in rows)


def test_unlimited_sessions_confirm_everyone():
    rows = allocate_bookings(1, None, [(utc(2022, 5, 1, h), h, None) for h in range(5)])

    assert {r["status"] for r in rows} == {BookingStatus.CONFIRMED}


def test_insert_rows_returns_the_ids_in_order_and_ensure_rows_reuses_what_exists(db):
    existing = make_network(name="UNECE", slug="unece")
    rows = [{"name": f"Network {n}", "slug": f"network-{n}"} for n in range(5)]

    ids = insert_rows(Network, rows, returning_ids=True, chunk=2)
    found, inserted = ensure_rows(Network, ("slug",), [
        {"name": "UNECE", "slug": "unece"}, {"name": "Nordregio", "slug": "nordregio"}, rows[0],
    ])

    names = dict(db.session.execute(sa.select(Network.id, Network.name)).all())
    assert [names[i] for i in ids] == [r["name"] for r in rows]
    assert found[("unece",)] == existing.id
    assert found[("network-0",)] == ids[0]
    assert names[found[("nordregio",)]] == "Nordregio"
    assert inserted == {("nordregio",)}
