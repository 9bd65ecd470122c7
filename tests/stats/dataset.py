"""A small expo whose statistics are worked out by hand in the tests.

Event A (Europe/Stockholm, UTC+2 in summer), 7 approved delegates from 3 countries:
  u1 SE  Helsingborg (city, SE)   UNECE, CPMR   registered 1 May 10:00 UTC
  u2 SE  Helsingborg              UNECE         1 May 10:00 UTC
  u3 SE  no organisation          –             1 May 10:00 UTC
  u4 FI  Aalto (university, FI)   CPMR          1 May 22:30 UTC = 2 May local
  u5 FI  Aalto                    –             1 May 22:30 UTC = 2 May local
  u6 –   Helsingborg → SE by organisation, UNECE 3 May 12:00 UTC
  u7 DE  Siemens (company, no country) –       3 May 12:00 UTC
  u8 DE  pending (3 May), u9 declined (2 May 09:00 UTC): not delegates.
Event B: u10 NO approved, u1 approved again (counted once across events).

Sessions of A (now = 1 June 2022 14:00 UTC):
  s1 08:00–09:00 UTC 1 June, venue Dunkers, room of 4: confirmed u1 u2 u3, cancelled u4;
     check-ins u1 u2 and u5 standing → fill 3/4, came 2, no-shows 1, 3 check-ins, 1 walk-in.
  s2 10:00–11:00 UTC 1 June, venue Sundspärlan, own capacity 2 (room 10): confirmed u4,
     u5 (seat taken at the door), u6 waiting → fill 2/2, came 2, no-shows 0, 2 check-ins
     (u4 at 22:30 UTC = 2 June local), 1 walk-in.
  s3 digital, 2 June 08:00 UTC, no seat limit, confirmed u1, not ended yet.
  s4 cancelled, 1 June 12:00 UTC, room of 4, no bookings.
Event B: s5 at Sundspärlan with u10 booked and checked in on 5 June.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from expo.attendance.models import CheckIn
from expo.events.models import Event
from expo.core.extensions import db
from expo.people.models import OrganisationKind
from expo.programme.models import SessionKind, SessionStatus
from expo.registration.models import BookingStatus, RegistrationStatus
from tests.factories import (
    make_booking, make_event, make_network, make_organisation, make_registration, make_room,
    make_session, make_user, make_venue, utc,
)

NOW = utc(2022, 6, 1, 14)


def check_in(session, user, at, booking=None, **fields):
    row = CheckIn(session=session, user=user, booking=booking, checked_in_at=at, **fields)
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class Dataset:
    a: Event
    b: Event


def build() -> Dataset:
    a = make_event(name="Event A", slug="event-a", starts_on=utc(2022, 6, 1).date(), ends_on=utc(2022, 6, 2).date())
    b = make_event(name="Event B", slug="event-b", starts_on=utc(2022, 6, 5).date(), ends_on=utc(2022, 6, 5).date())
    unece = make_network(name="United Nations Economic Commission for Europe", acronym="UNECE")
    cpmr = make_network(name="CPMR")
    helsingborg = make_organisation(name="Helsingborg", kind=OrganisationKind.CITY, country_code="SE")
    aalto = make_organisation(name="Aalto", kind=OrganisationKind.UNIVERSITY, country_code="FI")
    siemens = make_organisation(name="Siemens", kind=OrganisationKind.COMPANY)

    may1, may1_late, may2, may3 = utc(2022, 5, 1, 10), utc(2022, 5, 1, 22, 30), utc(2022, 5, 2, 9), utc(2022, 5, 3, 12)
    people = [
        ("SE", helsingborg, [unece, cpmr], may1),
        ("SE", helsingborg, [unece], may1),
        ("SE", None, [], may1),
        ("FI", aalto, [cpmr], may1_late),
        ("FI", aalto, [], may1_late),
        (None, helsingborg, [unece], may3),
        ("DE", siemens, [], may3),
    ]
    u = {}
    for n, (country, org, networks, created) in enumerate(people, start=1):
        u[n] = make_user(name=f"U{n}", country_code=country, organisation=org, networks=networks)
        make_registration(event=a, user=u[n], created_at=created)
    u[8] = make_user(name="U8", country_code="DE")
    make_registration(event=a, user=u[8], status=RegistrationStatus.PENDING, created_at=may3)
    u[9] = make_user(name="U9", country_code="DE")
    make_registration(event=a, user=u[9], status=RegistrationStatus.DECLINED, created_at=may2)
    u[10] = make_user(name="U10", country_code="NO")
    make_registration(event=b, user=u[10], created_at=may3)
    make_registration(event=b, user=u[1], created_at=may3)

    dunkers, sund = make_venue(name="Dunkers"), make_venue(name="Sundspärlan")
    small, large = make_room(venue=dunkers, capacity=4), make_room(venue=sund, capacity=10)
    s1 = make_session(event=a, room=small, starts_at=utc(2022, 6, 1, 8), title="Bikes")
    s2 = make_session(event=a, room=large, capacity=2, starts_at=utc(2022, 6, 1, 10), title="Buses")
    s3 = make_session(event=a, kind=SessionKind.DIGITAL, starts_at=utc(2022, 6, 2, 8), title="Online")
    make_session(event=a, room=small, starts_at=utc(2022, 6, 1, 12), title="Trams", status=SessionStatus.CANCELLED)
    s5 = make_session(event=b, room=large, starts_at=utc(2022, 6, 5, 8), title="Ferries")

    b1 = make_booking(session=s1, user=u[1])
    b2 = make_booking(session=s1, user=u[2])
    make_booking(session=s1, user=u[3])
    make_booking(session=s1, user=u[4], status=BookingStatus.CANCELLED)
    check_in(s1, u[1], utc(2022, 6, 1, 8, 5), booking=b1)
    check_in(s1, u[2], utc(2022, 6, 1, 8, 10), booking=b2)
    check_in(s1, u[5], utc(2022, 6, 1, 8, 20), is_walk_in=True, is_standing=True)

    b4 = make_booking(session=s2, user=u[4])
    at_door = utc(2022, 6, 1, 10, 2)
    b5 = make_booking(session=s2, user=u[5], confirmed_at=at_door)
    make_booking(session=s2, user=u[6], status=BookingStatus.WAITLISTED, waitlist_position=1)
    check_in(s2, u[4], utc(2022, 6, 1, 22, 30), booking=b4)
    check_in(s2, u[5], at_door, booking=b5)

    make_booking(session=s3, user=u[1])

    b10 = make_booking(session=s5, user=u[10])
    check_in(s5, u[10], utc(2022, 6, 5, 8, 1), booking=b10)

    return Dataset(a=a, b=b)


def build_more(data: Dataset, n: int) -> None:
    """``n`` more delegates of event A across new countries, networks, organisations, venues,
    sessions, bookings and check-ins, so that every table grows."""
    countries = ["DK", "NO", "EE", "LV", "PL"]
    kinds = list(OrganisationKind)
    for i in range(n):
        if i % 10 == 0:
            network = make_network()
            organisation = make_organisation(kind=kinds[i // 10 % len(kinds)], country_code=countries[i % 5])
            room = make_room(venue=make_venue(), capacity=8)
            start = utc(2022, 6, 1 + i // 10 % 2, 7) + timedelta(minutes=i)
            session = make_session(event=data.a, room=room, starts_at=start)
        user = make_user(country_code=countries[i % 5], networks=[network], organisation=organisation)
        make_registration(event=data.a, user=user, created_at=utc(2022, 4, 1 + i % 28, i % 24))
        booking = make_booking(session=session, user=user)
        if i % 2:
            check_in(session, user, start + timedelta(minutes=i % 30), booking=booking)
