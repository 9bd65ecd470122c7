"""Constraints that the database itself enforces, whatever the application code does."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from expo.attendance.models import CheckIn
from expo.people.models import Organisation
from expo.programme.models import SessionKind
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.factories import (
    make_booking,
    make_event,
    make_organisation,
    make_registration,
    make_room,
    make_session,
    make_user,
    utc,
)


def _refused(db, statement) -> None:
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(statement)


def test_a_duplicate_booking_is_refused_by_the_database(db):
    booking = make_booking()
    db.session.commit()
    _refused(
        db,
        sa.insert(Booking).values(
            session_id=booking.session_id, user_id=booking.user_id, status="confirmed",
            created_at=utc(2022, 6, 1), confirmed_at=utc(2022, 6, 1), updated_at=utc(2022, 6, 1),
        ),
    )


def test_waitlist_position_goes_with_waitlisted_status(db):
    booking = make_booking()
    db.session.commit()
    _refused(db, sa.update(Booking).where(Booking.id == booking.id).values(waitlist_position=3))
    _refused(db, sa.update(Booking).where(Booking.id == booking.id).values(status="waitlisted"))
    _refused(
        db,
        sa.update(Booking).where(Booking.id == booking.id).values(status="waitlisted", waitlist_position=0),
    )
    with db.session.begin_nested():
        db.session.execute(
            sa.update(Booking).where(Booking.id == booking.id)
            .values(status="waitlisted", waitlist_position=1, confirmed_at=None)
        )


def test_unknown_enum_values_are_refused(db):
    booking = make_booking()
    db.session.commit()
    _refused(db, sa.text("UPDATE bookings SET status = 'maybe' WHERE id = :id").bindparams(id=booking.id))


def test_a_duplicate_registration_is_refused(db):
    registration = make_registration()
    db.session.commit()
    _refused(
        db,
        sa.insert(Registration).values(
            event_id=registration.event_id, user_id=registration.user_id, status="pending",
            created_at=utc(2022, 6, 1),
        ),
    )


def test_emails_are_unique_case_insensitively(db):
    make_user(email="ana@example.org")
    db.session.commit()
    _refused(db, sa.text(
        "INSERT INTO users (email, password_hash, name, role, locale, active, feed_token, badge_token,"
        " badge_code, created_at) VALUES ('ANA@example.org', 'x', 'A', 'delegate', 'en', true, 'f', 'b', 'c',"
        " CURRENT_TIMESTAMP)"
    ))


def test_session_must_end_after_it_starts(db):
    session = make_session()
    db.session.commit()
    _refused(db, sa.text("UPDATE programme_sessions SET ends_at = starts_at WHERE id = :id").bindparams(id=session.id))


def test_digital_sessions_have_no_room_and_in_person_sessions_have_one(db):
    digital = make_session(kind=SessionKind.DIGITAL)
    talk = make_session()
    db.session.commit()
    room = make_room()
    db.session.commit()
    _refused(db, sa.text("UPDATE programme_sessions SET room_id = :r WHERE id = :id").bindparams(r=room.id, id=digital.id))
    _refused(db, sa.text("UPDATE programme_sessions SET room_id = NULL WHERE id = :id").bindparams(id=talk.id))
    _refused(db, sa.text("UPDATE programme_sessions SET meeting_url = NULL WHERE id = :id").bindparams(id=digital.id))


def test_capacities_are_positive(db):
    room = make_room()
    session = make_session()
    db.session.commit()
    _refused(db, sa.text("UPDATE rooms SET capacity = 0 WHERE id = :id").bindparams(id=room.id))
    _refused(db, sa.text("UPDATE programme_sessions SET capacity = -1 WHERE id = :id").bindparams(id=session.id))


def test_event_dates_in_order(db):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    db.session.commit()
    _refused(db, sa.text("UPDATE events SET ends_on = :d WHERE id = :id").bindparams(
        d=date(2022, 5, 31), id=event.id))


def test_a_delegate_is_checked_in_once_per_session(db):
    booking = make_booking()
    db.session.add(CheckIn(session=booking.session, user=booking.user, booking=booking))
    db.session.commit()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(CheckIn(session=booking.session, user=booking.user, is_walk_in=True, is_standing=True))


def test_naive_datetimes_are_refused(db):
    from datetime import datetime

    session = make_session()
    db.session.commit()
    session.starts_at = datetime(2022, 6, 1, 10, 0)
    with pytest.raises(StatementError, match="naive datetime refused"):
        db.session.flush()
    db.session.rollback()


def test_instants_come_back_in_utc(db):
    from datetime import timezone
    from zoneinfo import ZoneInfo
    from datetime import datetime

    local = datetime(2022, 10, 30, 2, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    session = make_session(starts_at=local, ends_at=local + timedelta(hours=1))
    db.session.commit()
    db.session.expire_all()
    assert session.starts_at.tzinfo == timezone.utc
    assert session.starts_at == local.astimezone(timezone.utc)
    assert session.starts_at.hour == 0  # 02:30 summer time, the first of the two 02:30s


def test_deleting_a_user_keeps_anonymous_bookings(db):
    booking = make_booking(status=BookingStatus.CONFIRMED)
    registration = make_registration(user=booking.user, event=booking.session.event,
                                     status=RegistrationStatus.APPROVED)
    db.session.commit()
    db.session.execute(sa.text("DELETE FROM users WHERE id = :id").bindparams(id=booking.user_id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).user_id is None
    assert db.session.get(Registration, registration.id).user_id is None


def test_a_check_in_counts_only_a_booking_for_its_own_session(db):
    booking = make_booking()
    other_session = make_session()
    db.session.commit()
    check_in = {"user_id": booking.user_id, "booking_id": booking.id, "is_walk_in": False,
                "is_standing": False, "checked_in_at": utc(2022, 6, 1, 9)}

    _refused(db, sa.insert(CheckIn).values(session_id=other_session.id, **check_in))
    with db.session.begin_nested():
        db.session.execute(sa.insert(CheckIn).values(session_id=booking.session_id, **check_in))


def test_deleting_a_session_takes_its_bookings_and_check_ins_along(db):
    booking = make_booking()
    db.session.add(CheckIn(session=booking.session, user=booking.user, booking=booking))
    db.session.commit()

    db.session.execute(sa.text("DELETE FROM programme_sessions WHERE id = :id").bindparams(id=booking.session_id))
    db.session.commit()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize(
    ("status", "confirmed_at", "cancelled_at"),
    [
        ("confirmed", None, None),  # a seat with no time it was given
        ("confirmed", utc(2022, 6, 1), utc(2022, 6, 2)),  # a seat that was also given up
        ("waitlisted", utc(2022, 6, 1), None),  # waiting for a seat it already has
        ("cancelled", None, None),  # given up at no time
    ],
)
def test_booking_times_go_with_the_status(db, status, confirmed_at, cancelled_at):
    booking = make_booking(status=BookingStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    position = 1 if status == "waitlisted" else None

    _refused(db, sa.update(Booking).where(Booking.id == booking.id).values(
        status=status, waitlist_position=position, confirmed_at=confirmed_at, cancelled_at=cancelled_at))


def test_a_cancelled_booking_may_remember_when_its_seat_was_confirmed(db):
    booking = make_booking(status=BookingStatus.CONFIRMED)
    db.session.commit()

    with db.session.begin_nested():
        db.session.execute(sa.update(Booking).where(Booking.id == booking.id).values(
            status="cancelled", cancelled_at=utc(2022, 6, 2)))


def test_organisation_names_are_unique_per_country_in_any_letter_case(db):
    make_organisation(name="City of Porto", country_code=None)
    make_organisation(name="Helsingborg stad", country_code="SE")
    db.session.commit()

    def insert(name: str, country: str | None):
        return sa.insert(Organisation).values(name=name, kind="city", country_code=country)

    _refused(db, insert("City of Porto", None))
    _refused(db, insert("CITY OF PORTO", None))
    _refused(db, insert("helsingborg stad", "SE"))
    with db.session.begin_nested():
        db.session.execute(insert("City of Porto", "PT"))
        db.session.execute(insert("Helsingborg stad", None))
