"""Venues and their rooms from a spreadsheet: one row per room (a venue without rooms has a
row with the room left empty). A venue is known by its name and a room by its name within
its venue, as in the venue forms, so importing a file again updates instead of duplicating.
Columns left out of the file leave those fields as they are."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.extensions import db
from expo.core.spreadsheets import csv_bytes, xlsx_bytes
from expo.imports.plan import NEW, UNCHANGED, UPDATE, Problem, RowsPlan, TableRow
from expo.imports.readers import FileRefused, Row, column_letter
from expo.imports.spreadsheet import Column, cell_text, column_keys, parse_time
from expo.venues import services as venue_services
from expo.venues.models import Room, Venue

COLUMNS = (
    Column("venue", _l("Venue")),
    Column("address", _l("Address")),
    Column("opens", _l("Opens at"), ("opens",)),
    Column("closes", _l("Closes at"), ("closes",)),
    Column("room", _l("Room"), ("room name",)),
    Column("capacity", _l("Seats"), ("capacity", "kapacitet")),
)


def is_venues_header(keys: set[str]) -> bool:
    """A header naming venues and rooms but no session titles."""
    return "venue" in keys and "title" not in keys and bool(keys & {"room", "address", "capacity"})


def template(fmt: str) -> bytes:
    header = [str(c.label) for c in COLUMNS]
    return xlsx_bytes([header], sheet_title="Venues") if fmt == "xlsx" else csv_bytes([header])


@dataclass
class VenueRow(TableRow):
    venue: str = ""
    venue_action: str = UNCHANGED
    venue_values: dict[str, Any] = field(default_factory=dict)
    room: str = ""
    capacity: int | None = None

    @property
    def changed_labels(self) -> list[str]:
        labels = {c.key: str(c.label) for c in COLUMNS}
        return [labels[name] for name in self.changed]


@dataclass
class VenuePlan(RowsPlan):
    rows: list[VenueRow]

    def fingerprint(self, row: VenueRow) -> Any:
        return [row.line, row.action, row.title, row.venue_values, row.room, row.capacity]


def _time(value: Any) -> time | None:
    return parse_time(value) if cell_text(value) or isinstance(value, time) else None


def make_plan(rows: list[Row], columns: dict[str, int]) -> VenuePlan:
    """Each row checked as the venue and room forms check them, and compared with the expo."""
    venues = {
        v.name.strip().casefold(): v for v in db.session.scalars(sa.select(Venue).options(selectinload(Venue.rooms)))
    }
    planned: dict[str, dict[str, Any]] = {}  # venue → the values its first row gives
    seen_rooms: dict[tuple[str, str], int] = {}
    result = []
    for row in rows:
        cells = {k: row.cells[i].value if i < len(row.cells) else None for k, i in columns.items()}
        refs = {k: f"{column_letter(i + 1)}{row.number}" for k, i in columns.items()}
        name, room = cell_text(cells.get("venue"))[:200], cell_text(cells.get("room"))[:200]
        item = VenueRow(row.number, f"{name} – {room}" if room else name, NEW, venue=name, room=room)
        if not name:
            item.errors.append(Problem(refs["venue"], _l("The venue's name is empty.")))
            result.append(item)
            continue
        values: dict[str, Any] = {}
        if "address" in cells:
            values["address"] = cell_text(cells["address"])[:300]
        for column, key in (("opens", "opens_at"), ("closes", "closes_at")):
            if column in cells:
                try:
                    values[key] = _time(cells[column])
                except ValueError:
                    item.errors.append(Problem(refs[column], _l("“%(value)s” is not a time: write it as 09:30.",
                                                                value=cell_text(cells[column]))))
        if values.get("opens_at") and values.get("closes_at") and values["opens_at"] >= values["closes_at"]:
            item.errors.append(Problem(refs.get("closes", ""), _l("The venue must close after it opens.")))
        if room:
            text = cell_text(cells.get("capacity"))
            if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
                item.errors.append(Problem(refs.get("capacity", refs["venue"]),
                                           _l("The capacity must be a whole number from 1 to a million.")))
            else:
                item.capacity = int(text)
            key = (name.casefold(), room.casefold())
            if key in seen_rooms:
                item.errors.append(Problem(refs["room"], _l("Line %(line)s already has this room.", line=seen_rooms[key])))
            seen_rooms[key] = row.number
        first = planned.setdefault(name.casefold(), values)
        if first is not values and any(first.get(k, v) != v for k, v in values.items()):
            item.errors.append(Problem(refs["venue"], _l("Another row gives this venue other details.")))
        item.venue_values = values
        _compare(item, venues.get(name.casefold()), name)
        result.append(item)
    return VenuePlan(result)


def _compare(item: VenueRow, venue: Venue | None, name: str) -> None:
    if venue is None:
        item.venue_action = NEW
        return
    item.venue_action = UNCHANGED
    names = {"address": "address", "opens_at": "opens", "closes_at": "closes"}
    item.changed = [names[k] for k, v in item.venue_values.items() if getattr(venue, k) != v]
    if venue.name != name:
        item.changed.insert(0, "venue")
    if item.changed:
        item.venue_action = UPDATE
    room = next((r for r in venue.rooms if r.name.casefold() == item.room.casefold()), None) if item.room else None
    if item.room and room is None:
        item.action = NEW
    elif room is not None and (room.capacity != item.capacity or room.name != item.room):
        item.changed.append("capacity" if room.capacity != item.capacity else "room")
        item.action = UPDATE
    else:
        item.action = UPDATE if item.changed else UNCHANGED


def apply_plan(plan: VenuePlan, *, actor: User) -> dict[str, int]:
    """Create and update the venues and rooms through the venue services."""
    venues = {v.name.strip().casefold(): v for v in db.session.scalars(sa.select(Venue).options(selectinload(Venue.rooms)))}
    done: set[str] = set()
    for row in plan.rows:
        if row.action == UNCHANGED:
            continue
        name = row.venue
        venue = venues.get(name.casefold())
        if name.casefold() not in done and (venue is None or row.venue_action == UPDATE):
            data = venue_services.VenueData(name=name, **_venue_fields(venue, row.venue_values))
            venue = (venue_services.update_venue(venue=venue, data=data, actor=actor) if venue is not None
                     else venue_services.create_venue(data=data, actor=actor))
            venues[name.casefold()] = venue
            done.add(name.casefold())
        if row.room:
            room = db.session.scalar(sa.select(Room).where(Room.venue_id == venue.id,
                                                           sa.func.lower(Room.name) == row.room.lower()))
            if room is None:
                venue_services.create_room(venue=venue, name=row.room, capacity=row.capacity, actor=actor)
            elif row.action == UPDATE:
                venue_services.update_room(room=room, name=row.room, capacity=row.capacity, actor=actor)
    return plan.summary()


def _venue_fields(venue: Venue | None, values: dict[str, Any]) -> dict[str, Any]:
    """The venue's fields as they are, with the file's values over them."""
    current = {} if venue is None else {
        "address": venue.address, "latitude": venue.latitude, "longitude": venue.longitude,
        "opens_at": venue.opens_at, "closes_at": venue.closes_at,
        "accessibility_notes": venue.accessibility_notes, "description": venue.description,
    }
    return {**current, **values}


def read_plan(rows: list[Row], header: Row) -> VenuePlan:
    columns, unknown = column_keys(header, COLUMNS)
    if "venue" not in columns:
        raise FileRefused(_l("The first row must name the columns. Download the template to see them."))
    plan = make_plan(rows, columns)
    if unknown:
        plan.notes.append(_l("These columns are not known and were left out: %(columns)s.", columns=", ".join(unknown)))
    return plan
