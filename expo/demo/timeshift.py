"""The demo moved in time: the whole H22 expo shifted by whole weeks, so that its first week is the
current week and a newcomer can book, wait for a seat and check people in today.

Every stored date and instant moves by the same number of days on the expo's wall clock (a
10:00 session on a Tuesday stays a 10:00 session on a Tuesday, whatever the daylight-saving
offsets of the two dates). What had happened before the expo began keeps its place; what the
data says happened after ``now`` (bookings made, decisions taken during the expo) happens at
``now`` instead, and check-ins at the door not yet due are left out."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from expo.core.db import UTCDateTime, db
from expo.core.timeutil import from_local, to_local

# The columns that describe the programme itself: they move, and may lie in the future.
SCHEDULE_COLUMNS = frozenset({"starts_at", "ends_at", "registration_deadline", "starts_on", "ends_on"})
CHECK_IN_TABLE = "check_ins"


def weeks_until(first_day: date, today: date) -> int:
    """Whole weeks from the Monday of ``first_day``'s week to the Monday of ``today``'s week."""
    return ((today - timedelta(days=today.weekday())) - (first_day - timedelta(days=first_day.weekday()))).days // 7


def move_in_time(*, days: int, tz: str, now: datetime) -> int:
    """Shift every date and instant of the database by ``days`` on ``tz``'s wall clock (see the
    module's docstring for what happens to instants that would then lie after ``now``); the
    number of check-ins left out as not yet due."""
    left_out = 0
    for table in db.metadata.sorted_tables:
        moving = [c for c in table.columns if _is_moving(c)]
        if not moving:
            continue
        key = list(table.primary_key.columns)
        rows = db.session.execute(sa.select(*key, *moving)).all()
        updates = []
        for row in rows:
            values = {c.name: _moved(c, getattr(row, c.name), days, tz, now) for c in moving}
            updates.append({**{f"key_{c.name}": getattr(row, c.name) for c in key}, **values})
        if updates:
            statement = sa.update(table).where(*(c == sa.bindparam(f"key_{c.name}") for c in key))
            db.session.execute(statement.values({c.name: sa.bindparam(c.name) for c in moving}), updates,
                               execution_options={"synchronize_session": False})
        if table.name == CHECK_IN_TABLE:
            left_out = db.session.execute(sa.delete(table).where(table.c.checked_in_at > now)).rowcount
    db.session.expire_all()
    return left_out


def _is_moving(column: sa.Column) -> bool:
    return isinstance(column.type, (UTCDateTime, sa.Date, sa.JSON))


def _moved(column: sa.Column, value: Any, days: int, tz: str, now: datetime) -> Any:
    if value is None:
        return None
    if isinstance(column.type, sa.JSON):
        return _moved_json(value, days, tz)
    if isinstance(value, datetime):
        moved = _moved_instant(value, days, tz)
        if column.name in SCHEDULE_COLUMNS or column.table.name == CHECK_IN_TABLE:
            return moved
        return min(moved, now)
    return value + timedelta(days=days)


def _moved_instant(instant: datetime, days: int, tz: str) -> datetime:
    local = to_local(instant, tz).replace(tzinfo=None)
    return from_local(local + timedelta(days=days), tz)


def _moved_json(value: Any, days: int, tz: str) -> Any:
    """Instants written as ISO text inside JSON (a change log's old and new times) move too."""
    if isinstance(value, dict):
        return {k: _moved_json(v, days, tz) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved_json(v, days, tz) for v in value]
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is None:
            return value
        return _moved_instant(instant, days, tz).isoformat()
    return value

