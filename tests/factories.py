"""``make_*`` factories: the fewest fields needed for a valid row; override what a test needs."""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

from expo.accounts.models import Role, User
from expo.events.models import Event, Expo, RegistrationMode
from expo.core.extensions import db
from expo.people.models import Network, Organisation, OrganisationKind
from expo.programme.models import ProgrammeSession, SessionKind, SessionRole, SessionRoleKind
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import utcnow
from expo.venues.models import Room, Venue

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def _default(fields: dict, name: str, factory):
    """Set ``fields[name]`` from ``factory()`` only when the caller did not pass it."""
    if name not in fields:
        fields[name] = factory()
    return fields[name]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def make_user(*, role: Role = Role.DELEGATE, password: str = PASSWORD, **fields) -> User:
    n = next(_seq)
    fields.setdefault("email", f"person{n}@example.org")
    fields.setdefault("name", f"Person {n}")
    fields.setdefault("email_verified_at", utcnow())
    user = User(role=role, **fields)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_expo(**fields) -> Expo:
    existing = db.session.query(Expo).first()
    if existing is not None and not fields:
        return existing
    fields.setdefault("name", "H22 City Expo")
    fields.setdefault("city", "Helsingborg")
    fields.setdefault("timezone", "Europe/Stockholm")
    expo = Expo(**fields)
    db.session.add(expo)
    db.session.flush()
    return expo


def make_event(**fields) -> Event:
    n = next(_seq)
    _default(fields, "expo", make_expo)
    fields.setdefault("name", f"Event {n}")
    fields.setdefault("slug", f"event-{n}")
    fields.setdefault("starts_on", date(2022, 6, 1))
    fields.setdefault("ends_on", date(2022, 6, 2))
    fields.setdefault("timezone", "Europe/Stockholm")
    fields.setdefault("is_published", True)
    fields.setdefault("registration_mode", RegistrationMode.OPEN)
    event = Event(**fields)
    db.session.add(event)
    db.session.flush()
    return event


def make_venue(**fields) -> Venue:
    n = next(_seq)
    fields.setdefault("name", f"Venue {n}")
    fields.setdefault("slug", f"venue-{n}")
    fields.setdefault("address", f"Drottninggatan {n}, Helsingborg")
    venue = Venue(**fields)
    db.session.add(venue)
    db.session.flush()
    return venue


def make_room(**fields) -> Room:
    n = next(_seq)
    _default(fields, "venue", make_venue)
    fields.setdefault("name", f"Room {n}")
    fields.setdefault("capacity", 100)
    room = Room(**fields)
    db.session.add(room)
    db.session.flush()
    return room


def make_network(**fields) -> Network:
    n = next(_seq)
    fields.setdefault("name", f"Network {n}")
    fields.setdefault("slug", f"network-{n}")
    network = Network(**fields)
    db.session.add(network)
    db.session.flush()
    return network


def make_organisation(**fields) -> Organisation:
    n = next(_seq)
    fields.setdefault("name", f"Organisation {n}")
    fields.setdefault("kind", OrganisationKind.CITY)
    organisation = Organisation(**fields)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_session(**fields) -> ProgrammeSession:
    """A one-hour talk on the event's first day at 10:00 local (08:00 UTC in June)."""
    n = next(_seq)
    event = _default(fields, "event", make_event)
    kind = fields.setdefault("kind", SessionKind.TALK)
    if kind is not SessionKind.DIGITAL:
        _default(fields, "room", make_room)
    if kind in (SessionKind.DIGITAL, SessionKind.HYBRID):
        fields.setdefault("meeting_url", f"https://meet.example.org/{n}")
    start = fields.setdefault(
        "starts_at", datetime.combine(event.starts_on, datetime.min.time(), timezone.utc) + timedelta(hours=8)
    )
    fields.setdefault("ends_at", start + timedelta(hours=1))
    fields.setdefault("title", f"Session {n}")
    session = ProgrammeSession(**fields)
    db.session.add(session)
    db.session.flush()
    return session


def add_person(session: ProgrammeSession, user: User, role: SessionRoleKind = SessionRoleKind.SPEAKER) -> SessionRole:
    link = SessionRole(session=session, user=user, role=role)
    db.session.add(link)
    db.session.flush()
    return link


def make_registration(**fields) -> Registration:
    _default(fields, "event", make_event)
    _default(fields, "user", make_user)
    fields.setdefault("status", RegistrationStatus.APPROVED)
    registration = Registration(**fields)
    db.session.add(registration)
    db.session.flush()
    return registration


def make_booking(**fields) -> Booking:
    _default(fields, "session", make_session)
    _default(fields, "user", make_user)
    status = fields.setdefault("status", BookingStatus.CONFIRMED)
    booked_at = _default(fields, "created_at", utcnow)
    # The database wants a held seat confirmed and a cancelled booking cancelled at some time.
    if status == BookingStatus.CONFIRMED:
        fields.setdefault("confirmed_at", booked_at)
    elif status == BookingStatus.CANCELLED:
        fields.setdefault("cancelled_at", booked_at)
    booking = Booking(**fields)
    db.session.add(booking)
    db.session.flush()
    return booking


def make_programme(**fields):
    from expo.twinning.matching import DEFAULT_WEIGHTS
    from expo.twinning.models import TwinningProgramme

    n = next(_seq)
    fields.setdefault("name", f"Twin Cities {n}")
    fields.setdefault("themes", ["mobility", "energy", "waste"])
    fields.setdefault("travel_cap", 5000)
    fields.setdefault("max_twins", 2)
    fields.setdefault("deadline", utcnow() + timedelta(days=30))
    fields.setdefault("weights", dict(DEFAULT_WEIGHTS))
    programme = TwinningProgramme(**fields)
    db.session.add(programme)
    db.session.flush()
    return programme


def make_pilot(**fields):
    from expo.twinning.models import PilotCity

    n = next(_seq)
    _default(fields, "programme", make_programme)
    fields.setdefault("name", f"Pilot city {n}")
    fields.setdefault("themes", {"mobility": 3})
    fields.setdefault("languages", ["en"])
    pilot = PilotCity(**fields)
    db.session.add(pilot)
    db.session.flush()
    return pilot


def make_application(**fields):
    from expo.twinning.models import TwinningApplication

    n = next(_seq)
    _default(fields, "programme", make_programme)
    _default(fields, "user", make_user)
    fields.setdefault("organisation", f"City of Applicant {n}")
    fields.setdefault("city", f"Applicant {n}")
    fields.setdefault("themes", {"mobility": 2})
    fields.setdefault("languages", ["en"])
    fields.setdefault("challenges", "Too many cars in the centre.")
    application = TwinningApplication(**fields)
    db.session.add(application)
    db.session.flush()
    return application
