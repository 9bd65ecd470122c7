"""Many delegates at once, each request on its own database connection (PostgreSQL only:
SQLite serialises every writer, so nothing concurrent could be proven there)."""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from expo import create_app
from expo.accounts.models import User
from expo.core.errors import CapacityFull, Conflict, NotAllowed
from expo.events.models import Event
from expo.core.extensions import db as _db
from expo.core.mail import outbox as mail_outbox
from expo.programme.models import ProgrammeSession
from expo.registration import services
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.conftest import base_config
from tests.factories import make_user
from tests.registration.conftest import at, future_event, future_session, registered

pytestmark = pytest.mark.postgres
THREADS = 50


@pytest.fixture
def crowd_app(app, tmp_path):
    """The app with a connection for every thread, so that all of them really run at once."""
    crowd = create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"],
                                   DB_POOL_SIZE=THREADS + 2, DB_MAX_OVERFLOW=0))
    yield crowd
    with crowd.app_context():
        _db.session.remove()
        _db.engine.dispose()


def run_at_once(app, jobs: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    """Run each job in its own thread, app context and connection, released together by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = []
    errors: list[BaseException] = []

    def target(job):
        try:
            with app.app_context(), app.test_request_context():
                _db.session.execute(sa.text("SELECT 1"))  # hold a connection before the start
                barrier.wait(timeout=30)
                try:
                    results.append(job())
                    _db.session.commit()
                except BaseException:
                    _db.session.rollback()
                    raise
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=target, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def booker(user_id: int, session_id: int) -> Callable[[], Booking]:
    def job():
        user = _db.session.get(User, user_id)
        return services.book_session(delegate=user, session=_db.session.get(ProgrammeSession, session_id),
                                     actor=user, join_waitlist=True).status
    return job


def canceller(user_id: int, session_id: int) -> Callable[[], Booking]:
    def job():
        user = _db.session.get(User, user_id)
        booking = _db.session.scalar(
            sa.select(Booking).where(Booking.user_id == user_id, Booking.session_id == session_id)
        )
        return services.cancel_booking(booking=booking, actor=user).status
    return job


def state(db, session_id: int) -> tuple[int, list[int]]:
    db.session.expire_all()
    confirmed = db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
        Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED))
    positions = db.session.scalars(
        sa.select(Booking.waitlist_position)
        .where(Booking.session_id == session_id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlist_position)
    ).all()
    return confirmed, list(positions)


def test_fifty_delegates_race_for_the_last_ten_seats(db, crowd_app, event):
    session = future_session(event, capacity=12)
    for _ in range(2):
        services.book_session(delegate=(u := registered(event)), session=session, actor=u)
    crowd = [registered(event).id for _ in range(THREADS)]
    db.session.commit()

    results, errors = run_at_once(crowd_app, [booker(user_id, session.id) for user_id in crowd])

    assert errors == []
    assert sorted(results).count(BookingStatus.CONFIRMED) == 10
    assert sorted(results).count(BookingStatus.WAITLISTED) == 40
    confirmed, positions = state(db, session.id)
    assert confirmed == 12
    assert positions == list(range(1, 41))


def test_one_delegate_clicking_many_times_at_once_books_once(db, crowd_app, event):
    session = future_session(event, capacity=5)
    user_id = registered(event).id
    db.session.commit()

    results, errors = run_at_once(crowd_app, [booker(user_id, session.id) for _ in range(8)])

    assert results == [BookingStatus.CONFIRMED]
    assert len(errors) == 7 and all(isinstance(e, Conflict) for e in errors)
    assert state(db, session.id) == (1, [])


def test_concurrent_cancellations_promote_each_waiting_delegate_exactly_once(db, crowd_app, event):
    session = future_session(event, capacity=10)
    seated = [registered(event) for _ in range(10)]
    waiting = [registered(event) for _ in range(25)]
    for user in seated:
        services.book_session(delegate=user, session=session, actor=user)
    for user in waiting:
        services.book_session(delegate=user, session=session, actor=user, join_waitlist=True)
    seated_ids = [u.id for u in seated]
    first_in_line = {u.email for u in waiting[:10]}
    db.session.commit()
    with crowd_app.app_context():
        mail_outbox().clear()

    results, errors = run_at_once(crowd_app, [canceller(user_id, session.id) for user_id in seated_ids])

    assert errors == []
    assert results == [BookingStatus.CANCELLED] * 10
    confirmed, positions = state(db, session.id)
    assert confirmed == 10
    assert positions == list(range(1, 16))
    now_seated = set(db.session.scalars(
        sa.select(User.email).join(Booking, Booking.user_id == User.id)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)))
    assert now_seated == first_in_line
    with crowd_app.app_context():
        promoted_mails = [m.to for m in mail_outbox() if m.subject.startswith("A seat is yours")]
    assert sorted(promoted_mails) == sorted(first_in_line)


def test_bookings_and_cancellations_interleaved_keep_the_rules(db, crowd_app, event):
    session = future_session(event, capacity=8)
    seated = [registered(event) for _ in range(8)]
    for user in seated:
        services.book_session(delegate=user, session=session, actor=user)
    newcomers = [registered(event).id for _ in range(20)]
    seated_ids = [u.id for u in seated[:6]]
    db.session.commit()

    jobs = [booker(i, session.id) for i in newcomers] + [canceller(i, session.id) for i in seated_ids]
    _results, errors = run_at_once(crowd_app, jobs)

    assert errors == []
    confirmed, positions = state(db, session.id)
    assert confirmed == 8
    assert positions == list(range(1, len(positions) + 1))
    assert confirmed + len(positions) == 8 - 6 + 20


def test_registrations_racing_for_the_last_event_places_never_exceed_capacity(db, crowd_app):
    event = future_event(capacity=5)
    event_id = event.id
    people = [make_user().id for _ in range(20)]
    db.session.commit()

    def registrant(user_id):
        def job():
            user = _db.session.get(User, user_id)
            return services.register(delegate=user, event=_db.session.get(Event, event_id), actor=user).status
        return job

    results, errors = run_at_once(crowd_app, [registrant(i) for i in people])

    assert results == [RegistrationStatus.APPROVED] * 5
    assert len(errors) == 15 and all(isinstance(e, CapacityFull) for e in errors)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 5


def test_a_registration_cancelled_while_booking_never_keeps_a_live_booking(db, crowd_app, event):
    pairs = 20
    people = [registered(event) for _ in range(pairs)]
    sessions = [future_session(event, start=at(6 + i % 12, 5 * (i // 12))) for i in range(pairs)]
    ids = [(p.id, services.registration_for(p, event).id, s.id) for p, s in zip(people, sessions)]
    db.session.commit()

    def leaver(user_id, registration_id):
        def job():
            return services.cancel_registration(registration=_db.session.get(Registration, registration_id),
                                                actor=_db.session.get(User, user_id)).status
        return job

    jobs = [job for user_id, registration_id, session_id in ids
            for job in (booker(user_id, session_id), leaver(user_id, registration_id))]
    results, errors = run_at_once(crowd_app, jobs)

    assert all(isinstance(e, NotAllowed) for e in errors), errors
    assert results.count(RegistrationStatus.CANCELLED) == pairs
    db.session.expire_all()
    live = db.session.scalars(
        sa.select(Booking).join(Registration, sa.and_(Registration.user_id == Booking.user_id,
                                                      Registration.event_id == event.id))
        .where(Registration.status == RegistrationStatus.CANCELLED, Booking.status != BookingStatus.CANCELLED)
    ).all()
    assert live == []
