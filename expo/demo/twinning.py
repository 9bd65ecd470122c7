"""The demo's NetZeroCities Twin Cities programme: pilot cities and applicant cities from Sweden
and the rest of Europe, their applications (most accepted), the matching run and published,
and a few meetings of the pairs during the Twin Cities workshops, with both cities' contact
people booked on. Written straight to the database (no e-mails), in a few dozen statements."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.core.extensions import db
from expo.demo import catalogue as cat
from expo.demo.bulk import UserRows, insert_rows
from expo.demo.plan import BuildState
from expo.core.timeutil import from_local
from expo.programme.models import ProgrammeSession, SessionKind, SessionStatus
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from expo.twinning import matching, services
from expo.twinning.models import (
    ApplicationStatus,
    PilotCity,
    TwinningApplication,
    TwinningMeeting,
    TwinningModule,
    TwinningProgramme,
)

EVENT_SLUG = "netzerocities-twin-cities"
PROGRAMME_NAME = "NetZeroCities Twin Cities"
DESCRIPTION = (
    "Knowledge exchange between cities that want to become climate neutral: each twin city is "
    "matched with one of the 53 pilot cities of the EU Mission by common challenges, and the pairs "
    "meet in workshops, digital meetings and site visits over 20 months. Travel costs are "
    "reimbursed up to a cap; each city ends with a replication plan."
)
THEMES = ["mobility", "energy", "buildings", "waste", "industry", "finance", "governance", "citizens", "nature"]
MODULES = (
    ("Getting started", date(2022, 6, 14), date(2022, 9, 30)),
    ("Co-creation", date(2022, 10, 1), date(2023, 8, 31)),
    ("Capitalisation", date(2023, 9, 1), date(2024, 1, 31)),
)
DEADLINE = datetime(2022, 4, 30, 21, 59, tzinfo=timezone.utc)
APPLIED = datetime(2022, 4, 1, 8, 0, tzinfo=timezone.utc)
DECIDED = datetime(2022, 5, 12, 9, 0, tzinfo=timezone.utc)
PUBLISHED = datetime(2022, 5, 25, 9, 0, tzinfo=timezone.utc)

# (city, country, population, {theme: priority}, languages, what it offers)
PILOTS = (
    ("Umeå", "SE", 130_000, {"mobility": 3, "energy": 2, "citizens": 3}, ["sv", "en"],
     "Gender-equal mobility planning, electric buses and a district heating grid run on biofuel and waste."),
    ("Helsingborg", "SE", 150_000, {"waste": 3, "mobility": 2, "governance": 2}, ["sv", "en"],
     "A climate contract with local businesses, food waste sorting in every home and a city expo as a test bed."),
    ("Stockholm", "SE", 980_000, {"energy": 3, "buildings": 3, "finance": 2}, ["sv", "en"],
     "Green bonds, carbon capture at the combined heat and power plant and energy renovation of housing."),
    ("Malmö", "SE", 360_000, {"buildings": 3, "nature": 3, "citizens": 2}, ["sv", "en", "da"],
     "Climate-smart districts, green roofs and rain gardens, and dialogue with residents of every district."),
    ("Lund", "SE", 127_000, {"mobility": 3, "industry": 2, "energy": 2}, ["sv", "en"],
     "A tramway with a science park, cycle highways and surplus heat from research facilities."),
    ("Espoo", "FI", 300_000, {"energy": 3, "governance": 2, "industry": 2}, ["fi", "sv", "en"],
     "Heat pumps with sea water, smart grids and a climate budget in the city's own accounts."),
    ("Aarhus", "DK", 350_000, {"energy": 3, "waste": 2, "finance": 2}, ["da", "en"],
     "District heating from biomass and excess heat, and public procurement that asks for low-carbon concrete."),
    ("Valencia", "ES", 790_000, {"mobility": 3, "nature": 2, "citizens": 3}, ["es", "en"],
     "Superblocks that give streets back to people, a car-free centre and urban orchards."),
    ("Leipzig", "DE", 600_000, {"buildings": 3, "energy": 2, "governance": 2}, ["de", "en"],
     "Renovation of old housing blocks, solar roofs on schools and a municipal energy company."),
    ("Kraków", "PL", 800_000, {"energy": 3, "buildings": 2, "mobility": 2}, ["pl", "en"],
     "The end of coal heating in homes, with grants for heat pumps and a clean air programme."),
)

# (city, organisation, country, population, {theme: priority}, languages, challenges, status)
APPLICANTS = (
    ("Gävle", "Gävle kommun", "SE", 103_000, {"mobility": 3, "waste": 2}, ["sv", "en"],
     "Car traffic in the centre and commuting by car from the region; food waste from restaurants.", "accepted"),
    ("Luleå", "Luleå kommun", "SE", 80_000, {"industry": 3, "energy": 3}, ["sv", "en"],
     "Fossil-free steel changes the city's energy system; we need surplus heat and smart grids.", "accepted"),
    ("Eskilstuna", "Eskilstuna kommun", "SE", 107_000, {"waste": 3, "governance": 2, "citizens": 2},
     ["sv", "en"], "A climate contract that engages local businesses and residents in sorting waste.", "accepted"),
    ("Växjö", "Växjö kommun", "SE", 95_000, {"buildings": 3, "nature": 2}, ["sv", "en"],
     "Timber buildings and green roofs for new districts, and rain gardens against flooding.", "accepted"),
    ("Östersund", "Östersunds kommun", "SE", 64_000, {"mobility": 2, "citizens": 3}, ["sv", "en"],
     "Dialogue with residents about a car-free centre and cycling all winter.", "accepted"),
    ("Hamburg", "Freie und Hansestadt Hamburg", "DE", 1_850_000, {"energy": 3, "finance": 2, "buildings": 2},
     ["de", "en"], "Energy renovation of housing paid for with green bonds; heat pumps for district heating.",
     "accepted"),
    ("Tartu", "Tartu linn", "EE", 97_000, {"energy": 3, "buildings": 2}, ["et", "en"],
     "Heat for old apartment blocks without fossil fuel; renovation loans for housing associations.", "accepted"),
    ("Tampere", "Tampereen kaupunki", "FI", 250_000, {"mobility": 3, "energy": 2}, ["fi", "en"],
     "A new tramway and the bus lanes around it; heat pumps for the district heating grid.", "accepted"),
    ("Gdańsk", "Miasto Gdańsk", "PL", 470_000, {"energy": 3, "industry": 2}, ["pl", "en"],
     "The end of coal heating in homes and clean air in the port districts.", "accepted"),
    ("Porto", "Câmara Municipal do Porto", "PT", 230_000, {"mobility": 3, "nature": 2, "citizens": 2},
     ["pt", "es", "en"], "Streets given back to people: superblocks, urban orchards and a car-free centre.",
     "accepted"),
    ("Ghent", "Stad Gent", "BE", 265_000, {"governance": 3, "finance": 2}, ["nl", "fr", "en"],
     "A climate budget in the city's accounts and public procurement that counts carbon.", "accepted"),
    ("Kaunas", "Kauno miesto savivaldybė", "LT", 300_000, {"buildings": 3, "energy": 2}, ["lt", "en"],
     "Renovation of old housing blocks and solar roofs on public buildings.", "accepted"),
    ("Bologna", "Comune di Bologna", "IT", 390_000, {"mobility": 2, "citizens": 3}, ["it", "en"],
     "Citizen assemblies on the climate plan and a city at 30 km/h.", "shortlisted"),
    ("Riga", "Rīgas valstspilsētas pašvaldība", "LV", 610_000, {"energy": 2, "buildings": 2}, ["lv", "en"],
     "District heating from gas: we look for other sources.", "declined"),
)

# The pairs the demo shows meeting: (pilot, twin, kind, day of the Twin Cities event (0, 1), start, minutes)
MEETINGS = (
    ("Umeå", "Gävle", SessionKind.WORKSHOP, 0, time(13, 0), 90),
    ("Stockholm", "Hamburg", SessionKind.DIGITAL, 1, time(9, 0), 60),
    ("Helsingborg", "Eskilstuna", SessionKind.SITE_VISIT, 1, time(13, 0), 120),
)


def _email(city: str, prefix: str) -> str:
    ascii_name = city.lower().translate(str.maketrans("åäöéńşāčėū", "aaoenwacea")).replace(" ", "-")
    return f"{prefix}.{ascii_name}@twin.h22.example"


def build_twinning(b: BuildState, *, password_hash: str) -> None:
    """Add the Twin Cities programme to the demo expo built by ``b``."""
    event_index = next(i for i, spec in enumerate(cat.EVENTS) if spec.slug == EVENT_SLUG)
    event_id = b.event_ids[event_index]
    users = UserRows(password_hash)
    people = [(_email(city, "klimat"), f"Climate team {city}", country) for city, _o, country, *_ in APPLICANTS
              if city != "Hamburg"]
    people += [(_email(city, "pilot"), f"Pilot team {city}", country) for city, country, *_ in PILOTS]
    insert_rows(User, [users.row(email=email, name=name, role=Role.DELEGATE, country_code=country,
                                 locale="sv" if country == "SE" else "en", created_at=APPLIED - timedelta(days=30))
                       for email, name, country in people])
    ids = dict(db.session.execute(sa.select(User.email, User.id).where(User.email.in_([p[0] for p in people]))).all())

    programme = TwinningProgramme(
        name=PROGRAMME_NAME, description=DESCRIPTION, themes=THEMES, travel_cap=6000, max_twins=2,
        deadline=DEADLINE, weights=dict(matching.DEFAULT_WEIGHTS), separate_countries=False, event_id=event_id,
        created_at=cat.CREATED_AT,
        modules=[TwinningModule(position=i, name=name, starts_on=first, ends_on=last)
                 for i, (name, first, last) in enumerate(MODULES)],
    )
    db.session.add(programme)
    by_id = {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(
        [*ids.values(), b.demo_delegate])))}
    pilots = {}
    for city, country, population, themes, languages, offers in PILOTS:
        pilots[city] = PilotCity(programme=programme, name=city, country_code=country, population=population,
                                 themes=themes, languages=languages, offers=offers,
                                 contacts=[by_id[ids[_email(city, "pilot")]]])
    applications = {}
    for n, (city, organisation, country, population, themes, languages, challenges, status) in enumerate(APPLICANTS):
        applicant = by_id[b.demo_delegate] if city == "Hamburg" else by_id[ids[_email(city, "klimat")]]
        applications[city] = TwinningApplication(
            programme=programme, user=applicant, organisation=organisation, city=city, country_code=country,
            population=population, themes=themes, languages=languages, challenges=challenges,
            offers="", status=ApplicationStatus(status), submitted_at=APPLIED + timedelta(hours=7 * n),
            updated_at=APPLIED + timedelta(hours=7 * n), decided_at=DECIDED)
    db.session.add_all([*pilots.values(), *applications.values()])
    db.session.flush()

    organiser = db.session.get(User, b.organisers[0])
    services.run_matching(programme=programme, actor=organiser)
    programme.matched_at = programme.published_at = PUBLISHED
    _meetings(b, programme, event_id, pilots, applications)
    services.people_changed()


def _meetings(b: BuildState, programme: TwinningProgramme, event_id: int, pilots: dict, applications: dict) -> None:
    pairs = {(p.pilot.name, p.application.city) for p in services.list_pairs(programme)}
    spec = next(s for s in cat.EVENTS if s.slug == EVENT_SLUG)
    module = programme.modules[0]
    approved = {user_id for (user_id,) in db.session.execute(sa.select(Registration.user_id).where(
        Registration.event_id == event_id, Registration.status == RegistrationStatus.APPROVED))}
    for serial, (pilot_name, city, kind, day, start, minutes) in enumerate(MEETINGS, start=1):
        if (pilot_name, city) not in pairs:
            continue
        pilot, application = pilots[pilot_name], applications[city]
        people = sorted({u.id for u in (*pilot.contacts, application.user)})
        slot = _slot(b, spec.starts_on + timedelta(days=day), start, minutes, kind, people)
        if slot is None:
            continue
        room_id, venue_id, starts_at, ends_at = slot
        session = ProgrammeSession(
            uid=str(uuid.UUID(int=b.rng.getrandbits(128), version=4)), event_id=event_id,
            title=f"{kind.label}: {pilot_name} and {city}", kind=kind, starts_at=starts_at, ends_at=ends_at,
            room_id=room_id, description=f"{module.name}: {pilot_name} and its twin city {city}.",
            meeting_url=f"https://meet.h22.example/twin-cities/{serial}" if kind.needs_meeting_url else None,
            language="en", status=SessionStatus.SCHEDULED, revision=0,
            created_at=PUBLISHED, updated_at=PUBLISHED)
        db.session.add(session)
        db.session.add(TwinningMeeting(programme_id=programme.id, module=module, pilot=pilot,
                                       application=application, session=session))
        for user_id in people:
            if user_id not in approved:
                approved.add(user_id)
                db.session.add(Registration(event_id=event_id, user_id=user_id, status=RegistrationStatus.APPROVED,
                                            created_at=PUBLISHED, decided_at=PUBLISHED))
            b.agendas.take(user_id, starts_at, ends_at, venue_id)
            db.session.add(Booking(session=session, user_id=user_id, status=BookingStatus.CONFIRMED,
                                   created_at=PUBLISHED, confirmed_at=PUBLISHED, updated_at=PUBLISHED))
    db.session.flush()


def _slot(b: BuildState, day: date, start: time, minutes: int, kind: SessionKind,
          people: list[int]) -> tuple[int | None, int | None, datetime, datetime] | None:
    """A room free at that time (none for a digital meeting) when every participant is free too."""
    if kind is SessionKind.DIGITAL:
        for hour in range(start.hour, 18):
            starts_at = from_local(datetime.combine(day, time(hour, 0)), cat.EXPO_TIMEZONE)
            ends_at = starts_at + timedelta(minutes=minutes)
            if all(b.agendas.is_free(p, starts_at, ends_at, None) for p in people):
                return None, None, starts_at, ends_at
        return None
    for room_id, venue_id, capacity, (opens, closes) in b.rooms:
        if capacity > 60:
            continue
        found = b.planner.place(room_id, day, minutes, start, opens=opens, closes=closes)
        if found is None:
            continue
        if all(b.agendas.is_free(p, *found, venue_id) for p in people):
            return room_id, venue_id, *found
        b.planner.release(room_id, *found)
    return None
