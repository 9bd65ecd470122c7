"""Helpers for registration tests: an event in the future, so that booking is still open."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from expo.accounts.models import Role
from expo.events.models import RegistrationMode
from expo.registration.models import RegistrationStatus
from tests import factories

FUTURE_DAY = date(2031, 6, 3)


def at(hour: int, minute: int = 0, day: date = FUTURE_DAY) -> datetime:
    """An instant on the future event's day, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.utc)


def future_event(**fields):
    fields.setdefault("starts_on", FUTURE_DAY)
    fields.setdefault("ends_on", FUTURE_DAY + timedelta(days=1))
    fields.setdefault("registration_mode", RegistrationMode.OPEN)
    return factories.make_event(**fields)


def future_session(event=None, *, start: datetime | None = None, minutes: int = 60, **fields):
    event = event or future_event()
    start = start or at(8)
    return factories.make_session(event=event, starts_at=start, ends_at=start + timedelta(minutes=minutes), **fields)


def registered(event, user=None, **fields):
    """A delegate with an approved registration for ``event``."""
    user = user or factories.make_user(role=Role.DELEGATE, **fields)
    factories.make_registration(event=event, user=user, status=RegistrationStatus.APPROVED)
    return user


@pytest.fixture
def event(db):
    return future_event(name="H22 City Expo Days", slug="h22-days")


@pytest.fixture(autouse=True)
def request_context(app, db):
    """Services word their errors in the reader's language, which Flask-Babel looks up on
    the request; service tests run inside a plain one (English)."""
    with app.test_request_context():
        yield
