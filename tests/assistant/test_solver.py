"""The assistant's model: small instances are solved to the optimum found by brute force, and
every hard rule has an instance that the solver would break if it ignored the rule."""
from __future__ import annotations

import itertools
import random

import pytest

from expo.assistant.solver import (
    LEFT_OUT, NO_FREE_TIME, NO_ROOM, Item, Placement, Problem, RoomSpec, Weights, first_fit, precheck, solve,
    wanted_clashes,
)

DAY = ((0, 4),)  # four one-step slots


def _overlap(a: Placement, b: Placement, da: int, db: int) -> bool:
    return a.start < b.start + db and b.start < a.start + da


def _brute_force(problem: Problem) -> int:
    """The least sum of wanted pairs held at once, over every clash-free placement."""
    items = problem.items
    options = [
        [Placement(s, r.id) for r in problem.rooms for lo, hi in r.windows for s in range(lo, hi - i.duration + 1)]
        for i in items
    ]
    best = None
    for choice in itertools.product(*options):
        ok = all(
            not (p.room_id == q.room_id and _overlap(p, q, a.duration, b.duration))
            for (a, p), (b, q) in itertools.combinations(zip(items, choice), 2)
        )
        if ok:
            cost = wanted_clashes(problem.pairs, {i.id: i for i in items}, {i.id: p for i, p in zip(items, choice)})
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_small_instances_are_solved_to_the_brute_force_optimum(seed):
    rng = random.Random(seed)
    # Five sessions in two rooms of three slots: some wanted pairs must meet.
    rooms = [RoomSpec(1, 1, 100, ((0, 3),)), RoomSpec(2, 1, 100, ((0, 3),))]
    durations = rng.sample([1, 1, 1, 1, 2], 5)
    items = [Item(id=n, duration=durations[n - 1], start=0, room_id=1) for n in range(1, 6)]
    pairs = {(a, b): rng.randint(0, 9) for a, b in itertools.combinations(range(1, 6), 2)}
    problem = Problem(rooms=rooms, items=items, day_windows=DAY, pairs=pairs, weights=Weights(clash=1, move=0))
    expected = _brute_force(problem)
    assert expected is not None
    solution = solve(problem, time_limit=20)
    assert solution.status == "optimal"
    assert expected > 0
    assert solution.objective == expected
    assert wanted_clashes(pairs, {i.id: i for i in items}, solution.placements) == expected


def test_a_room_holds_one_session_at_a_time_even_one_that_stays():
    # Staying put would cost nothing (moving costs 1): only the room rule moves the new session.
    rooms = [RoomSpec(1, 1, 100, ((0, 2),))]
    items = [Item(1, 1, start=0, room_id=1, fixed=True), Item(2, 1, start=0, room_id=1)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY))
    assert solution.placements[2] == Placement(1, 1)


def test_a_person_is_in_one_session_at_a_time():
    rooms = [RoomSpec(1, 1, 100, ((0, 2),)), RoomSpec(2, 1, 100, ((0, 2),))]
    items = [Item(1, 1, start=0, room_id=1, people=frozenset({7})), Item(2, 1, start=0, room_id=2, people=frozenset({7}))]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY))
    assert {solution.placements[1].start, solution.placements[2].start} == {0, 1}


def test_a_person_has_the_transfer_time_between_venues():
    # Back to back at two venues: the speaker needs a step to move; the same venue needs none.
    rooms = [RoomSpec(1, 1, 100, ((0, 4),)), RoomSpec(2, 2, 100, ((0, 4),))]
    items = [
        Item(1, 1, start=0, room_id=1, fixed=True, people=frozenset({7})),
        Item(2, 1, start=1, room_id=2, people=frozenset({7}), rooms=frozenset({2})),
    ]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY, transfer_steps=1))
    assert solution.placements[2].start >= 2
    same_venue = [Item(1, 1, start=0, room_id=1, fixed=True, people=frozenset({7})),
                  Item(2, 1, start=1, room_id=2, people=frozenset({7}))]
    rooms = [RoomSpec(1, 1, 100, ((0, 4),)), RoomSpec(2, 1, 100, ((0, 4),))]
    assert solve(Problem(rooms=rooms, items=same_venue, day_windows=DAY, transfer_steps=1)).placements[2] == Placement(1, 2)


def test_a_session_lies_inside_its_room_opening_hours():
    rooms = [RoomSpec(1, 1, 100, ((2, 4),))]
    solution = solve(Problem(rooms=rooms, items=[Item(1, 2, start=0, room_id=1)], day_windows=DAY))
    assert solution.placements[1] == Placement(2, 1)


def test_a_room_seats_the_delegates_expected():
    rooms = [RoomSpec(1, 1, 100, DAY), RoomSpec(2, 1, 300, DAY)]
    solution = solve(Problem(rooms=rooms, items=[Item(1, 1, start=0, room_id=1, seats=150)], day_windows=DAY))
    assert solution.placements[1] == Placement(0, 2)


def test_a_session_gets_a_room_of_its_kind():
    rooms = [RoomSpec(1, 1, 100, DAY), RoomSpec(2, 2, 100, DAY)]
    item = Item(1, 1, start=0, room_id=1, rooms=frozenset({2}))
    assert solve(Problem(rooms=rooms, items=[item], day_windows=DAY)).placements[1] == Placement(0, 2)


def test_a_fixed_session_stays_even_when_moving_it_would_spare_a_clash():
    rooms = [RoomSpec(1, 1, 100, ((0, 1),)), RoomSpec(2, 1, 100, ((0, 1),))]
    items = [Item(1, 1, start=0, room_id=1, fixed=True), Item(2, 1, start=0, room_id=2, fixed=True)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY, pairs={(1, 2): 50}))
    assert solution.placements == {1: Placement(0, 1), 2: Placement(0, 2)}
    assert solution.objective == 0  # pairs of sessions that stay cost nothing the solver can change


def test_wanted_sessions_are_pulled_apart_and_a_track_kept_in_one_room():
    rooms = [RoomSpec(1, 1, 100, ((0, 2),)), RoomSpec(2, 2, 100, ((0, 2),))]
    items = [Item(1, 1, start=0, room_id=1, track_id=5), Item(2, 1, start=0, room_id=2, track_id=5)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY, pairs={(1, 2): 3}))
    p1, p2 = solution.placements[1], solution.placements[2]
    assert p1.start != p2.start and p1.room_id == p2.room_id
    assert solution.status == "optimal"


def test_a_session_impossible_alone_is_named_and_the_others_placed():
    rooms = [RoomSpec(1, 1, 50, DAY)]
    items = [Item(1, 1, start=0, room_id=1, seats=80), Item(2, 1, start=0, room_id=None, in_person=False),
             Item(3, 1, start=1, room_id=1, seats=20, people=frozenset({7}))]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY))
    assert solution.status == "optimal"
    assert solution.unplaced == {1: NO_ROOM}
    assert set(solution.placements) == {2, 3}
    # Left where it stands, it keeps its room at its time: nothing else goes there.
    assert solution.placements[3].start != 0


def test_two_sessions_for_one_room_and_one_time_place_one_and_name_the_other():
    rooms = [RoomSpec(1, 1, 100, ((0, 1),))]
    items = [Item(1, 1, start=None, room_id=None), Item(2, 1, start=None, room_id=None)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY, pairs={(1, 2): 3}))
    assert solution.status == "optimal"
    assert len(solution.placements) == 1 and solution.placements[min(solution.placements)] == Placement(0, 1)
    assert list(solution.unplaced.values()) == [LEFT_OUT]
    assert set(solution.placements) | set(solution.unplaced) == {1, 2}


def test_a_session_whose_rooms_are_held_by_sessions_that_stay_is_named():
    rooms = [RoomSpec(1, 1, 100, ((0, 2),))]
    items = [Item(1, 2, start=0, room_id=1, fixed=True), Item(2, 1, start=3, room_id=1)]
    assert precheck(Problem(rooms=rooms, items=items, day_windows=DAY)) == {2: NO_FREE_TIME}


def test_the_first_fit_start_is_a_placement_by_the_rules():
    # Four sessions, two rooms of two slots, a speaker in 1 and 2: all placed, none clashing.
    rooms = [RoomSpec(1, 1, 100, ((0, 2),)), RoomSpec(2, 2, 100, ((0, 2),))]
    items = [Item(n, 1, start=0, room_id=1, people=frozenset({7}) if n < 3 else frozenset()) for n in range(1, 5)]
    placed, _stays = first_fit(Problem(rooms=rooms, items=items, day_windows=DAY), set())
    assert len(placed) == 4
    assert len({(p.start, p.room_id) for p in placed.values()}) == 4
    assert placed[1].start != placed[2].start


def test_progress_is_reported_with_the_bound():
    seen = []
    rooms = [RoomSpec(1, 1, 100, ((0, 3),)), RoomSpec(2, 1, 100, ((0, 3),))]
    items = [Item(n, 1, start=0, room_id=1) for n in range(1, 5)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY, pairs={(1, 2): 4}),
                     on_progress=lambda *point: seen.append(point))
    assert seen and seen == solution.progress
    assert all(objective >= bound for _, objective, bound in seen)


def _track_gap(items: list[Item], choice: dict[int, Placement], track: int) -> int:
    """The span of the track's sessions less their length, never below zero (one day)."""
    ids = [i for i in items if i.track_id == track]
    first = min(choice[i.id].start for i in ids)
    last = max(choice[i.id].start + i.duration for i in ids)
    return max(0, last - first - sum(i.duration for i in ids))


@pytest.mark.parametrize("seed", range(6))
def test_a_track_is_pulled_onto_consecutive_slots_as_brute_force_finds(seed):
    rng = random.Random(seed)
    day = ((0, 8),)
    rooms = [RoomSpec(1, 1, 100, day), RoomSpec(2, 1, 100, day)]
    blockers = [Item(10 + n, 1, start=rng.randrange(8), room_id=rng.choice([1, 2]), fixed=True) for n in range(3)]
    blockers = list({(b.start, b.room_id): b for b in blockers}.values())
    anchor = Item(1, rng.choice([1, 2]), start=0, room_id=1, fixed=True, track_id=5)
    if any(b.room_id == 1 and b.start < anchor.duration for b in blockers):
        blockers = [b for b in blockers if not (b.room_id == 1 and b.start < anchor.duration)]
    movable = [Item(n, rng.choice([1, 2]), start=rng.randrange(5), room_id=2, track_id=5) for n in (2, 3)]
    items = [anchor, *movable, *blockers]
    weights = Weights(clash=0, track_venues=0, track_rooms=0, move=1, track_gaps=3)
    options = [[Placement(s, r.id) for r in rooms for s in range(0, 8 - i.duration + 1)] for i in movable]
    best = None
    for choice in itertools.product(*options):
        placed = {i.id: Placement(i.start, i.room_id) for i in (anchor, *blockers)}
        placed.update({i.id: p for i, p in zip(movable, choice)})
        if any(placed[a.id].room_id == placed[b.id].room_id
               and _overlap(placed[a.id], placed[b.id], a.duration, b.duration)
               for a, b in itertools.combinations(items, 2)):
            continue
        moved = sum(placed[i.id] != Placement(i.start, i.room_id) for i in movable)
        cost = weights.move * moved + weights.track_gaps * _track_gap(items, placed, 5)
        best = cost if best is None else min(best, cost)
    solution = solve(Problem(rooms=rooms, items=items, day_windows=day, weights=weights), time_limit=20)
    assert solution.status == "optimal"
    assert solution.objective == best
    assert weights.track_gaps * _track_gap(items, solution.placements, 5) <= solution.objective


def test_a_track_fills_the_gap_between_its_sessions():
    # The track at 0–2, 4–5 and 6–8 in one room: moving the last up to 2 closes both gaps in one move.
    day = ((0, 8),)
    rooms = [RoomSpec(1, 1, 100, day)]
    items = [Item(1, 2, start=0, room_id=1, fixed=True, track_id=5), Item(2, 2, start=6, room_id=1, track_id=5),
             Item(3, 1, start=4, room_id=1, track_id=5)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=day, weights=Weights(move=1, track_gaps=1)))
    assert solution.placements == {1: Placement(0, 1), 2: Placement(2, 1), 3: Placement(4, 1)}
    assert solution.objective == 1 and _track_gap(items, solution.placements, 5) == 0
    without = solve(Problem(rooms=rooms, items=items, day_windows=day, weights=Weights(move=1, track_gaps=0)))
    assert without.placements[2] == Placement(6, 1) and without.objective == 0  # no weight on gaps: nothing moves


def test_a_search_stops_when_asked():
    rng = random.Random(3)
    rooms = [RoomSpec(r, 1, 100, ((0, 12),)) for r in range(1, 4)]
    items = [Item(n, rng.choice([1, 2]), start=0, room_id=1) for n in range(1, 31)]
    pairs = {(a, b): rng.randint(1, 9) for a, b in itertools.combinations(range(1, 31), 2)}
    asked = []

    def stop() -> bool:
        asked.append(1)
        return True

    solution = solve(Problem(rooms=rooms, items=items, day_windows=((0, 12),), pairs=pairs), time_limit=30,
                     should_stop=stop)
    assert asked and solution.seconds < 10


def test_the_bound_counts_the_moves_every_proposal_must_make():
    # Session 1 outgrew its room: every proposal moves it, so the bound is at least one move.
    rooms = [RoomSpec(1, 1, 50, DAY), RoomSpec(2, 1, 200, DAY)]
    items = [Item(1, 1, start=0, room_id=1, seats=120), Item(2, 1, start=0, room_id=2, fixed=True)]
    solution = solve(Problem(rooms=rooms, items=items, day_windows=DAY, weights=Weights(move=7)))
    assert solution.floor == 7
    assert solution.placements[1] == Placement(1, 2)
    assert solution.objective == solution.bound == 7


def test_when_the_solver_finds_nothing_in_time_the_first_fit_placement_is_proposed(monkeypatch):
    """A search stopped before its first solution still proposes the placement it started
    from: every session placed by the rules, the impossible one listed, no room twice at once."""
    from ortools.sat.python import cp_model

    real_solve = cp_model.CpSolver.solve

    def stopped_at_once(self, model, callback=None):
        self.parameters.max_time_in_seconds = 0.0
        self.parameters.max_deterministic_time = 0.0
        return real_solve(self, model, callback)

    monkeypatch.setattr(cp_model.CpSolver, "solve", stopped_at_once)
    rooms = [RoomSpec(1, 1, 100, ((0, 2),)), RoomSpec(2, 2, 100, ((0, 3),))]
    items = [Item(n, 1, start=0, room_id=1, people=frozenset({7}) if n < 3 else frozenset()) for n in range(1, 5)]
    items.append(Item(5, 1, start=0, room_id=1, seats=500))  # no room seats 500: it keeps its place
    problem = Problem(rooms=rooms, items=items, day_windows=DAY)
    solution = solve(problem, time_limit=1)
    assert solution.status == "first_fit" and solution.found
    excluded = set(precheck(problem))
    started_from, _stays = first_fit(problem, excluded)
    assert excluded == {5} and solution.placements == {k: v for k, v in started_from.items() if k not in excluded}
    assert set(solution.placements) == {1, 2, 3, 4}
    held = {(p.start, p.room_id) for p in solution.placements.values()} | {(0, 1)}
    assert len(held) == 5
    assert solution.placements[1].start != solution.placements[2].start
    assert solution.unplaced[5] == NO_ROOM and solution.objective is None
