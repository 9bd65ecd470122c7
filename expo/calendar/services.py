"""Calendar services: the delegate's secret feed address."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from expo.accounts.models import User, new_token
from expo.core.errors import NotAllowed
from expo.core.extensions import db
from expo.permissions import can_reset_feed_token


def reset_feed_token(*, user: User, actor: User) -> str:
    """Give ``user`` a new personal feed address; the old one stops working at once."""
    if not can_reset_feed_token(actor, user):
        raise NotAllowed(_l("Only the owner of a calendar feed can give it a new address."))
    user.feed_token = new_token()
    db.session.flush()
    return user.feed_token
