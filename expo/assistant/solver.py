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
their sessions' windows by the caller: a hard rule.)"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class Solution:
    status: str  # "optimal", "feasible", "infeasible", "unknown"
    placements: dict[int, Placement]
    objective: float | None
    bound: float | None
    seconds: float
    progress: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.status in ("optimal", "feasible")


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


class _Model:
    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.m = cp_model.CpModel()
        self.start: dict[int, cp_model.IntVar] = {}
        self.end: dict[int, cp_model.IntVar] = {}
        self.x: dict[int, dict[int, cp_model.IntVar]] = {}  # item -> room -> chosen
        self.venue_of_room = {r.id: r.venue_id for r in problem.rooms}
        self.items = {i.id: i for i in problem.items}
        self.terms: list[tuple[int, cp_model.LinearExprT]] = []
        self.infeasible_items: list[int] = []
        # The schedule as it stands, as a complete hint: the search starts from a solution.
        self.hint: dict[int, tuple[int, int | None]] = {}

    def build(self) -> None:
        by_room: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
        self.held: dict[int, list[tuple[int, int]]] = defaultdict(list)  # room -> times of sessions that stay
        for item in self.p.items:
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
        if item.fixed:
            start = m.new_constant(item.start)
        else:
            windows = [w for r in rooms for w in _fits(room_windows(r, item), item.duration)] if item.in_person \
                else _fits(_intersect(self.p.day_windows, item.windows), item.duration)
            if not windows:
                self.infeasible_items.append(item.id)
                windows = [(0, 0)]
            start = m.new_int_var_from_domain(cp_model.Domain.from_intervals(windows), name)
        self.start[item.id] = start
        self.end[item.id] = start + item.duration
        self.x[item.id] = {}
        if item.fixed:
            self.hint[item.id] = (item.start, item.room_id)
        if not item.in_person:
            if not item.fixed and item.start is not None and _in_domain(start, item.start):
                m.add_hint(start, item.start)
                self.hint[item.id] = (item.start, None)
            return
        if not rooms:
            self.infeasible_items.append(item.id)
            return
        for room in rooms:
            chosen = m.new_constant(1) if item.fixed else m.new_bool_var(f"{name}r{room.id}")
            self.x[item.id][room.id] = chosen
            if item.fixed:
                self.held[room.id].append((item.start, item.start + item.duration))
                continue
            by_room[room.id].append(
                m.new_optional_fixed_size_interval_var(start, item.duration, chosen, f"{name}r{room.id}i")
            )
            if not item.fixed:
                fits = cp_model.Domain.from_intervals(_fits(room_windows(room, item), item.duration))
                m.add_linear_expression_in_domain(start, fits).only_enforce_if(chosen)
        if not item.fixed:
            m.add_exactly_one(self.x[item.id].values())
            if item.start is not None and item.room_id in self.x[item.id]:
                m.add_hint(start, item.start)
                for room_id, chosen in self.x[item.id].items():
                    m.add_hint(chosen, int(room_id == item.room_id))
                self.hint[item.id] = (item.start, item.room_id)
            moved = m.new_bool_var(f"{name}moved")
            m.add_hint(moved, 0 if item.id in self.hint else 1)
            if item.start is None:
                m.add(moved == 1)
            else:
                m.add(start == item.start).only_enforce_if(~moved)
                if item.room_id in self.x[item.id]:
                    m.add(self.x[item.id][item.room_id] == 1).only_enforce_if(~moved)
            self.terms.append((self.p.weights.move, moved))

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
        extra = unless or []
        self.m.add(self.start[b] >= self.end[a] + gap).only_enforce_if(order, *extra)
        self.m.add(self.start[a] >= self.end[b] + gap).only_enforce_if(~order, *extra)

    def _people(self) -> None:
        by_person: dict[int, list[int]] = defaultdict(list)
        for item in self.p.items:
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
        for item in self.p.items:
            if item.fixed or not weight:
                continue
            for n, windows in enumerate(item.preferred):
                fits = _fits(windows, item.duration)
                if not fits:
                    self.terms.append((weight, 1))
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
        for item in self.p.items:
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
        self.terms.append((weight, sum(used) - 1))

    def objective(self) -> cp_model.LinearExprT:
        return sum(weight * term for weight, term in self.terms)


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, started: float, on_progress: Progress | None) -> None:
        super().__init__()
        self.started = started
        self.on_progress = on_progress
        self.points: list[tuple[float, float, float]] = []
        self.lock = threading.Lock()

    def on_solution_callback(self) -> None:
        point = (round(time.monotonic() - self.started, 2), self.ObjectiveValue(), self.BestObjectiveBound())
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


def solve(problem: Problem, *, time_limit: float = 30, workers: int = 2, on_progress: Progress | None = None,
          seed: int = 0, should_stop: Callable[[], bool] | None = None) -> Solution:
    """The best placement of the problem's sessions found within ``time_limit`` seconds (or
    until ``should_stop`` answers yes: the best found by then)."""
    started = time.monotonic()
    model = _Model(problem)
    model.build()
    if model.infeasible_items:
        return Solution("infeasible", {}, None, None, time.monotonic() - started)
    model.m.minimize(model.objective())
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.monotonic() - started))
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    reporter = _Reporter(started, on_progress)
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
    if status in ("optimal", "feasible"):
        for item in problem.items:
            room = next((r for r, x in model.x[item.id].items() if solver.value(x)), None)
            placements[item.id] = Placement(solver.value(model.start[item.id]), room)
    return Solution(
        status, placements,
        solver.objective_value if placements else None,
        solver.best_objective_bound if placements else None,
        time.monotonic() - started, reporter.points,
    )


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
