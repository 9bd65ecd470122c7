"""A sessions file imported again finds each row's session by its id, its external key or its
title a chunk of rows at a time (``plan.CHUNK``), loading only the sessions the chunk names:
the outcome is the one of a plan made in one go, and the sessions held at once do not grow
with the event."""
from __future__ import annotations

import gc
from datetime import date, datetime

import sqlalchemy as sa

from expo.accounts.models import User
from expo.core.extensions import db
from expo.events.models import Event
from expo.imports import plan as import_plan
from expo.imports import services, tasks
from expo.programme import services as programme
from expo.programme.models import ProgrammeSession
from tests.factories import make_event
from tests.imports.helpers import csv_file
from tests.imports.test_bulk_confirm import HEADER, hall, organiser  # noqa: F401 (fixtures)


def _row(uid, external, title, day, starts, ends):
    return [uid, external, title, "Talk", day, starts, ends, "Dunkers", "Hall A", ""]


def _import(event, organiser, rows, *, streamed=False):
    batch = services.start_import(event=event, filename="s.csv", content=csv_file(rows, header=HEADER), actor=organiser)
    result = tasks.plan_result(services.preview(batch, streamed=streamed))
    services.confirm_import(batch=batch, digest=result["digest"], actor=organiser, streamed=streamed)
    db.session.commit()
    return result


def _sessions(event):
    return {s.title: s for s in db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id))}


def _local(session, event):
    """The session's start and end as the file gives them (the event's time zone)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(event.timezone)
    return (session.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            session.ends_at.astimezone(zone).strftime("%H:%M"))


def test_a_file_imported_again_in_chunks_updates_the_sessions_its_rows_name(organiser, hall, monkeypatch):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    db.session.commit()
    d1, d2 = "2022-06-01", "2022-06-02"
    _import(event, organiser, [
        *[_row("", "", f"Talk {i}", d1, f"{8 + i:02d}:00", f"{8 + i:02d}:30") for i in range(5)],
        *[_row("", f"x{i}", f"Keyed {i}", d1, f"{13 + i:02d}:00", f"{13 + i:02d}:30") for i in range(4)],
        _row("", "", "Straße am Meer", d2, "08:00", "08:30"),
        _row("", "", "Keynote", d2, "10:00", "10:30"),
        _row("", "", "Lunch", d2, "09:00", "09:30"),
        _row("", "", "Lunch", d2, "13:00", "13:30"),
    ])
    before = _sessions(event)  # (the two lunches under one key: told apart below by their start)
    lunches = {_local(s, event)[0][-5:]: s.id for s in db.session.scalars(
        sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id, ProgrammeSession.title == "Lunch"))}
    assert len(before) == 12 and set(lunches) == {"09:00", "13:00"}
    ids = {title: s.id for title, s in before.items() if title != "Lunch"}
    uid = {title: s.uid for title, s in before.items()}
    rows = [
        _row(uid["Talk 0"], "", "Talk 0, renamed", d1, "08:15", "08:45"),
        _row("", "x0", "Keyed 0, renamed", d1, "13:15", "13:45"),
        _row("", "", " STRASSE AM MEER ", d2, "08:00", "08:45"),  # ß folds to ss
        _row(uid["Talk 1"], "", "Talk 1", d1, "09:15", "09:45"),
        _row("", "", "lunch", d2, "13:00", "13:45"),  # of two lunches, the one at its start
        _row("", "x1", "Keyed 1", d1, "14:15", "14:45"),
        _row("", "", "LUNCH", d2, "09:00", "09:45"),  # the other lunch, the only one left
        _row(uid["Talk 2"], "", "Talk 2", d1, "10:15", "10:45"),
        _row("", "", "keynote", d2, "10:00", "10:45"),
        _row("", "x2", "Keyed 2", d1, "15:15", "15:45"),
        _row(uid["Talk 3"], "", "Talk 3", d1, "11:15", "11:45"),
        _row("", "", "Brand new", d2, "15:00", "15:30"),
        _row("", "x3", "Keyed 3", d1, "16:15", "16:45"),
        _row(uid["Talk 4"], "", "Talk 4", d1, "12:15", "12:45"),
    ]
    content = csv_file(rows, header=HEADER)
    batch = services.start_import(event=event, filename="again.csv", content=content, actor=organiser)
    whole = tasks.plan_result(services.preview(batch))  # one chunk
    monkeypatch.setattr(import_plan, "CHUNK", 3)
    held = tasks.plan_result(services.preview(batch))
    streamed = tasks.plan_result(services.preview(batch, streamed=True))
    assert streamed == held == whole
    assert held["summary"] == {"new": 1, "update": 13, "unchanged": 0, "cancel": 0}
    assert held["states"] == {"new": 1, "update": 13, "unchanged": 0, "warning": 0, "error": 0}
    with services.preview(batch, streamed=True) as plan:
        found = [(row.line, row.session.id if row.session else None) for row in plan.rows]
    assert found == [
        (2, ids["Talk 0"]), (3, ids["Keyed 0"]), (4, ids["Straße am Meer"]), (5, ids["Talk 1"]), (6, lunches["13:00"]),
        (7, ids["Keyed 1"]), (8, lunches["09:00"]), (9, ids["Talk 2"]), (10, ids["Keynote"]), (11, ids["Keyed 2"]),
        (12, ids["Talk 3"]), (13, None), (14, ids["Keyed 3"]), (15, ids["Talk 4"]),
    ]

    services.confirm_import(batch=batch, digest=held["digest"], actor=organiser, streamed=True)
    db.session.commit()
    after = {s.id: s for s in db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id))}
    assert len(after) == 14
    assert after[ids["Talk 0"]].title == "Talk 0, renamed" and after[ids["Keyed 0"]].title == "Keyed 0, renamed"
    assert [_local(after[ids[f"Talk {i}"]], event) for i in range(5)] == [
        (f"2022-06-01 {8 + i:02d}:15", f"{8 + i:02d}:45") for i in range(5)]
    assert [_local(after[ids[f"Keyed {i}"]], event) for i in range(4)] == [
        (f"2022-06-01 {13 + i:02d}:15", f"{13 + i:02d}:45") for i in range(4)]
    assert _local(after[ids["Straße am Meer"]], event) == ("2022-06-02 08:00", "08:45")
    assert after[ids["Straße am Meer"]].title == "STRASSE AM MEER"
    assert _local(after[ids["Keynote"]], event) == ("2022-06-02 10:00", "10:45")
    assert _local(after[lunches["13:00"]], event) == ("2022-06-02 13:00", "13:45")
    assert _local(after[lunches["09:00"]], event) == ("2022-06-02 09:00", "09:45")
    assert [s.title for s in after.values() if s.id not in set(ids.values()) | set(lunches.values())] == ["Brand new"]


def test_a_uid_of_another_event_or_a_session_named_twice_is_refused_as_before(organiser, hall, monkeypatch):
    monkeypatch.setattr(import_plan, "CHUNK", 2)
    event, other = (make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3)) for _ in range(2))
    db.session.commit()
    _import(event, organiser, [_row("", "", f"Talk {i}", "2022-06-01", f"{8 + i:02d}:00", f"{8 + i:02d}:30")
                               for i in range(3)])
    _import(other, organiser, [_row("", "", "Elsewhere", "2022-06-01", "18:00", "18:30")])
    sessions, elsewhere = _sessions(event), _sessions(other)["Elsewhere"]
    rows = [
        _row(sessions["Talk 0"].uid, "", "Talk 0", "2022-06-01", "08:15", "08:45"),
        _row(elsewhere.uid, "", "Elsewhere", "2022-06-01", "18:00", "18:30"),
        _row("", "", "Talk 1", "2022-06-01", "09:15", "09:45"),
        _row(sessions["Talk 1"].uid, "", "Talk 1", "2022-06-01", "09:15", "09:45"),  # named twice
        _row("", "", "talk 0", "2022-06-01", "19:00", "19:30"),  # Talk 0 claimed by line 2: a new one
    ]
    batch = services.start_import(event=event, filename="s.csv", content=csv_file(rows, header=HEADER), actor=organiser)
    result = tasks.plan_result(services.preview(batch, streamed=True))
    assert [(r["line"], r["state"], [p["cell"] for p in r["problems"] if p["kind"] == "error"])
            for r in result["rows"]] == [
        (2, "update", []), (3, "error", ["A3"]), (4, "update", []), (5, "error", ["A5"]), (6, "new", [])]


def test_the_sessions_held_at_once_are_those_of_a_chunk_of_rows(organiser, hall, monkeypatch):
    """Planning a file that names every session of a large event again holds the sessions of
    one chunk of rows, not the event's (nor does writing them, a chunk at a time)."""
    monkeypatch.setattr(import_plan, "CHUNK", 4)
    monkeypatch.setattr(programme, "WRITE_CHUNK", 4)
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    db.session.commit()

    def rows(minute):
        return [_row("", "", f"Session {i}", f"2022-06-0{1 + i // 10}", f"{8 + i % 10:02d}:{minute:02d}",
                     f"{8 + i % 10:02d}:{30 + minute:02d}") for i in range(30)]

    _import(event, organiser, rows(0))
    event_id, organiser_id = event.id, organiser.id
    db.session.expunge_all()
    event, organiser = db.session.get(Event, event_id), db.session.get(User, organiser_id)
    held = []
    plan_row = import_plan._plan_row

    def counted(*args, **kwargs):
        gc.collect()
        held.append(sum(1 for o in list(db.session.identity_map.values()) if isinstance(o, ProgrammeSession)))
        return plan_row(*args, **kwargs)

    monkeypatch.setattr(import_plan, "_plan_row", counted)
    result = _import(event, organiser, rows(15), streamed=True)
    assert result["summary"] == {"new": 0, "update": 30, "unchanged": 0, "cancel": 0}
    assert len(held) == 30 * 5  # the preview's two passes, the confirmation's three
    assert max(held) <= 4 + 4 + 2  # a chunk planned, a chunk being written, the rows in hand
    assert 0 < min(held)
    moved = db.session.scalars(sa.select(ProgrammeSession.starts_at).where(ProgrammeSession.event_id == event.id))
    assert all(isinstance(start, datetime) and start.minute == 15 for start in moved)  # every one moved
