from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.attendance import services
from expo.attendance.models import CheckIn
from expo.attendance.services import BOOKED, WAITLIST, WALK_IN, CheckInRefused
from expo.core.errors import NotAllowed
from expo.programme.models import SessionKind, SessionStatus
from expo.registration.models import Booking, BookingStatus
from tests.attendance.conftest import book, register
from tests.factories import make_organisation, make_session, make_user, utc

pytestmark = pytest.mark.usefixtures("request_context")


def check_ins(db, session):
    return list(db.session.scalars(sa.select(CheckIn).where(CheckIn.session_id == session.id)))


def test_check_in_records_who_and_when(db, door):
    result = services.check_in(session=door.session, user=door.anna, actor=door.staff)
    db.session.commit()

    assert result.created is True
    ci = result.check_in
    assert (ci.user_id, ci.checked_in_by_id, ci.is_walk_in, ci.is_standing) == (
        door.anna.id, door.staff.id, False, False)
    assert ci.booking.user_id == door.anna.id
    assert ci.checked_in_at.tzinfo is not None


def test_checking_in_twice_counts_once(db, door):
    first = services.check_in(session=door.session, user=door.anna, actor=door.staff)
    db.session.commit()
    second = services.check_in(session=door.session, user=door.anna, actor=door.staff)
    db.session.commit()

    assert second.created is False
    assert second.check_in.id == first.check_in.id
    assert len(check_ins(db, door.session)) == 1
    assert services.attendance_counts(door.session).checked_in == 1


def test_insert_race_returns_the_existing_check_in(db, door):
    """The unique (session, user) row decides: a losing insert returns the winner's row."""
    winner = services.check_in(session=door.session, user=door.anna, actor=door.staff)
    db.session.commit()
    loser = services._insert_check_in(door.session, door.anna, door.staff, booking=winner.check_in.booking)
    db.session.commit()

    assert loser.created is False
    assert loser.check_in.id == winner.check_in.id
    assert len(check_ins(db, door.session)) == 1


def test_delegates_cannot_check_in(db, door):
    with pytest.raises(NotAllowed):
        services.check_in(session=door.session, user=door.anna, actor=door.bo)
    with pytest.raises(NotAllowed):
        services.undo_check_in(session=door.session, user=door.anna, actor=door.bo)
    assert check_ins(db, door.session) == []


def test_organiser_can_check_in(db, door):
    organiser = make_user(role=Role.ORGANISER)
    result = services.check_in(session=door.session, user=door.bo, actor=organiser)
    assert result.check_in.checked_in_by_id == organiser.id


def test_cancelled_session_refuses_check_in(db, door):
    door.session.status = SessionStatus.CANCELLED
    with pytest.raises(CheckInRefused) as refused:
        services.check_in(session=door.session, user=door.anna, actor=door.staff)
    assert refused.value.reason == "session_cancelled"


def test_waitlisted_delegate_is_refused_but_may_stand(db, door):
    with pytest.raises(CheckInRefused) as refused:
        services.check_in(session=door.session, user=door.cleo, actor=door.staff)
    assert refused.value.reason == "waitlisted"
    assert refused.value.walk_in is True
    assert "waiting list (number 1)" in refused.value.message

    # A free seat is there (3 seats, 2 booked) but it belongs to the first in line: stand.
    result = services.walk_in(session=door.session, user=door.cleo, actor=door.staff)
    db.session.commit()
    assert (result.check_in.is_walk_in, result.check_in.is_standing, result.check_in.booking_id) == (
        True, True, None)
    booking = db.session.scalar(sa.select(Booking).where(Booking.user_id == door.cleo.id))
    assert booking.status is BookingStatus.WAITLISTED


def test_code_lookups(db, door):
    by_code = services.check_in_by_code(session=door.session, code=door.anna.badge_code.lower(),
                                        actor=door.staff)
    assert by_code.check_in.user_id == door.anna.id
    spaced = f" {door.bo.badge_code[:4]}-{door.bo.badge_code[4:]} "
    assert services.check_in_by_code(session=door.session, code=spaced, actor=door.staff).created
    token = services.check_in_by_code(session=door.session, code=door.anna.badge_token,
                                      actor=door.staff)
    assert token.created is False and token.check_in.id == by_code.check_in.id

    cases = {
        "ZZZZZZZZ": "unknown",
        "x" * 43: "unknown",
        door.ext.badge_code: "not_registered",
        door.dan.badge_code: "not_booked",
        door.cleo.badge_token: "waitlisted",
    }
    for code, reason in cases.items():
        with pytest.raises(CheckInRefused) as refused:
            services.check_in_by_code(session=door.session, code=code, actor=door.staff)
        assert refused.value.reason == reason, code
    with pytest.raises(CheckInRefused) as refused:
        services.check_in_by_code(session=door.session, code="ZZZZZZZZ", actor=door.staff)
    assert refused.value.message == "Unknown code."
    with pytest.raises(CheckInRefused) as refused:
        services.check_in_by_code(session=door.session, code=door.ext.badge_code, actor=door.staff)
    assert refused.value.message == "Eva External is not registered for this event."
    assert refused.value.walk_in is False


def test_code_of_someone_booked_for_another_session_at_the_same_time(db, door):
    other = make_session(event=door.event, title="Mobility hubs", starts_at=door.session.starts_at,
                         ends_at=door.session.ends_at)
    book(other, door.dan)

    with pytest.raises(CheckInRefused) as refused:
        services.check_in_by_code(session=door.session, code=door.dan.badge_code, actor=door.staff)

    assert refused.value.reason == "other_session"
    assert "booked for another session: Mobility hubs" in refused.value.message
    assert refused.value.walk_in is True


def test_walk_in_takes_a_free_seat_then_others_stand(db, door):
    eve = make_user(name="Eve Ek")
    register(door.event, eve)

    seated = services.walk_in(session=door.session, user=door.dan, actor=door.staff)
    standing = services.walk_in(session=door.session, user=eve, actor=door.staff)
    db.session.commit()

    assert seated.took_seat and not seated.is_standing
    assert seated.check_in.booking.status is BookingStatus.CONFIRMED
    assert services.seat_taken_at_door(seated.check_in)
    assert standing.is_standing and not standing.took_seat
    counts = services.attendance_counts(door.session)
    assert (counts.booked, counts.free, counts.checked_in, counts.standing) == (3, 0, 2, 1)


def test_walk_in_of_a_booked_delegate_is_a_normal_check_in(db, door):
    result = services.walk_in(session=door.session, user=door.anna, actor=door.staff)
    assert result.took_seat and not services.seat_taken_at_door(result.check_in)
    assert services.walk_in(session=door.session, user=door.anna, actor=door.staff).created is False


def test_walk_in_needs_an_approved_registration(db, door):
    with pytest.raises(CheckInRefused) as refused:
        services.walk_in(session=door.session, user=door.ext, actor=door.staff)
    assert refused.value.reason == "not_registered"


def test_walk_in_without_capacity_always_finds_a_seat(db, door):
    open_session = make_session(event=door.event, kind=SessionKind.DIGITAL)
    result = services.walk_in(session=open_session, user=door.dan, actor=door.staff)
    assert result.took_seat
    assert services.attendance_counts(open_session).free is None


def test_undo_removes_check_in_and_a_walk_ins_seat(db, door):
    services.check_in(session=door.session, user=door.anna, actor=door.staff)
    services.walk_in(session=door.session, user=door.dan, actor=door.staff)
    db.session.commit()

    assert services.undo_check_in(session=door.session, user=door.anna, actor=door.staff) is True
    assert services.undo_check_in(session=door.session, user=door.dan, actor=door.staff) is True
    db.session.commit()

    assert check_ins(db, door.session) == []
    bookings = {b.user_id: b.status for b in db.session.scalars(
        sa.select(Booking).where(Booking.session_id == door.session.id))}
    assert bookings[door.anna.id] is BookingStatus.CONFIRMED  # her own booking stays
    assert door.dan.id not in bookings  # the seat taken at the door is given back
    assert services.undo_check_in(session=door.session, user=door.anna, actor=door.staff) is False


def test_undo_of_a_revived_cancelled_booking_cancels_it_again(db, door):
    booking = book(door.session, door.dan, status=BookingStatus.CANCELLED,
                           cancelled_at=utc(2022, 5, 1, 10, 0))
    result = services.walk_in(session=door.session, user=door.dan, actor=door.staff)
    assert result.check_in.booking_id == booking.id
    assert booking.status is BookingStatus.CONFIRMED
    db.session.commit()

    services.undo_check_in(session=door.session, user=door.dan, actor=door.staff)
    db.session.commit()

    db.session.refresh(booking)
    assert booking.status is BookingStatus.CANCELLED


def test_rows_confirmed_then_waiting_list_then_walk_ins(db, door):
    eve = make_user(name="Aaron Early")
    register(door.event, eve)
    book(door.session, door.dan)  # fills the last seat
    services.walk_in(session=door.session, user=eve, actor=door.staff)  # stands
    services.check_in(session=door.session, user=door.bo, actor=door.staff)
    db.session.commit()

    rows = services.attendance_rows(door.session)

    assert [(r.user.name, r.section, r.is_checked_in) for r in rows] == [
        ("Anna Andersson", BOOKED, False),
        ("Bo Berg", BOOKED, True),
        ("Dan Dahl", BOOKED, False),
        ("Cleo Castro", WAITLIST, False),
        ("Aaron Early", WALK_IN, True),
    ]
    assert rows[3].position == 1
    assert rows[0].networks == "UNECE"
    assert rows[4].is_walk_in and rows[4].check_in.is_standing


def test_rows_search(db, door):
    names = lambda q: [r.user.name for r in services.attendance_rows(door.session, q=q)]  # noqa: E731
    assert names("helsingborg") == ["Anna Andersson"]
    assert names("unece") == ["Anna Andersson"]
    assert names("Norway") == ["Bo Berg"]
    assert names("castro") == ["Cleo Castro"]
    assert names("nobody") == []
    assert len(names("  ")) == 3


def test_cancelled_bookings_are_not_on_the_list(db, door):
    book(door.session, door.dan, status=BookingStatus.CANCELLED)
    assert door.dan.id not in [r.user.id for r in services.attendance_rows(door.session)]


def test_counts(db, door):
    counts = services.attendance_counts(door.session)
    assert counts.as_dict() == {"booked": 2, "waitlisted": 1, "checked_in": 0, "standing": 0,
                                "capacity": 3, "free": 1}
    door.session.capacity = 2
    assert services.attendance_counts(door.session).free == 0


def test_door_day_lists_the_days_sessions_with_counts(db, door):
    make_session(event=door.event, title="Day two",
                         starts_at=door.session.starts_at + timedelta(days=1))
    services.check_in(session=door.session, user=door.anna, actor=door.staff)
    db.session.commit()

    day = services.door_day(day=date(2022, 6, 1), tz="Europe/Stockholm", actor=door.staff)
    assert [d.session.title for d in day.sessions] == ["Cities and the SDGs"]
    assert (day.sessions[0].counts.booked, day.sessions[0].counts.checked_in) == (2, 1)
    assert (day.earlier, day.later) == (None, date(2022, 6, 2))

    empty = services.door_day(day=date(2022, 6, 5), tz="Europe/Stockholm", actor=door.staff)
    assert empty.sessions == [] and empty.earlier == date(2022, 6, 2) and empty.later is None


def test_door_day_hides_draft_events_from_staff(db, door):
    door.event.is_published = False
    db.session.commit()
    staff_day = services.door_day(day=date(2022, 6, 1), tz="Europe/Stockholm", actor=door.staff)
    organiser_day = services.door_day(day=date(2022, 6, 1), tz="Europe/Stockholm",
                                      actor=make_user(role=Role.ORGANISER))
    assert staff_day.sessions == []
    assert len(organiser_day.sessions) == 1


def test_normalise_code():
    assert services.normalise_code(" ab cd-ef 23 ") == "ABCDEF23"
    assert services.normalise_code("https://expo.test/badge/" + "t" * 43) == "t" * 43
    assert services.normalise_code("") == ""


def _door_scene(db, door):
    eve = make_user(name="Aaron Early")
    register(door.event, eve)
    book(door.session, door.dan)  # fills the last seat
    services.walk_in(session=door.session, user=eve, actor=door.staff)  # stands
    services.check_in(session=door.session, user=door.bo, actor=door.staff)
    gone = make_user(name="Gus Gone")
    book(door.session, gone, BookingStatus.CANCELLED)
    db.session.commit()


def test_door_list_matches_the_full_list_when_not_limited(db, door):
    _door_scene(db, door)
    listed = services.door_list(door.session)
    full = services.attendance_rows(door.session)
    assert [(r.user.id, r.section, r.is_checked_in, r.position, r.is_walk_in) for r in listed.rows] == [
        (r.user.id, r.section, r.is_checked_in, r.position, r.is_walk_in) for r in full
    ]
    assert listed.totals == {BOOKED: 3, WAITLIST: 1, WALK_IN: 1}
    assert not listed.is_partial


def test_door_list_shows_the_first_people_of_each_section(db, door):
    _door_scene(db, door)
    listed = services.door_list(door.session, limit=2)
    assert [(r.user.name, r.section) for r in listed.rows] == [
        ("Anna Andersson", BOOKED), ("Bo Berg", BOOKED),
        ("Cleo Castro", WAITLIST),
        ("Aaron Early", WALK_IN),
    ]
    assert listed.totals == {BOOKED: 3, WAITLIST: 1, WALK_IN: 1}
    assert (listed.shown, listed.total, listed.is_partial) == (4, 5, True)


@pytest.mark.parametrize("q, expected", [
    ("helsingborg", ["Anna Andersson"]), ("unece", ["Anna Andersson"]),
    ("United Nations", ["Anna Andersson"]), ("Norway", ["Bo Berg"]), ("castro", ["Cleo Castro"]),
    ("dahl", ["Dan Dahl"]), ("nobody", []), ("gus", []),
])
def test_door_list_searches_beyond_the_people_shown(db, door, q, expected):
    _door_scene(db, door)
    assert [r.user.name for r in services.door_list(door.session, q=q, limit=1).rows] == expected
    assert [r.user.name for r in services.door_list(door.session, q=q).rows] == [
        r.user.name for r in services.attendance_rows(door.session, q=q)
    ]


# --- a standing walk-in who is given a seat ---------------------------------------------------

def _organiser():
    return make_user(role=Role.ORGANISER)


def _stats_row(door):
    from expo.core.timeutil import utcnow
    from expo.stats.queries import StatsData

    [row] = StatsData(event=door.event, timezone="Europe/Stockholm", now=utcnow()).sessions
    return row


def test_a_standing_delegate_promoted_from_the_waiting_list_sits_and_counts_as_come(db, door):
    from datetime import timedelta

    from expo.core.timeutil import utcnow
    from expo.registration import services as registration

    # The doors open before the start: waiting lists still move until the session begins.
    door.session.starts_at = utcnow() + timedelta(minutes=10)
    door.session.ends_at = door.session.starts_at + timedelta(hours=1)
    db.session.commit()
    services.walk_in(session=door.session, user=door.cleo, actor=door.staff)  # waiting: stands
    db.session.commit()
    assert services.attendance_counts(door.session).standing == 1

    anna_booking = services._booking(door.session, door.anna)
    registration.cancel_booking(booking=anna_booking, actor=_organiser())  # cleo moves up
    db.session.commit()

    ci = services._existing_check_in(door.session, door.cleo)
    cleo_booking = services._booking(door.session, door.cleo)
    assert cleo_booking.status is BookingStatus.CONFIRMED
    assert (ci.booking_id, ci.is_walk_in, ci.is_standing) == (cleo_booking.id, False, False)
    counts = services.attendance_counts(door.session)
    assert (counts.checked_in, counts.standing, counts.booked) == (1, 0, 2)
    [row] = [r for r in services.attendance_rows(door.session) if r.user.id == door.cleo.id]
    assert (row.section, row.is_checked_in, row.is_walk_in) == (BOOKED, True, False)
    stats = _stats_row(door)
    assert (stats.confirmed, stats.attended, stats.no_shows, stats.walk_ins) == (2, 1, 1, 0)


def test_an_organiser_seating_a_standing_delegate_moves_their_check_in(db, door):
    from expo.registration import services as registration

    services.walk_in(session=door.session, user=door.cleo, actor=door.staff)
    db.session.commit()
    registration.confirm_waitlisted(booking=services._booking(door.session, door.cleo),
                                    actor=_organiser())
    db.session.commit()

    ci = services._existing_check_in(door.session, door.cleo)
    assert ci.booking is not None and ci.booking.status is BookingStatus.CONFIRMED
    assert ci.is_standing is False
    # Undo now only takes the check-in back: the organiser's seat stays.
    services.undo_check_in(session=door.session, user=door.cleo, actor=door.staff)
    db.session.commit()
    assert services._booking(door.session, door.cleo).status is BookingStatus.CONFIRMED


def test_a_walk_in_without_a_booking_given_a_seat_by_an_organiser_is_no_longer_standing(db, door):
    from expo.registration import services as registration

    door.session.capacity = 2
    db.session.commit()
    result = services.walk_in(session=door.session, user=door.dan, actor=door.staff)
    db.session.commit()
    assert result.is_standing is True

    registration.add_to_session(session=door.session, delegate=door.dan, actor=_organiser(),
                                allow_over_capacity=True)
    db.session.commit()

    ci = services._existing_check_in(door.session, door.dan)
    assert ci.booking.user_id == door.dan.id and ci.is_standing is False and ci.is_walk_in is False
    assert services.attendance_counts(door.session).standing == 0
    assert _stats_row(door).attended == 1



def test_held_today_follows_the_event_time_zone(db, door):
    # 08:00–09:00 UTC on 1 June 2022 is 10:00–11:00 in Stockholm.
    assert services.is_held_today(door.session, now=utc(2022, 6, 1, 22, 30)) is False  # 00:30 on 2 June
    assert services.is_held_today(door.session, now=utc(2022, 5, 31, 22, 30)) is True  # 00:30 on 1 June
    assert services.is_held_today(door.session, now=utc(2022, 12, 1, 9)) is False
    assert services.is_held_today(door.session, now=utc(2021, 6, 1, 9)) is False


@pytest.mark.parametrize("q", ["muller", "MÜLLER", "orebro", "Örebro", "jurgen muller"])
def test_the_door_finds_people_whatever_the_case_and_accents_typed(db, door, q):
    orebro = make_organisation(name="Örebro kommun", country_code="SE")
    jurgen = make_user(name="Jürgen Müller", organisation=orebro)
    book(door.session, jurgen)
    walk_in = make_user(name="Jürgen Müller-Öst", organisation=orebro)
    register(door.event, walk_in)
    db.session.flush()

    assert [r.user.name for r in services.attendance_rows(door.session, q=q)] == ["Jürgen Müller"]
    assert [r.user.name for r in services.door_list(door.session, q=q, limit=1).rows] == ["Jürgen Müller"]
    candidates, more = services.walk_in_candidates(door.session, q=q, limit=5)
    assert [r.user.name for r in candidates] == ["Jürgen Müller-Öst"] and not more
