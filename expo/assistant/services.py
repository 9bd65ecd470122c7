"""Delegates star the sessions they would like to attend; organisers start the scheduling
assistant and apply what it proposes (through the programme's own services)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.assistant.models import SessionInterest
from expo.core.errors import InvalidState, NotAllowed
from expo.core.extensions import db
from expo.programme.models import ProgrammeSession


def set_interest(*, user: User, session: ProgrammeSession, interested: bool, actor: User) -> bool:
    """Star (or unstar) a session for ``user``; only the delegate themself may. Returns the new state."""
    if actor.id != user.id:
        raise NotAllowed(_l("You can mark sessions only for yourself."))
    existing = db.session.get(SessionInterest, (user.id, session.id))
    if interested and existing is None:
        if session.is_cancelled:
            raise InvalidState(_l("This session is cancelled."))
        db.session.add(SessionInterest(user_id=user.id, session_id=session.id))
    elif not interested and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    return interested


def toggle_interest(*, user: User, session: ProgrammeSession, actor: User) -> bool:
    """Flip ``user``'s star on the session; returns whether it is now starred."""
    starred = db.session.scalar(
        sa.select(sa.func.count()).where(SessionInterest.user_id == user.id,
                                         SessionInterest.session_id == session.id)
    )
    return set_interest(user=user, session=session, interested=not starred, actor=actor)
