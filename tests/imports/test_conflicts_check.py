"""A file's conflicts checked a window of time at a time come out as checking the whole file at
once: each finding once, for each of its rows, however the windows fall (across midnight, on
transfers between venues, on sessions the file moves away)."""
from __future__ import annotations

import random
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

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


# --- through the import -------------------------------------------------------------------------

HEADER = ["UID", "Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Speakers"]


@pytest.fixture
def organiser(db):
    return make_user(role=Role.ORGANISER)


@pytest.fixture
def halls(db):
    venue = make_venue(name="Dunkers")
    return make_room(name="Hall A", venue=venue, capacity=80), make_room(name="Hall B", venue=venue, capacity=80)


def _upload(event, organiser, rows):
    from expo.imports import services
    from tests.imports.helpers import csv_file

    return services.start_import(event=event, filename="s.csv", content=csv_file(rows, header=HEADER), actor=organiser)


def test_a_streamed_preview_finds_clashes_across_windows_and_frees_a_moved_sessions_slot(organiser, halls,
                                                                                      monkeypatch):
    """One slot a window: two rows that clash in one room are both refused, a row may take the
    slot of a session the file moves away, a session imported twice is refused on its second
    line; the preview is the one of a plan held whole."""
    from expo.imports import services, tasks

    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    old = make_session(event=event, room=halls[1], title="Old", starts_at=utc(2022, 6, 1, 11),
                       ends_at=utc(2022, 6, 1, 12))
    db.session.commit()
    batch = _upload(event, organiser, [
        ["", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", ""],
        ["", "Between", "Talk", "2022-06-01", "09:15", "09:45", "Dunkers", "Hall B", ""],
        ["", "Two", "Talk", "2022-06-01", "09:30", "10:30", "Dunkers", "Hall A", ""],
        ["", "Takes the old slot", "Talk", "2022-06-01", "13:00", "14:00", "Dunkers", "Hall B", ""],
        [old.uid, "Old", "Talk", "2022-06-01", "16:00", "17:00", "Dunkers", "Hall B", ""],
        [old.uid, "Old again", "Talk", "2022-06-01", "18:00", "19:00", "Dunkers", "Hall B", ""],
    ])
    held = tasks.plan_result(services.preview(batch))
    monkeypatch.setattr(conflicts_check, "WINDOW", 1)
    with services.preview(batch, streamed=True) as plan:
        streamed = tasks.plan_result(plan)
    assert streamed == held
    assert [(r["line"], r["state"]) for r in held["rows"]] == [
        (2, "error"), (3, "new"), (4, "error"), (5, "new"), (6, "update"), (7, "error")]
    problems = {r["line"]: [p["message"] for p in r["problems"]] for r in held["rows"]}
    assert problems[2] == problems[4] and "double-booked" in problems[2][0]
    assert problems[7] == ["Line 6 already imports this session."]


def test_a_room_clash_met_when_confirming_refuses_the_file(organiser, halls, monkeypatch):
    """A session saved in a room between the confirmation's planning and its lock (by another
    organiser) clashes with a row of a later window: the file is refused, nothing written."""
    from expo.core.errors import Conflict
    from expo.imports import services
    from expo.programme.models import ProgrammeSession

    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    db.session.commit()
    batch = _upload(event, organiser, [
        ["", f"Talk {hour}", "Talk", "2022-06-01", f"{hour}:00", f"{hour}:30", "Dunkers", "Hall A", ""]
        for hour in range(9, 15)
    ])
    with services.preview(batch, streamed=True) as plan:
        digest = plan.digest
    monkeypatch.setattr(conflicts_check, "WINDOW", 2)
    lock_rooms = programme.lock_rooms

    def saved_meanwhile(room_ids):
        make_session(event=event, room=halls[0], title="Meanwhile", starts_at=utc(2022, 6, 1, 11, 15),
                     ends_at=utc(2022, 6, 1, 11, 45))  # 13:15 local: row 6's half hour
        lock_rooms(room_ids)

    monkeypatch.setattr(programme, "lock_rooms", saved_meanwhile)
    with pytest.raises(Conflict, match="double-booked"):
        services.confirm_import(batch=batch, digest=digest, actor=organiser, streamed=True)
    db.session.rollback()
    assert db.session.scalars(sa.select(ProgrammeSession.title).where(ProgrammeSession.event_id == event.id)).all() == []


@pytest.mark.parametrize("fails", [False, True])
def test_an_import_jobs_scratch_database_is_removed_when_it_ends(organiser, halls, monkeypatch, fails):
    from expo.imports import plan as import_plan
    from expo.imports import tasks
    from expo.imports.models import ImportBatch, JobState

    opened = []

    class Kept(Scratch):
        def __init__(self):
            super().__init__()
            opened.append(Path(self._folder))

    monkeypatch.setattr(import_plan, "Scratch", Kept)
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    db.session.commit()
    batch = _upload(event, organiser, [["", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", ""]])
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=organiser)
    db.session.commit()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.job_state == JobState.DONE and len(opened) == 1
    there = []
    if fails:
        def broken(slots, **kwargs):
            there.append(opened[-1].exists())
            raise RuntimeError("the disk is full")

        monkeypatch.setattr(conflicts_check, "check", broken)
    tasks.start(batch=batch, step=tasks.CONFIRM, actor=organiser, digest=batch.result["digest"])
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).job_state == (JobState.FAILED if fails else JobState.DONE)
    assert len(opened) == 2 and not any(folder.exists() for folder in opened)
    assert there == ([True] if fails else [])
