"""Venues and rooms from a spreadsheet: one row per room, keyed by names, through the venue services."""
from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.imports import services
from expo.imports.models import ImportKind
from expo.venues.models import Room, Venue
from tests.factories import make_event, make_room, make_user, make_venue
from tests.imports.helpers import csv_file

HEADER = ["Venue", "Address", "Opens at", "Closes at", "Room", "Seats"]


@pytest.fixture
def setting(db):
    event = make_event()
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    return event, organiser


def _import(setting, rows, header=HEADER):
    event, organiser = setting
    batch = services.start_import(event=event, filename="venues.csv", content=csv_file(rows, header), actor=organiser)
    return batch, services.preview(batch)


def _confirm(setting, batch, plan):
    summary = services.confirm_import(batch=batch, digest=plan.digest, actor=setting[1])
    db.session.commit()
    return summary


def test_venues_and_rooms_are_created_then_left_unchanged(setting):
    rows = [["Dunkers kulturhus", "Kungsgatan 11", "08:00", "22:00", "Hall A", "120"],
            ["Dunkers kulturhus", "Kungsgatan 11", "08:00", "22:00", "Studio", "40"],
            ["Sundspärlan", "Drottninggatan 1", "", "", "", ""]]
    batch, plan = _import(setting, rows)
    assert batch.kind is ImportKind.VENUES
    assert [(r.title, r.state) for r in plan.rows] == [
        ("Dunkers kulturhus – Hall A", "new"), ("Dunkers kulturhus – Studio", "new"), ("Sundspärlan", "new")
    ]

    assert _confirm(setting, batch, plan)["new"] == 3

    dunkers = db.session.scalars(sa.select(Venue).where(Venue.name == "Dunkers kulturhus")).one()
    assert (dunkers.address, dunkers.opens_at, dunkers.closes_at) == ("Kungsgatan 11", time(8), time(22))
    assert sorted((r.name, r.capacity) for r in dunkers.rooms) == [("Hall A", 120), ("Studio", 40)]
    batch, plan = _import(setting, rows)
    assert [r.state for r in plan.rows] == ["unchanged"] * 3


def test_an_edited_row_updates_its_room_and_keeps_what_the_file_leaves_out(setting):
    venue = make_venue(name="Dunkers kulturhus", address="Kungsgatan 11", description="Arts centre")
    make_room(venue=venue, name="Hall A", capacity=120)
    db.session.commit()
    batch, plan = _import(setting, [["Dunkers kulturhus", "Hall A", "150"]], header=["Venue", "Room", "Seats"])
    assert [(r.state, r.changed) for r in plan.rows] == [("update", ["capacity"])]
    _confirm(setting, batch, plan)
    assert db.session.scalars(sa.select(Room.capacity)).all() == [150]
    assert (venue.address, venue.description) == ("Kungsgatan 11", "Arts centre")


@pytest.mark.parametrize(
    ("row", "cell", "text"),
    [
        (["Dunkers", "", "22:00", "08:00", "Hall A", "10"], "D2", "close after it opens"),
        (["Dunkers", "", "", "", "Hall A", "none"], "F2", "whole number"),
        (["Dunkers", "", "soon", "", "Hall A", "10"], "C2", "is not a time"),
        (["", "", "", "", "Hall A", "10"], "A2", "name is empty"),
    ],
)
def test_bad_cells_are_named(setting, row, cell, text):
    _, plan = _import(setting, [row])
    assert plan.rows[0].state == "error"
    assert (plan.rows[0].errors[0].cell, text in str(plan.rows[0].errors[0].message)) == (cell, True)
    assert db.session.query(Venue).count() == 0


def test_a_room_twice_in_one_file_is_an_error(setting):
    _, plan = _import(setting, [["Dunkers", "", "", "", "Hall A", "10"], ["Dunkers", "", "", "", "hall a", "12"]])
    assert [r.state for r in plan.rows] == ["new", "error"]
