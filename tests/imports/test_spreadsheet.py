"""Sessions imported from a spreadsheet: preview, confirmation, keys, and the programme's rules."""
from __future__ import annotations

import gc
from datetime import date

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.imports import plan as import_plan
from expo.imports import services, spreadsheet, tasks
from expo.imports.models import ImportStatus
from expo.imports.readers import Row
from expo.programme.models import ProgrammeSession, SessionKind, SessionStatus
from tests.factories import add_person, make_event, make_room, make_session, make_user, make_venue, utc
from tests.imports.helpers import HEADER, csv_file


@pytest.fixture
def organiser(db):
    return make_user(role=Role.ORGANISER)


@pytest.fixture
def event(db):
    return make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))


@pytest.fixture
def hall(db):
    return make_room(name="Hall A", venue=make_venue(name="Dunkers"), capacity=80)


def _import(event, organiser, content: bytes, filename: str = "sessions.csv"):
    batch = services.start_import(event=event, filename=filename, content=content, actor=organiser)
    return batch, services.preview(batch)


def _confirm(batch, plan, organiser):
    summary = services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    return summary


def _sessions(event) -> list[ProgrammeSession]:
    return list(db.session.scalars(
        sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id).order_by(ProgrammeSession.starts_at)
    ))


def test_new_sessions_are_previewed_then_created_in_the_events_time_zone(event, organiser, hall):
    speaker = make_user(email="anna@example.org", name="Anna Berg")
    content = csv_file([
        ["", "Opening", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "anna@example.org", "Mobility"],
        ["", "Workshop on bikes", "Workshop", "2022-06-02", "13:30", "15:00", "Dunkers", "Hall A", "", ""],
    ])
    batch, plan = _import(event, organiser, content)

    assert [(r.line, r.state) for r in plan.rows] == [(2, "warning"), (3, "new")], [(p.cell, str(p.message)) for p in plan.rows[0].errors]
    assert "Mobility" in str(plan.rows[0].warnings[0].message)  # a new track is announced
    assert _sessions(event) == []  # the preview writes nothing

    summary = _confirm(batch, plan, organiser)

    assert summary == {"new": 2, "update": 0, "unchanged": 0, "cancel": 0}
    first, second = _sessions(event)
    assert (first.title, first.starts_at, first.ends_at) == ("Opening", utc(2022, 6, 1, 7), utc(2022, 6, 1, 8))
    assert first.room == hall and first.track.name == "Mobility"
    assert [r.user for r in first.roles] == [speaker]
    assert (second.kind, second.starts_at) == (SessionKind.WORKSHOP, utc(2022, 6, 2, 11, 30))
    assert db.session.get(type(batch), batch.id).status is ImportStatus.APPLIED


def test_the_same_file_twice_changes_nothing(event, organiser, hall):
    content = csv_file([["ext-1", "Opening", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""]],
                       header=["External id", "Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Speakers", "Track"])
    _confirm(*_import(event, organiser, content), organiser)

    batch, plan = _import(event, organiser, content)

    assert [r.state for r in plan.rows] == ["unchanged"]
    assert len(_sessions(event)) == 1


def test_an_edited_file_updates_exactly_the_rows_that_changed(event, organiser, hall):
    a = make_session(event=event, room=hall, title="A", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    b = make_session(event=event, room=hall, title="B", starts_at=utc(2022, 6, 1, 9), ends_at=utc(2022, 6, 1, 10))
    db.session.commit()
    content = csv_file([
        [a.uid, "A", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""],
        [b.uid, "B moved", "Talk", "2022-06-01", "13:00", "14:00", "Dunkers", "Hall A", "", ""],
    ])
    batch, plan = _import(event, organiser, content)

    assert [(r.state, r.changed) for r in plan.rows] == [("unchanged", []), ("update", ["title", "starts_at", "ends_at"])]
    _confirm(batch, plan, organiser)
    assert (b.title, b.starts_at, b.revision) == ("B moved", utc(2022, 6, 1, 11), 1)
    assert a.revision == 0 and len(_sessions(event)) == 2


def test_a_room_clash_is_an_error_in_its_cell_and_nothing_is_written(event, organiser, hall):
    make_session(event=event, room=hall, title="Keynote", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    db.session.commit()
    content = csv_file([
        ["", "Fine", "Talk", "2022-06-01", "12:00", "13:00", "Dunkers", "Hall A", "", ""],
        ["", "Clash", "Talk", "2022-06-01", "09:30", "10:30", "Dunkers", "Hall A", "", ""],
    ])
    batch, plan = _import(event, organiser, content)

    assert [r.state for r in plan.rows] == ["new", "error"]
    problem = plan.rows[1].errors[0]
    assert problem.cell == "H3" and "double-booked" in str(problem.message) and "Keynote" in str(problem.message)
    with pytest.raises(Exception, match="errors"):
        services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.rollback()
    assert [s.title for s in _sessions(event)] == ["Keynote"]


def test_two_rows_of_one_file_that_clash_are_both_refused(event, organiser, hall):
    content = csv_file([
        ["", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""],
        ["", "Two", "Talk", "2022-06-01", "09:30", "10:30", "Dunkers", "Hall A", "", ""],
    ])
    _, plan = _import(event, organiser, content)
    assert [r.state for r in plan.rows] == ["error", "error"]


def test_a_person_in_two_sessions_at_once_is_a_warning(event, organiser, hall):
    speaker = make_user(email="anna@example.org", name="Anna Berg")
    other = make_room(venue=hall.venue)
    existing = make_session(event=event, room=other, starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    add_person(existing, speaker)
    db.session.commit()
    content = csv_file([["", "Overlap", "Talk", "2022-06-01", "09:30", "10:30", "Dunkers", "Hall A", "Anna Berg", ""]])
    batch, plan = _import(event, organiser, content)

    assert plan.rows[0].state == "warning"
    assert "Anna Berg is in two sessions at once" in str(plan.rows[0].warnings[0].message)
    _confirm(batch, plan, organiser)
    assert len(_sessions(event)) == 2


@pytest.mark.parametrize(
    ("row", "cell", "text"),
    [
        (["", "X", "Talk", "2022-13-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""], "D2", "is not a date"),
        (["", "X", "Talk", "2022-06-01", "nine", "10:00", "Dunkers", "Hall A", "", ""], "E2", "is not a time"),
        (["", "X", "Lecture", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""], "C2", "is not a kind"),
        (["", "X", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Nowhere", "", ""], "H2", "No room"),
        (["", "X", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "nobody@example.org", ""], "I2",
         "No active account"),
        (["", "X", "Talk", "2022-06-01", "11:00", "10:00", "Dunkers", "Hall A", "", ""], "F2", "end must be after"),
        (["", "X", "Talk", "2022-07-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""], "E2", "during the event"),
        (["", "", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""], "B2", "title is empty"),
        (["no-such-uid", "X", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""], "A2", "No session"),
    ],
)
def test_each_bad_cell_is_named_with_the_reason(event, organiser, hall, row, cell, text):
    _, plan = _import(event, organiser, csv_file([row]))
    assert plan.rows[0].state == "error"
    assert [(p.cell, text in str(p.message)) for p in plan.rows[0].errors][:1] == [(cell, True)]


def test_swedish_column_names_and_labels_are_understood(event, organiser, hall):
    content = csv_file(
        [["Panelsamtal om stadsodling", "Panelsamtal", "2022-06-01", "14:00", "15:00", "Dunkers", "Hall A", "Inställd"]],
        header=["Titel", "Typ", "Datum", "Börjar", "Slutar", "Lokal", "Rum", "Status"],
    )
    batch, plan = _import(event, organiser, content)
    assert [r.state for r in plan.rows] == ["new"], [(p.cell, str(p.message)) for p in plan.rows[0].errors]
    _confirm(batch, plan, organiser)
    (session,) = _sessions(event)
    assert (session.kind, session.status, session.starts_at) == (SessionKind.PANEL, SessionStatus.CANCELLED,
                                                                 utc(2022, 6, 1, 12))


def test_times_follow_the_events_daylight_saving_rules(organiser, hall):
    autumn = make_event(starts_on=date(2022, 10, 29), ends_on=date(2022, 10, 31))
    content = csv_file([["", "Before", "Talk", "2022-10-29", "10:00", "11:00", "Dunkers", "Hall A", "", ""],
                        ["", "After", "Talk", "2022-10-31", "10:00", "11:00", "Dunkers", "Hall A", "", ""]])
    batch, plan = _import(autumn, organiser, content)
    _confirm(batch, plan, organiser)
    assert [s.starts_at for s in _sessions(autumn)] == [utc(2022, 10, 29, 8), utc(2022, 10, 31, 9)]


def test_a_preview_that_no_longer_holds_is_not_applied(event, organiser, hall):
    batch, plan = _import(event, organiser, csv_file([["", "One", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers",
                                                       "Hall A", "", ""]]))
    make_session(event=event, room=hall, starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    db.session.commit()
    with pytest.raises(Exception, match="changed since the preview"):
        services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)


def test_rows_without_an_id_find_the_session_of_the_same_title(event, organiser, hall):
    rows = [["", "Lunch", "Talk", "2022-06-01", "12:00", "13:00", "Dunkers", "Hall A", "", ""],
            ["", "Lunch", "Talk", "2022-06-02", "12:00", "13:00", "Dunkers", "Hall A", "", ""],
            ["", "Opening", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""]]
    _confirm(*_import(event, organiser, csv_file(rows)), organiser)

    rows[2][4:6] = ["09:15", "10:15"]
    batch, plan = _import(event, organiser, csv_file(rows))

    assert [(r.title, r.state) for r in plan.rows] == [("Lunch", "unchanged"), ("Lunch", "unchanged"), ("Opening", "update")]
    _confirm(batch, plan, organiser)
    assert [(s.title, s.starts_at) for s in _sessions(event)] == [
        ("Opening", utc(2022, 6, 1, 7, 15)), ("Lunch", utc(2022, 6, 1, 10)), ("Lunch", utc(2022, 6, 2, 10))
    ]


def test_a_row_taking_a_room_that_a_later_row_frees_is_imported(event, organiser, hall):
    other, third = make_room(name="Hall B", venue=hall.venue), make_room(name="Hall C", venue=hall.venue)
    a = make_session(event=event, room=hall, title="A", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    b = make_session(event=event, room=other, title="B", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    db.session.commit()
    content = csv_file([
        [a.uid, "A", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall B", "", ""],
        [b.uid, "B", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall C", "", ""],
    ])
    batch, plan = _import(event, organiser, content)
    assert [r.state for r in plan.rows] == ["update", "update"]

    _confirm(batch, plan, organiser)

    assert (a.room, b.room) == (other, third)


def test_the_preview_reads_a_fixed_number_of_queries(event, organiser, hall):
    from tests.querycount import count_queries

    def preview_of(n: int) -> int:
        rows = [["", f"Talk {i}", "Talk", "2022-06-01", f"{8 + i % 10:02d}:00", f"{8 + i % 10:02d}:30",
                 "Dunkers", "Hall A", "", ""] for i in range(n)]
        batch = services.start_import(event=event, filename="f.csv", content=csv_file(rows), actor=organiser)
        db.session.commit()
        with count_queries() as log:
            services.preview(batch)
        return log.count

    assert preview_of(2) == preview_of(20)


def test_a_large_csv_file_is_read_row_by_row_without_holding_its_text():
    import tracemalloc

    from expo.imports.readers import read_rows

    content = csv_file([[f"uid-{n}", f"Talk {n} on cities and climate", "Talk"] for n in range(40000)])
    assert len(content) > 1_000_000
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        rows = read_rows(content)
        first = next(rows)
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        count = sum(1 for _ in rows)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert first.cells[1].value == "Title" and count == 40000
    assert held < len(content) // 4 and peak < len(content) // 4  # a piece of the file at a time, never all its text


def test_a_sessions_file_is_planned_row_by_row_without_holding_its_rows(event, organiser, hall, monkeypatch):
    """The file's rows (each cell with its value and name) are let go as each is planned: a
    plan keeps what each row would do, not the rows read."""
    monkeypatch.setattr(spreadsheet, "PEOPLE_CHUNK", 4)  # the people named are looked up 4 rows at a time
    make_user(email="anna@example.org", name="Anna Berg")
    rows = [[f"Talk {i}", "Talk", "2022-06-01", f"{8 + i // 2:02d}:{30 * (i % 2):02d}",
             f"{8 + i // 2:02d}:{30 * (i % 2) + 20:02d}", "Dunkers", "Hall A", "anna@example.org" if i == 7 else ""]
            for i in range(20)]
    header = ["Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Speakers"]
    batch = services.start_import(event=event, filename="s.csv", content=csv_file(rows, header=header), actor=organiser)
    alive = []
    plan_row = import_plan._plan_row

    def counted(*args, **kwargs):
        alive.append(sum(1 for o in gc.get_objects() if isinstance(o, Row)))
        return plan_row(*args, **kwargs)

    monkeypatch.setattr(import_plan, "_plan_row", counted)
    plan = services.preview(batch)

    assert [r.state for r in plan.rows] == ["new"] * 20
    assert len(alive) == 20 and max(alive) <= 5  # the rows of the chunk being planned (and the header)
    assert plan.rows[3].refs.get("room") == "G5" and dict(plan.rows[3].refs)["title"] == "A5"



def test_a_jobs_preview_plans_the_rows_again_instead_of_holding_them(event, organiser, hall, monkeypatch):
    """A job's preview (a large file) keeps each row's slot for the conflict rules, not its plan:
    the rows are planned again one at a time as the preview goes through them, with the same
    outcome, problems (in the same cells), notes and digest as a plan held whole."""
    speaker = make_user(email="anna@example.org", name="Anna Berg")
    existing = make_session(event=event, room=make_room(name="Hall B", venue=hall.venue), title="Existing",
                            starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    add_person(existing, speaker)
    db.session.commit()
    rows = [
        [existing.uid, "Existing, renamed", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall B", "Anna Berg", ""],
        ["", "One", "Talk", "2022-06-01", "11:00", "12:00", "Dunkers", "Hall A", "", ""],
        ["", "Two", "Talk", "2022-06-01", "11:30", "12:30", "Dunkers", "Hall A", "", ""],
        ["", "Overlap", "Talk", "2022-06-01", "09:30", "10:30", "Dunkers", "Hall A", "anna@example.org", "Water"],
        ["", "Bad", "Talk", "2022-13-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""],
        *[["", f"Talk {i}", "Talk", "2022-06-02", f"{8 + i}:00", f"{8 + i}:30", "Dunkers", "Hall A", "", ""]
          for i in range(6)],
    ]
    content = csv_file([[*row, "blue"] for row in rows], header=[*HEADER, "Colour"])
    batch = services.start_import(event=event, filename="s.csv", content=content, actor=organiser)
    held = tasks.plan_result(services.preview(batch))
    gc.collect()
    alive = []
    plan_row = import_plan._plan_row

    def counted(*args, **kwargs):
        alive.append(sum(1 for o in gc.get_objects() if isinstance(o, import_plan.PlannedRow)))
        return plan_row(*args, **kwargs)

    monkeypatch.setattr(import_plan, "_plan_row", counted)
    streamed = tasks.plan_result(services.preview(batch, streamed=True))

    assert streamed == held
    assert held["states"] == {"new": 6, "update": 0, "unchanged": 0, "warning": 2, "error": 3}
    assert held["summary"] == {"new": 10, "update": 1, "unchanged": 0, "cancel": 0} and held["total"] == 11
    assert [(r["line"], [p["cell"] for p in r["problems"]]) for r in held["rows"][:5]] == [
        (2, ["I2"]), (3, ["H3"]), (4, ["H4"]), (5, ["J5", "I5"]), (6, ["D6"])]
    assert held["notes"] == ["These columns are not known and were left out: Colour."]
    assert len(alive) == 2 * 11 and max(alive) <= 1  # read twice (slots, then rows), a row at a time


def test_the_people_rows_name_are_looked_up_a_chunk_of_rows_at_a_time(event, organiser, hall, monkeypatch):
    monkeypatch.setattr(spreadsheet, "PEOPLE_CHUNK", 2)
    anna = make_user(email="anna@example.org", name="Anna Berg")
    bo = make_user(email="bo@example.org", name="Bo Ek")
    speakers = ["anna@example.org", "Bo Ek", "Anna Berg", "Nobody Known", "bo@example.org, Anna Berg"]
    rows = [[f"Talk {i}", "Talk", "2022-06-01", f"{8 + i}:00", f"{8 + i}:30", "Dunkers", "Hall A", who]
            for i, who in enumerate(speakers)]
    _, plan = _import(event, organiser, csv_file(rows, header=["Title", "Kind", "Date", "Starts", "Ends", "Venue",
                                                                "Room", "Speakers"]))
    assert [r.state for r in plan.rows] == ["new", "new", "new", "error", "new"]
    assert [r.data.speaker_ids for r in plan.rows if r.data] == [[anna.id], [bo.id], [anna.id], [bo.id, anna.id]]
    assert "Nobody Known" in str(plan.rows[3].errors[0].message) and plan.rows[3].errors[0].cell == "H5"
