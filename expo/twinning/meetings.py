"""The pairs' programme: workshops, site visits and digital meetings in each module.

A meeting is a real session of the programme's event, made by the programme services (so the
room conflict rules apply), and both cities' contact people are booked onto it by the
registration services: it is in their agenda, their personal calendar feed and their e-mail
like any session they booked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.errors import InvalidState, NeedsConfirmation
from expo.core.extensions import db
from expo.programme import services as programme_services
from expo.programme.models import ProgrammeSession, SessionKind
from expo.registration import services as registration
from expo.registration.models import RegistrationStatus
from expo.twinning.services import list_pairs
from expo.twinning.models import (
    MEETING_KINDS,
    PilotCity,
    TwinningApplication,
    TwinningMeeting,
    TwinningModule,
    TwinningPair,
    TwinningProgramme,
)


@dataclass
class MeetingData:
    module_id: int
    pilot_id: int
    application_id: int | None  # None: the pilot city with all its twins
    kind: SessionKind
    title: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None = None
    meeting_url: str | None = None
    description: str = ""
    confirm: bool = False


def _twins(programme: TwinningProgramme, pilot: PilotCity) -> list[TwinningApplication]:
    query = (
        sa.select(TwinningApplication)
        .join(TwinningPair, TwinningPair.application_id == TwinningApplication.id)
        .where(TwinningPair.programme_id == programme.id, TwinningPair.pilot_id == pilot.id)
        .options(selectinload(TwinningApplication.contacts), selectinload(TwinningApplication.user))
    )
    return list(db.session.scalars(query))


def city_people(application: TwinningApplication) -> list[User]:
    """Who speaks for an applicant city: the person who applied and its contact people."""
    return list({person.id: person for person in (application.user, *application.contacts)}.values())


def participants(meeting_pilot: PilotCity, applications: list[TwinningApplication]) -> list[User]:
    people = {person.id: person for person in meeting_pilot.contacts}
    for application in applications:
        people.update({person.id: person for person in city_people(application)})
    return sorted(people.values(), key=lambda person: person.id)


def _book(session: ProgrammeSession, people: list[User], actor: User) -> None:
    """Register each person for the event (if they are not) and give them a seat."""
    for person in people:
        held = registration.registration_for(person, session.event)
        if held is None or held.status is not RegistrationStatus.APPROVED:
            registration.add_registration(event=session.event, delegate=person, actor=actor, allow_over_capacity=True)
        registration.add_to_session(session=session, delegate=person, actor=actor, allow_over_capacity=True)


def schedule_meeting(*, programme: TwinningProgramme, data: MeetingData, actor: User) -> TwinningMeeting:
    """Hold a meeting of a published pair (or of a pilot city's group of twins) in a module."""
    if programme.event is None:
        raise InvalidState(_l("Choose the event that holds the programme's meetings first."))
    if programme.published_at is None:
        raise InvalidState(_l("Publish the pairs before planning their meetings."))
    if data.kind not in MEETING_KINDS:
        raise InvalidState(_l("A meeting is a workshop, a site visit or a digital meeting."), field="kind")
    module = db.session.get(TwinningModule, data.module_id)
    pilot = db.session.get(PilotCity, data.pilot_id)
    if module is None or module.programme_id != programme.id or pilot is None or pilot.programme_id != programme.id:
        raise InvalidState(_l("The module or the city is not in this programme."), field="pair")
    twins = _twins(programme, pilot)
    if data.application_id is not None:
        twins = [a for a in twins if a.id == data.application_id]
        if not twins:
            raise InvalidState(_l("These two cities are not a pair."), field="pair")
    if not twins:
        raise InvalidState(_l("This pilot city has no twins yet."), field="pair")
    try:
        session = programme_services.create_session(
            event=programme.event,
            data=programme_services.SessionData(
                title=data.title.strip(), kind=data.kind, starts_at=data.starts_at, ends_at=data.ends_at,
                description=data.description.strip() or None, room_id=data.room_id,
                meeting_url=(data.meeting_url or "").strip() or None,
            ),
            actor=actor, confirm=data.confirm,
        )
    except NeedsConfirmation as warning:
        # The warnings go beside the box that accepts them.
        raise InvalidState(" ".join([str(warning.message), *map(str, warning.warnings)]), field="confirm") from None
    meeting = TwinningMeeting(programme_id=programme.id, module=module, pilot=pilot,
                              application=twins[0] if data.application_id is not None else None, session=session)
    db.session.add(meeting)
    db.session.flush()
    _book(session, participants(pilot, twins), actor)
    return meeting


def list_meetings(programme: TwinningProgramme) -> list[TwinningMeeting]:
    """The programme's meetings by module and time, with their cities and sessions."""
    query = (
        sa.select(TwinningMeeting)
        .where(TwinningMeeting.programme_id == programme.id)
        .join(ProgrammeSession, ProgrammeSession.id == TwinningMeeting.session_id)
        .join(TwinningModule, TwinningModule.id == TwinningMeeting.module_id)
        .options(selectinload(TwinningMeeting.module), selectinload(TwinningMeeting.pilot),
                 selectinload(TwinningMeeting.application),
                 selectinload(TwinningMeeting.session).selectinload(ProgrammeSession.room),
                 selectinload(TwinningMeeting.session).selectinload(ProgrammeSession.event))
        .order_by(TwinningModule.position, ProgrammeSession.starts_at)
    )
    return list(db.session.scalars(query))


def pair_choices(programme: TwinningProgramme) -> list[tuple[str, str]]:
    """The published pairs and each pilot city's whole group, as (value, label) for a select."""
    choices: list[tuple[str, str]] = []
    seen: set[int] = set()
    for pair in list_pairs(programme):
        if pair.pilot_id not in seen:
            seen.add(pair.pilot_id)
            choices.append((f"{pair.pilot_id}:", str(_l("%(pilot)s and all its twins", pilot=pair.pilot.name))))
        choices.append((f"{pair.pilot_id}:{pair.application_id}", f"{pair.pilot.name} – {pair.application.city}"))
    return choices
