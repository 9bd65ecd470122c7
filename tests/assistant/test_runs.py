"""Organisers run the assistant over an event, watch it and apply its proposal through the
programme's services; what they apply leaves the conflict report empty."""
from __future__ import annotations

from datetime import timedelta

import pytest

from expo.accounts.models import Role
from expo.assistant import services
from expo.assistant.models import AssistantRun, RunStatus
from expo.assistant.solver import Weights
from expo.core.errors import InvalidState
from expo.core.extensions import db
from expo.events.models import TeamMember, TeamRole
from expo.programme import services as programme
from expo.programme.models import SessionChange
from tests.conftest import log_in
from tests.factories import add_person, make_event, make_room, make_session, make_user, make_venue, utc


@pytest.fixture
def clashing(db):
    """A draft event's morning: a room double-booked, a speaker in two places, and three
    delegates who want two sessions held at once."""
    event = make_event(is_published=False)
    venue = make_venue()
    hall, studio = make_room(venue=venue, name="Hall", capacity=200), make_room(venue=venue, name="Studio", capacity=40)
    at = utc(2022, 6, 1, 8)  # 10:00 in Helsingborg
    a = make_session(event=event, room=hall, starts_at=at, title="Mobility plenary")
    b = make_session(event=event, room=hall, starts_at=at, title="Housing workshop")  # same room, same time
    c = make_session(event=event, room=studio, starts_at=at, title="Energy panel")
    speaker = make_user()
    add_person(a, speaker)
    add_person(c, speaker)
    for _ in range(3):
        user = make_user()
        for s in (a, c):
            services.set_interest(user=user, session=s, interested=True, actor=user)
    organiser = make_user()
    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    return event, (a, b, c), organiser


def _start(event, sessions, actor, **kwargs):
    run = services.start_run(event=event, session_ids=[s.id for s in sessions], weights=Weights(),
                             time_limit=kwargs.pop("time_limit", 10), move_published=False, actor=actor)
    db.session.commit()  # the job runs once committed (at once in the test suite)
    db.session.expire_all()
    return db.session.get(AssistantRun, run.id)


def test_a_run_proposes_a_schedule_without_conflicts_or_wanted_clashes(clashing):
    event, sessions, organiser = clashing
    assert programme.conflict_report()
    run = _start(event, sessions, organiser)
    assert run.status is RunStatus.DONE, run.error
    figures = run.result
    assert figures["before"]["wanted_clashes"] == 3
    assert figures["before"]["hard_conflicts"] == 1  # the hall
    assert figures["before"]["conflicts"] == 2  # the hall and the speaker
    assert figures["after"] == {**figures["after"], "wanted_clashes": 0, "hard_conflicts": 0, "conflicts": 0}
    assert run.progress and run.progress[-1][1] == figures["objective"]
    assert figures["bound"] <= figures["objective"]


def test_applying_the_proposal_goes_through_the_programme_and_empties_the_conflict_report(clashing, client):
    event, sessions, organiser = clashing
    log_in(client, organiser)
    response = client.post(f"/manage/events/{event.id}/assistant", data={
        "session_ids": [s.id for s in sessions], "time_limit": 10, "clash": 10, "track_venues": 20,
        "track_rooms": 5, "move": 1,
    })
    assert response.status_code == 302
    run_page = response.headers["Location"]
    page = client.get(run_page).get_data(as_text=True)
    assert "Proposal ready" in page
    assert 'data-figure="hard-after">0<' in page
    response = client.post(f"{run_page}/apply", data={"everything": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert programme.conflict_report() == []
    moved = db.session.scalars(db.select(SessionChange).where(SessionChange.event_id == event.id)).all()
    assert moved and all("starts_at" in c.changes or "room" in c.changes for c in moved)


def test_an_organiser_applies_only_the_moves_ticked(clashing):
    event, sessions, organiser = clashing
    run = _start(event, sessions, organiser)
    moves = [p for p in run.result["placements"] if p["moved"]]
    assert moves  # moving the plenary alone clears the hall, the speaker and the delegates
    chosen = moves[0]
    result = services.apply_run(run=run, session_ids=[chosen["session_id"]], actor=organiser)
    assert result.applied == [chosen["session_id"]]
    session = next(s for s in sessions if s.id == chosen["session_id"])
    assert session.starts_at.isoformat() == chosen["new_start"]
    assert session.revision == 1
    others = [s for s in sessions if s.id != chosen["session_id"]]
    assert all(s.revision == 0 for s in others)


def test_sessions_left_out_stay_where_they_are(clashing):
    event, (a, b, c), organiser = clashing
    before = (a.starts_at, a.room_id)
    run = _start(event, [b], organiser)
    assert run.status is RunStatus.DONE
    assert [p["session_id"] for p in run.result["placements"]] == [b.id]
    services.apply_run(run=run, session_ids=None, actor=organiser)
    assert (a.starts_at, a.room_id) == before
    assert b.starts_at != a.starts_at or b.room_id != a.room_id


def test_a_published_programme_stays_unless_the_organiser_allows_moves(clashing):
    event, sessions, organiser = clashing
    event.is_published = True
    db.session.commit()
    run = _start(event, [sessions[1]], organiser)
    assert run.status is RunStatus.DONE
    assert run.result["placements"] == []
    db.session.delete(run)
    run = services.start_run(event=event, session_ids=[sessions[1].id], weights=Weights(), time_limit=10,
                             move_published=True, actor=organiser)
    db.session.commit()
    db.session.expire_all()
    assert [p["session_id"] for p in db.session.get(AssistantRun, run.id).result["placements"]] == [sessions[1].id]


def test_the_reasons_name_the_rooms_and_the_cost_of_another_time(clashing):
    event, sessions, organiser = clashing
    run = _start(event, sessions, organiser)
    reasons = run.result["reasons"]
    assert set(reasons) == {str(s.id) for s in sessions}
    for why in reasons.values():
        assert why["seats"] >= 0 and "rooms_free" in why
    c = sessions[2]
    assert reasons[str(c.id)]["clash_here"] == 0


def test_progress_is_served_as_json(clashing, client):
    event, sessions, organiser = clashing
    run = _start(event, sessions, organiser)
    log_in(client, organiser)
    answer = client.get(f"/manage/assistant/runs/{run.id}/progress").get_json()
    assert answer["status"] == "done" and answer["finished"] is True
    assert answer["progress"] == run.progress


def test_a_run_needs_sessions_and_a_sane_time_limit(clashing):
    event, sessions, organiser = clashing
    with pytest.raises(InvalidState):
        services.start_run(event=event, session_ids=[], weights=Weights(), time_limit=10, move_published=False,
                           actor=organiser)
    with pytest.raises(InvalidState):
        services.start_run(event=event, session_ids=[sessions[0].id], weights=Weights(), time_limit=0,
                           move_published=False, actor=organiser)


def test_organisers_of_another_event_and_delegates_get_403(clashing, client):
    event, sessions, organiser = clashing
    run = _start(event, sessions, organiser)
    other = make_user(role=Role.DELEGATE)
    db.session.add(TeamMember(event=make_event(), user=other, role=TeamRole.ORGANISER))
    db.session.commit()
    log_in(client, other)
    assert client.get(f"/manage/assistant/runs/{run.id}").status_code == 403
    assert client.post(f"/manage/assistant/runs/{run.id}/apply", data={"everything": "y"}).status_code == 403
    assert client.get(f"/manage/events/{event.id}/assistant").status_code == 403


def test_a_session_that_fits_nowhere_is_named_and_the_others_are_placed(clashing, client):
    event, (a, b, c), organiser = clashing
    b.ends_at = b.starts_at + timedelta(hours=15)  # longer than any room's day
    c.capacity = 420  # more than any room seats
    db.session.commit()
    run = _start(event, [a, b, c], organiser)
    assert run.status is RunStatus.DONE, run.error
    assert {(u["session_id"], u["reason"]) for u in run.result["unplaced"]} == {(b.id, "hours"), (c.id, "seats")}
    assert run.result["after"]["unplaced"] == 2
    assert run.result["reasons"][str(c.id)]["unplaced"]["largest"] == 200
    assert [p["session_id"] for p in run.result["placements"]] == [a.id]
    assert run.result["after"]["hard_conflicts"] == 0  # a leaves the hall to b, which stays
    log_in(client, organiser)
    page = client.get(f"/manage/assistant/runs/{run.id}").get_data(as_text=True)
    assert "Sessions it could not place" in page
    assert "expects 420 people: no room has more than 200 seats" in page
    assert "lasts 900 minutes: longer than the opening hours of any room that seats it" in page
    assert 'http-equiv="refresh"' not in page


def test_two_sessions_for_one_room_open_one_hour_place_one_and_name_the_other(db, client):
    from datetime import time

    event = make_event(is_published=False)
    room = make_room(venue=make_venue(opens_at=time(10), closes_at=time(11)), capacity=50)
    at = utc(2022, 6, 1, 8)
    first = make_session(event=event, room=room, starts_at=at, title="First")
    second = make_session(event=event, room=room, starts_at=at, title="Second")
    organiser = make_user()
    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    run = _start(event, [first, second], organiser)
    assert run.status is RunStatus.DONE, run.error
    (left,) = run.result["unplaced"]
    assert left["reason"] == "left_out" and left["session_id"] in (first.id, second.id)
    assert run.result["after"]["unplaced"] == 1
    log_in(client, organiser)
    page = client.get(f"/manage/assistant/runs/{run.id}").get_data(as_text=True)
    assert f'id="unplaced-{left["session_id"]}"' in page and "beside the sessions placed" in page


def test_an_administrator_runs_the_assistant_over_the_whole_expo(clashing, client):
    event, sessions, organiser = clashing
    other = make_session(event=make_event(), room=sessions[0].room, starts_at=sessions[0].starts_at + timedelta(hours=1))
    admin = make_user(role=Role.ADMIN)
    db.session.commit()
    log_in(client, admin)
    page = client.get("/manage/assistant").get_data(as_text=True)
    assert f"({other.event.name})" in page
    response = client.post("/manage/assistant", data={
        "session_ids": [s.id for s in sessions], "time_limit": 10, "clash": 10, "track_venues": 20,
        "track_rooms": 5, "move": 1,
    })
    assert response.status_code == 302
    run = db.session.scalars(db.select(AssistantRun)).one()
    assert run.event_id is None and run.status is RunStatus.DONE
    assert run.result["after"]["hard_conflicts"] == 0
    client.post(f"/manage/assistant/runs/{run.id}/apply", data={"everything": "y"})
    db.session.expire_all()
    assert programme.conflict_report() == []
    assert other.revision == 0  # not chosen: stays, and the hall around it is avoided


def test_an_event_organiser_cannot_run_the_whole_expo(clashing, client):
    event, sessions, organiser = clashing
    log_in(client, organiser)
    assert client.get("/manage/assistant").status_code == 403


def test_a_site_visit_goes_to_an_outdoor_or_off_site_room_when_there_is_one(clashing):
    from expo.programme.models import SessionKind
    from expo.venues.models import RoomKind

    event, (a, b, c), organiser = clashing
    visit = make_session(event=event, room=c.room, kind=SessionKind.SITE_VISIT, title="Harbour walk",
                         starts_at=c.starts_at + timedelta(hours=2))
    db.session.commit()
    run = _start(event, [visit], organiser)
    # No outdoor room: it stays, named with why.
    assert run.result["placements"] == []
    assert [(u["session_id"], u["reason"]) for u in run.result["unplaced"]] == [(visit.id, "kind_none")]
    quay = make_room(venue=c.room.venue, name="Quay", capacity=60, kind=RoomKind.OUTDOOR)
    db.session.commit()
    run = _start(event, [visit], organiser)
    assert run.result["before"]["wrong_room_kind"] == 1
    assert run.result["after"]["wrong_room_kind"] == 0
    assert [(p["session_id"], p["new_room_id"]) for p in run.result["placements"]] == [(visit.id, quay.id)]


def _proposal(organiser, event, moves):
    """A finished run whose proposal is ``moves``: (session, new room, new start)."""
    run = AssistantRun(event=event, created_by=organiser, time_limit=10, status=RunStatus.DONE, params={}, result={
        "placements": [{
            "session_id": s.id, "title": s.title, "old_start": s.starts_at.isoformat(), "old_end": s.ends_at.isoformat(),
            "old_room_id": s.room_id, "new_start": start.isoformat(), "new_end": (start + (s.ends_at - s.starts_at)).isoformat(),
            "new_room_id": room.id, "moved": True, "interested": 0,
        } for s, room, start in moves],
    })
    db.session.add(run)
    db.session.commit()
    return run


@pytest.fixture
def three_rooms(db):
    event = make_event(is_published=False)
    venue = make_venue()
    rooms = [make_room(venue=venue, name=name, capacity=100) for name in ("Hall", "Studio", "Foyer")]
    at = utc(2022, 6, 1, 8)
    sessions = [make_session(event=event, room=room, starts_at=at, title=f"Talk {n}") for n, room in enumerate(rooms)]
    organiser = make_user()
    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    return event, rooms, sessions, organiser


def test_two_sessions_swap_rooms_when_a_proposal_is_applied(three_rooms):
    event, (hall, studio, _), (a, b, _), organiser = three_rooms
    run = _proposal(organiser, event, [(a, studio, a.starts_at), (b, hall, b.starts_at)])
    result = services.apply_run(run=run, session_ids=None, actor=organiser)
    db.session.commit()
    assert (result.applied, result.refused) == (sorted([a.id, b.id]), [])
    assert (a.room_id, b.room_id) == (studio.id, hall.id)
    assert programme.conflict_report() == []


def test_three_sessions_move_round_a_cycle_of_rooms_and_times(three_rooms):
    event, (hall, studio, foyer), (a, b, c), organiser = three_rooms
    at, later = a.starts_at, a.starts_at + timedelta(hours=1)
    b.starts_at, b.ends_at = later, later + timedelta(hours=1)  # b at 11:00, a and c at 10:00
    db.session.commit()
    # a takes b's room and time, b takes c's, c takes a's: each step alone would double-book a room.
    run = _proposal(organiser, event, [(a, studio, later), (b, foyer, at), (c, hall, at)])
    result = services.apply_run(run=run, session_ids=None, actor=organiser)
    db.session.commit()
    assert result.refused == [] and result.applied == sorted([a.id, b.id, c.id])
    assert [(s.room_id, s.starts_at) for s in (a, b, c)] == [(studio.id, later), (foyer.id, at), (hall.id, at)]
    assert programme.conflict_report() == []
    assert all(s.revision == 1 for s in (a, b, c))


def test_a_move_that_clashes_in_the_end_is_refused_and_the_others_are_applied(three_rooms):
    event, (hall, studio, foyer), (a, b, c), organiser = three_rooms
    # a and b swap; c would join the hall that a leaves but b enters: c is refused, the swap stands.
    run = _proposal(organiser, event, [(a, studio, a.starts_at), (b, hall, b.starts_at), (c, hall, c.starts_at)])
    result = services.apply_run(run=run, session_ids=None, actor=organiser)
    db.session.commit()
    assert result.applied == sorted([a.id, b.id])
    assert [k for k, _ in result.refused] == [c.id] and "double-booked" in result.refused[0][1]
    assert (a.room_id, b.room_id, c.room_id) == (studio.id, hall.id, foyer.id)
    assert programme.conflict_report() == []


def test_the_weight_on_a_track_s_gaps_is_asked_and_kept_with_the_run(clashing, client):
    event, sessions, organiser = clashing
    log_in(client, organiser)
    page = client.get(f"/manage/events/{event.id}/assistant").get_data(as_text=True)
    assert 'name="track_gaps"' in page
    client.post(f"/manage/events/{event.id}/assistant", data={
        "session_ids": [s.id for s in sessions], "time_limit": 5, "clash": 10, "track_venues": 20,
        "track_rooms": 5, "track_gaps": 4, "move": 1,
    })
    run = db.session.scalars(db.select(AssistantRun)).one()
    assert run.params["weights"]["track_gaps"] == 4 and run.status is RunStatus.DONE


def _running(event, organiser, sessions, **fields):
    run = AssistantRun(event=event, created_by=organiser, time_limit=60, status=RunStatus.RUNNING, progress=[],
                       params={"session_ids": [s.id for s in sessions], "weights": {}, "move_published": False},
                       **fields)
    db.session.add(run)
    db.session.commit()
    return run


def test_a_run_whose_worker_died_is_given_up_when_read(clashing, client):
    from expo.core.timeutil import utcnow

    event, sessions, organiser = clashing
    now = utcnow()
    stale = _running(event, organiser, sessions, started_at=now - timedelta(seconds=60) - services.RUN_MARGIN
                     - timedelta(seconds=5))
    lively = _running(event, organiser, sessions, started_at=now - timedelta(seconds=30))
    lost = _running(event, organiser, sessions, created_at=now - services.QUEUE_MARGIN - timedelta(seconds=5))
    lost.status = RunStatus.QUEUED
    db.session.commit()
    log_in(client, organiser)
    page = client.get(f"/manage/assistant/runs/{stale.id}").get_data(as_text=True)
    assert "the run stopped answering" in page and 'http-equiv="refresh"' not in page
    assert client.get(f"/manage/assistant/runs/{lost.id}/progress").get_json()["status"] == "failed"
    assert client.get(f"/manage/assistant/runs/{lively.id}/progress").get_json()["status"] == "running"
    db.session.expire_all()
    assert (stale.status, stale.error, lost.error) == (RunStatus.FAILED, "stopped", "stopped")
    assert stale.finished_at is not None and lively.status is RunStatus.RUNNING


def test_an_organiser_cancels_a_run_and_its_job_leaves_it_so(clashing, client):
    event, sessions, organiser = clashing
    run = _running(event, organiser, sessions)
    run.status = RunStatus.QUEUED
    db.session.commit()
    log_in(client, organiser)
    assert "Cancel the run" in client.get(f"/manage/assistant/runs/{run.id}").get_data(as_text=True)
    assert client.post(f"/manage/assistant/runs/{run.id}/cancel").status_code == 302
    db.session.expire_all()
    assert (run.status, run.error) == (RunStatus.FAILED, "cancelled")
    services.execute_run(run.id)  # the job starts late: nothing happens
    db.session.expire_all()
    assert (run.status, run.error, run.result) == (RunStatus.FAILED, "cancelled", None)
    assert "the run was cancelled" in client.get(f"/manage/assistant/runs/{run.id}").get_data(as_text=True)
    with pytest.raises(InvalidState):
        services.cancel_run(run=run, actor=organiser)


def test_only_the_event_s_organisers_cancel_its_runs(clashing, client):
    event, sessions, organiser = clashing
    delegate = make_user(role=Role.DELEGATE)
    run = _running(event, organiser, sessions)
    log_in(client, delegate)
    assert client.post(f"/manage/assistant/runs/{run.id}/cancel").status_code == 403
    db.session.expire_all()
    assert run.status is RunStatus.RUNNING


def test_runs_are_queued_in_a_lane_of_their_own(clashing, monkeypatch):
    from expo.core import jobs

    event, sessions, organiser = clashing
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, lane=None: queued.append((func, args, lane)))
    run = services.start_run(event=event, session_ids=[sessions[0].id], weights=Weights(), time_limit=5,
                             move_published=False, actor=organiser)
    db.session.commit()
    assert queued == [(services.execute_run, (run.id,), services.LANE)]
