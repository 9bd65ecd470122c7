"""The programme's conflict rules over the sessions a whole file would leave, checked a window
of time at a time, so that what is held does not grow with the file.

A file's rows are many, but a conflict only ever joins sessions near in time: two that overlap
(in one room, or with one person), or a person's two consecutive sessions at different venues
less than a transfer apart (at most the longest transfer time of any event); the rules on one
session alone (seats, opening hours) look at nothing else. So each row's slot is put aside as
the file is read (``Slots``: in memory for a small file, in the job's scratch database for a
large one), with the sessions the file moves; then the slots are taken in time order, a window
(``WINDOW`` slots) at a time, each window checked with the earlier slots that still reach into
it and the saved sessions near it (``programme.neighbours``, less those the file moves or
changes). Each finding is kept once, by the window holding the later of its sessions (its last
slot), which sees everything that decides it: the outcome is that of checking the whole file
at once (``programme.end_state_conflicts``)."""
from __future__ import annotations

import itertools
import pickle
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Hashable

import sqlalchemy as sa

from expo.core.extensions import db
from expo.events.models import Event
from expo.imports.scratch import Scratch
from expo.programme import conflicts
from expo.programme import services as programme

WINDOW = 500  # a file's slots checked together
IN_LIST = 500  # session ids looked up in the scratch database at a time
Found = dict[Hashable, list[conflicts.Finding]]


class Slots(ABC):
    """What a check remembers of a file: each checked row's slot (under its line) and the
    saved sessions the file moves or changes, which no longer are where they were."""

    @abstractmethod
    def add(self, line: int, slot: conflicts.Slot) -> None:
        """A row's slot (a saved session's, under its id, is also moved)."""

    @abstractmethod
    def move(self, session_id: int) -> None:
        """A saved session the file changes or cancels."""

    @abstractmethod
    def in_time_order(self) -> Iterator[tuple[int, conflicts.Slot]]:
        """The slots (with their lines) in the order the rules sweep them."""

    @abstractmethod
    def moved(self, session_ids: list[int]) -> set[int]:
        """Of these saved sessions, those the file moves or changes."""

    def close(self) -> None:
        """Let go of what is kept."""

    def __enter__(self) -> Slots:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class HeldSlots(Slots):
    """The slots of a small file, in memory."""

    def __init__(self) -> None:
        self._slots: list[tuple[int, conflicts.Slot]] = []
        self._moved: set[int] = set()

    def add(self, line: int, slot: conflicts.Slot) -> None:
        self._slots.append((line, slot))
        if isinstance(slot.key, int):
            self._moved.add(slot.key)

    def move(self, session_id: int) -> None:
        self._moved.add(session_id)

    def in_time_order(self) -> Iterator[tuple[int, conflicts.Slot]]:
        return iter(sorted(self._slots, key=lambda item: conflicts.time_order(item[1])))

    def moved(self, session_ids: list[int]) -> set[int]:
        return self._moved.intersection(session_ids)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(moment: datetime) -> int:
    """An instant as an exact, sortable number (microseconds since 1970)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


class ScratchSlots(Slots):
    """The slots of a large file, in the job's scratch database (tables of their own, dropped
    on ``close``), added a batch at a time and read back in time order a batch at a time."""

    def __init__(self, scratch: Scratch, batch: int = WINDOW) -> None:
        self._scratch, self._batch = scratch, batch
        self._slots_table, self._moved_table = scratch.table("slots"), scratch.table("moved")
        scratch.execute(f"CREATE TABLE {self._slots_table} (starts INTEGER NOT NULL, ends INTEGER NOT NULL, "
                        "key TEXT NOT NULL, line INTEGER NOT NULL, slot BLOB NOT NULL)")
        scratch.execute(f"CREATE TABLE {self._moved_table} (session_id INTEGER PRIMARY KEY)")
        self._pending: list[tuple[int, int, str, int, bytes]] = []
        self._pending_moved: list[tuple[int]] = []
        self._sorted = False

    def add(self, line: int, slot: conflicts.Slot) -> None:
        starts, ends, key = conflicts.time_order(slot)
        self._pending.append((_micros(starts), _micros(ends), key, line, pickle.dumps(slot, pickle.HIGHEST_PROTOCOL)))
        if isinstance(slot.key, int):
            self.move(slot.key)
        if len(self._pending) >= self._batch:
            self._write()

    def move(self, session_id: int) -> None:
        self._pending_moved.append((session_id,))
        if len(self._pending_moved) >= self._batch:
            self._write()

    def _write(self) -> None:
        if self._pending:
            self._scratch.insert(f"INSERT INTO {self._slots_table} VALUES (?, ?, ?, ?, ?)", self._pending)
            self._pending = []
        if self._pending_moved:
            self._scratch.insert(f"INSERT OR IGNORE INTO {self._moved_table} VALUES (?)", self._pending_moved)
            self._pending_moved = []

    def in_time_order(self) -> Iterator[tuple[int, conflicts.Slot]]:
        self._write()
        if not self._sorted:  # (text keys sort as Python's strings do: by code point)
            self._scratch.execute(f"CREATE INDEX {self._slots_table}_order ON {self._slots_table} (starts, ends, key)")
            self._sorted = True
        for line, slot in self._scratch.rows(f"SELECT line, slot FROM {self._slots_table} ORDER BY starts, ends, key",
                                             size=self._batch):
            yield line, pickle.loads(slot)

    def moved(self, session_ids: list[int]) -> set[int]:
        self._write()
        found: set[int] = set()
        for start in range(0, len(session_ids), IN_LIST):
            part = session_ids[start:start + IN_LIST]
            found.update(session_id for (session_id,) in self._scratch.execute(
                f"SELECT session_id FROM {self._moved_table} WHERE session_id IN ({', '.join('?' * len(part))})", part))
        return found

    def close(self) -> None:
        self._pending, self._pending_moved = [], []
        if self._scratch.closed:
            return
        for table in (self._slots_table, self._moved_table):
            self._scratch.execute(f"DROP TABLE IF EXISTS {table}")


def order(finding: conflicts.Finding) -> tuple:
    """A row's findings in the order ``conflicts.in_order`` gives them, ties broken by the
    later sessions and the person, so that the order does not depend on how they were found."""
    return (not finding.refused, conflicts.time_order(finding.slots[0]), finding.rule.value,
            tuple(conflicts.time_order(s) for s in finding.slots[1:]),
            -1 if finding.person_id is None else finding.person_id)


def longest_transfer() -> timedelta:
    """The longest transfer time of any event: how far apart in time two sessions can conflict."""
    return timedelta(minutes=db.session.scalar(sa.select(sa.func.max(Event.transfer_minutes))) or 0)


def check(slots: Slots, *, window: int | None = None) -> Found:
    """The findings of each of the file's slots with the programme as the whole file leaves it
    (as ``programme.end_state_conflicts`` of all of them at once), by the slots' keys in the
    file's order, each list in ``order``; slots without findings are left out. ``window``
    slots are checked at a time (``WINDOW`` unless given)."""
    window = window or WINDOW
    reach = longest_transfer()
    found: Found = {}
    lines: dict[Hashable, int] = {}
    earlier: list[tuple[int, conflicts.Slot]] = []  # slots of earlier windows that may reach into this one
    ordered = slots.in_time_order()
    chunk = list(itertools.islice(ordered, window))
    first = True
    while chunk:
        following = next(ordered, None)  # the next window's first slot: this window's findings end before it
        _check_window(slots, earlier, chunk, None if first else chunk[0][1], following and following[1],
                      found, lines)
        if following is None:
            break
        # A slot that ends a transfer or more before the next window starts conflicts with nothing in it.
        earlier = [item for item in (*earlier, *chunk) if item[1].ends_at + reach > following[1].starts_at]
        chunk = [following, *itertools.islice(ordered, window - 1)]
        first = False
    return {key: sorted(found[key], key=order) for key in sorted(found, key=lines.__getitem__)}


def _check_window(slots: Slots, earlier: list[tuple[int, conflicts.Slot]], chunk: list[tuple[int, conflicts.Slot]],
                  start: conflicts.Slot | None, end: conflicts.Slot | None, found: Found,
                  lines: dict[Hashable, int]) -> None:
    """The findings whose last session sorts from ``start`` (the window's first slot; None for
    the first window) up to ``end`` (the next window's first; None for the last), found among
    the window's slots, the earlier ones that reach into it and the saved sessions near them."""
    candidates = {slot.key: (line, slot) for line, slot in (*earlier, *chunk)}
    near = programme.neighbours([slot for _, slot in candidates.values()])
    moved = slots.moved([n.key for n in near])
    others = [n for n in near if n.key not in moved and n.key not in candidates]
    low = conflicts.time_order(start) if start is not None else None
    high = conflicts.time_order(end) if end is not None else None
    for finding in conflicts.find_conflicts([*(slot for _, slot in candidates.values()), *others]):
        last = conflicts.time_order(finding.slots[-1])
        if low is not None and last < low or high is not None and last >= high:
            continue  # another window's
        for key in dict.fromkeys(finding.keys):
            if key in candidates:
                found.setdefault(key, []).append(finding)
                lines[key] = candidates[key][0]
