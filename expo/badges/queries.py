"""Read-side queries for badges, each a single statement."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from expo.accounts.models import User
from expo.badges.builders import BadgeData
from expo.events.models import Event
from expo.extensions import db
from expo.people.models import Organisation
from expo.registration.models import Registration, RegistrationStatus


def badges_for_event(event: Event) -> list[BadgeData]:
    """A badge for each approved registrant of the event, by name."""
    users = db.session.scalars(
        sa.select(User)
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)
        .options(joinedload(User.organisation).joinedload(Organisation.country), joinedload(User.country))
        .order_by(User.name, User.id)
    ).unique()
    badges = []
    for user in users:
        country = user.country or (user.organisation.country if user.organisation else None)
        badges.append(
            BadgeData(
                name=user.name,
                organisation=user.organisation.name if user.organisation else "",
                country=country.name if country else "",
                badge_token=user.badge_token,
                badge_code=user.badge_code,
            )
        )
    return badges


def events_with_registrants() -> list[tuple[Event, int]]:
    """Every event with its number of approved registrants (the badges to print)."""
    approved = (
        sa.select(Registration.event_id, sa.func.count(Registration.id).label("n"))
        .where(Registration.status == RegistrationStatus.APPROVED, Registration.user_id.is_not(None))
        .group_by(Registration.event_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Event, sa.func.coalesce(approved.c.n, 0))
        .outerjoin(approved, approved.c.event_id == Event.id)
        .order_by(Event.starts_on, Event.name)
    )
    return [(event, count) for event, count in rows]
