"""The H22 City Expo demo: Helsingborg, 30 May – 3 July 2022, at its real size.

Ten events (the UNECE "H22 +50 Sessions", European Viable Cities Day, the NetZeroCities Twin
Cities workshops …; one still a draft), ten venues across the city, about 300 sessions,
delegates from more than 50 countries, registrations, bookings with waiting lists and the
first days' check-ins. Always the same data (fixed seed and dates); loading it twice changes
nothing."""
from __future__ import annotations

import sqlalchemy as sa

from expo.core.extensions import db
from expo.demo import catalogue as cat
from expo.demo.generate import Plan, build_expo, demo_password_hash
from expo.events.models import Event

DEMO_PLAN = Plan(
    seed=2022, sessions=300, delegates=cat.DELEGATES, bookings=6000, cancelled_sessions=5, check_in_days=3
)

DEMO_LOGINS = {
    "password": cat.DEMO_PASSWORD,
    "accounts": {
        **{role: email for role, email, _name, _org, _country in cat.DEMO_ACCOUNTS},
        **{f"event {role}": email for role, email, *_rest in cat.DEMO_TEAM_ACCOUNTS},
    },
}


def load_demo(only_if_empty: bool = False) -> str:
    """Load the demo expo unless it is there already (or, with ``only_if_empty``, any event is)."""
    if db.session.scalar(sa.select(Event.id).where(Event.slug == cat.ANCHOR_EVENT_SLUG)) is not None:
        return f"The {cat.EXPO_NAME} demo is already loaded; nothing changed."
    if only_if_empty and db.session.scalar(sa.select(Event.id).limit(1)) is not None:
        return "The database already has events; the demo was not loaded."
    summary = build_expo(DEMO_PLAN, password_hash=demo_password_hash())
    return f"Loaded the {cat.EXPO_NAME} demo: {summary.line()}."
