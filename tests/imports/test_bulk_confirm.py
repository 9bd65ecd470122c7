"""Confirming a sessions file writes its additions and changes together (rooms locked, the
conflict rules checked once on the programme the file leaves, sessions written by the chunk),
with the same outcome as the programme's services row by row: revisions, change log, audit,
staged changes in a published programme."""
from __future__ import annotations

import gc
import json
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.audit.models import AuditAction, AuditEntry
from expo.core.errors import Conflict, InvalidState
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.imports import applying
from expo.imports import plan as import_plan
from expo.imports import services
from expo.imports.models import ExternalKey
from expo.programme import releases, staging
from expo.programme.models import PendingChange, ProgrammeSession, SessionChange
from expo.programme.services import SessionData
from expo.venues.models import Room
from tests.factories import add_person, make_event, make_room, make_session, make_user, make_venue, utc
from tests.imports.helpers import csv_file
from tests.querycount import count_queries

HEADER = ["UID", "External ID", "Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Speakers"]


@pytest.fixture
def organiser(db):
    return make_user(role=Role.ORGANISER)


@pytest.fixture
def hall(db):
    return make_room(name="Hall A", venue=make_venue(name="Dunkers"), capacity=80)


def _event():
    return make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))


def _publish(event):
    """Published once: its changes are staged for releases from now on."""
    event.is_published, event.first_published_at = True, utcnow()
    db.session.flush()


def _plan(event, organiser, rows):
    batch = services.start_import(event=event, filename="s.csv", content=csv_file(rows, header=HEADER), actor=organiser)
    return batch, services.preview(batch)


def _titles(event):
    return list(db.session.scalars(sa.select(ProgrammeSession.title).where(ProgrammeSession.event_id == event.id)
                                   .order_by(ProgrammeSession.title)))


def test_two_rows_of_one_file_that_come_to_clash_are_refused_and_nothing_is_written(organiser, hall):
    event = _event()
    db.session.commit()
    _, plan = _plan(event, organiser, [
        ["", "x1", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", ""],
        ["", "x2", "Two", "Talk", "2022-06-01", "11:00", "12:00", "Dunkers", "Hall A", ""],
    ])
    assert [r.state for r in plan.rows] == ["new", "new"]
    # The second row comes to the first one's time (as a file changed under the preview would).
    plan.rows[1].data = replace(plan.rows[1].data, starts_at=plan.rows[0].data.starts_at,
                                ends_at=plan.rows[0].data.ends_at)
    with pytest.raises(Conflict, match="double-booked"):
        applying.apply_plan(event, plan, source="spreadsheet", actor=organiser)
    assert _titles(event) == []  # refused before anything was written
    db.session.rollback()


def test_a_clash_with_a_session_saved_after_the_preview_is_refused(organiser, hall):
    event = _event()
    db.session.commit()
    _, plan = _plan(event, organiser, [["", "", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", ""]])
    other = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))  # rooms are shared by every event
    make_session(event=other, room=hall, title="Keynote", starts_at=utc(2022, 6, 1, 7, 30), ends_at=utc(2022, 6, 1, 8, 30))
    with pytest.raises(Conflict, match="Keynote"):
        applying.apply_plan(event, plan, source="spreadsheet", actor=organiser)
    assert _titles(event) == []
    db.session.rollback()


def test_a_reimport_is_a_no_op(organiser, hall):
    event = _event()
    db.session.commit()
    rows = [["", f"x{i}", f"Talk {i}", "Talk", "2022-06-01", f"{8 + i:02d}:00", f"{8 + i:02d}:30", "Dunkers", "Hall A", ""]
            for i in range(6)]
    batch, plan = _plan(event, organiser, rows)
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    logged = db.session.scalar(sa.select(sa.func.count()).select_from(SessionChange))
    revisions = db.session.execute(sa.select(ProgrammeSession.id, ProgrammeSession.revision, ProgrammeSession.updated_at)).all()
    assert logged == 6 and db.session.scalar(sa.select(sa.func.count()).select_from(ExternalKey)) == 6

    batch, plan = _plan(event, organiser, rows)
    assert plan.summary() == {"new": 0, "update": 0, "unchanged": 6, "cancel": 0}
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionChange)) == logged
    assert db.session.execute(sa.select(ProgrammeSession.id, ProgrammeSession.revision, ProgrammeSession.updated_at)).all() == revisions
    assert len(_titles(event)) == 6


def _outcome(event):
    """What an import left behind, comparable between two events."""
    sessions = db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
                                  .order_by(ProgrammeSession.title)).all()
    log = db.session.execute(sa.select(SessionChange.revision, SessionChange.changes)
                             .where(SessionChange.event_id == event.id).order_by(SessionChange.revision,
                                                                                  SessionChange.id)).all()
    pending = db.session.scalars(sa.select(PendingChange).where(PendingChange.event_id == event.id)).all()
    rooms = dict(db.session.execute(sa.select(Room.id, Room.name)).all())
    outcome = (
        [(staging.snapshot(s), s.revision) for s in sessions],
        sorted(json.dumps([r, c], sort_keys=True) for r, c in log),
        sorted(json.dumps([p.session.title if p.session else None, p.status.value,
                           {**p.data, "room_id": rooms.get(p.data["room_id"])}, p.changes, p.external, p.give_back],
                          sort_keys=True) for p in pending),
    )
    return json.loads(re.sub(r"Venue (True|False)", "Venue", json.dumps(outcome, sort_keys=True)))


def _two_sessions(venue_name, person, published):
    """An event with a session to move and one to keep (with ``person``), in rooms of a venue of
    its own (rooms are shared by every event), published or not; committed."""
    event = _event()
    venue = make_venue(name=venue_name)
    hall = make_room(name="Hall A", venue=venue)
    make_room(name="Hall B", venue=venue)
    moved = make_session(event=event, room=hall, title="Moved", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    same = make_session(event=event, room=hall, title="Same", starts_at=utc(2022, 6, 2, 7), ends_at=utc(2022, 6, 2, 8))
    add_person(same, person)
    if published:
        _publish(event)
    db.session.commit()
    return event, venue, moved, same


@pytest.mark.parametrize("published", [False, True])
def test_the_same_file_leaves_the_same_programme_as_the_services_row_by_row(organiser, published, monkeypatch):
    anna = make_user(email="anna@example.org", name="Anna Berg")
    outcomes = []
    for together in (True, False):
        event, venue, moved, same = _two_sessions(f"Venue {together}", anna, published)
        monkeypatch.setattr(applying, "_together", lambda row, together=together: together and
                            import_plan.PlannedRow.changes_programme.fget(row) and "status" not in row.changed)
        batch, plan = _plan(event, organiser, [
            [moved.uid, "", "Moved", "Talk", "2022-06-01", "13:00", "14:00", venue.name, "Hall B", "anna@example.org"],
            [same.uid, "", "Same", "Talk", "2022-06-02", "09:00", "10:00", venue.name, "Hall A", "Anna Berg"],
            ["", "n1", "New one", "Talk", "2022-06-01", "13:30", "14:30", venue.name, "Hall A", "anna@example.org"],
            ["", "n2", "New two", "Talk", "2022-06-01", "09:00", "10:00", venue.name, "Hall B", ""],
        ])
        assert [r.state for r in plan.rows] == ["warning", "unchanged", "warning", "new"]
        assert [r.action for r in plan.rows] == ["update", "unchanged", "new", "new"]
        services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
        db.session.commit()
        if published:
            releases.release_changes(event=event, actor=organiser)
            db.session.commit()
        outcomes.append(_outcome(event))
        audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.IMPORT_CONFIRMED)
                                   .order_by(AuditEntry.id.desc())).first()
        assert audit.detail == "new 2, update 1, unchanged 1, cancel 0"
    assert outcomes[0] == outcomes[1]
    snapshots = {snap["title"]: (snap, revision) for snap, revision in outcomes[0][0]}
    assert snapshots["Moved"][0]["room"] == "Venue – Hall B" and snapshots["Moved"][1] == 1
    assert snapshots["New one"][0]["speakers"] == ["Anna Berg"] and snapshots["Same"][1] == 0


@pytest.mark.parametrize("published", [False, True])
def test_a_confirmation_job_writes_the_file_without_holding_its_rows(organiser, published, monkeypatch):
    """The confirmation job plans the file's rows again each time it goes through them (for the
    conflict rules; for the digest and what to lock and check; to write them), a row at a time,
    and leaves the programme as a plan held whole does."""
    from expo.programme import services as programme

    monkeypatch.setattr(programme, "WRITE_CHUNK", 2)
    anna = make_user(email="anna@example.org", name="Anna Berg")
    outcomes, keys, alive = [], [], []
    plan_row = import_plan._plan_row

    def counted(*args, **kwargs):
        alive.append(sum(1 for o in gc.get_objects() if isinstance(o, import_plan.PlannedRow)))
        return plan_row(*args, **kwargs)

    for streamed in (False, True):
        event, venue, moved, same = _two_sessions(f"Venue {streamed}", anna, published)
        batch, plan = _plan(event, organiser, [
            [moved.uid, "", "Moved", "Talk", "2022-06-01", "13:00", "14:00", venue.name, "Hall B", "anna@example.org"],
            [same.uid, "", "Same", "Talk", "2022-06-02", "09:00", "10:00", venue.name, "Hall A", "Anna Berg"],
            *[["", f"n{i}", f"New {i}", "Talk", "2022-06-03", f"{9 + i}:00", f"{9 + i}:30", venue.name, "Hall A", ""]
              for i in range(5)],
        ])
        digest = plan.digest
        del plan
        gc.collect()
        if streamed:
            monkeypatch.setattr(import_plan, "_plan_row", counted)
        summary = services.confirm_import(batch=batch, digest=digest, actor=organiser, streamed=streamed)
        db.session.commit()
        monkeypatch.setattr(import_plan, "_plan_row", plan_row)
        assert summary == {"new": 5, "update": 1, "unchanged": 1, "cancel": 0}
        outcomes.append(_outcome(event))
        keys.append(db.session.scalar(sa.select(sa.func.count()).select_from(ExternalKey)
                                      .where(ExternalKey.event_id == event.id)))
    assert outcomes[0] == outcomes[1] and keys[0] == keys[1] == (0 if published else 5)
    # Three readings of the seven rows: a row at a time, a chunk of two while they are written.
    assert len(alive) == 3 * 7 and max(alive[:14]) <= 1 and max(alive[14:]) <= 3


def test_a_confirmation_job_refuses_rows_that_read_otherwise_when_they_are_written(organiser, hall, monkeypatch):
    """The rows the job plans again to write them must be the rows it checked: a room renamed in
    between (as by another organiser) refuses the import, and nothing is written."""
    from expo.programme import services as programme

    event = _event()
    db.session.commit()
    batch, plan = _plan(event, organiser, [["", "x1", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers",
                                            "Hall A", ""]])
    lock_rooms = programme.lock_rooms

    def renamed_meanwhile(room_ids):
        lock_rooms(room_ids)
        hall.name = "Hall Z"
        db.session.flush()

    monkeypatch.setattr(programme, "lock_rooms", renamed_meanwhile)
    with pytest.raises(InvalidState, match="changed since the preview"):
        services.confirm_import(batch=batch, digest=plan.digest, actor=organiser, streamed=True)
    assert _titles(event) == []
    db.session.rollback()


def test_a_published_programme_stages_the_file_for_its_release(organiser, hall):
    event = _event()
    kept = make_session(event=event, room=hall, title="Kept", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    _publish(event)
    db.session.commit()
    rows = [[kept.uid, "", "Kept, renamed", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", ""],
            ["", "x1", "Added", "Talk", "2022-06-01", "11:00", "12:00", "Dunkers", "Hall A", ""]]
    batch, plan = _plan(event, organiser, rows)
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    assert _titles(event) == ["Kept"] and kept.revision == 0  # the public sees nothing until the release
    pending = db.session.scalars(sa.select(PendingChange).order_by(PendingChange.id)).all()
    assert [(p.session_id, p.external) for p in pending] == [(kept.id, None), (None, {"source": "spreadsheet", "id": "x1"})]
    assert pending[0].changes == {"title": {"old": "Kept", "new": "Kept, renamed"}}
    # Imported again before the release: the staged addition is updated, not doubled.
    rows[1][2] = "Added, renamed"
    batch, plan = _plan(event, organiser, rows)
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    pending = db.session.scalars(sa.select(PendingChange).order_by(PendingChange.id)).all()
    assert len(pending) == 2 and pending[1].data["title"] == "Added, renamed"
    releases.release_changes(event=event, actor=organiser)
    db.session.commit()
    assert _titles(event) == ["Added, renamed", "Kept, renamed"] and kept.revision == 1


def test_confirming_reads_a_fixed_number_of_queries_whatever_the_rows(organiser, hall):
    def confirm_of(n: int) -> int:
        event = _event()
        make_room(name=f"Hall {n}", venue=hall.venue)  # rooms are shared by every event
        db.session.commit()
        rows = [["", f"x{i}", f"Talk {i}", "Talk", (date(2022, 6, 1) + timedelta(days=i % 3)).isoformat(),
                 f"{8 + i // 3:02d}:00", f"{8 + i // 3:02d}:30", "Dunkers", f"Hall {n}", ""] for i in range(n)]
        batch, plan = _plan(event, organiser, rows)
        db.session.commit()
        with count_queries() as log:
            services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
        db.session.commit()
        assert len(_titles(event)) == n
        return sum(1 for statement in log.statements if statement.lstrip().upper().startswith("SELECT"))

    assert confirm_of(3) == confirm_of(24)


def test_the_confirmation_job_reports_its_progress_as_each_chunk_is_written(organiser, hall, monkeypatch):
    from expo.imports import tasks
    from expo.programme import services as programme

    monkeypatch.setattr(programme, "WRITE_CHUNK", 2)
    event = _event()
    db.session.commit()
    rows = [["", f"x{i}", f"Talk {i}", "Talk", "2022-06-01", f"{8 + i:02d}:00", f"{8 + i:02d}:30", "Dunkers", "Hall A", ""]
            for i in range(6)]
    batch, plan = _plan(event, organiser, rows[:1])
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    reports = []
    monkeypatch.setattr(tasks, "_reporter", lambda batch_id, separately: (
        lambda done, total: reports.append((tasks.CONFIRM if separately else tasks.PREVIEW, done, total))))
    batch = services.start_import(event=event, filename="s.csv", content=csv_file(rows, header=HEADER), actor=organiser)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=organiser)
    db.session.commit()
    tasks.start(batch=batch, step=tasks.CONFIRM, actor=organiser, digest=batch.result["digest"])
    db.session.commit()
    assert batch.job_state == "done" and batch.summary == {"new": 5, "update": 0, "unchanged": 1, "cancel": 0}
    # The unchanged row at once, then the five new ones two at a time.
    assert [r for r in reports if r[0] == tasks.CONFIRM] == [("confirm", 1, 6), ("confirm", 3, 6), ("confirm", 5, 6),
                                                             ("confirm", 6, 6)]
