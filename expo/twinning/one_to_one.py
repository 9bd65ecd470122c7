"""One-to-one meetings between the programme's cities: 20-minute slots on the days of the
programme's event, at a numbered table or online. A delegate of one city asks a contact of
another; the invitee accepts or declines. Nobody is given two things at once: a slot is
refused when either person has a seat in a session or another one-to-one then, and a table
holds one meeting at a time."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.errors import Conflict, InvalidState, NotAllowed
from expo.core.extensions import db
from expo.core.timeutil import from_local, utcnow
from expo.programme.models import ProgrammeSession, SessionStatus
from expo.registration.models import Booking, BookingStatus
from expo.twinning.models import (
    ApplicationStatus,
    OneToOne,
    OneToOneStatus,
    PilotCity,
    TwinningApplication,
    TwinningPair,
    TwinningProgramme,
    application_contacts,
    pilot_contacts,
    theme_label,
)

SLOT = timedelta(minutes=20)
FIRST_SLOT, LAST_END = time(9, 0), time(17, 0)
SUGGESTIONS = 8
_LIVE = (OneToOneStatus.REQUESTED, OneToOneStatus.ACCEPTED)


@dataclass(frozen=True)
class Member:
    """A person of the programme and the city they speak for."""

    user_id: int
    city: str
    themes: dict
    pilot_id: int | None = None
    application_id: int | None = None


def members(programme: TwinningProgramme) -> dict[int, Member]:
    """Everyone of the programme by user id: pilot cities' contacts, and the applicants and
    contacts of accepted cities (two queries)."""
    found: dict[int, Member] = {}
    pilot_rows = db.session.execute(
        sa.select(pilot_contacts.c.user_id, PilotCity.id, PilotCity.name, PilotCity.themes)
        .join(PilotCity, PilotCity.id == pilot_contacts.c.pilot_id).where(PilotCity.programme_id == programme.id))
    for user_id, pilot_id, name, themes in pilot_rows:
        found[user_id] = Member(user_id, name, themes or {}, pilot_id=pilot_id)
    contact = sa.select(application_contacts.c.user_id.label("user_id"), application_contacts.c.application_id)
    applicant = sa.select(TwinningApplication.user_id.label("user_id"), TwinningApplication.id)
    people = sa.union(contact, applicant).subquery()
    applicant_rows = db.session.execute(
        sa.select(people.c.user_id, TwinningApplication.id, TwinningApplication.city, TwinningApplication.themes)
        .join(TwinningApplication, TwinningApplication.id == people.c.application_id)
        .where(TwinningApplication.programme_id == programme.id,
               TwinningApplication.status == ApplicationStatus.ACCEPTED))
    for user_id, application_id, city, themes in applicant_rows:
        found.setdefault(user_id, Member(user_id, city, themes or {}, application_id=application_id))
    return found


def is_member(programme: TwinningProgramme, user: User) -> bool:
    return user.id in members(programme)


def slots(programme: TwinningProgramme) -> list[datetime]:
    """The grid's slots: every 20 minutes from 09:00 to 17:00 on each day of the programme's event."""
    event = programme.event
    if event is None:
        return []
    found = []
    day = event.starts_on
    while day <= event.ends_on:
        start = from_local(datetime.combine(day, FIRST_SLOT), event.timezone)
        end = from_local(datetime.combine(day, LAST_END), event.timezone)
        while start + SLOT <= end:
            found.append(start)
            start += SLOT
        day += timedelta(days=1)
    return found


def _busy(user_ids: list[int], first: datetime, last: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each person's taken times between ``first`` and ``last``: seats in sessions and live one-to-ones."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {u: [] for u in user_ids}
    seats = db.session.execute(
        sa.select(Booking.user_id, ProgrammeSession.starts_at, ProgrammeSession.ends_at)
        .join(ProgrammeSession, ProgrammeSession.id == Booking.session_id)
        .where(Booking.user_id.in_(user_ids), Booking.status == BookingStatus.CONFIRMED,
               ProgrammeSession.status != SessionStatus.CANCELLED,
               ProgrammeSession.starts_at < last, ProgrammeSession.ends_at > first))
    for user_id, starts_at, ends_at in seats:
        busy[user_id].append((starts_at, ends_at))
    meetings = db.session.execute(
        sa.select(OneToOne.requester_id, OneToOne.invitee_id, OneToOne.starts_at, OneToOne.ends_at)
        .where(sa.or_(OneToOne.requester_id.in_(user_ids), OneToOne.invitee_id.in_(user_ids)),
               OneToOne.status.in_(_LIVE), OneToOne.starts_at < last, OneToOne.ends_at > first))
    for requester, invitee, starts_at, ends_at in meetings:
        for person in (requester, invitee):
            if person in busy:
                busy[person].append((starts_at, ends_at))
    return busy


def _free(busy: list[tuple[datetime, datetime]], start: datetime) -> bool:
    return all(not (s < start + SLOT and start < e) for s, e in busy)


def _tables_taken(programme: TwinningProgramme, start: datetime) -> set[int]:
    return set(db.session.scalars(sa.select(OneToOne.table).where(
        OneToOne.programme_id == programme.id, OneToOne.starts_at == start, OneToOne.table.is_not(None),
        OneToOne.status.in_(_LIVE))))


def request_meeting(*, programme: TwinningProgramme, invitee: User, starts_at: datetime, online: bool,
                    actor: User, now: datetime | None = None) -> OneToOne:
    """Ask another city's contact for a one-to-one in a free slot, at the first free table or online."""
    people = members(programme)
    mine, theirs = people.get(actor.id), people.get(invitee.id)
    if mine is None:
        raise NotAllowed(_l("Only the programme's cities meet one to one."))
    if theirs is None or theirs.city == mine.city:
        raise InvalidState(_l("Choose a contact person of another city of the programme."), field="invitee_id")
    if starts_at not in slots(programme) or starts_at <= (now or utcnow()):
        raise InvalidState(_l("Choose one of the free slots to come."), field="starts_at")
    busy = _busy([actor.id, invitee.id], starts_at, starts_at + SLOT)
    if not _free(busy[actor.id], starts_at):
        raise Conflict(_l("You have something else in your agenda then."), field="starts_at")
    if not _free(busy[invitee.id], starts_at):
        raise Conflict(_l("%(name)s has something else in their agenda then.", name=invitee.name), field="starts_at")
    table = None
    if not online:
        free = sorted(set(range(1, programme.one_to_one_tables + 1)) - _tables_taken(programme, starts_at))
        if not free:
            raise Conflict(_l("Every table is taken then: choose another slot or meet online."), field="starts_at")
        table = free[0]
    meeting = OneToOne(programme_id=programme.id, requester_id=actor.id, invitee_id=invitee.id,
                       starts_at=starts_at, ends_at=starts_at + SLOT, table=table)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def answer_meeting(*, meeting: OneToOne, accept: bool, actor: User) -> OneToOne:
    """The invitee accepts or declines (the slot was checked against both agendas when asked)."""
    if actor.id != meeting.invitee_id:
        raise NotAllowed(_l("Only the person asked answers a request."))
    if meeting.status is not OneToOneStatus.REQUESTED:
        raise InvalidState(_l("This request has been answered already."))
    meeting.status = OneToOneStatus.ACCEPTED if accept else OneToOneStatus.DECLINED
    meeting.decided_at = utcnow()
    db.session.flush()
    return meeting


def my_meetings(programme: TwinningProgramme, user: User) -> list[OneToOne]:
    """The person's one-to-ones in the programme, asked and asked of, in time order."""
    return list(db.session.scalars(
        sa.select(OneToOne)
        .where(OneToOne.programme_id == programme.id,
               sa.or_(OneToOne.requester_id == user.id, OneToOne.invitee_id == user.id))
        .options(selectinload(OneToOne.requester), selectinload(OneToOne.invitee))
        .order_by(OneToOne.starts_at)
    ))


def calendar_meetings(user_id: int, *, live: bool = False) -> list[OneToOne]:
    """The person's one-to-ones in every programme, asked and asked of (``live``: not
    declined), with both people and the programme's event: for their agenda, and for their
    calendar feed, which shows declined ones as cancelled."""
    mine = sa.or_(OneToOne.requester_id == user_id, OneToOne.invitee_id == user_id)
    return list(db.session.scalars(
        sa.select(OneToOne)
        .where(mine, OneToOne.status.in_(_LIVE) if live else sa.true())
        .options(selectinload(OneToOne.requester), selectinload(OneToOne.invitee),
                 selectinload(OneToOne.programme).selectinload(TwinningProgramme.event))
        .order_by(OneToOne.starts_at, OneToOne.id)
    ))


@dataclass(frozen=True)
class Suggestion:
    person: User
    city: str
    why: str
    starts_at: datetime | None  # the first slot both have free


def suggestions(programme: TwinningProgramme, user: User, *, now: datetime | None = None,
                limit: int = SUGGESTIONS) -> list[Suggestion]:
    """Whom the person might meet: their twin's (or pilot's) people first, then the cities that
    share most of their themes, each with the first slot both have free (a fixed number of
    queries, whatever the size of the programme)."""
    people = members(programme)
    me = people.get(user.id)
    if me is None:
        return []
    pairs = db.session.execute(sa.select(TwinningPair.pilot_id, TwinningPair.application_id).where(
        TwinningPair.programme_id == programme.id)).all() if programme.published_at else []
    partners = {(p, None) for p, a in pairs if a == me.application_id} | {(None, a) for p, a in pairs if p == me.pilot_id}

    def rank(m: Member) -> tuple:
        twin = (m.pilot_id, None) in partners or (None, m.application_id) in partners
        shared = len(set(me.themes) & set(m.themes))
        return (not twin, -shared, m.city, m.user_id)

    others = sorted((m for m in people.values() if m.city != me.city), key=rank)[:limit]
    if not others:
        return []
    grid = [s for s in slots(programme) if s > (now or utcnow())]
    busy = _busy([user.id, *(m.user_id for m in others)], grid[0], grid[-1] + SLOT) if grid else {}
    names = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_([m.user_id for m in others])))}
    found = []
    for m in others:
        twin = rank(m)[0] is False
        shared = sorted(set(me.themes) & set(m.themes))
        why = str(_l("your twin city")) if twin else ", ".join(theme_label(t) for t in shared)
        first = next((s for s in grid if _free(busy[user.id], s) and _free(busy[m.user_id], s)), None)
        found.append(Suggestion(person=names[m.user_id], city=m.city, why=why, starts_at=first))
    return found


def request_choices(programme: TwinningProgramme, user: User, *, now: datetime | None = None
                    ) -> tuple[list[tuple[int, str]], list[datetime]]:
    """Whom the person may ask (the other cities' people, as "name (city)") and the slots to come."""
    people = members(programme)
    me = people.get(user.id)
    others = {m.user_id: m.city for m in people.values() if me is None or m.city != me.city}
    names = db.session.execute(sa.select(User.id, User.name).where(User.id.in_(list(others))).order_by(User.name))
    return ([(user_id, f"{name} ({others[user_id]})") for user_id, name in names],
            [s for s in slots(programme) if s > (now or utcnow())])
