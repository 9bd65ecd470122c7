"""Read-side queries for badges, each a single statement."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from expo.accounts.models import User
from expo.badges.builders import BadgeData
from expo.core.extensions import db
from expo.events.models import Event
from expo.people.countries import country_name
from expo.people.models import Organisation
from expo.permissions import managed_events_clause
from expo.registration.models import Registration, RegistrationStatus
from expo.core.i18n import by_name


def _with_details() -> sa.Select:
    return sa.select(User).options(
        joinedload(User.organisation).joinedload(Organisation.country), joinedload(User.country)
    )


def badge_data(user: User) -> BadgeData:
    """What a person's badge shows; the country is their own, else their organisation's."""
    country = user.country or (user.organisation.country if user.organisation else None)
    return BadgeData(
        name=user.name,
        organisation=user.organisation.name if user.organisation else "",
        country=country_name(country),
        badge_token=user.badge_token,
        badge_code=user.badge_code,
    )


def badges_for_event(event: Event) -> list[BadgeData]:
    """A badge for each approved registrant of the event, by name."""
    users = db.session.scalars(
        _with_details()
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .order_by(by_name(User.name), User.id)
    ).unique()
    return [badge_data(user) for user in users]


def person_with_details(user_id: int) -> User | None:
    return db.session.scalars(_with_details().where(User.id == user_id)).unique().one_or_none()


def events_with_registrants(user: Any) -> list[tuple[Event, int]]:
    """The events ``user`` manages with their numbers of approved registrants (the badges to print)."""
    approved = (
        sa.select(Registration.event_id, sa.func.count(Registration.id).label("n"))
        .where(Registration.status == RegistrationStatus.APPROVED, Registration.user_id.is_not(None))
        .group_by(Registration.event_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Event, sa.func.coalesce(approved.c.n, 0))
        .outerjoin(approved, approved.c.event_id == Event.id)
        .where(managed_events_clause(user))
        .order_by(Event.starts_on, Event.name)
    )
    return [(event, count) for event, count in rows]
