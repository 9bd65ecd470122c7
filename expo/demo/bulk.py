"""Bulk writing shared by the demo expo and the large data generator.

Rows are built as plain dicts and inserted in chunks through SQLAlchemy's bulk INSERT (one
statement per chunk, ids returned in order where needed), so thousands of rows cost seconds.
The helpers here keep the rules the services keep for single rows: a room holds one session at
a time, a person is not booked into two sessions at once, confirmed bookings never exceed the
seats on offer and a waiting list is numbered 1..n without gaps."""
from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from expo.accounts.models import CODE_ALPHABET, CODE_LENGTH, User, new_token
from expo.core.extensions import db
from expo.core.timeutil import from_local, to_local
from expo.registration.models import BookingStatus

CHUNK = 2000

Progress = Callable[[int], None]


def insert_rows(
    target: Any,
    rows: Sequence[dict[str, Any]],
    *,
    returning_ids: bool = False,
    chunk: int = CHUNK,
    progress: Progress | None = None,
) -> list[int]:
    """Insert ``rows`` into a model's table in chunks; with ``returning_ids`` the new ids, in order.

    Core INSERTs on the table, without the ORM's per-row bookkeeping; every row carries the
    same keys, so each chunk goes to the database as multi-row INSERTs."""
    table = getattr(target, "__table__", target)
    statement = sa.insert(table)
    if returning_ids:
        statement = statement.returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        if returning_ids:
            ids.extend(db.session.scalars(statement, part))
        else:
            db.session.execute(statement, part)
        if progress is not None:
            progress(len(part))
    return ids


def ensure_rows(
    model: Any, key: Sequence[str], rows: Sequence[dict[str, Any]], *, progress: Progress | None = None
) -> tuple[dict[tuple, int], set[tuple]]:
    """Ids of ``rows`` by their natural ``key`` (rows already present are reused, the others
    inserted) and the keys of the rows that were inserted."""
    columns = [getattr(model, name) for name in key]
    ids = {tuple(found[:-1]): found[-1] for found in db.session.execute(sa.select(*columns, model.id))}
    keys = [tuple(row[name] for name in key) for row in rows]
    missing = [(k, row) for k, row in zip(keys, rows) if k not in ids]
    new_ids = insert_rows(model, [row for _, row in missing], returning_ids=True, progress=progress)
    ids.update(zip((k for k, _ in missing), new_ids))
    return {k: ids[k] for k in keys}, {k for k, _ in missing}


class UserRows:
    """Builds user rows that share one password hash (hashing is deliberately slow) and get
    unique tokens and badge codes, checked against the accounts already in the database."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self._codes = set(db.session.scalars(sa.select(User.badge_code)))

    def _new_code(self) -> str:
        while True:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if code not in self._codes:
                self._codes.add(code)
                return code

    def row(self, *, email: str, name: str, created_at: datetime, **fields: Any) -> dict[str, Any]:
        row = {
            "email": email.lower(),
            "name": name,
            "password_hash": self.password_hash,
            "organisation_id": None,
            "country_code": None,
            "locale": "en",
            "active": True,
            "accessibility_needs": None,
            "dietary_needs": None,
            "needs_consent_at": None,
            "feed_token": new_token(),
            "badge_token": new_token(),
            "badge_code": self._new_code(),
            "created_at": created_at,
            # Demo people confirmed their addresses when they signed up.
            "email_verified_at": created_at,
            "pending_email": None,
            "session_version": 0,
        }
        row.update(fields)
        return row


class RoomPlanner:
    """Hands out time slots so that no two sessions share a room at the same time.

    Rooms are shared by every event of the expo, so one planner serves them all. Times are
    chosen on the quarter hour in the expo's local time and returned as UTC instants."""

    def __init__(self, tz: str, *, first_start: time = time(9, 0), last_end: time = time(19, 0)) -> None:
        self.tz = tz
        self.first_start = first_start
        self.last_end = last_end
        self._busy: dict[tuple[int, date], list[tuple[datetime, datetime]]] = defaultdict(list)

    def occupy(self, room_id: int, starts_at: datetime, ends_at: datetime) -> None:
        """Mark a slot as taken (sessions already in the database)."""
        self._busy[(room_id, to_local(starts_at, self.tz).date())].append((starts_at, ends_at))

    def release(self, room_id: int, starts_at: datetime, ends_at: datetime) -> None:
        """Give back a slot handed out by ``place``."""
        self._busy[(room_id, to_local(starts_at, self.tz).date())].remove((starts_at, ends_at))

    def place(
        self,
        room_id: int,
        day: date,
        minutes: int,
        wished_start: time,
        *,
        opens: time | None = None,
        closes: time | None = None,
    ) -> tuple[datetime, datetime] | None:
        """The first free slot of ``minutes`` in the room on ``day`` from ``wished_start`` on, or None."""
        earliest = max(self.first_start, opens or time.min)
        latest = min(self.last_end, closes or time.max)
        start_local = datetime.combine(day, max(wished_start, earliest))
        limit_local = datetime.combine(day, latest)
        start = from_local(start_local, self.tz)
        limit = from_local(limit_local, self.tz)
        length = timedelta(minutes=minutes)
        busy = sorted(self._busy[(room_id, day)])
        for taken_start, taken_end in busy:
            if start + length <= taken_start:
                break
            if start < taken_end:
                start = _next_quarter(taken_end)
        if start + length > limit:
            return None
        self._busy[(room_id, day)].append((start, start + length))
        return start, start + length


def _next_quarter(instant: datetime) -> datetime:
    """The instant rounded up to a quarter hour, plus a quarter hour to change over the room."""
    rounded = instant.replace(second=0, microsecond=0)
    extra = (-rounded.minute) % 15
    return rounded + timedelta(minutes=extra + 15)


class Agendas:
    """Who is busy when and where: keeps a person out of two sessions at the same time and
    leaves them the transfer time between sessions at different venues."""

    def __init__(self, transfer: timedelta) -> None:
        self.transfer = transfer
        self._busy: dict[int, list[tuple[datetime, datetime, int | None]]] = defaultdict(list)

    def is_free(self, user_id: int, starts_at: datetime, ends_at: datetime, venue_id: int | None) -> bool:
        for s, e, where in self._busy[user_id]:
            gap = self.transfer if None not in (where, venue_id) and where != venue_id else timedelta(0)
            if starts_at < e + gap and s < ends_at + gap:
                return False
        return True

    def take(self, user_id: int, starts_at: datetime, ends_at: datetime, venue_id: int | None) -> None:
        self._busy[user_id].append((starts_at, ends_at, venue_id))


def allocate_bookings(
    session_id: int,
    capacity: int | None,
    requests: Iterable[tuple[datetime, int, datetime | None]],
) -> list[dict[str, Any]]:
    """Booking rows for one session from ``(requested_at, user_id, withdrawn_at)`` requests.

    Seats go first come, first served up to ``capacity`` (None: unlimited); later requests
    wait at positions 1..n; withdrawn requests are cancelled bookings and hold no seat."""
    rows: list[dict[str, Any]] = []
    seats = 0
    position = 0
    for requested_at, user_id, withdrawn_at in sorted(requests, key=lambda r: (r[0], r[1])):
        row = {
            "session_id": session_id,
            "user_id": user_id,
            "created_at": requested_at,
            "updated_at": withdrawn_at or requested_at,
            "confirmed_at": None,
            "cancelled_at": withdrawn_at,
            "waitlist_position": None,
        }
        if withdrawn_at is not None:
            row["status"] = BookingStatus.CANCELLED
        elif capacity is None or seats < capacity:
            seats += 1
            row["status"] = BookingStatus.CONFIRMED
            row["confirmed_at"] = requested_at
        else:
            position += 1
            row["status"] = BookingStatus.WAITLISTED
            row["waitlist_position"] = position
        rows.append(row)
    return rows
