"""Every conflict rule and its boundaries, on the pure functions."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from expo.programme.conflicts import (
    Rule,
    Slot,
    capacity_above_room,
    conflicts_for,
    consecutive_pairs,
    find_conflicts,
    outside_opening_hours,
    overlaps,
    person_clashes,
    room_clashes,
    sweep_pairs,
    warnings_digest,
)

STOCKHOLM = "Europe/Stockholm"  # UTC+2 in June


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    """An instant on 2022-06-<day> given in Stockholm local time."""
    return datetime(2022, 6, day, 0, minute, tzinfo=timezone.utc) + timedelta(hours=hour - 2)


def slot(key, start, end, **fields) -> Slot:
    fields.setdefault("timezone", STOCKHOLM)
    return Slot(key=key, starts_at=start, ends_at=end, **fields)


# --- overlap and the sweep --------------------------------------------------------------------

def test_back_to_back_is_not_an_overlap():
    assert not overlaps(slot(1, at(9), at(10)), slot(2, at(10), at(11)))


def test_one_minute_of_shared_time_is_an_overlap():
    assert overlaps(slot(1, at(9), at(10, 1)), slot(2, at(10), at(11)))


def test_containment_is_an_overlap():
    assert overlaps(slot(1, at(9), at(12)), slot(2, at(10), at(11)))


def test_sweep_yields_each_overlapping_pair_once_earlier_first():
    a, b, c = slot("a", at(9), at(11)), slot("b", at(10), at(12)), slot("c", at(11), at(13))
    pairs = [(x.key, y.key) for x, y in sweep_pairs([c, b, a])]
    assert pairs == [("a", "b"), ("b", "c")]


def test_sweep_with_a_window_also_pairs_near_neighbours():
    a, b = slot("a", at(9), at(10)), slot("b", at(10, 14), at(11))
    assert [(x.key, y.key) for x, y in sweep_pairs([a, b], timedelta(minutes=15))] == [("a", "b")]
    assert list(sweep_pairs([a, b], timedelta(minutes=14))) == []


# --- rooms --------------------------------------------------------------------------------------

def test_same_room_overlapping_is_refused():
    findings = room_clashes([slot(1, at(9), at(10, 30), room_id=7), slot(2, at(10), at(11), room_id=7)])
    assert [(f.rule, f.keys) for f in findings] == [(Rule.ROOM_DOUBLE_BOOKED, (1, 2))]
    assert findings[0].refused


def test_same_room_back_to_back_is_fine():
    assert room_clashes([slot(1, at(9), at(10), room_id=7), slot(2, at(10), at(11), room_id=7)]) == []


def test_different_rooms_at_the_same_time_are_fine():
    assert room_clashes([slot(1, at(9), at(10), room_id=7), slot(2, at(9), at(10), room_id=8)]) == []


def test_rooms_clash_across_events():
    findings = room_clashes(
        [slot(1, at(9), at(10), room_id=7, event_id=1), slot(2, at(9, 30), at(10), room_id=7, event_id=2)]
    )
    assert [f.keys for f in findings] == [(1, 2)]


def test_digital_sessions_never_clash_on_rooms():
    assert room_clashes([slot(1, at(9), at(10)), slot(2, at(9), at(10))]) == []


def test_three_sessions_in_one_room_give_every_clashing_pair():
    slots = [slot(i, at(9), at(12), room_id=1) for i in (1, 2, 3)]
    assert sorted(f.keys for f in room_clashes(slots)) == [(1, 2), (1, 3), (2, 3)]


# --- people -------------------------------------------------------------------------------------

def test_person_in_two_overlapping_sessions_is_warned():
    findings = person_clashes(
        [
            slot(1, at(9), at(10, 30), person_ids=frozenset({5})),
            slot(2, at(10), at(11), person_ids=frozenset({5, 6})),
        ]
    )
    assert [(f.rule, f.keys, f.person_id) for f in findings] == [(Rule.PERSON_OVERLAP, (1, 2), 5)]
    assert not findings[0].refused


def test_person_back_to_back_in_the_same_venue_is_fine():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=15, person_ids=frozenset({5})),
        slot(2, at(10), at(11), venue_id=1, transfer_minutes=15, person_ids=frozenset({5})),
    ]
    assert person_clashes(slots) == []


def test_different_people_at_the_same_time_are_fine():
    slots = [slot(1, at(9), at(10), person_ids=frozenset({5})), slot(2, at(9), at(10), person_ids=frozenset({6}))]
    assert person_clashes(slots) == []


def test_transfer_between_venues_shorter_than_the_event_allows_is_warned():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=15, person_ids=frozenset({5})),
        slot(2, at(10, 14), at(11), venue_id=2, transfer_minutes=15, person_ids=frozenset({5})),
    ]
    findings = person_clashes(slots)
    assert [(f.rule, f.keys, f.gap) for f in findings] == [
        (Rule.TRANSFER_TOO_SHORT, (1, 2), timedelta(minutes=14))
    ]


def test_transfer_of_exactly_the_event_minutes_is_fine():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=15, person_ids=frozenset({5})),
        slot(2, at(10, 15), at(11), venue_id=2, transfer_minutes=15, person_ids=frozenset({5})),
    ]
    assert person_clashes(slots) == []


def test_back_to_back_at_different_venues_is_a_transfer_warning_not_an_overlap():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=15, person_ids=frozenset({5})),
        slot(2, at(10), at(11), venue_id=2, transfer_minutes=15, person_ids=frozenset({5})),
    ]
    assert [f.rule for f in person_clashes(slots)] == [Rule.TRANSFER_TOO_SHORT]


def test_transfer_rule_ignores_digital_sessions():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=15, person_ids=frozenset({5})),
        slot(2, at(10), at(11), venue_id=None, transfer_minutes=15, person_ids=frozenset({5})),
    ]
    assert person_clashes(slots) == []


def test_zero_transfer_minutes_allows_back_to_back_across_venues():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=0, person_ids=frozenset({5})),
        slot(2, at(10), at(11), venue_id=2, transfer_minutes=0, person_ids=frozenset({5})),
    ]
    assert person_clashes(slots) == []


def test_transfer_uses_the_stricter_of_two_events():
    slots = [
        slot(1, at(9), at(10), venue_id=1, transfer_minutes=5, person_ids=frozenset({5})),
        slot(2, at(10, 20), at(11), venue_id=2, transfer_minutes=30, person_ids=frozenset({5})),
    ]
    assert [f.rule for f in person_clashes(slots)] == [Rule.TRANSFER_TOO_SHORT]


def person_slot(key, start, end, venue_id, **fields) -> Slot:
    return slot(key, start, end, venue_id=venue_id, transfer_minutes=15, person_ids=frozenset({5}), **fields)


def test_transfer_is_checked_only_from_the_persons_previous_session():
    # A and B at one venue, then C elsewhere: the person walks from B to C, not from A.
    slots = [
        person_slot("a", at(9), at(10), venue_id=1),
        person_slot("b", at(10), at(10, 5), venue_id=1),
        person_slot("c", at(10, 10), at(11), venue_id=2),
    ]
    assert [(f.rule, f.keys, f.gap) for f in person_clashes(slots)] == [
        (Rule.TRANSFER_TOO_SHORT, ("b", "c"), timedelta(minutes=5))
    ]


def test_a_session_in_between_at_the_same_venue_takes_away_the_warning():
    slots = [
        person_slot("a", at(9), at(10), venue_id=1),
        person_slot("b", at(10), at(10, 30), venue_id=2),
        person_slot("c", at(10, 40), at(11), venue_id=2),
    ]
    assert [f.keys for f in person_clashes(slots)] == [("a", "b")]  # b→c stays in one venue


def test_transfer_is_counted_from_the_session_ending_last():
    # B sits inside A (an overlap); the person leaves A last, five minutes before C.
    slots = [
        person_slot("a", at(9), at(12), venue_id=1),
        person_slot("b", at(10), at(10, 30), venue_id=1),
        person_slot("c", at(12, 5), at(13), venue_id=2),
    ]
    assert [(f.rule, f.keys) for f in person_clashes(slots)] == [
        (Rule.PERSON_OVERLAP, ("a", "b")), (Rule.TRANSFER_TOO_SHORT, ("a", "c")),
    ]


def test_a_digital_session_in_between_moves_nobody():
    slots = [
        person_slot("a", at(9), at(10), venue_id=1),
        person_slot("online", at(10), at(10, 5), venue_id=None),
        person_slot("c", at(10, 10), at(11), venue_id=2),
    ]
    assert [(f.rule, f.keys) for f in person_clashes(slots)] == [(Rule.TRANSFER_TOO_SHORT, ("a", "c"))]


def test_the_next_session_far_later_is_no_transfer_problem_even_after_a_tight_one_elsewhere():
    slots = [
        person_slot("a", at(9), at(10), venue_id=1),
        person_slot("b", at(10, 15), at(11), venue_id=2),  # exactly the transfer time: fine
        person_slot("c", at(11, 14), at(12), venue_id=1),  # a minute short from b
    ]
    assert [(f.keys, f.gap) for f in person_clashes(slots)] == [(("b", "c"), timedelta(minutes=14))]


def test_consecutive_pairs_skip_overlapping_and_keep_order():
    a, b, c = slot("a", at(9), at(11)), slot("b", at(10), at(10, 30)), slot("c", at(11), at(12))
    assert [(x.key, y.key) for x, y in consecutive_pairs([c, b, a])] == [("a", "c")]


# --- capacity -----------------------------------------------------------------------------------

def test_capacity_above_the_room_is_warned_equal_is_fine():
    assert capacity_above_room(slot(1, at(9), at(10), capacity=101, room_capacity=100))
    assert not capacity_above_room(slot(1, at(9), at(10), capacity=100, room_capacity=100))
    assert not capacity_above_room(slot(1, at(9), at(10), capacity=None, room_capacity=100))
    assert not capacity_above_room(slot(1, at(9), at(10), capacity=500, room_capacity=None))


# --- opening hours ------------------------------------------------------------------------------

def hours(start, end, opens=time(9), closes=time(17), **fields) -> Slot:
    return slot(1, start, end, venue_id=1, opens_at=opens, closes_at=closes, **fields)


def test_session_exactly_within_opening_hours_is_fine():
    assert not outside_opening_hours(hours(at(9), at(17)))


def test_session_starting_a_minute_before_opening_is_warned():
    assert outside_opening_hours(hours(at(8, 59), at(10)))


def test_session_ending_a_minute_after_closing_is_warned():
    assert outside_opening_hours(hours(at(16), at(17, 1)))


def test_opening_hours_are_local_wall_clock_in_the_event_zone():
    # 09:00 in Helsinki is 08:00 in Stockholm: the same instant is early there, fine here.
    start = datetime(2022, 6, 1, 6, 0, tzinfo=timezone.utc)
    end = start + timedelta(hours=1)
    assert not outside_opening_hours(hours(start, end, timezone="Europe/Helsinki"))
    assert outside_opening_hours(hours(start, end, timezone="Europe/Stockholm"))


def test_venue_without_hours_is_always_open():
    assert not outside_opening_hours(hours(at(3), at(23), opens=None, closes=None))


def test_only_an_opening_time_or_only_a_closing_time():
    assert outside_opening_hours(hours(at(8), at(9), opens=time(9), closes=None))
    assert not outside_opening_hours(hours(at(9), at(23), opens=time(9), closes=None))
    assert outside_opening_hours(hours(at(20), at(22), opens=None, closes=time(21)))


def test_session_running_past_midnight_is_outside_a_closing_time():
    assert outside_opening_hours(hours(at(20), at(1, day=2), opens=None, closes=time(23)))


def test_session_ending_exactly_at_midnight_with_no_closing_time_is_fine():
    assert not outside_opening_hours(hours(at(20), at(0, day=2), opens=time(8), closes=None))


def test_digital_session_has_no_opening_hours():
    assert not outside_opening_hours(slot(1, at(3), at(4), opens_at=time(9), closes_at=time(17)))


# --- all together -------------------------------------------------------------------------------

def test_find_conflicts_lists_refusals_first_then_by_time():
    slots = [
        slot(1, at(8), at(9), venue_id=1, room_id=1, opens_at=time(9), closes_at=time(17)),
        slot(2, at(10), at(11), venue_id=1, room_id=2, capacity=50, room_capacity=40),
        slot(3, at(12), at(13), venue_id=1, room_id=2),
        slot(4, at(12, 30), at(14), venue_id=1, room_id=2),
    ]
    assert [(f.rule, f.keys) for f in find_conflicts(slots)] == [
        (Rule.ROOM_DOUBLE_BOOKED, (3, 4)),
        (Rule.OUTSIDE_OPENING_HOURS, (1,)),
        (Rule.CAPACITY_ABOVE_ROOM, (2,)),
    ]


def test_conflicts_for_a_candidate_leaves_out_other_sessions_problems():
    others = [
        slot(1, at(9), at(10), room_id=1),
        slot(2, at(9), at(10), room_id=1),
        slot(3, at(11), at(12), room_id=2, person_ids=frozenset({5})),
    ]
    candidate = slot("new", at(11, 30), at(12, 30), room_id=3, person_ids=frozenset({5}))
    assert [(f.rule, f.keys) for f in conflicts_for(candidate, others)] == [(Rule.PERSON_OVERLAP, (3, "new"))]


def test_conflicts_for_a_saved_session_ignores_its_old_self():
    old = slot(1, at(9), at(10), room_id=1)
    moved = slot(1, at(9, 30), at(10, 30), room_id=1)
    assert conflicts_for(moved, [old]) == []


class CountedInstant(datetime):
    """An instant that counts how often it is compared, to tell a sweep from all pairs."""

    comparisons = 0

    def __lt__(self, other):
        CountedInstant.comparisons += 1
        return datetime.__lt__(self, other)

    def __le__(self, other):
        CountedInstant.comparisons += 1
        return datetime.__le__(self, other)

    def __gt__(self, other):
        CountedInstant.comparisons += 1
        return datetime.__gt__(self, other)

    def __ge__(self, other):
        CountedInstant.comparisons += 1
        return datetime.__ge__(self, other)

    __hash__ = datetime.__hash__


def counted(instant: datetime) -> CountedInstant:
    return CountedInstant.fromtimestamp(instant.timestamp(), tz=timezone.utc)


def test_the_rules_sort_and_sweep_instead_of_comparing_every_pair():
    """2,000 sessions for one person in one room, each starting as the last ends: all pairs
    would take two million comparisons, sorting and sweeping about n·log n."""
    n = 2000
    start = at(8)
    slots = [
        slot(i, counted(start + timedelta(minutes=30 * i)), counted(start + timedelta(minutes=30 * i + 30)),
             room_id=1, venue_id=1 + i % 2, transfer_minutes=0, person_ids=frozenset({5}))
        for i in range(n)
    ]
    CountedInstant.comparisons = 0
    assert room_clashes(slots) == [] and person_clashes(slots) == []
    assert 0 < CountedInstant.comparisons < 40 * n, CountedInstant.comparisons


def test_the_warnings_digest_names_the_warnings_not_their_order():
    both = frozenset({5, 6})
    a = slot(1, at(9), at(10), venue_id=1, person_ids=both)
    b = slot("new", at(9, 30), at(10, 30), venue_id=1, person_ids=both)
    findings = person_clashes([a, b])
    assert sorted(f.person_id for f in findings) == [5, 6]
    assert warnings_digest(findings) == warnings_digest(list(reversed(findings)))
    assert warnings_digest(findings) != warnings_digest(findings[:1])
    moved = slot("new", at(9, 45), at(10, 30), venue_id=1, person_ids=both)
    assert warnings_digest(person_clashes([a, moved])) != warnings_digest(findings)

    def seats(capacity):
        return find_conflicts([slot("new", at(9), at(10), venue_id=1, capacity=capacity, room_capacity=50)])

    assert warnings_digest(seats(60)) != warnings_digest(seats(70))
    assert warnings_digest(seats(60)) == warnings_digest(seats(60))
