"""A file's conflicts checked a window of time at a time come out as checking the whole file at
once: each finding once, for each of its rows, however the windows fall (across midnight, on
transfers between venues, on sessions the file moves away)."""
from __future__ import annotations

import random
from datetime import date, time, timedelta

import pytest

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.imports import conflicts_check
from expo.imports.scratch import Scratch
from expo.programme import services as programme
from expo.programme.models import SessionKind
from tests.factories import add_person, make_event, make_expo, make_room, make_session, make_user, make_venue, utc

DAY = utc(2022, 6, 1, 0)


def _world(rng: random.Random):
    """Two events of one expo (transfers of 30 and 45 minutes), rooms at two venues (one with
    opening hours), four people, and saved sessions over two days, some across midnight."""
    expo = make_expo()
    events = [make_event(expo=expo, starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3), transfer_minutes=minutes)
              for minutes in (30, 45)]
    hours = make_venue(name="Dunkers", opens_at=time(8), closes_at=time(22))
    late = make_venue(name="Konserthuset")
    rooms = [make_room(venue=hours, name="A", capacity=40), make_room(venue=hours, name="B", capacity=60),
             make_room(venue=late, name="C", capacity=30)]
    people = [make_user(role=Role.DELEGATE, email=f"p{i}@example.org", name=f"Person {i}") for i in range(4)]
    saved = []
    for _ in range(14):
        starts_at, ends_at = _times(rng)
        digital = rng.random() < 0.15
        session = make_session(event=rng.choice(events), starts_at=starts_at, ends_at=ends_at,
                               kind=SessionKind.DIGITAL if digital else SessionKind.TALK,
                               room=None if digital else rng.choice(rooms))
        for person in rng.sample(people, rng.randint(0, 2)):
            add_person(session, person)
        saved.append(session)
    return events, rooms, people, saved


def _times(rng: random.Random):
    """A start between 05:00 and 26:00 UTC of the first day (midnight in Stockholm is 22:00 UTC)
    and 15 minutes to 3 hours long, by quarters of an hour."""
    starts_at = DAY + timedelta(hours=5) + timedelta(minutes=15 * rng.randint(0, 84))
    return starts_at, starts_at + timedelta(minutes=15 * rng.randint(1, 12))


def _file(rng: random.Random, events, rooms, people, saved):
    """The slots of a file's rows (new sessions, and saved ones moved) and the saved sessions
    it moves or changes."""
    candidates = {}
    moved = rng.sample(saved, 6)
    leaving = {s.id for s in moved}
    for line in range(2, 40):
        starts_at, ends_at = _times(rng)
        room = rng.choice([*rooms, None])
        data = programme.SessionData(
            title=f"Row {line}", kind=SessionKind.TALK if room else SessionKind.DIGITAL, starts_at=starts_at,
            ends_at=ends_at, room_id=room.id if room else None, capacity=rng.choice([None, 20, 50]),
            speaker_ids=[p.id for p in rng.sample(people, rng.randint(0, 2))],
        )
        key = moved.pop().id if moved and rng.random() < 0.3 else ("line", line)
        candidates[key] = (line, programme.candidate_slot(rng.choice(events), data, key))
    return candidates, leaving


def _whole_file(candidates, leaving):
    """Today's check of the whole file at once, its rows' findings in the order the windows give them."""
    found = programme.end_state_conflicts({key: slot for key, (_, slot) in candidates.items()}, leaving)
    return {key: sorted(found[key], key=conflicts_check.order) for key in candidates if found.get(key)}


def _windowed(slots, candidates, leaving, window):
    with slots:
        for session_id in leaving:
            slots.move(session_id)
        for line, slot in candidates.values():
            slots.add(line, slot)
        return conflicts_check.check(slots, window=window)


@pytest.mark.parametrize("seed", range(6))
def test_windows_find_what_the_whole_file_check_finds(db, seed):
    rng = random.Random(seed)
    events, rooms, people, saved = _world(rng)
    candidates, leaving = _file(rng, events, rooms, people, saved)
    db.session.flush()
    expected = _whole_file(candidates, leaving)
    rules = {f.rule for findings in expected.values() for f in findings}
    assert len(rules) >= 3 and expected  # room and person clashes, transfers, seats, hours: most of them
    with Scratch() as scratch:
        for window in (1, 2, 3, 7, 500):
            for slots in (conflicts_check.HeldSlots(), conflicts_check.ScratchSlots(scratch, batch=4)):
                got = _windowed(slots, candidates, leaving, window)
                assert list(got.items()) == list(expected.items()), (window, type(slots).__name__)


def test_a_transfer_across_a_window_edge_and_midnight_is_found_once_for_both_rows(db):
    """Row 3 ends at midnight (local) at one venue; row 4 starts ten minutes later at another,
    in the next window (one slot a window): the finding is the whole file's, once for each row."""
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3), transfer_minutes=30)
    one, other = make_room(venue=make_venue(name="One")), make_room(venue=make_venue(name="Other"))
    anna = make_user(email="anna@example.org")

    def slot(line, room, starts_at, ends_at):
        data = programme.SessionData(title=f"Row {line}", kind=SessionKind.TALK, starts_at=starts_at, ends_at=ends_at,
                                     room_id=room.id, speaker_ids=[anna.id])
        return line, programme.candidate_slot(event, data, ("line", line))

    candidates = {("line", n): slot(n, *args) for n, *args in [
        (3, one, utc(2022, 6, 1, 20), utc(2022, 6, 1, 22)),
        (4, other, utc(2022, 6, 1, 22, 10), utc(2022, 6, 1, 23)),
    ]}
    found = _windowed(conflicts_check.HeldSlots(), candidates, set(), window=1)
    assert found == _whole_file(candidates, set())
    assert [[f.rule.value for f in findings] for findings in found.values()] == [["transfer"], ["transfer"]]
    assert found[("line", 3)] == found[("line", 4)]
