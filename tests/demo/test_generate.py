"""The large data generator: requested sizes, every rule of the services, same seed same expo."""
from __future__ import annotations

import sqlalchemy as sa

from expo.demo.catalogue import DEMO_TEAM_ACCOUNTS
from expo.accounts.models import Role, User
from expo.attendance.models import CheckIn
from expo.core.extensions import db
from expo.events.models import Event
from expo.programme.models import ProgrammeSession, SessionKind
from expo.registration.models import Booking, BookingStatus, Registration
from tests.factories import make_event
from tests.demo.test_demo import assert_consistent, row_counts

SMALL = ["--sessions", "60", "--delegates", "500", "--bookings", "2000"]


def generate(runner, *args: str):
    result = runner.invoke(args=["expo", "generate", *args])
    db.session.expire_all()
    return result


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def fingerprint() -> list:
    """What a generated expo is made of, independent of database ids."""
    sessions = db.session.execute(
        sa.select(ProgrammeSession.uid, ProgrammeSession.title, ProgrammeSession.kind,
                  ProgrammeSession.starts_at, ProgrammeSession.capacity).order_by(ProgrammeSession.uid)
    ).all()
    bookings = db.session.execute(
        sa.select(ProgrammeSession.uid, User.email, Booking.status, Booking.waitlist_position)
        .join(Booking.session).join(Booking.user).order_by(ProgrammeSession.uid, User.email)
    ).all()
    return [tuple(row) for row in sessions + bookings]


def wipe() -> None:
    for table in reversed(db.metadata.sorted_tables):
        if table.name != "countries":
            db.session.execute(table.delete())
    db.session.commit()


def test_generate_builds_the_requested_sizes_within_every_rule(runner):
    result = generate(runner, *SMALL)

    assert result.exit_code == 0, result.output
    assert "Generated 10 events" in result.output
    assert count(ProgrammeSession) == 60
    # the demo event team's two accounts are delegates across the expo, beside those asked for
    assert count(User, User.role == Role.DELEGATE) == 500 + len(DEMO_TEAM_ACCOUNTS)
    assert count(Booking) == 2000
    assert count(Registration) > 500
    assert count(CheckIn) > 0
    assert count(Booking, Booking.status == BookingStatus.WAITLISTED) > 0
    kinds = set(db.session.scalars(sa.select(ProgrammeSession.kind).distinct()))
    assert kinds >= {SessionKind.TALK, SessionKind.PANEL, SessionKind.WORKSHOP}
    countries = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(User.country_code))).where(User.role == Role.DELEGATE)
    )
    assert countries > 50
    assert_consistent()


def test_the_same_seed_gives_the_same_expo_and_another_seed_another(runner):
    assert generate(runner, *SMALL, "--seed", "7").exit_code == 0
    first = fingerprint()
    wipe()
    assert generate(runner, *SMALL, "--seed", "7").exit_code == 0
    second = fingerprint()
    wipe()
    assert generate(runner, *SMALL, "--seed", "8").exit_code == 0

    assert first == second
    assert fingerprint() != first


def test_generate_refuses_a_database_that_has_events(runner):
    make_event(name="Our own event", slug="our-own-event")
    db.session.commit()
    before = row_counts()

    result = generate(runner, *SMALL)

    assert result.exit_code == 1
    assert "already has events" in result.output
    assert row_counts() == before


def test_generate_refuses_more_bookings_than_can_fit(runner):
    result = generate(runner, "--sessions", "10", "--delegates", "20", "--bookings", "100000")

    assert result.exit_code == 1
    assert "bookings fit" in result.output
    assert count(Event) == 0
    assert count(User) == 0


def test_generate_refuses_too_small_an_expo(runner):
    result = generate(runner, "--sessions", "3", "--delegates", "500", "--bookings", "10")

    assert result.exit_code == 1
    assert "at least 10 sessions" in result.output
