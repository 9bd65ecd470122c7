"""Badge services: give a delegate a new badge when the old one is lost."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User, new_code, new_token
from expo.core.errors import NotAllowed
from expo.core.extensions import db
from expo.permissions import can_reset_badge

# Codes are 40 random bits; a clash is very unlikely but the column is unique, so check.
CODE_ATTEMPTS = 5


def _unused_code() -> str:
    candidates = {new_code() for _ in range(CODE_ATTEMPTS)}
    taken = set(db.session.scalars(sa.select(User.badge_code).where(User.badge_code.in_(candidates))))
    return sorted(candidates - taken)[0]


def reset_badge(*, user: User, actor: Any) -> User:
    """Give ``user`` a new badge token and typed code; the lost badge stops working at once."""
    if not can_reset_badge(actor):
        raise NotAllowed(_l("Only organisers can reset a badge."))
    user.badge_token = new_token()
    user.badge_code = _unused_code()
    db.session.flush()
    return user
