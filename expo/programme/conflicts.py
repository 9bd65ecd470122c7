"""Schedule conflicts, as pure functions over plain ``Slot`` values (no database, no Flask).

Refused: one room holding two overlapping sessions (rooms are shared by every event of the
expo). Warned, and saved only once an organiser confirms: a person in two overlapping sessions;
a person with less than the event's transfer time between sessions at different venues; a
session with more seats than its room; a session outside its venue's opening hours. The report of
the whole programme also names a person on stage on a day they said they cannot come
(``unavailable_people``; the assistant never plans one there).

Intervals are half-open, [start, end): a session ending at 10:00 and another starting at 10:00
do not clash. Every rule is found by sorting once and sweeping, never by comparing all pairs;
transfers are checked only between a person's consecutive sessions.
Callers pass only sessions that are not cancelled."""
from __future__ import annotations

import enum
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Hashable

from expo.core.timeutil import to_local


class Rule(enum.StrEnum):
    ROOM_DOUBLE_BOOKED = "room"
    PERSON_OVERLAP = "person"
    TRANSFER_TOO_SHORT = "transfer"
    CAPACITY_ABOVE_ROOM = "capacity"
    OUTSIDE_OPENING_HOURS = "hours"
    PERSON_UNAVAILABLE = "unavailable"

    @property
    def refused(self) -> bool:
        """Refused rules cannot be saved even with confirmation; the others are warnings."""
        return self is Rule.ROOM_DOUBLE_BOOKED


@dataclass(frozen=True, slots=True)  # an import checks one a row of its file
class Slot:
    """What the rules need to know about one session."""

    key: Hashable  # the session's id, or any marker for a session not saved yet
    starts_at: datetime
    ends_at: datetime
    timezone: str = "UTC"
    title: str = ""
    event_id: int | None = None
    transfer_minutes: int = 0
    room_id: int | None = None
    venue_id: int | None = None
    capacity: int | None = None
    room_capacity: int | None = None
    opens_at: time | None = None
    closes_at: time | None = None
    person_ids: frozenset[int] = field(default_factory=frozenset)
    room_label: str = ""  # for messages only
    venue_name: str = ""  # for messages only


@dataclass(frozen=True)
class Finding:
    """One conflict: the rule, the sessions involved (earlier first) and the person, if any."""

    rule: Rule
    slots: tuple[Slot, ...]
    person_id: int | None = None

    @property
    def refused(self) -> bool:
        return self.rule.refused

    @property
    def keys(self) -> tuple[Hashable, ...]:
        return tuple(s.key for s in self.slots)

    @property
    def gap(self) -> timedelta | None:
        if len(self.slots) != 2:
            return None
        return self.slots[1].starts_at - self.slots[0].ends_at


def overlaps(a: Slot, b: Slot) -> bool:
    """Two half-open intervals share some time (back-to-back does not count)."""
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def time_order(slot: Slot) -> tuple[datetime, datetime, str]:
    """The order in which the rules sweep slots: by start, then end, then key."""
    return (slot.starts_at, slot.ends_at, str(slot.key))


def sweep_pairs(slots: Iterable[Slot], window: timedelta = timedelta(0)) -> Iterator[tuple[Slot, Slot]]:
    """Pairs (a, b) with a starting no later than b and b starting before a ends + ``window``.

    Sort by start, then sweep keeping only the slots still "open" (their end plus the window
    lies after the current start): the work grows with the pairs found, not with n²."""
    active: list[Slot] = []
    for current in sorted(slots, key=time_order):
        active = [a for a in active if a.ends_at + window > current.starts_at]
        for earlier in active:
            yield earlier, current
        active.append(current)


def room_clashes(slots: Iterable[Slot]) -> list[Finding]:
    """Two sessions in the same room at overlapping times."""
    by_room: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        if slot.room_id is not None:
            by_room[slot.room_id].append(slot)
    return [
        Finding(Rule.ROOM_DOUBLE_BOOKED, (a, b))
        for room_slots in by_room.values()
        for a, b in sweep_pairs(room_slots)
    ]


def consecutive_pairs(slots: Iterable[Slot]) -> Iterator[tuple[Slot, Slot]]:
    """Each slot paired with the one just before it: of the slots starting no later, the one
    ending last, when it has ended by then (slots still running overlap, another rule).

    One pass after sorting: a person who goes from A to B at one venue and then to C is
    moved from B to C, never from A to C."""
    last: Slot | None = None
    for current in sorted(slots, key=time_order):
        if last is not None and last.ends_at <= current.starts_at:
            yield last, current
        if last is None or current.ends_at >= last.ends_at:
            last = current


def person_clashes(slots: Iterable[Slot]) -> list[Finding]:
    """A person in two overlapping sessions, or without enough time to move between venues.

    The transfer rule applies from each session held at a venue to the person's next one
    (digital sessions take place nowhere, so they move nobody), when the two venues differ,
    and uses the stricter of the two events' transfer times."""
    by_person: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        for person_id in slot.person_ids:
            by_person[person_id].append(slot)
    findings: list[Finding] = []
    for person_id, person_slots in by_person.items():
        findings += [Finding(Rule.PERSON_OVERLAP, pair, person_id) for pair in sweep_pairs(person_slots)]
        in_person = [s for s in person_slots if s.venue_id is not None]
        findings += [
            Finding(Rule.TRANSFER_TOO_SHORT, (a, b), person_id)
            for a, b in consecutive_pairs(in_person)
            if _transfer_too_short(a, b)
        ]
    return findings


def _transfer_too_short(a: Slot, b: Slot) -> bool:
    if a.venue_id is None or b.venue_id is None or a.venue_id == b.venue_id:
        return False
    needed = timedelta(minutes=max(a.transfer_minutes, b.transfer_minutes))
    return b.starts_at - a.ends_at < needed


def capacity_above_room(slot: Slot) -> bool:
    """The session offers more seats than its room holds (equal is fine)."""
    return (
        slot.capacity is not None
        and slot.room_capacity is not None
        and slot.capacity > slot.room_capacity
    )


def outside_opening_hours(slot: Slot) -> bool:
    """The session starts before its venue opens or ends after it closes, in local time.

    Opening hours are daily wall-clock times in the event's time zone; a session must also end
    on the local day it starts (or exactly at midnight where the venue has no closing time)."""
    if slot.venue_id is None or (slot.opens_at is None and slot.closes_at is None):
        return False
    start = to_local(slot.starts_at, slot.timezone)
    end = to_local(slot.ends_at, slot.timezone)
    if slot.opens_at is not None and start.time() < slot.opens_at:
        return True
    if end.date() != start.date():
        ends_at_midnight = end.time() == time.min and end.date() == start.date() + timedelta(days=1)
        return not (ends_at_midnight and slot.closes_at is None)
    return slot.closes_at is not None and end.time() > slot.closes_at


def find_conflicts(slots: Iterable[Slot]) -> list[Finding]:
    """Every conflict among these sessions, refused ones first, then by time."""
    slots = list(slots)
    findings = room_clashes(slots) + person_clashes(slots)
    findings += [Finding(Rule.CAPACITY_ABOVE_ROOM, (s,)) for s in slots if capacity_above_room(s)]
    findings += [Finding(Rule.OUTSIDE_OPENING_HOURS, (s,)) for s in slots if outside_opening_hours(s)]
    return in_order(findings)


def in_order(findings: Iterable[Finding]) -> list[Finding]:
    """Refused ones first, then by time (as ``find_conflicts`` gives them)."""
    return sorted(findings, key=lambda f: (not f.refused, time_order(f.slots[0]), f.rule.value))


def unavailable_people(slots: Iterable[Slot], away: dict[tuple[int, int], set[date]]) -> list[Finding]:
    """A person in a session on a day (in the event's zone) they cannot come to its event;
    ``away`` maps (person, event) to those days."""
    if not away:
        return []
    findings = []
    for slot in slots:
        days = {to_local(slot.starts_at, slot.timezone).date(),
                to_local(slot.ends_at - timedelta(microseconds=1), slot.timezone).date()}
        for person_id in sorted(slot.person_ids):
            if days & away.get((person_id, slot.event_id), set()):
                findings.append(Finding(Rule.PERSON_UNAVAILABLE, (slot,), person_id))
    return findings


def conflicts_for(candidate: Slot, others: Iterable[Slot]) -> list[Finding]:
    """The conflicts that involve ``candidate`` when it joins ``others`` (saving a session)."""
    return conflicts_of([candidate], others)[candidate.key]


def conflicts_of(candidates: Iterable[Slot], others: Iterable[Slot]) -> defaultdict[Hashable, list[Finding]]:
    """``conflicts_for`` of many candidates joining ``others`` together (saving many sessions at
    once: they meet one another too), in one sweep: each candidate's key → its findings. Only
    the candidates with findings have a list of their own (a file of thousands of rows has few),
    the others an empty one when asked for."""
    candidates = list(candidates)
    keys = dict.fromkeys(c.key for c in candidates)  # (a dict takes a third of a set's room)
    found: dict[Hashable, list[Finding]] = {}
    others = [s for s in others if s.key not in keys]
    for finding in find_conflicts([*candidates, *others]):
        for key in dict.fromkeys(finding.keys):
            if key in keys:
                found.setdefault(key, []).append(finding)
    ordered: defaultdict[Hashable, list[Finding]] = defaultdict(list)  # in the candidates' order
    ordered.update((c.key, found[c.key]) for c in candidates if c.key in found)
    return ordered


def _slot_fingerprint(slot: Slot) -> str:
    return "/".join(
        str(value) for value in (
            slot.key, slot.starts_at.isoformat(), slot.ends_at.isoformat(), slot.room_id, slot.venue_id,
            slot.capacity, slot.room_capacity, slot.opens_at, slot.closes_at, slot.transfer_minutes,
        )
    )


def warnings_digest(findings: Iterable[Finding]) -> str:
    """A fingerprint of these findings (rule, person, and the sessions' times, places and
    seats), the same in any order: confirming one set of warnings never confirms another."""
    lines = sorted(
        "|".join([f.rule.value, str(f.person_id or ""), *(_slot_fingerprint(s) for s in f.slots)])
        for f in findings
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]
