"""The H22 City Expo demo: Helsingborg, 30 May – 3 July 2022, at its real size.

Ten events (the UNECE "H22 +50 Sessions", European Viable Cities Day, the NetZeroCities Twin
Cities workshops …; one still a draft), ten venues across the city, about 300 sessions,
the Twin Cities programme with its pilot and twin cities, matched pairs and their meetings,
delegates from more than 50 countries, registrations, bookings with waiting lists and the
first days' check-ins. Always the same data (fixed seed); loading it twice changes nothing.

``make run`` loads it moved in time (see expo/demo/timeshift.py) so that its first week is the
current week; ``flask expo demo --historical`` keeps the real dates of 2022."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from expo.core.extensions import db
from expo.demo import catalogue as cat
from expo.core.timeutil import to_local
from expo.demo.generate import Plan, build_expo, demo_password_hash
from expo.demo.timeshift import move_in_time, weeks_until
from expo.core.branding import forget
from expo.events.branding import update_look
from expo.events.models import Event

DEMO_PLAN = Plan(
    seed=2022, sessions=300, delegates=cat.DELEGATES, bookings=6000, cancelled_sessions=5, check_in_days=3
)

# H22's look: Helsingborg's sea teal and a deep harbour blue, and a logo of words only.
H22_PRIMARY = "#0e7c86"
H22_ACCENT = "#1f4e9c"
H22_LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 48" width="120" height="48">
  <rect x="0" y="0" width="120" height="48" rx="8" fill="#0e7c86"/>
  <rect x="4" y="4" width="112" height="40" rx="5" fill="none" stroke="#ffffff" stroke-width="2"/>
  <text x="60" y="27" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="20"
        font-weight="700" fill="#ffffff">H22</text>
  <text x="60" y="39" text-anchor="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="8"
        letter-spacing="2" fill="#ffffff">CITY EXPO</text>
</svg>
"""

DEMO_LOGINS = {
    "password": cat.DEMO_PASSWORD,
    "accounts": {
        **{role: email for role, email, _name, _org, _country in cat.DEMO_ACCOUNTS},
        **{f"event {role}": email for role, email, *_rest in cat.DEMO_TEAM_ACCOUNTS},
    },
}


def load_demo(only_if_empty: bool = False, *, now: datetime | None = None) -> str:
    """Load the demo expo unless it is there already (or, with ``only_if_empty``, any event is):
    at its real 2022 dates, or moved so that the week of ``now`` is its first week."""
    if db.session.scalar(sa.select(Event.id).where(Event.slug == cat.ANCHOR_EVENT_SLUG)) is not None:
        return f"The {cat.EXPO_NAME} demo is already loaded; nothing changed."
    if only_if_empty and db.session.scalar(sa.select(Event.id).limit(1)) is not None:
        return "The database already has events; the demo was not loaded."
    if now is None:
        summary = build_expo(DEMO_PLAN, password_hash=demo_password_hash(), twinning=True)
        dress_h22()
        return f"Loaded the {cat.EXPO_NAME} demo at its real dates: {summary.line()}."
    today = to_local(now, cat.EXPO_TIMEZONE).date()
    weeks = weeks_until(cat.EXPO_FIRST_DAY, today)
    # Delegates came to the door of every session held so far this week (up to today, whose
    # later check-ins are taken out again with the rest of the future).
    days_so_far = today.weekday() + 1
    plan = replace(DEMO_PLAN, check_in_days=days_so_far)
    summary = build_expo(plan, password_hash=demo_password_hash(), twinning=True)
    dress_h22()
    summary.check_ins -= move_in_time(days=7 * weeks, tz=cat.EXPO_TIMEZONE, now=now)
    first_day = cat.EXPO_FIRST_DAY + timedelta(weeks=weeks)
    return (f"Loaded the {cat.EXPO_NAME} demo, moved {weeks} weeks on so that it runs from "
            f"{first_day:%-d %B %Y}: {summary.line()}.")


def dress_h22() -> None:
    """H22's name, colours and logo, as an administrator would set them under Settings → Branding."""
    update_look(name=cat.EXPO_NAME, primary=H22_PRIMARY, accent=H22_ACCENT, logo=H22_LOGO, actor=None)
    db.session.flush()
    forget()
