"""A small door scene: one session with a room of 3 seats, two booked delegates, one on the
waiting list, one registered without a booking, and staff."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from expo.accounts.models import Role, User
from expo.events.models import Event
from expo.programme.models import ProgrammeSession
from expo.core.extensions import db as _db
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.factories import (make_booking, make_event, make_network, make_organisation, make_room,
                             make_session, make_user)


def book(session: ProgrammeSession, user: User, status: BookingStatus = BookingStatus.CONFIRMED,
         **fields) -> Booking:
    return make_booking(session=session, user=user, status=status, **fields)


def register(event: Event, user: User) -> Registration:
    registration = Registration(event=event, user=user, status=RegistrationStatus.APPROVED)
    _db.session.add(registration)
    _db.session.flush()
    return registration


@dataclass
class Door:
    event: Event
    session: ProgrammeSession
    staff: User
    anna: User  # booked
    bo: User  # booked
    cleo: User  # waiting list, number 1
    dan: User  # registered, no booking
    ext: User  # registered for another event only


@pytest.fixture
def door(db) -> Door:
    event = make_event(name="H22 City Expo", slug="h22")
    other_event = make_event(name="Other Expo", slug="other")
    session = make_session(event=event, title="Cities and the SDGs", room=make_room(capacity=3))
    unece = make_network(name="United Nations Economic Commission for Europe", acronym="UNECE")
    helsingborg = make_organisation(name="City of Helsingborg", country_code="SE")
    anna = make_user(name="Anna Andersson", organisation=helsingborg, country_code="SE",
                     networks=[unece])
    bo = make_user(name="Bo Berg", country_code="NO")
    cleo = make_user(name="Cleo Castro", country_code="ES")
    dan = make_user(name="Dan Dahl", country_code="DK")
    ext = make_user(name="Eva External", country_code="FI")
    for person in (anna, bo, cleo, dan):
        register(event, person)
    register(other_event, ext)
    book(session, anna)
    book(session, bo)
    book(session, cleo, BookingStatus.WAITLISTED, waitlist_position=1)
    staff = make_user(role=Role.STAFF, name="Sam Staff")
    db.session.commit()
    return Door(event, session, staff, anna, bo, cleo, dan, ext)


@pytest.fixture
def request_context(app):
    """Services word their refusals in the reader's language, which needs a request."""
    with app.test_request_context("/door/"):
        yield
