"""A row read under its lock is not read again in the same transaction, while nothing past the
unit of work could have changed it."""
from __future__ import annotations

import sqlalchemy as sa

from expo.core.db import held_lock, holds_lock
from expo.programme.models import ProgrammeSession
from expo.registration import services
from expo.registration.models import Registration
from tests.querycount import count_queries
from tests.registration.conftest import future_session, registered


def _booking_locks(db, event):
    session = future_session(event, capacity=5, title="Harbour walk")
    delegate = registered(event)
    db.session.commit()
    delegate.id  # loaded again after the commit, before anything is counted
    return session.id, delegate


def test_booking_reads_the_registration_and_the_session_once_under_their_locks(db, event):
    session_id, delegate = _booking_locks(db, event)
    with count_queries() as locking:
        session = services.lock_for_booking(delegate, session_id)
    assert [s.split()[1] for s in locking.statements] == ["registrations.id,", "programme_sessions.id,"]
    assert session.event.id == event.id  # with its event, in the same statement
    registration = held_lock(Registration, user_id=delegate.id, event_id=event.id)
    assert registration is not None and holds_lock(session)
    with count_queries() as booking_locks:
        assert services.lock_session(session) is session
        assert services._lock_registration(delegate, event.id) is registration
    assert booking_locks.count == 0
    booking = services.book_session(delegate=delegate, session=session, actor=delegate)
    assert booking.session is session


def test_a_missing_session_is_none_and_locks_nothing(db, event):
    _session_id, delegate = _booking_locks(db, event)
    assert services.lock_for_booking(delegate, 2**31 - 1) is None
    assert services.lock_for_booking(delegate, 2**31) is None  # past a database integer: not asked
    assert services.lock_for_change(0) is None
    assert held_lock(Registration, user_id=delegate.id) is None


def test_the_end_of_the_transaction_forgets_the_locks(db, event):
    session_id, _delegate = _booking_locks(db, event)
    for end in (db.session.commit, db.session.rollback):
        session = services.lock_for_change(session_id)
        assert holds_lock(session)
        end()
        assert not holds_lock(session)
        with count_queries() as again:
            services.lock_session(session)
        assert again.count >= 1  # read again


def test_a_rolled_back_savepoint_forgets_the_locks_taken_in_it(db, event):
    session_id, _delegate = _booking_locks(db, event)
    with db.session.begin_nested() as savepoint:
        session = services.lock_for_change(session_id)
        savepoint.rollback()
    assert not holds_lock(session)


def test_a_statement_writing_the_table_forgets_its_rows_only(db, event):
    session_id, delegate = _booking_locks(db, event)
    session = services.lock_for_booking(delegate, session_id)
    db.session.execute(sa.update(ProgrammeSession).where(ProgrammeSession.id == session_id).values(capacity=9))
    assert not holds_lock(session)
    assert held_lock(Registration, user_id=delegate.id) is not None
    fresh = services.lock_session(session)
    assert fresh.capacity == 9  # read again: the statement went past the unit of work


def test_another_copy_of_the_row_is_not_taken_for_the_locked_one(db, event):
    session_id, _delegate = _booking_locks(db, event)
    session = services.lock_for_change(session_id)
    db.session.expunge(session)
    copy = db.session.get(ProgrammeSession, session_id)
    assert copy is not session and not holds_lock(copy)


def test_a_deleted_row_is_not_held(db, event):
    session_id, delegate = _booking_locks(db, event)
    services.lock_for_booking(delegate, session_id)
    registration = held_lock(Registration, user_id=delegate.id)
    db.session.delete(registration)
    db.session.flush()
    assert held_lock(Registration, user_id=delegate.id) is None and not holds_lock(registration)
