"""The H22 City Expo demo: loaded through the CLI, realistic, consistent and idempotent."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.attendance.models import CheckIn
from expo.demo.h22 import DEMO_LOGINS
from expo.events.models import Event, Expo, RegistrationMode, TeamMember, TeamRole
from expo.core.extensions import db
from expo.people.models import Network
from expo.programme import conflicts
from expo.programme.models import ProgrammeSession, SessionChange, SessionKind, SessionRole, SessionStatus
from expo.programme.services import all_slots
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import from_local, to_local, utcnow
from expo.venues.models import Room, Venue
from tests.conftest import log_in
from tests.factories import make_event
from tests.snapshot import database_digest

NAMED_NETWORKS = {
    "UNECE", "EIT Urban Mobility", "Cleantech Scandinavia", "CPMR", "STRING", "Viable Cities",
    "NetZeroCities", "Nordregio", "Global Utmaning", "MIT Senseable City Lab",
}


def load(runner, *args: str):
    result = runner.invoke(args=["expo", "demo", "--historical", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def assert_consistent() -> None:
    """Every rule the services keep holds in the whole database."""
    sessions = db.session.scalars(sa.select(ProgrammeSession)).all()
    live = [s for s in sessions if s.status is SessionStatus.SCHEDULED]

    by_room = defaultdict(list)
    for s in live:
        if s.room_id is not None:
            by_room[s.room_id].append((s.starts_at, s.ends_at, s.id))
    for slots in by_room.values():
        slots.sort()
        for (_, end, first), (start, _, second) in zip(slots, slots[1:]):
            assert end <= start, f"sessions {first} and {second} overlap in one room"

    busy = defaultdict(list)
    for session_id, user_id in db.session.execute(sa.select(SessionRole.session_id, SessionRole.user_id)):
        busy[user_id].append(session_id)
    by_id = {s.id: s for s in live}
    for user_id, session_ids in busy.items():
        slots = sorted((by_id[i].starts_at, by_id[i].ends_at) for i in set(session_ids) if i in by_id)
        for (_, end), (start, _) in zip(slots, slots[1:]):
            assert end <= start, f"user {user_id} is on stage in two sessions at once"

    # The organisers' own conflict checks (transfer time, opening hours, seats above the room …).
    assert [(f.rule.value, f.keys) for f in conflicts.find_conflicts(all_slots())] == []

    for s in sessions:
        assert (s.room_id is None) == (s.kind is SessionKind.DIGITAL)
        assert (s.meeting_url is not None) == s.kind.needs_meeting_url

    capacity = {s.id: s.effective_capacity for s in sessions}
    confirmed = defaultdict(int)
    waiting = defaultdict(list)
    for session_id, status, position in db.session.execute(
        sa.select(Booking.session_id, Booking.status, Booking.waitlist_position)
    ):
        if status is BookingStatus.CONFIRMED:
            confirmed[session_id] += 1
        elif status is BookingStatus.WAITLISTED:
            waiting[session_id].append(position)
    for session_id, seats in confirmed.items():
        assert capacity[session_id] is None or seats <= capacity[session_id]
    for session_id, positions in waiting.items():
        assert sorted(positions) == list(range(1, len(positions) + 1))
        assert confirmed[session_id] == capacity[session_id], "a waiting list while seats are free"

    approved = set(tuple(row) for row in db.session.execute(
        sa.select(Registration.event_id, Registration.user_id)
        .where(Registration.status == RegistrationStatus.APPROVED)
    ).all())
    for event_id, user_id in db.session.execute(
        sa.select(ProgrammeSession.event_id, Booking.user_id).join(Booking.session)
    ):
        assert (event_id, user_id) in approved, "a booking without an approved registration"
    for event in db.session.scalars(sa.select(Event).where(Event.capacity.is_not(None))):
        assert sum(1 for e, _ in approved if e == event.id) <= event.capacity
    for event in db.session.scalars(sa.select(Event).where(Event.registration_deadline.is_not(None))):
        assert all(r.created_at <= event.registration_deadline for r in event.registrations)

    for check_in in db.session.scalars(sa.select(CheckIn)):
        if check_in.booking is not None:
            assert check_in.booking.status is BookingStatus.CONFIRMED
            booking = check_in.booking
            assert (booking.session_id, booking.user_id) == (check_in.session_id, check_in.user_id)
        else:
            assert check_in.is_walk_in


def test_demo_loads_through_the_cli_and_its_organiser_can_log_in(runner, client):
    result = load(runner)

    assert "Loaded the H22 City Expo demo" in result.output
    assert DEMO_LOGINS["password"] in result.output
    assert set(DEMO_LOGINS["accounts"]) == {"organiser", "staff", "delegate", "event organiser", "event staff"}
    roles = {"organiser": Role.ADMIN, "staff": Role.STAFF, "delegate": Role.DELEGATE,
             "event organiser": Role.DELEGATE, "event staff": Role.DELEGATE}
    for role, email in DEMO_LOGINS["accounts"].items():
        assert email in result.output
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user.role is roles[role]
        assert user.check_password(DEMO_LOGINS["password"])
        assert user.locale is None  # no choice made: the browser's language
    organiser = db.session.scalar(sa.select(User).where(User.email == DEMO_LOGINS["accounts"]["organiser"]))
    log_in(client, organiser, password=DEMO_LOGINS["password"])
    # Demo people have confirmed their addresses: the demo delegate registers for events at once.
    unverified = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email_verified_at.is_(None)))
    assert unverified == 0


def test_the_unece_event_has_a_demo_team(runner):
    load(runner)

    team = db.session.execute(
        sa.select(User.email, TeamMember.role, Event.slug).join(TeamMember.user).join(TeamMember.event)
        .order_by(User.email)).all()
    assert [tuple(row) for row in team] == [
        ("unece.door@h22.example", TeamRole.STAFF, "h22-50-sessions"),
        ("unece.team@h22.example", TeamRole.ORGANISER, "h22-50-sessions"),
    ]


def test_demo_is_the_h22_city_expo_at_its_real_size(runner):
    load(runner)

    expo = db.session.scalar(sa.select(Expo))
    assert (expo.name, expo.city, expo.timezone) == ("H22 City Expo", "Helsingborg", "Europe/Stockholm")
    events = db.session.scalars(sa.select(Event)).all()
    assert min(e.starts_on for e in events) == date(2022, 5, 30)
    assert max(e.ends_on for e in events) == date(2022, 7, 3)
    assert sum(1 for e in events if not e.is_published) == 1
    assert all(e.tracks for e in events)

    h22_50 = db.session.scalar(sa.select(Event).where(Event.name.contains("H22 +50 Sessions")))
    assert h22_50.registration_mode is RegistrationMode.APPROVAL
    assert (h22_50.ends_on - h22_50.starts_on).days == 1
    days = {to_local(s.starts_at, h22_50.timezone).date() for s in h22_50.sessions}
    assert days == {h22_50.starts_on, h22_50.ends_on}
    assert {s.title for s in h22_50.sessions} >= {"Opening: cities have the power to act on the Global Goals"}

    sessions = db.session.scalars(sa.select(ProgrammeSession)).all()
    assert 280 <= len(sessions) <= 320
    assert {s.kind for s in sessions} == set(SessionKind)
    assert {s.language for s in sessions} == {"en", "sv"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionRole)) > len(sessions)

    venues = db.session.scalars(sa.select(Venue)).all()
    assert 9 <= len(venues) <= 12
    assert {"Dunkers kulturhus", "Helsingborg Arena", "Knutpunkten"} <= {v.name for v in venues}
    for venue in venues:
        assert 2 <= len(venue.rooms) <= 6
        assert 56.0 < venue.latitude < 56.1 and 12.6 < venue.longitude < 12.75
        assert venue.accessibility_notes

    networks = db.session.scalars(sa.select(Network)).all()
    assert NAMED_NETWORKS <= {n.name for n in networks} | {n.acronym for n in networks}
    assert all(n.website and n.description for n in networks)

    countries = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(User.country_code))).where(User.role == Role.DELEGATE)
    )
    assert countries > 50


def test_demo_keeps_every_rule_of_the_services(runner):
    load(runner)

    assert_consistent()
    cancelled = db.session.scalars(
        sa.select(ProgrammeSession).where(ProgrammeSession.status == SessionStatus.CANCELLED)
    ).all()
    assert 1 <= len(cancelled) <= 10
    for session in cancelled:
        assert session.revision == 1
        assert [c.changes["status"]["new"] for c in session.changes] == ["cancelled"]
        assert session.event.updated_at >= session.changes[0].created_at
    statuses = set(db.session.scalars(sa.select(Registration.status)))
    assert {RegistrationStatus.APPROVED, RegistrationStatus.PENDING, RegistrationStatus.DECLINED} <= statuses
    waitlisted = db.session.scalar(
        sa.select(sa.func.count()).select_from(Booking).where(Booking.status == BookingStatus.WAITLISTED)
    )
    assert waitlisted > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionChange)) == len(cancelled)

    delegate = db.session.scalar(sa.select(User).where(User.email == DEMO_LOGINS["accounts"]["delegate"]))
    mine = db.session.scalars(sa.select(Booking).where(Booking.user_id == delegate.id)).all()
    assert {BookingStatus.CONFIRMED, BookingStatus.WAITLISTED} <= {b.status for b in mine}
    assert db.session.scalar(sa.select(CheckIn).where(CheckIn.user_id == delegate.id)) is not None


def test_loading_the_demo_twice_changes_nothing(runner):
    load(runner)
    before = database_digest()

    result = load(runner)

    assert "already loaded" in result.output
    assert database_digest() == before


def test_if_empty_leaves_a_database_with_events_alone(runner):
    make_event(name="Our own event", slug="our-own-event")
    db.session.commit()
    before = database_digest()

    result = load(runner, "--if-empty")

    assert "not loaded" in result.output
    assert database_digest() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Room)) == 0


def test_the_readme_gives_the_demo_password():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    logins = readme.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    assert f"`{DEMO_LOGINS['password']}`" in logins
    assert all(email in logins for email in DEMO_LOGINS["accounts"].values())


def _programme() -> dict[int, tuple]:
    """Each session's title and wall-clock weekday and times, and each event's weekdays."""
    sessions = {
        s.id: (s.title, to_local(s.starts_at, s.event.timezone).strftime("%a %H:%M"),
               to_local(s.ends_at, s.event.timezone).strftime("%a %H:%M"), s.status)
        for s in db.session.scalars(sa.select(ProgrammeSession))
    }
    events = {-e.id: (e.slug, e.starts_on.weekday(), e.ends_on.weekday(), e.is_published)
              for e in db.session.scalars(sa.select(Event))}
    return sessions | events


def test_the_demo_moved_in_time_keeps_weekdays_times_and_order(runner):
    from expo.demo.timeshift import move_in_time, weeks_until

    load(runner)
    before = _programme()
    bookings_before = {b.id: (b.status, b.waitlist_position) for b in db.session.scalars(sa.select(Booking))}
    first_june = db.session.scalar(sa.select(ProgrammeSession).order_by(ProgrammeSession.starts_at).limit(1))
    first_start = first_june.starts_at
    # A Wednesday morning in winter: the expo's first week is 7-13 December 2026.
    now = datetime(2026, 12, 9, 10, 0, tzinfo=timezone.utc)
    weeks = weeks_until(date(2022, 5, 30), date(2026, 12, 9))

    move_in_time(days=7 * weeks, tz="Europe/Stockholm", now=now)

    assert _programme() == before
    events = db.session.scalars(sa.select(Event)).all()
    assert min(e.starts_on for e in events) == date(2026, 12, 7)
    assert max(e.ends_on for e in events) == date(2027, 1, 10)
    # Summer time in 2022, winter time now: the same wall clock is an hour later in UTC.
    moved = db.session.get(ProgrammeSession, first_june.id)
    assert moved.starts_at - first_start == timedelta(days=7 * weeks, hours=1)
    assert {b.id: (b.status, b.waitlist_position) for b in db.session.scalars(sa.select(Booking))} == bookings_before
    check_ins = db.session.scalars(sa.select(CheckIn)).all()
    assert check_ins and all(c.checked_in_at <= now for c in check_ins)
    for model in (Booking, Registration, User):
        assert db.session.scalar(sa.select(sa.func.max(model.created_at))) <= now
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(ProgrammeSession).where(ProgrammeSession.starts_at > now)
    ) > 250
    assert_consistent()


def test_make_run_loads_the_demo_in_the_current_week(runner):
    result = runner.invoke(args=["expo", "demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    today = to_local(utcnow(), "Europe/Stockholm").date()
    monday = today - timedelta(days=today.weekday())
    assert "moved" in result.output and f"{monday:%-d %B %Y}" in result.output
    assert min(db.session.scalars(sa.select(Event.starts_on))) == monday
    door_today = db.session.scalar(
        sa.select(sa.func.count()).select_from(ProgrammeSession)
        .where(ProgrammeSession.starts_at >= from_local(datetime.combine(today, time.min), "Europe/Stockholm"))
        .where(ProgrammeSession.starts_at < from_local(datetime.combine(today + timedelta(days=1), time.min),
                                                       "Europe/Stockholm"))
    )
    assert door_today > 0
    # Delegates came to the door on every day of the week so far, never after now.
    check_ins = db.session.scalars(sa.select(CheckIn.checked_in_at)).all()
    days = {to_local(at, "Europe/Stockholm").date() for at in check_ins}
    assert {monday + timedelta(days=n) for n in range(today.weekday())} <= days
    assert all(at <= utcnow() for at in check_ins)  # (none yet early on a Monday)
