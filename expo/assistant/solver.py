"""The scheduling assistant's model: place sessions in rooms and times so that nothing clashes
and delegates can attend what they want. Pure: plain values in, plain values out (no database).

Why OR-Tools CP-SAT rather than a MIP solver such as PuLP/CBC or HiGHS: a timetable is made of
intervals, and CP-SAT has them natively — ``NoOverlap`` over a room's or a person's intervals,
and *optional* intervals whose presence is the choice of room, where a MIP needs big-M pairs
for every two sessions that might meet, with weak relaxations. CP-SAT searches anytime: it
reports each better solution with the proven bound, so the organiser sees the gap close and can
stop at a time limit with the best proposal so far; it runs a portfolio of strategies on every
core. It is Apache-licensed and ships as a wheel.

Time is a grid of ``step_minutes`` steps counted from an origin (the first day's midnight in
the event's zone); the caller turns rooms' opening hours and the event's days into windows of
steps, which keeps the model small.

Hard rules: a room holds one session at a time (sessions that stay where they are, and other
events', occupy their rooms too); a person is in one session at a time, with the transfer time
between sessions at different venues; a session lies inside one window of its room (opening
hours on one of the event's days); its room seats at least the delegates expected and the seats
it offers; sessions that may not move stay where they are.

Soft, weighted: pairs of sessions that the same delegates want, held at once (their count);
a track spread over several venues or rooms; the time between a track's sessions of one day
(the day's span from its first start to its last end, less the sessions' own length: zero when
they follow one another); a session outside the part of the day each of its people prefers;
moving a session at all (keeps proposals calm). (Days a person cannot come are left out of
their sessions' windows by the caller: a hard rule.)

Placing is optional: a session that cannot be placed by these rules is left where it stands and
named, never a reason for no proposal at all. Before the model is built, each session is checked
alone (``precheck``): no room of its kind and size open long enough on its days, or every such
room held at every such time by sessions that stay. Those stay where they are, as if fixed. The
others are placed first-fit (``first_fit``); those it places are placed in the model too (it
shows they fit together), and those it could not place each have a ``placed`` literal: leaving
one out costs more than anything placing it could cost (``leave_out_weight``), so the solver
leaves out only what it cannot fit beside the others (two sessions, one room, one time). A session left out keeps its room at its own
time, where that time is its own alone (no other session there as things stand), so a proposal
applied never double-books a room with what it left out.

The search starts from a placement built first-fit (``first_fit``): each session where it stands
when the rules allow, else at the free time nearest its own in one of its rooms, else left out. It
is a proposal in itself should the solver find nothing better in time."""
from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model


@dataclass(frozen=True)
class RoomSpec:
    id: int
    venue_id: int
    capacity: int
    # Where a session may lie in this room: half-open [start, end) in steps.
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Item:
    """A session: to place (``fixed`` False) or staying where it is."""

    id: int
    duration: int  # steps
    start: int | None = None  # current start in steps (None: not placed yet)
    room_id: int | None = None  # current room (None for a digital session)
    fixed: bool = False
    in_person: bool = True  # needs a room
    seats: int = 0  # the room must hold at least this many
    people: frozenset[int] = frozenset()
    track_id: int | None = None
    rooms: frozenset[int] | None = None  # rooms of the right kind (None: any)
    windows: tuple[tuple[int, int], ...] | None = None  # its event's days (None: the problem's)
    # One entry per person of the session who prefers a part of the day: where they would have it lie.
    preferred: tuple[tuple[tuple[int, int], ...], ...] = ()


@dataclass(frozen=True)
class Weights:
    clash: int = 10  # per delegate who wants two sessions held at once
    track_venues: int = 20  # per venue a track uses beyond its first
    track_rooms: int = 5  # per room a track uses beyond its first
    track_gaps: int = 1  # per step (a quarter of an hour) between a track's sessions of one day
    move: int = 1  # per session moved from where it is
    preferred_time: int = 5  # per person whose session lies outside the part of the day they prefer


@dataclass
class Problem:
    rooms: list[RoomSpec]
    items: list[Item]
    day_windows: tuple[tuple[int, int], ...]  # for sessions without a room (the event's days)
    pairs: dict[tuple[int, int], int] = field(default_factory=dict)  # (a, b) a < b: delegates wanting both
    transfer_steps: int = 0
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True)
class Placement:
    start: int
    room_id: int | None


# Why a session was not placed (planning turns these into sentences with the session's figures).
NO_ROOM = "no_room"  # no room of its kind that seats it is open long enough on its days
NO_TIME = "no_time"  # (without a room) no day of its event is long enough, or its people come on none
NO_FREE_TIME = "no_free_time"  # every such room is held by sessions that stay, at every such time
LEFT_OUT = "left_out"  # fits alone, but not beside the others (people, rooms, times)
# Leaving a session out costs at least this (plus whatever placing it could cost at most).
LEAVE_OUT_BASE = 1000


@dataclass
class Solution:
    status: str  # "optimal", "feasible", "first_fit" (the solver found nothing better), "unknown"
    placements: dict[int, Placement]  # the sessions placed (those left out are not here)
    objective: float | None
    bound: float | None
    seconds: float
    progress: list[tuple[float, float, float]] = field(default_factory=list)
    unplaced: dict[int, str] = field(default_factory=dict)  # session -> why (NO_ROOM, ...)
    floor: int = 0  # what every placement costs at least (the bound is never below it)

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible", "first_fit")


Progress = Callable[[float, float, float], None]


def _fits(windows: tuple[tuple[int, int], ...], duration: int) -> list[tuple[int, int]]:
    """Start ranges [lo, hi] (inclusive) at which a session of ``duration`` lies inside a window."""
    return [(lo, hi - duration) for lo, hi in windows if hi - lo >= duration]


def _intersect(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...] | None) -> tuple[tuple[int, int], ...]:
    if b is None:
        return a
    return tuple((max(x0, y0), min(x1, y1)) for x0, x1 in a for y0, y1 in b if max(x0, y0) < min(x1, y1))


def room_windows(room: RoomSpec, item: Item) -> tuple[tuple[int, int], ...]:
    """Where the item may lie in the room: the room's opening hours on the item's days."""
    return _intersect(room.windows, item.windows)


def _in_domain(var: cp_model.IntVar, value: int) -> bool:
    bounds = list(var.proto.domain)
    return any(lo <= value <= hi for lo, hi in zip(bounds[::2], bounds[1::2]))


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def candidate_rooms(problem: Problem, item: Item) -> list[RoomSpec]:
    """The rooms the item may go to: its own if it stays, else any of the right kind that seats
    enough and has a window long enough."""
    if not item.in_person:
        return []
    if item.fixed:
        return [r for r in problem.rooms if r.id == item.room_id]
    return [
        r for r in problem.rooms
        if (item.rooms is None or r.id in item.rooms) and r.capacity >= item.seats
        and _fits(room_windows(r, item), item.duration)
    ]


def _held(problem: Problem, fixed: set[int]) -> dict[int, list[tuple[int, int]]]:
    """Per room, the times held by sessions that stay (merged)."""
    held: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for item in problem.items:
        if item.id in fixed and item.room_id is not None and item.start is not None:
            held[item.room_id].append((item.start, item.start + item.duration))
    return {room: _merged(spans) for room, spans in held.items()}


def _free_start(lo: int, hi: int, duration: int, busy: list[tuple[int, int]]) -> bool:
    """Whether a session of ``duration`` may start somewhere in [lo, hi] clear of ``busy`` (merged)."""
    start = lo
    for s, e in busy:
        if start + duration <= s:
            break
        if e > start:
            start = e
    return start <= hi


def precheck(problem: Problem) -> dict[int, str]:
    """The sessions to place that cannot be placed even alone, with why: no room of their kind,
    size and opening hours on their days; or every such room held by sessions that stay."""
    out: dict[int, str] = {}
    for item in problem.items:
        if item.fixed:
            continue
        if not item.in_person:
            if not _fits(_intersect(problem.day_windows, item.windows), item.duration):
                out[item.id] = NO_TIME
        elif not candidate_rooms(problem, item):
            out[item.id] = NO_ROOM
    held = _held(problem, {i.id for i in problem.items if i.fixed or i.id in out})
    for item in problem.items:
        if item.fixed or item.id in out or not item.in_person:
            continue
        if not any(_free_start(lo, hi, item.duration, held.get(r.id, []))
                   for r in candidate_rooms(problem, item) for lo, hi in _fits(room_windows(r, item), item.duration)):
            out[item.id] = NO_FREE_TIME
    return out


def leave_out_weight(problem: Problem, item: Item, wanted: int) -> int:
    """What leaving a session out costs: more than placing it anywhere could (``wanted``: the
    delegates wanting it with another session)."""
    w = problem.weights
    return LEAVE_OUT_BASE + w.clash * wanted + w.move + w.preferred_time * len(item.preferred) \
        + w.track_rooms + w.track_venues


def _apart_enough(start: int, end: int, venue: int | None, busy: list[tuple[int, int, int | None]],
                  transfer: int) -> bool:
    for s, e, v in busy:
        gap = transfer if venue is not None and v is not None and venue != v else 0
        if start < e + gap and s < end + gap:
            return False
    return True


def first_fit(problem: Problem, excluded: set[int]) -> tuple[dict[int, Placement], set[int]]:
    """A placement by the hard rules, quickly: sessions that stay (and those excluded) where they
    are; each session to place where it stands if the rules allow, else at the free time nearest
    its own in one of its rooms, else left out (it keeps its time in its room, if that is its
    alone). Returns the placements and the stays (sessions left out that keep their room)."""
    venue_of = {r.id: r.venue_id for r in problem.rooms}
    rooms_busy: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)  # room -> (start, end, owner)
    people_busy: dict[int, list[tuple[int, int, int | None]]] = defaultdict(list)  # person -> (start, end, venue)
    placed: dict[int, Placement] = {}
    stays = clean_stays(problem, excluded)
    by_id = {i.id: i for i in problem.items}
    for item in problem.items:
        if (item.fixed or item.id in excluded) and item.start is not None:
            placed[item.id] = Placement(item.start, item.room_id)
            if item.room_id is not None:
                rooms_busy[item.room_id].append((item.start, item.start + item.duration, None))
            for person in item.people:
                people_busy[person].append((item.start, item.start + item.duration, venue_of.get(item.room_id)))
    for item_id in stays:
        item = by_id[item_id]
        rooms_busy[item.room_id].append((item.start, item.start + item.duration, item.id))
    movable = [i for i in problem.items if not i.fixed and i.id not in excluded]

    def free(item: Item, start: int, room: int | None) -> bool:
        end = start + item.duration
        if room is not None and any(start < e and s < end and owner != item.id for s, e, owner in rooms_busy[room]):
            return False
        return all(_apart_enough(start, end, venue_of.get(room), people_busy[p], problem.transfer_steps)
                   for p in item.people)

    def take(item: Item, start: int, room: int | None) -> None:
        placed[item.id] = Placement(start, room)
        end = start + item.duration
        if item.id in stays:
            stays.discard(item.id)
            rooms_busy[item.room_id] = [b for b in rooms_busy[item.room_id] if b[2] != item.id]
        if room is not None:
            rooms_busy[room].append((start, end, None))
        for person in item.people:
            people_busy[person].append((start, end, venue_of.get(room)))

    def options(item: Item) -> list[tuple[RoomSpec | None, list[tuple[int, int]]]]:
        if not item.in_person:
            return [(None, _fits(_intersect(problem.day_windows, item.windows), item.duration))]
        return [(r, _fits(room_windows(r, item), item.duration)) for r in candidate_rooms(problem, item)]

    later = []
    for item in movable:  # where it stands, when the rules allow
        here = [(r, fits) for r, fits in options(item) if (r.id if r else None) == item.room_id]
        if item.start is not None and here and any(lo <= item.start <= hi for lo, hi in here[0][1]) \
                and free(item, item.start, item.room_id):
            take(item, item.start, item.room_id)
        else:
            later.append(item)
    for item in later:  # the free time nearest its own, its own venue first
        own = item.start or 0
        venue = venue_of.get(item.room_id)
        found = None
        for room, fits in sorted(options(item), key=lambda o: (o[0] is not None and o[0].venue_id != venue,
                                                               o[0].capacity if o[0] else 0)):
            starts = sorted((s for lo, hi in fits for s in range(lo, hi + 1)), key=lambda s: (abs(s - own), s))
            start = next((s for s in starts if free(item, s, room.id if room else None)), None)
            if start is not None and (found is None or abs(start - own) < abs(found[0] - own)):
                found = (start, room.id if room else None)
                if start == own:
                    break
        if found is not None:
            take(item, *found)
    return placed, stays


def clean_stays(problem: Problem, excluded: set[int]) -> set[int]:
    """The sessions to place whose time in their room is theirs alone as things stand: left out,
    they keep it."""
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    by_id = {i.id: i for i in problem.items}
    for item in problem.items:
        if item.room_id is not None and item.start is not None:
            spans[item.room_id].append((item.start, item.start + item.duration, item.id))
    stays = set()
    for room_spans in spans.values():
        for s, e, item_id in room_spans:
            alone = all(not (s < e2 and s2 < e) for s2, e2, other in room_spans if other != item_id)
            if alone and not by_id[item_id].fixed and item_id not in excluded:
                stays.add(item_id)
    return stays


class _Model:
    def __init__(self, problem: Problem, excluded: dict[int, str] | None = None) -> None:
        self.p = problem
        self.m = cp_model.CpModel()
        self.start: dict[int, cp_model.IntVar] = {}
        self.end: dict[int, cp_model.IntVar] = {}
        self.x: dict[int, dict[int, cp_model.IntVar]] = {}  # item -> room -> chosen
        # item -> its "placed" literal (None: always there, a session that stays)
        self.present: dict[int, cp_model.IntVar | None] = {}
        self.venue_of_room = {r.id: r.venue_id for r in problem.rooms}
        self.excluded = dict(excluded or {})
        # Sessions that cannot be placed even alone stay where they are (as if fixed); those
        # without a time of their own are left out of the model.
        self.items = {
            i.id: (replace(i, fixed=True) if i.id in self.excluded else i)
            for i in problem.items if i.id not in self.excluded or i.start is not None
        }
        self.terms: list[tuple[int, cp_model.LinearExprT]] = []
        # What every placement costs at least: moves of sessions that cannot stay where they
        # stand, people's preferred times no window meets.
        self.floor = 0
        # A placement by the rules as a complete hint: the search starts from a solution.
        self.initial, self.stays = first_fit(problem, set(self.excluded))
        self.hint: dict[int, tuple[int, int | None]] = {
            k: (v.start, v.room_id) for k, v in self.initial.items() if k in self.items
        }
        self.wanted: dict[int, int] = defaultdict(int)
        for (a, b), count in problem.pairs.items():
            self.wanted[a] += max(0, count)
            self.wanted[b] += max(0, count)

    def build(self) -> None:
        by_room: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
        self.held: dict[int, list[tuple[int, int]]] = defaultdict(list)  # room -> times of sessions that stay
        for item in self.items.values():
            self._place(item, by_room)
        for room_id, held in self.held.items():
            # Sessions that stay and already overlap (a conflict to solve by hand) occupy their
            # room as one block, so that they do not make every proposal impossible.
            for start, end in _merged(held):
                by_room[room_id].append(self.m.new_fixed_size_interval_var(start, end - start, f"held{room_id}_{start}"))
        for intervals in by_room.values():
            if len(intervals) > 1:
                self.m.add_no_overlap(intervals)
        self._people()
        self._preferred()
        self._clashes()
        self._tracks()

    def _place(self, item: Item, by_room: dict[int, list[cp_model.IntervalVar]]) -> None:
        m, name = self.m, f"s{item.id}"
        rooms = candidate_rooms(self.p, item)
        hinted = self.hint.get(item.id)
        if item.fixed:
            start, present = m.new_constant(item.start), None
        else:
            windows = [w for r in rooms for w in _fits(room_windows(r, item), item.duration)] if item.in_person \
                else _fits(_intersect(self.p.day_windows, item.windows), item.duration)
            start = m.new_int_var_from_domain(cp_model.Domain.from_intervals(windows), name)
            present = None
            if hinted is not None:
                # The first-fit placement places it beside every other it places: placed it is
                # (a model without optional sessions searches far better).
                m.add_hint(start, hinted[0])
            else:
                present = m.new_bool_var(f"{name}placed")
                m.add_hint(present, 0)
                self.terms.append((leave_out_weight(self.p, item, self.wanted[item.id]), 1 - present))
            if present is not None and item.id in self.stays:
                # Left out, it keeps its own time in its room.
                by_room[item.room_id].append(m.new_optional_fixed_size_interval_var(
                    item.start, item.duration, ~present, f"{name}stay"))
        self.present[item.id] = present
        self.start[item.id] = start
        self.end[item.id] = start + item.duration
        self.x[item.id] = {}
        if not item.in_person:
            return
        if item.fixed:
            if item.room_id is not None:
                self.x[item.id][item.room_id] = m.new_constant(1)
                self.held[item.room_id].append((item.start, item.start + item.duration))
            return
        for room in rooms:
            chosen = m.new_bool_var(f"{name}r{room.id}")
            self.x[item.id][room.id] = chosen
            by_room[room.id].append(
                m.new_optional_fixed_size_interval_var(start, item.duration, chosen, f"{name}r{room.id}i")
            )
            fits = cp_model.Domain.from_intervals(_fits(room_windows(room, item), item.duration))
            m.add_linear_expression_in_domain(start, fits).only_enforce_if(chosen)
            m.add_hint(chosen, int(hinted is not None and hinted[1] == room.id))
        m.add(sum(self.x[item.id].values()) == (1 if present is None else present))
        moved = m.new_bool_var(f"{name}moved")
        m.add_hint(moved, int(hinted != (item.start, item.room_id)))
        if item.start is None or item.room_id not in self.x[item.id] or not _in_domain(start, item.start):
            m.add(moved == 1)  # it cannot stay where it stands: a cost every proposal pays
            self.floor += self.p.weights.move
        else:
            m.add(start == item.start).only_enforce_if(~moved)
            m.add(self.x[item.id][item.room_id] == 1).only_enforce_if(~moved)
        self.terms.append((self.p.weights.move, moved))

    def _there(self, *ids: int) -> list[cp_model.IntVar]:
        """The "placed" literals of these sessions (none for those that stay)."""
        return [self.present[i] for i in ids if self.present[i] is not None]

    def venue_expr(self, item_id: int, venue_id: int) -> cp_model.LinearExprT:
        return sum(x for room_id, x in self.x[item_id].items() if self.venue_of_room[room_id] == venue_id)

    def _hinted(self, *ids: int) -> bool:
        return all(i in self.hint for i in ids)

    def _overlap_hint(self, a: int, b: int) -> bool:
        (sa_, _), (sb, _) = self.hint[a], self.hint[b]
        return sa_ < sb + self.items[b].duration and sb < sa_ + self.items[a].duration

    def _apart(self, a: int, b: int, gap: cp_model.LinearExprT | int, unless: list | None = None) -> None:
        """a ends ``gap`` before b starts or the other way round (unless every literal of ``unless``)."""
        order = self.m.new_bool_var(f"o{a}_{b}")
        if self._hinted(a, b):
            self.m.add_hint(order, int(self.hint[a][0] <= self.hint[b][0]))
        extra = [*(unless or []), *self._there(a, b)]
        self.m.add(self.start[b] >= self.end[a] + gap).only_enforce_if(order, *extra)
        self.m.add(self.start[a] >= self.end[b] + gap).only_enforce_if(~order, *extra)

    def _people(self) -> None:
        by_person: dict[int, list[int]] = defaultdict(list)
        for item in self.items.values():
            for person in item.people:
                by_person[person].append(item.id)
        done: set[tuple[int, int]] = set()
        for ids in by_person.values():
            for n, a in enumerate(ids):
                for b in ids[n + 1:]:
                    key = (min(a, b), max(a, b))
                    if key in done or (self.items[a].fixed and self.items[b].fixed):
                        continue
                    done.add(key)
                    self._transfer(*key)

    def _transfer(self, a: int, b: int) -> None:
        """People in both are in one at a time, with the transfer time between them when their
        venues differ."""
        venues = {self.venue_of_room[r] for r in self.x[a]} | {self.venue_of_room[r] for r in self.x[b]}
        if self.p.transfer_steps <= 0 or not (self.x[a] and self.x[b]) or len(venues) == 1:
            self._apart(a, b, 0)
            return
        differ = self.m.new_bool_var(f"v{a}_{b}")
        if self._hinted(a, b):
            self.m.add_hint(differ, int(self.venue_of_room.get(self.hint[a][1]) != self.venue_of_room.get(self.hint[b][1])))
        for venue in venues:
            self.m.add(differ >= self.venue_expr(a, venue) - self.venue_expr(b, venue))
        self._apart(a, b, self.p.transfer_steps * differ)

    def _preferred(self) -> None:
        """A session outside the part of the day one of its people prefers costs, per person."""
        weight = self.p.weights.preferred_time
        for item in self.items.values():
            if item.fixed or not weight:
                continue
            for n, windows in enumerate(item.preferred):
                fits = _fits(windows, item.duration)
                if not fits:
                    self.terms.append((weight, 1))
                    self.floor += weight
                    continue
                inside = self.m.new_bool_var(f"p{item.id}_{n}")
                self.m.add_linear_expression_in_domain(self.start[item.id], cp_model.Domain.from_intervals(fits)) \
                    .only_enforce_if(inside)
                if item.id in self.hint:
                    self.m.add_hint(inside, int(any(lo <= self.hint[item.id][0] <= hi for lo, hi in fits)))
                self.terms.append((weight, 1 - inside))

    def _clashes(self) -> None:
        self.clash: dict[tuple[int, int], cp_model.IntVar] = {}
        for (a, b), count in self.p.pairs.items():
            if count <= 0 or a not in self.items or b not in self.items:
                continue
            if self.items[a].fixed and self.items[b].fixed or not self._may_meet(a, b):
                continue
            at_once = self.m.new_bool_var(f"c{a}_{b}")
            if self._hinted(a, b):
                self.m.add_hint(at_once, int(self._overlap_hint(a, b)))
            self._apart(a, b, 0, [~at_once])
            self.clash[(a, b)] = at_once
            self.terms.append((self.p.weights.clash * count, at_once))

    def _may_meet(self, a: int, b: int) -> bool:
        """Whether the two can be held at once at all (sessions of events on other days never are)."""
        (lo_a, hi_a), (lo_b, hi_b) = self._span(a), self._span(b)
        return lo_a < hi_b and lo_b < hi_a

    def _span(self, item_id: int) -> tuple[int, int]:
        domain = self.start[item_id].proto.domain  # constants too: [value, value]
        return domain[0], domain[-1] + self.items[item_id].duration

    def _tracks(self) -> None:
        by_track: dict[int, list[int]] = defaultdict(list)
        for item in self.items.values():
            if item.track_id is not None and item.in_person:
                by_track[item.track_id].append(item.id)
        w = self.p.weights
        for ids in by_track.values():
            if len(ids) < 2 or all(self.items[i].fixed for i in ids):
                continue
            rooms = {r for i in ids for r in self.x[i]}
            venues = {self.venue_of_room[r] for r in rooms}
            if w.track_rooms and len(rooms) > 1:
                self._count_used(ids, rooms, lambda i, r: self.x[i].get(r), lambda i: self.hint[i][1], w.track_rooms)
            if w.track_venues and len(venues) > 1:
                self._count_used(ids, venues, lambda i, v: self.venue_expr(i, v) if any(
                    self.venue_of_room[r] == v for r in self.x[i]) else None,
                    lambda i: self.venue_of_room.get(self.hint[i][1]), w.track_venues)
        if w.track_gaps:
            for ids in by_track.values():
                self._track_gaps(ids, w.track_gaps)

    def day_of(self, item: Item) -> tuple[int, int] | None:
        """The day window a session lies in whatever the solver does (None: it may change day)."""
        if item.fixed:
            return next((w for w in (*(item.windows or ()), *self.p.day_windows) if w[0] <= item.start < w[1]), None)
        windows = self.p.day_windows if item.windows is None else item.windows
        return windows[0] if len(windows) == 1 else None

    def _track_gaps(self, ids: list[int], weight: int) -> None:
        """Per day: the span from the track's first start to its last end, less its sessions' length."""
        by_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i in ids:
            day = self.day_of(self.items[i])
            if day is not None:
                by_day[day].append(i)
        for (lo, hi), day_ids in by_day.items():
            if len(day_ids) < 2 or all(self.items[i].fixed for i in day_ids):
                continue
            low, high = min(lo, *(self._span(i)[0] for i in day_ids)), max(hi, *(self._span(i)[1] for i in day_ids))
            first, last = self.m.new_int_var(low, high, ""), self.m.new_int_var(low, high, "")
            self.m.add_min_equality(first, [self.start[i] for i in day_ids])
            self.m.add_max_equality(last, [self.end[i] for i in day_ids])
            total = sum(self.items[i].duration for i in day_ids)
            # Exact when the track keeps to one room (what its other weights ask); sessions held
            # at once elsewhere could offset a gap, but never below zero.
            gap = self.m.new_int_var(0, high - low, "")
            self.m.add(gap >= last - first - total)
            if self._hinted(*day_ids):
                starts = min(self.hint[i][0] for i in day_ids)
                ends = max(self.hint[i][0] + self.items[i].duration for i in day_ids)
                self.m.add_hint(first, starts)
                self.m.add_hint(last, ends)
                self.m.add_hint(gap, max(0, ends - starts - total))
            self.terms.append((weight, gap))

    def _count_used(self, ids: list[int], places: set[int], expr: Callable, hinted: Callable, weight: int) -> None:
        used = []
        hints = {hinted(i) for i in ids} if self._hinted(*ids) else None
        for place in places:
            flag = self.m.new_bool_var("")
            for i in ids:
                term = expr(i, place)
                if term is not None:
                    self.m.add(flag >= term)
            if hints is not None:
                self.m.add_hint(flag, int(place in hints))
            used.append(flag)
        # Each place beyond the first; never below zero (a track whose sessions are all left out
        # uses none), so that the solver's bound stays a bound on what an organiser sees.
        extra = self.m.new_int_var(0, max(0, len(used) - 1), "")
        self.m.add(extra >= sum(used) - 1)
        if hints is not None:
            self.m.add_hint(extra, max(0, len(hints) - 1))
        self.terms.append((weight, extra))

    def objective(self) -> cp_model.LinearExprT:
        return sum(weight * term for weight, term in self.terms)


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float, on_progress: Progress | None, floor: int = 0) -> None:
        super().__init__()
        self.started = started
        self.floor = floor
        self.on_progress = on_progress
        self.points: list[tuple[float, float, float]] = []
        self.lock = threading.Lock()

    def on_solution_callback(self) -> None:
        point = (round(time.monotonic() - self.started, 2), self.ObjectiveValue(),
                 max(self.BestObjectiveBound(), self.floor))
        with self.lock:
            self.points.append(point)
        if self.on_progress is not None:
            self.on_progress(*point)


def _watch(solver: cp_model.CpSolver, should_stop: Callable[[], bool], done: threading.Event) -> None:
    """Stop the search once ``should_stop`` says so (asked every half second)."""
    while not done.wait(0.5):
        if should_stop():
            solver.stop_search()
            return


def _bound(reported: float, floor: int) -> int:
    """The solver's bound, rounded up (costs are whole), never below what every placement pays."""
    return max(math.ceil(reported - 1e-6), floor) if math.isfinite(reported) else floor


def solve(problem: Problem, *, time_limit: float = 30, workers: int = 2, on_progress: Progress | None = None,
          seed: int = 0, should_stop: Callable[[], bool] | None = None) -> Solution:
    """The best placement of the problem's sessions found within ``time_limit`` seconds (or
    until ``should_stop`` answers yes: the best found by then), with the sessions it leaves
    out and why. Should the solver find nothing in time, the first-fit placement it started from."""
    started = time.monotonic()
    excluded = precheck(problem)
    model = _Model(problem, excluded)
    model.build()
    # Every term is a cost (none below zero), and some are paid by every placement: saying so
    # gives the solver's bound a floor, where its relaxation alone reported one below zero on a
    # large programme.
    total = model.m.new_int_var(model.floor, cp_model.INT32_MAX, "objective")
    model.m.add(total == model.objective())
    model.m.minimize(total)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.monotonic() - started))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    reporter = _Reporter(started, on_progress, model.floor)
    done = threading.Event()
    if should_stop is not None:
        threading.Thread(target=_watch, args=(solver, should_stop, done), daemon=True).start()
    try:
        code = solver.solve(model.m, reporter)
    finally:
        done.set()
    status = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible"}.get(
        code, "unknown"
    )
    placements: dict[int, Placement] = {}
    objective = bound = None
    if status in ("optimal", "feasible"):
        # Integer costs: the objective is whole, and so may the bound be rounded up.
        objective = round(solver.objective_value)
        bound = _bound(solver.best_objective_bound, model.floor)
        for item in problem.items:
            if item.id in excluded or item.id not in model.items:
                continue
            if model.present[item.id] is not None and not solver.value(model.present[item.id]):
                continue
            room = next((r for r, x in model.x[item.id].items() if solver.value(x)), None)
            placements[item.id] = Placement(solver.value(model.start[item.id]), room)
    elif not (should_stop is not None and should_stop()):
        status = "first_fit"
        placements = {k: v for k, v in model.initial.items() if k not in excluded}
        bound = _bound(solver.best_objective_bound, model.floor) if code == cp_model.UNKNOWN else None
    unplaced = dict(excluded)
    if placements:
        unplaced.update({i.id: LEFT_OUT for i in problem.items
                         if not i.fixed and i.id not in excluded and i.id not in placements})
    return Solution(status, placements, objective, bound, time.monotonic() - started, reporter.points, unplaced,
                    model.floor)


def wanted_clashes(pairs: dict[tuple[int, int], int], items: dict[int, Item],
                   placements: dict[int, Placement]) -> int:
    """Delegates facing two wanted sessions at once, summed over the pairs (each placement is
    where a session is: proposed, or as it stands)."""
    total = 0
    for (a, b), count in pairs.items():
        if a in placements and b in placements:
            pa, pb = placements[a], placements[b]
            if pa.start < pb.start + items[b].duration and pb.start < pa.start + items[a].duration:
                total += count
    return total
