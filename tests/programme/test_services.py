"""The programme services, called directly: revisions, change log, signals and conflicts."""
from __future__ import annotations

import gc
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from expo.core import signals
from expo.accounts.models import Role
from expo.core.errors import Conflict, InvalidState, NeedsConfirmation
from expo.events.services import create_track
from expo.programme import services
from expo.programme.conflicts import Rule
from expo.programme.models import PendingChange, ProgrammeSession, SessionChange, SessionKind, SessionRoleKind, SessionStatus
from tests.factories import add_person, make_event, make_network, make_room, make_session, make_user, utc
from tests.querycount import count_queries


@pytest.fixture
def actor(db):
    return make_user(role=Role.ORGANISER)


@pytest.fixture
def received():
    """Every domain signal sent during the test, as (name, kwargs)."""
    log: list[tuple[str, dict]] = []
    with ExitStack() as stack:
        for name in ("session_changed", "session_cancelled", "schedule_changed"):
            signal = getattr(signals, name)
            stack.enter_context(signal.connected_to(lambda sender, _n=name, **kw: log.append((_n, kw))))
        yield log


def data_for(session, **changes) -> services.SessionData:
    return replace(services.SessionData.from_session(session), **changes)


def test_moving_sends_session_changed_with_the_changes(db, actor, received):
    session = make_session()
    changes = services.update_session(
        session=session, data=data_for(session, starts_at=utc(2022, 6, 1, 9), ends_at=utc(2022, 6, 1, 10)), actor=actor
    )
    assert changes == {
        "starts_at": {"old": "2022-06-01T08:00:00Z", "new": "2022-06-01T09:00:00Z"},
        "ends_at": {"old": "2022-06-01T09:00:00Z", "new": "2022-06-01T10:00:00Z"},
    }
    assert session.revision == 1
    assert [name for name, _ in received] == ["session_changed", "schedule_changed"]
    assert received[0][1] == {"session": session, "changes": changes, "actor": actor}
    assert received[1][1] == {"event": session.event}


def test_changing_the_meeting_url_is_a_move_but_capacity_is_not(db, actor):
    session = make_session(kind=SessionKind.HYBRID)
    services.update_session(session=session, data=data_for(session, capacity=20), actor=actor)
    assert session.revision == 0
    services.update_session(session=session, data=data_for(session, meeting_url="https://meet.example.org/new"), actor=actor)
    assert session.revision == 1


def test_saving_without_changes_sends_nothing(db, actor, received):
    session = make_session()
    assert services.update_session(session=session, data=data_for(session), actor=actor) == {}
    assert received == [] and session.revision == 0


def test_cancel_and_restore_signals(db, actor, received):
    session = make_session()
    services.cancel_session(session=session, actor=actor, confirm=True)
    assert [name for name, _ in received] == ["session_cancelled", "schedule_changed"]
    assert session.status is SessionStatus.CANCELLED and session.revision == 1
    received.clear()
    services.restore_session(session=session, actor=actor)
    assert [name for name, _ in received] == ["session_changed", "schedule_changed"]
    assert received[0][1]["changes"] == {"status": {"old": "cancelled", "new": "scheduled"}}
    assert session.revision == 2
    assert [c.revision for c in session.changes] == [2, 1]


def test_restoring_a_scheduled_session_is_refused(db, actor):
    with pytest.raises(InvalidState):
        services.restore_session(session=make_session(), actor=actor)


def test_people_changes_raise_the_revision_calendars_show_them(db, actor, received):
    session = make_session()
    speaker = make_user(name="Sam Speaker")
    changes = services.update_session(session=session, data=data_for(session, speaker_ids=[speaker.id]), actor=actor)
    assert changes == {"speakers": {"old": [], "new": ["Sam Speaker"]}}
    assert session.revision == 1 and [name for name, _ in received] == ["session_changed", "schedule_changed"]
    assert [(c.revision, c.changes) for c in session.changes] == [(1, changes)]


@pytest.mark.parametrize("field, value", [
    ("title", "A new title"), ("description", "Now with a description"), ("kind", SessionKind.PANEL),
    ("track_id", "track"), ("network_ids", "network"), ("moderator_ids", "person"), ("host_ids", "person"),
])
def test_every_field_a_calendar_shows_raises_the_revision_and_last_modified(db, actor, field, value):
    from expo.core.extensions import db as database
    from expo.events.models import Track
    from tests.factories import make_network

    session = make_session()
    before = session.updated_at
    if value == "track":
        track = Track(event=session.event, name="Energy", colour="#225588")
        database.session.add(track)
        database.session.flush()
        value = track.id
    elif value == "network":
        value = [make_network().id]
    elif value == "person":
        value = [make_user().id]
    services.update_session(session=session, data=data_for(session, **{field: value}), actor=actor)
    assert session.revision == 1
    assert session.updated_at > before


def test_language_and_capacity_do_not_raise_the_revision(db, actor):
    session = make_session()
    services.update_session(session=session, data=data_for(session, language="sv", capacity=12), actor=actor)
    assert session.revision == 0 and session.changes == []


def test_creating_sends_schedule_changed_and_moves_the_event(db, actor, received):
    event = make_event()
    before = event.updated_at
    room = make_room()
    session = services.create_session(
        event=event, actor=actor,
        data=services.SessionData(title="New", kind=SessionKind.TALK, starts_at=utc(2022, 6, 1, 8),
                                  ends_at=utc(2022, 6, 1, 9), room_id=room.id),
    )
    assert session.id is not None and session.revision == 0
    assert event.updated_at > before
    assert [name for name, _ in received] == ["schedule_changed"]


def test_service_refuses_bad_data_even_without_the_form(db, actor):
    event = make_event()
    with pytest.raises(InvalidState) as refused:
        services.create_session(
            event=event, actor=actor,
            data=services.SessionData(title="Online", kind=SessionKind.DIGITAL, starts_at=utc(2022, 6, 1, 8),
                                      ends_at=utc(2022, 6, 1, 9)),
        )
    assert refused.value.field == "meeting_url"


def test_room_clash_raises_conflict_on_the_room_field(db, actor):
    existing = make_session()
    event = make_event()
    data = services.SessionData(title="Clash", kind=SessionKind.TALK, starts_at=existing.starts_at + timedelta(minutes=59),
                                ends_at=existing.ends_at + timedelta(hours=1), room_id=existing.room_id)
    with pytest.raises(Conflict) as refused:
        services.create_session(event=event, data=data, actor=actor, confirm=True)
    assert refused.value.field == "room_id"


def test_warnings_need_confirmation(db, actor):
    speaker = make_user()
    existing = make_session()
    add_person(existing, speaker)
    data = services.SessionData(title="Second", kind=SessionKind.TALK, starts_at=existing.starts_at,
                                ends_at=existing.ends_at, room_id=make_room().id, speaker_ids=[speaker.id])
    with pytest.raises(NeedsConfirmation) as asked:
        services.create_session(event=existing.event, data=data, actor=actor)
    assert len(asked.value.warnings) == 1
    assert services.create_session(event=existing.event, data=data, actor=actor, confirm=True).id


def test_the_transfer_warning_names_only_the_persons_previous_session(db, actor):
    speaker = make_user(name="Sam Speaker")
    event = make_event(transfer_minutes=15)
    hall = make_room()
    for title, start, end in (("Morning talk", utc(2022, 6, 1, 7), utc(2022, 6, 1, 8)),
                              ("Quick chat", utc(2022, 6, 1, 8), utc(2022, 6, 1, 8, 5))):
        add_person(make_session(event=event, room=hall, title=title, starts_at=start, ends_at=end), speaker)
    data = services.SessionData(title="Across town", kind=SessionKind.TALK, starts_at=utc(2022, 6, 1, 8, 10),
                                ends_at=utc(2022, 6, 1, 9), room_id=make_room().id, speaker_ids=[speaker.id])
    with pytest.raises(NeedsConfirmation) as asked:
        services.create_session(event=event, data=data, actor=actor)
    assert [str(w) for w in asked.value.warnings] == [
        f"Sam Speaker has 5 minutes to get from “Quick chat” at {hall.venue.name} to “Across town” at "
        f"{db.session.get(type(hall), data.room_id).venue.name}; the event allows 15 minutes for a transfer."
    ]


def test_a_confirmation_counts_only_for_the_warnings_it_names(db, actor):
    speaker = make_user()
    existing = make_session()
    add_person(existing, speaker)
    data = services.SessionData(title="Second", kind=SessionKind.TALK, starts_at=existing.starts_at,
                                ends_at=existing.ends_at, room_id=make_room(capacity=10).id, speaker_ids=[speaker.id])
    with pytest.raises(NeedsConfirmation) as asked:
        services.create_session(event=existing.event, data=data, actor=actor, confirm=True, confirmed_warnings="")
    shown = asked.value.digest
    more = replace(data, capacity=20)  # and now also more seats than the room holds
    with pytest.raises(NeedsConfirmation) as again:
        services.create_session(event=existing.event, data=more, actor=actor, confirm=True, confirmed_warnings=shown)
    assert len(again.value.warnings) == 2 and again.value.digest != shown
    with pytest.raises(NeedsConfirmation):
        services.create_session(event=existing.event, data=data, actor=actor, confirm=False, confirmed_warnings=shown)
    assert services.create_session(event=existing.event, data=data, actor=actor, confirm=True, confirmed_warnings=shown).id


def test_conflict_report_runs_in_a_fixed_number_of_queries(db):
    def fill(n: int) -> None:
        room = make_room()
        speaker = make_user()
        for i in range(n):
            s = make_session(room=room, starts_at=utc(2022, 6, 1, 6) + timedelta(minutes=30 * i),
                             ends_at=utc(2022, 6, 1, 6) + timedelta(minutes=30 * i + 45))
            add_person(s, speaker)

    fill(3)
    with count_queries() as small:
        report = services.conflict_report()
    assert {item.finding.rule for item in report} == {Rule.ROOM_DOUBLE_BOOKED, Rule.PERSON_OVERLAP}
    fill(30)
    with count_queries() as large:
        report = services.conflict_report()
    assert small.count == large.count == 4  # sessions, their people, days people cannot come, names
    assert len([i for i in report if i.refused]) == 2 + 29


def test_http_url_check():
    assert services.is_http_url("https://meet.example.org/x")
    assert services.is_http_url("http://example.org")
    for bad in (None, "", "ftp://example.org", "https://", "example.org", "javascript:alert(1)", "https://a b.org"):
        assert not services.is_http_url(bad)


@pytest.mark.parametrize(
    ("field", "instant"),
    [("starts_at", datetime(1, 1, 1, tzinfo=timezone.utc)), ("ends_at", datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc))],
)
def test_times_outside_the_calendar_are_refused_for_every_caller(db, actor, field, instant):
    session = make_session()
    with pytest.raises(InvalidState) as refused:
        services.create_session(event=session.event, data=data_for(session, **{field: instant}), actor=actor)
    assert (refused.value.field, str(refused.value.message)) == (field, "Choose a date between 2000-01-01 and 2100-12-31.")
    with pytest.raises(InvalidState):
        services.update_session(session=session, data=data_for(session, **{field: instant}), actor=actor)


def test_sessions_changed_together_are_judged_where_they_end_up(db, actor):
    hall, studio = make_room(name="Hall"), make_room(name="Studio")
    a, b = make_session(room=hall), make_session(room=studio)
    event = a.event
    b.event = event
    db.session.commit()
    to_studio = replace(services.SessionData.from_session(a), room_id=studio.id)
    to_hall = replace(services.SessionData.from_session(b), room_id=hall.id)
    with pytest.raises(Conflict):  # one step alone double-books the studio
        services.update_session(session=a, data=to_studio, actor=actor)
    assert services.refused_moves([(a, to_studio), (b, to_hall)]) == {}
    changes = services.update_sessions(changes=[(a, to_studio), (b, to_hall)], actor=actor)
    assert set(changes) == {a.id, b.id} and "room" in changes[a.id]
    assert (a.room_id, b.room_id, a.revision, b.revision) == (studio.id, hall.id, 1, 1)
    # Both into the hall: refused together as well, and nothing is written.
    to_hall_too = replace(services.SessionData.from_session(a), room_id=hall.id)
    assert set(services.refused_moves([(a, to_hall_too)])) == {a.id}
    with pytest.raises(Conflict):
        services.update_sessions(changes=[(a, to_hall_too)], actor=actor)
    assert a.room_id == studio.id


def test_sessions_changed_together_ask_to_confirm_their_warnings(db, actor):
    person = make_user()
    a, b = make_session(), make_session()
    b.event = a.event
    add_person(a, person)
    add_person(b, person)
    later = b.starts_at + timedelta(hours=2)
    db.session.commit()
    # a moves two hours on, where nothing of its speaker is: nothing to confirm.
    moved_a = replace(services.SessionData.from_session(a), starts_at=later, ends_at=later + timedelta(hours=1))
    services.update_sessions(changes=[(a, moved_a)], actor=actor)
    onto_a = replace(services.SessionData.from_session(b), starts_at=later, ends_at=later + timedelta(hours=1))
    with pytest.raises(NeedsConfirmation):
        services.update_sessions(changes=[(b, onto_a)], actor=actor)
    services.update_sessions(changes=[(b, onto_a)], actor=actor, confirm=True)
    assert b.starts_at == later


def test_sessions_written_together_are_let_go_chunk_by_chunk(db, actor, monkeypatch):
    """An import's additions stay in memory no longer than their chunk: nothing (the event's,
    room's or network's collections, the database session) keeps them once written."""
    monkeypatch.setattr(services, "WRITE_CHUNK", 2)
    event = make_event(is_published=False)
    room = make_room(name="Hall W")
    network = make_network(name="Water Forum")
    track = create_track(event=event, name="Water", colour="#1d5b79", actor=actor)
    speaker = make_user(name="Ann Speaker")
    assert event.sessions == [] and room.sessions == [] and network.sessions == []  # loaded: the strictest case
    new = [(services.SessionData(title=f"Talk {i}", kind=SessionKind.TALK, starts_at=utc(2022, 6, 1, 8 + i),
                                 ends_at=utc(2022, 6, 1, 8 + i, 45), room_id=room.id, track_id=track.id,
                                 network_ids=[network.id], speaker_ids=[speaker.id]), None) for i in range(5)]

    def held() -> list[ProgrammeSession]:
        gc.collect()
        return [o for o in db.session.identity_map.values() if isinstance(o, ProgrammeSession)]

    during = []
    ids = services.write_checked(event=event, new=new, changed=[], actor=actor,
                                 written=lambda count: during.append((count, len(held()))))

    assert during == [(2, 0), (2, 0), (1, 0)]
    assert held() == []
    written = db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.id.in_(ids))
                                       .order_by(ProgrammeSession.starts_at)).all()
    assert [s.title for s in written] == [f"Talk {i}" for i in range(5)]
    assert {(s.event_id, s.room_id, s.track_id) for s in written} == {(event.id, room.id, track.id)}
    assert all(s.networks == [network] and s.people(SessionRoleKind.SPEAKER) == [speaker] for s in written)
    assert sorted(s.id for s in event.sessions) == sorted(ids) == sorted(s.id for s in room.sessions)
    assert sorted(s.id for s in network.sessions) == sorted(ids)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionChange)
                                   .where(SessionChange.session_id.in_(ids))) == 5


def test_a_published_programme_stages_what_is_written_together_chunk_by_chunk(db, actor, monkeypatch):
    """In a published programme an import's changes are staged a chunk at a time, and no
    pending row stays in memory past its chunk; what was staged before is updated (an
    addition imported again) or removed (a change undone), never doubled."""
    monkeypatch.setattr(services, "WRITE_CHUNK", 2)
    event = make_event(first_published_at=utc(2022, 1, 1))
    room = make_room(name="Hall P")
    undone, renamed = (make_session(event=event, room=room, title=f"Talk {t}", starts_at=utc(2022, 6, 1, h),
                                    ends_at=utc(2022, 6, 1, h, 45)) for t, h in (("A", 8), ("B", 10)))
    services.update_session(session=undone, data=data_for(undone, title="Talk A, renamed"), actor=actor)
    services.create_session(event=event, data=services.SessionData(
        title="Added", kind=SessionKind.TALK, starts_at=utc(2022, 6, 1, 12), ends_at=utc(2022, 6, 1, 12, 45),
        room_id=room.id), actor=actor, external={"source": "spreadsheet", "id": "x1"})
    staged_before = {p.session_id: p.id for p in db.session.scalars(sa.select(PendingChange))}
    db.session.commit()
    new = [(services.SessionData(title=f"Added {i}", kind=SessionKind.TALK, starts_at=utc(2022, 6, 2, 8 + i),
                                 ends_at=utc(2022, 6, 2, 8 + i, 45), room_id=room.id),
            {"source": "spreadsheet", "id": f"x{i}"}) for i in (1, 2, 3)]
    changed = [(undone, data_for(undone, title="Talk A")), (renamed, data_for(renamed, title="Talk B, renamed"))]

    def held(session=db.session) -> int:
        gc.collect()
        return sum(1 for o in {*session.identity_map.values(), *session.new} if isinstance(o, PendingChange))

    flushed, during = [], []

    def before_flush(session, *_) -> None:
        flushed.append(held(session))

    sa.event.listen(db.session, "before_flush", before_flush)
    try:
        ids = services.write_checked(event=event, new=new, changed=changed, actor=actor,
                                     written=lambda count: during.append((count, held())))
    finally:
        sa.event.remove(db.session, "before_flush", before_flush)

    assert ids == [None, None, None] and during == [(2, 0), (2, 0), (1, 0)]
    assert max(flushed) == 2  # a chunk's rows at most (those of the whole file, 5, before)
    pending = db.session.scalars(sa.select(PendingChange).order_by(PendingChange.id)).all()
    assert [(p.session_id, p.title, p.external and p.external["id"]) for p in pending] == [
        (None, "Added 1", "x1"), (renamed.id, "Talk B, renamed", None), (None, "Added 2", "x2"),
        (None, "Added 3", "x3"),
    ]
    assert pending[0].id == staged_before[None]  # the addition staged before, updated in its row
    assert pending[1].changes == {"title": {"old": "Talk B", "new": "Talk B, renamed"}}
    assert [s.title for s in db.session.scalars(sa.select(ProgrammeSession).where(
        ProgrammeSession.event_id == event.id).order_by(ProgrammeSession.title))] == ["Talk A", "Talk B"]
