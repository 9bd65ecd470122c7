"""Two staff phones at the same door, each with its own database connection."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.attendance import services
from expo.attendance.models import CheckIn
from expo.core.extensions import db as _db
from expo.programme.models import ProgrammeSession
from expo.registration.models import Booking, BookingStatus
from tests.attendance.conftest import register
from tests.factories import make_user

pytestmark = pytest.mark.postgres


def run_phone(app, errors, work):
    """Run ``work`` in a thread with its own app context, database session and connection."""

    def target():
        try:
            with app.app_context(), app.test_request_context("/door/"):
                work()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def load(model, ident):
    return _db.session.get(model, ident)


def test_two_phones_check_in_the_same_delegate_at_once(app, door):
    """Phone A inserts and holds its transaction open; phone B, which did not see A's row
    yet, inserts too, waits for A, loses on the unique constraint and returns A's row."""
    session_id, anna_id, staff_id = door.session.id, door.anna.id, door.staff.id
    other_staff_id = make_user(role=Role.STAFF).id
    _db.session.commit()
    a_inserted = threading.Event()
    results: dict[str, tuple[int, bool]] = {}
    errors: list[BaseException] = []

    def phone_a():
        result = services.check_in(session=load(ProgrammeSession, session_id),
                                   user=load(User, anna_id), actor=load(User, staff_id))
        a_inserted.set()
        time.sleep(0.5)  # B is now blocked on A's uncommitted row
        _db.session.commit()
        results["a"] = (result.check_in.id, result.created)

    def phone_b():
        assert a_inserted.wait(5)
        session, anna = load(ProgrammeSession, session_id), load(User, anna_id)
        # B's snapshot does not hold A's row, so B goes past the "already in?" check …
        assert services._existing_check_in(session, anna) is None
        result = services._insert_check_in(session, anna, load(User, other_staff_id),
                                           booking=services._booking(session, anna))
        _db.session.commit()
        results["b"] = (result.check_in.id, result.created)

    threads = [run_phone(app, errors, phone_a), run_phone(app, errors, phone_b)]
    for thread in threads:
        thread.join(15)

    assert errors == []
    assert results["a"][1] is True and results["b"] == (results["a"][0], False)
    rows = list(_db.session.scalars(sa.select(CheckIn)))
    assert len(rows) == 1 and rows[0].checked_in_by_id == staff_id


def test_two_phones_full_check_in_at_once(app, door):
    """The whole service call on two connections released together: one row, no error."""
    session_id, anna_id, staff_id = door.session.id, door.anna.id, door.staff.id
    barrier = threading.Barrier(2)
    created: list[bool] = []
    errors: list[BaseException] = []

    def phone():
        session, anna, staff = (load(ProgrammeSession, session_id), load(User, anna_id),
                                load(User, staff_id))
        barrier.wait(5)
        created.append(services.check_in(session=session, user=anna, actor=staff).created)
        _db.session.commit()

    threads = [run_phone(app, errors, phone) for _ in range(2)]
    for thread in threads:
        thread.join(15)

    assert errors == []
    assert sorted(created) == [False, True]
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_two_walk_ins_for_the_last_seat(app, door):
    """The session row lock lets one walk-in take the last seat; the other stands."""
    eve = make_user(name="Eve Ek")
    register(door.event, eve)
    _db.session.commit()
    session_id, staff_id = door.session.id, door.staff.id
    dan_id, eve_id = door.dan.id, eve.id
    a_locked = threading.Event()
    outcome: dict[str, bool] = {}
    errors: list[BaseException] = []

    def phone_a():
        result = services.walk_in(session=load(ProgrammeSession, session_id),
                                  user=load(User, dan_id), actor=load(User, staff_id))
        a_locked.set()
        time.sleep(0.5)  # B waits on the session row meanwhile
        _db.session.commit()
        outcome["dan_seated"] = result.took_seat

    def phone_b():
        assert a_locked.wait(5)
        result = services.walk_in(session=load(ProgrammeSession, session_id),
                                  user=load(User, eve_id), actor=load(User, staff_id))
        _db.session.commit()
        outcome["eve_seated"] = result.took_seat

    threads = [run_phone(app, errors, phone_a), run_phone(app, errors, phone_b)]
    for thread in threads:
        thread.join(15)

    assert errors == []
    assert outcome == {"dan_seated": True, "eve_seated": False}
    confirmed = _db.session.scalar(
        sa.select(sa.func.count()).select_from(Booking).where(
            Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED))
    assert confirmed == 3 == door.session.effective_capacity
