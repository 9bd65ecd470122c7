"""Organisers saving sessions in one room at the same moment, each on its own database
connection (PostgreSQL only: SQLite serialises every writer, so nothing concurrent could be
proven there). The room's row lock makes the second save see the first."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.core.errors import Conflict
from expo.events.models import Event
from expo.core.extensions import db as _db
from expo.programme import services
from expo.programme.models import ProgrammeSession, SessionKind, SessionStatus
from tests.factories import make_event, make_room, make_session, make_user, utc
# The same crowd of connections and barrier as the booking races (the postgres marker is the guard).
from tests.registration.test_concurrency import crowd_app, run_at_once  # noqa: F401

pytestmark = pytest.mark.postgres
ROOMS = 10  # two organisers per room: 20 threads, within the crowd's connections


def talk(room_id: int, title: str, start_hour: int = 8) -> services.SessionData:
    """An hour in the room on the event's first day (10:00 in Stockholm for 08 UTC)."""
    return services.SessionData(title=title, kind=SessionKind.TALK, room_id=room_id,
                                starts_at=utc(2022, 6, 1, start_hour), ends_at=utc(2022, 6, 1, start_hour + 1))


def creator(event_id: int, actor_id: int, data: services.SessionData) -> Callable[[], str]:
    def job():
        services.create_session(event=_db.session.get(Event, event_id), data=data,
                                actor=_db.session.get(User, actor_id))
        return data.title
    return job


def sessions_in(db, room_id: int) -> list[str]:
    """Titles of the scheduled sessions in the room, as committed."""
    db.session.expire_all()
    return sorted(db.session.scalars(
        sa.select(ProgrammeSession.title)
        .where(ProgrammeSession.room_id == room_id, ProgrammeSession.status == SessionStatus.SCHEDULED)
    ))


def test_two_organisers_booking_one_room_at_once_only_one_gets_it(db, crowd_app):
    event = make_event()
    rooms = [make_room() for _ in range(ROOMS)]
    first, second = make_user(role=Role.ORGANISER), make_user(role=Role.ORGANISER)
    db.session.commit()
    jobs = []
    for room in rooms:
        jobs.append(creator(event.id, first.id, talk(room.id, f"Keynote in {room.id}")))
        jobs.append(creator(event.id, second.id, replace(talk(room.id, f"Panel in {room.id}"),
                                                         starts_at=utc(2022, 6, 1, 8, 30), ends_at=utc(2022, 6, 1, 9, 30))))

    results, errors = run_at_once(crowd_app, jobs)

    assert len(results) == ROOMS and len(errors) == ROOMS
    assert all(isinstance(e, Conflict) and "is double-booked" in str(e.message) for e in errors)
    for room in rooms:
        assert len(sessions_in(db, room.id)) == 1, room.id


def in_turn(app, first: Callable[[], object], second: Callable[[], object]) -> dict[str, object]:
    """``first`` saves and keeps its transaction open while ``second`` tries; then ``first``
    commits. Without a lock, ``second`` would not see ``first`` and would save too."""
    saved = threading.Event()
    outcome: dict[str, object] = {}

    def hold_open():
        saved.set()
        time.sleep(0.5)  # long enough for ``second`` to reach the room

    def after_first():
        assert saved.wait(10)
        return second()

    def run(name, job, before_commit):
        try:
            with app.app_context(), app.test_request_context():
                try:
                    outcome[name] = job()
                    before_commit()
                    _db.session.commit()
                except BaseException:
                    _db.session.rollback()
                    raise
        except BaseException as error:  # noqa: BLE001 - reported by the test
            outcome[name] = error

    threads = [
        threading.Thread(target=run, args=("first", first, hold_open)),
        threading.Thread(target=run, args=("second", after_first, lambda: None)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return outcome


def test_a_save_waits_for_the_other_organiser_holding_the_room(db, crowd_app):
    event = make_event()
    room = make_room()
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()

    outcome = in_turn(crowd_app, creator(event.id, organiser.id, talk(room.id, "Keynote")),
                      creator(event.id, organiser.id, talk(room.id, "Panel")))

    assert outcome["first"] == "Keynote"
    assert isinstance(outcome["second"], Conflict) and "Keynote" in str(outcome["second"].message)
    assert sessions_in(db, room.id) == ["Keynote"]


def test_moving_and_restoring_into_a_room_taken_at_that_moment_is_refused(db, crowd_app):
    event = make_event()
    room, other_room = make_room(), make_room()
    organiser = make_user(role=Role.ORGANISER)
    elsewhere = make_session(event=event, room=other_room, title="Elsewhere")
    cancelled = make_session(event=event, room=room, title="Called off", status=SessionStatus.CANCELLED)
    db.session.commit()
    organiser_id, elsewhere_id, cancelled_id, room_id = organiser.id, elsewhere.id, cancelled.id, room.id

    def mover():
        session = _db.session.get(ProgrammeSession, elsewhere_id)
        data = replace(services.SessionData.from_session(session), room_id=room_id)
        services.update_session(session=session, data=data, actor=_db.session.get(User, organiser_id))
        return "moved"

    def restorer():
        session = _db.session.get(ProgrammeSession, cancelled_id)
        services.restore_session(session=session, actor=_db.session.get(User, organiser_id))
        return "restored"

    outcome = in_turn(crowd_app, mover, restorer)

    assert outcome["first"] == "moved"
    assert isinstance(outcome["second"], Conflict)
    assert sessions_in(db, room_id) == ["Elsewhere"]
