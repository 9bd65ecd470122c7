"""Twinning programmes: the organisers' programme, modules and pilot cities; the call's
applications and the decisions on them; the matching of accepted cities with pilot cities."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.errors import Conflict, InvalidState, NotAllowed
from expo.core.extensions import cache, db
from expo.permissions import TWINNING_PEOPLE_KEY
from expo.core.timeutil import utcnow
from expo.twinning import matching, notifications
from expo.twinning.models import (
    PRIORITIES,
    THEMES,
    ApplicationStatus,
    PairRule,
    PairRuleKind,
    PilotCity,
    TwinningApplication,
    TwinningModule,
    TwinningPair,
    TwinningProgramme,
    application_contacts,
    pilot_contacts,
)


@dataclass
class ModuleData:
    name: str
    starts_on: date
    ends_on: date


@dataclass
class ProgrammeData:
    name: str
    description: str = ""
    themes: Sequence[str] = ()
    travel_cap: int = 0
    max_twins: int = 1
    deadline: datetime | None = None
    separate_countries: bool = False
    modules: Sequence[ModuleData] = ()
    event_id: int | None = None


@dataclass
class CityData:
    """A city's profile, as a pilot city is recorded or an applicant describes itself."""

    name: str
    country_code: str | None = None
    population: int | None = None
    themes: dict[str, int] = field(default_factory=dict)
    languages: Sequence[str] = ()
    offers: str = ""
    contact_emails: Sequence[str] = ()


@dataclass
class ApplicationData(CityData):
    organisation: str = ""
    challenges: str = ""


def _check_programme(data: ProgrammeData) -> None:
    unknown = set(data.themes) - set(THEMES)
    if unknown:
        raise InvalidState(_l("Unknown theme: %(theme)s.", theme=", ".join(sorted(unknown))), field="themes")
    for module in data.modules:
        if module.ends_on < module.starts_on:
            raise InvalidState(_l("A module must end on or after the day it starts."), field="modules")


def _apply_programme(programme: TwinningProgramme, data: ProgrammeData) -> None:
    programme.name = data.name.strip()
    programme.description = data.description.strip() or None
    programme.themes = [t for t in THEMES if t in set(data.themes)]
    programme.travel_cap = data.travel_cap
    programme.max_twins = data.max_twins
    programme.deadline = data.deadline
    programme.separate_countries = data.separate_countries
    programme.event_id = data.event_id
    programme.modules = [
        TwinningModule(position=position, name=m.name.strip(), starts_on=m.starts_on, ends_on=m.ends_on)
        for position, m in enumerate(data.modules)
    ]


def create_programme(*, data: ProgrammeData, actor: User) -> TwinningProgramme:
    """A new programme with its modules; its call is open until the deadline, if one is set."""
    _check_programme(data)
    programme = TwinningProgramme(weights=dict(matching.DEFAULT_WEIGHTS))
    _apply_programme(programme, data)
    db.session.add(programme)
    db.session.flush()
    return programme


def update_programme(*, programme: TwinningProgramme, data: ProgrammeData, actor: User) -> TwinningProgramme:
    """Change a programme's description, themes, limits, deadline and modules."""
    _check_programme(data)
    _apply_programme(programme, data)
    db.session.flush()
    return programme


def list_programmes() -> list[tuple[TwinningProgramme, int, int]]:
    """Every programme, newest first, with its number of pilot cities and of applications."""
    pilots = sa.select(sa.func.count(PilotCity.id)).where(PilotCity.programme_id == TwinningProgramme.id)
    applications = sa.select(sa.func.count(TwinningApplication.id)).where(
        TwinningApplication.programme_id == TwinningProgramme.id
    )
    query = sa.select(
        TwinningProgramme, pilots.scalar_subquery(), applications.scalar_subquery()
    ).order_by(TwinningProgramme.created_at.desc(), TwinningProgramme.id.desc())
    return [tuple(row) for row in db.session.execute(query)]


def open_programmes() -> list[TwinningProgramme]:
    """Programmes whose call takes applications now."""
    query = sa.select(TwinningProgramme).where(TwinningProgramme.deadline > utcnow()).order_by(TwinningProgramme.deadline)
    return list(db.session.scalars(query))


# --- cities ---------------------------------------------------------------------------------

def people_changed() -> None:
    """Who takes part in twinning changed: the menus read it from the database again."""
    cache.delete(TWINNING_PEOPLE_KEY)


def _contacts(emails: Sequence[str]) -> list[User]:
    wanted = sorted({e.strip().lower() for e in emails if e.strip()})
    if not wanted:
        return []
    found = list(db.session.scalars(sa.select(User).where(User.email.in_(wanted))))
    missing = sorted(set(wanted) - {u.email for u in found})
    if missing:
        raise InvalidState(
            _l("No account has the address %(emails)s: contact people must have signed up first.",
               emails=", ".join(missing)),
            field="contacts",
        )
    return found


def _check_city(programme: TwinningProgramme, data: CityData) -> None:
    for theme, priority in data.themes.items():
        if theme not in programme.themes or priority not in PRIORITIES:
            raise InvalidState(_l("Choose a priority from 1 to 3 for the programme's themes."), field="themes")
    if data.population is not None and data.population <= 0:
        raise InvalidState(_l("The population is a positive number."), field="population")


def _apply_city(city: PilotCity | TwinningApplication, data: CityData) -> None:
    city.country_code = data.country_code or None
    city.population = data.population
    city.themes = {t: int(p) for t, p in data.themes.items() if p}
    city.languages = sorted(set(data.languages))
    city.offers = data.offers.strip()
    city.contacts = _contacts(data.contact_emails)
    people_changed()


def save_pilot(*, programme: TwinningProgramme, pilot: PilotCity | None = None, data: CityData,
               actor: User) -> PilotCity:
    """Record a pilot city of the programme, or change one."""
    _check_city(programme, data)
    same = sa.select(PilotCity.id).where(
        PilotCity.programme_id == programme.id, sa.func.lower(PilotCity.name) == data.name.strip().lower()
    )
    if pilot is not None:
        same = same.where(PilotCity.id != pilot.id)
    if db.session.scalar(same) is not None:
        raise Conflict(_l("This programme already has a pilot city of that name."), field="name")
    if pilot is None:
        pilot = PilotCity(programme=programme)
        db.session.add(pilot)
    pilot.name = data.name.strip()
    _apply_city(pilot, data)
    db.session.flush()
    return pilot


# --- the call -------------------------------------------------------------------------------

def application_of(programme: TwinningProgramme, user: User) -> TwinningApplication | None:
    """The application this person made to the programme's call, if any."""
    return db.session.scalar(
        sa.select(TwinningApplication)
        .where(TwinningApplication.programme_id == programme.id, TwinningApplication.user_id == user.id)
        .options(selectinload(TwinningApplication.contacts))
    )


def submit_application(*, programme: TwinningProgramme, data: ApplicationData, actor: User,
                       now: datetime | None = None) -> TwinningApplication:
    """Make or change the actor's application; only while the call is open."""
    if not programme.is_open(now):
        raise NotAllowed(_l("The call for this programme is closed: applications are no longer taken."))
    _check_city(programme, data)
    if not data.themes:
        raise InvalidState(_l("Give at least one theme a priority."), field="themes")
    application = application_of(programme, actor)
    if application is None:
        application = TwinningApplication(programme=programme, user=actor, status=ApplicationStatus.SUBMITTED)
        db.session.add(application)
        first = True
    else:
        if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED):
            raise InvalidState(_l("Your application has been decided on and can no longer be changed."))
        first = False
    application.organisation = data.organisation.strip()
    application.city = data.name.strip()
    application.challenges = data.challenges.strip()
    _apply_city(application, data)
    application.updated_at = utcnow()
    db.session.flush()
    if first:
        notifications.application_received(application)
    return application


DECISIONS = {
    "shortlist": ApplicationStatus.SHORTLISTED,
    "accept": ApplicationStatus.ACCEPTED,
    "decline": ApplicationStatus.DECLINED,
}


def decide_application(*, application: TwinningApplication, decision: str, actor: User) -> TwinningApplication:
    """Shortlist, accept or decline an application; the applicant is told by e-mail in their language."""
    status = DECISIONS.get(decision)
    if status is None:
        raise InvalidState(_l("Unknown decision."))
    if application.programme.published_at is not None and application.status is ApplicationStatus.ACCEPTED:
        raise InvalidState(_l("The pairs are published: an accepted city stays accepted."))
    if application.status is status:
        return application
    application.status = status
    application.decided_at = utcnow()
    if status is not ApplicationStatus.ACCEPTED:
        db.session.execute(sa.delete(TwinningPair).where(TwinningPair.application_id == application.id))
    db.session.flush()
    audit.record(actor=actor, action=AuditAction.TWINNING_APPLICATION_DECIDED, subject=application.user,
                 target=f"{application.programme.name}: {application.city}", detail=status.value)
    notifications.application_decided(application)
    return application


def list_applications(programme: TwinningProgramme, status: ApplicationStatus | None = None) -> list[TwinningApplication]:
    """The programme's applications, in the order they came, with their applicants."""
    query = (
        sa.select(TwinningApplication)
        .where(TwinningApplication.programme_id == programme.id)
        .options(selectinload(TwinningApplication.user))
        .order_by(TwinningApplication.submitted_at, TwinningApplication.id)
    )
    if status is not None:
        query = query.where(TwinningApplication.status == status)
    return list(db.session.scalars(query))


# --- matching -------------------------------------------------------------------------------

def _city(row: PilotCity | TwinningApplication, text: str) -> matching.City:
    return matching.City(id=row.id, name=row.name, country=row.country_code, population=row.population,
                         themes=dict(row.themes or {}), languages=frozenset(row.languages or ()), text=text)


@dataclass
class MatchingRun:
    """What one run of the matching gave: its pairs, and the totals of it and of a greedy matching."""

    pairs: list[TwinningPair]
    total: float
    greedy_total: float
    unmatched: list[TwinningApplication]


def set_pair_rule(*, programme: TwinningProgramme, application: TwinningApplication, pilot: PilotCity,
                  kind: PairRuleKind | None, actor: User) -> None:
    """Lock a pair, forbid it, or leave it to the matching again (``kind`` None)."""
    if application.programme_id != programme.id or pilot.programme_id != programme.id:
        raise InvalidState(_l("The city is not in this programme."))
    if programme.published_at is not None:
        raise InvalidState(_l("The pairs are published and can no longer change."))
    rule = db.session.scalar(
        sa.select(PairRule).where(PairRule.application_id == application.id, PairRule.pilot_id == pilot.id)
    )
    if kind is None:
        if rule is not None:
            db.session.delete(rule)
    else:
        if kind is PairRuleKind.LOCK:
            other = db.session.scalar(sa.select(PairRule).where(
                PairRule.application_id == application.id, PairRule.kind == PairRuleKind.LOCK,
                PairRule.pilot_id != pilot.id))
            if other is not None:
                db.session.delete(other)
            locks = db.session.scalar(sa.select(sa.func.count(PairRule.id)).where(
                PairRule.pilot_id == pilot.id, PairRule.kind == PairRuleKind.LOCK,
                PairRule.application_id != application.id))
            if locks >= programme.max_twins:
                raise InvalidState(_l("%(pilot)s has no place left for another locked pair.", pilot=pilot.name))
        if rule is None:
            rule = PairRule(application_id=application.id, pilot_id=pilot.id, kind=kind)
            db.session.add(rule)
        rule.kind = kind
    db.session.flush()


def pair_rules(programme: TwinningProgramme) -> list[PairRule]:
    return list(db.session.scalars(
        sa.select(PairRule).join(PilotCity).where(PilotCity.programme_id == programme.id)
        .options(selectinload(PairRule.application), selectinload(PairRule.pilot)).order_by(PairRule.id)
    ))


def run_matching(*, programme: TwinningProgramme, actor: User, weights: dict[str, float] | None = None,
                 separate_countries: bool | None = None) -> MatchingRun:
    """Pair every accepted applicant with a pilot city: optimal total affinity, each pilot with
    at most the programme's number of twins, locked and forbidden pairs respected (with the
    organiser's new weights of the affinity's parts and same-country rule, if given)."""
    if programme.published_at is not None:
        raise InvalidState(_l("The pairs are published and can no longer change."))
    if weights is not None:
        programme.weights = matching.normalised_weights(weights)
    if separate_countries is not None:
        programme.separate_countries = separate_countries
    applications = list_applications(programme, ApplicationStatus.ACCEPTED)
    pilots = list(programme.pilots)
    if not applications or not pilots:
        raise InvalidState(_l("The matching needs accepted applications and pilot cities."))
    a_cities = [_city(a, a.challenges) for a in applications]
    p_cities = [_city(p, p.offers) for p in pilots]
    a_index = {a.id: i for i, a in enumerate(applications)}
    p_index = {p.id: j for j, p in enumerate(pilots)}
    rules = [(a_index[r.application_id], p_index[r.pilot_id], r.kind) for r in pair_rules(programme)
             if r.application_id in a_index]
    locked = [(i, j) for i, j, kind in rules if kind is PairRuleKind.LOCK]
    forbidden = matching.forbidden_mask(a_cities, p_cities, [(i, j) for i, j, kind in rules if kind is PairRuleKind.FORBID],
                                        separate_countries=programme.separate_countries)
    result = matching.affinity(a_cities, p_cities, programme.weights)
    try:
        chosen = matching.assign(result.scores, programme.max_twins, forbidden=forbidden, locked=locked)
        greedy = matching.greedy(result.scores, programme.max_twins, forbidden=forbidden, locked=locked)
    except ValueError as error:
        raise InvalidState(_l("The locked pairs do not fit the pilots' places.")) from error
    db.session.execute(sa.delete(TwinningPair).where(TwinningPair.programme_id == programme.id))
    locked_set = set(locked)
    pairs = [
        TwinningPair(programme_id=programme.id, application=applications[i], pilot=pilots[j],
                     score=round(float(result.scores[i, j]), 2), locked=(i, j) in locked_set,
                     reasons=matching.reasons(a_cities[i], p_cities[j], i, j, result))
        for i, j in sorted(chosen.items())
    ]
    db.session.add_all(pairs)
    programme.matched_at = utcnow()
    programme.matched_total = round(matching.total(result.scores, chosen), 2)
    programme.greedy_total = round(matching.total(result.scores, greedy), 2)
    db.session.flush()
    unmatched = [a for i, a in enumerate(applications) if i not in chosen]
    return MatchingRun(pairs=pairs, total=programme.matched_total, greedy_total=programme.greedy_total,
                       unmatched=unmatched)


def list_pairs(programme: TwinningProgramme) -> list[TwinningPair]:
    """The programme's pairs by pilot city, with both cities loaded."""
    query = (
        sa.select(TwinningPair)
        .where(TwinningPair.programme_id == programme.id)
        .join(PilotCity, PilotCity.id == TwinningPair.pilot_id)
        .options(selectinload(TwinningPair.application), selectinload(TwinningPair.pilot))
        .order_by(PilotCity.name, TwinningPair.score.desc(), TwinningPair.application_id)
    )
    return list(db.session.scalars(query))


def publish_pairs(*, programme: TwinningProgramme, actor: User) -> list[TwinningPair]:
    """Make the pairs final and tell every twin city its pilot city."""
    if programme.published_at is not None:
        raise InvalidState(_l("The pairs are already published."))
    pairs = list_pairs(programme)
    if not pairs:
        raise InvalidState(_l("Run the matching before publishing its pairs."))
    programme.published_at = utcnow()
    db.session.flush()
    audit.record(actor=actor, action=AuditAction.TWINNING_PAIRS_PUBLISHED, target=programme.name,
                 detail="; ".join(f"{pair.pilot.name} – {pair.application.city}" for pair in pairs))
    for pair in pairs:
        notifications.pair_published(pair)
    return pairs


def pair_of(application: TwinningApplication) -> TwinningPair | None:
    """The application's published pair, if the programme has published its pairs."""
    if application.programme.published_at is None:
        return None
    return db.session.scalar(sa.select(TwinningPair).where(TwinningPair.application_id == application.id))


def my_applications(user: User) -> list[TwinningApplication]:
    """The person's applications to every programme, newest first."""
    query = (
        sa.select(TwinningApplication)
        .where(TwinningApplication.user_id == user.id)
        .options(selectinload(TwinningApplication.programme))
        .order_by(TwinningApplication.submitted_at.desc())
    )
    return list(db.session.scalars(query))


def programmes_of(user: User) -> list[TwinningProgramme]:
    """The programmes whose cities the person speaks for (one-to-ones), by name."""
    pilots = sa.select(PilotCity.programme_id).join(pilot_contacts, pilot_contacts.c.pilot_id == PilotCity.id).where(
        pilot_contacts.c.user_id == user.id)
    accepted = sa.select(TwinningApplication.programme_id).where(
        TwinningApplication.status == ApplicationStatus.ACCEPTED,
        sa.or_(TwinningApplication.user_id == user.id, TwinningApplication.id.in_(
            sa.select(application_contacts.c.application_id).where(application_contacts.c.user_id == user.id))))
    return list(db.session.scalars(sa.select(TwinningProgramme).where(
        sa.or_(TwinningProgramme.id.in_(pilots), TwinningProgramme.id.in_(accepted))).order_by(TwinningProgramme.name)))
