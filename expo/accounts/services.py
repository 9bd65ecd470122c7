"""Account services: create users, authenticate, change passwords."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.errors import Conflict, ExpoError
from expo.extensions import db
from expo.people.models import Network, Organisation
from expo.timeutil import utcnow

MIN_PASSWORD_LENGTH = 10


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def create_user(
    *,
    email: str,
    password: str,
    name: str,
    role: Role = Role.DELEGATE,
    organisation: Organisation | None = None,
    country_code: str | None = None,
    networks: Iterable[Network] = (),
    locale: str = "en",
) -> User:
    """Create an account; refuses an e-mail address already in use (in any letter case)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ExpoError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if find_user_by_email(email) is not None:
        raise Conflict("An account with this e-mail address already exists.", field="email")
    user = User(
        email=User.normalise_email(email),
        name=name.strip(),
        role=role,
        organisation=organisation,
        country_code=country_code,
        networks=list(networks),
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the time of the log-in."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def change_password(*, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one."""
    if not user.check_password(current):
        raise ExpoError("The current password is not right.", field="current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ExpoError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="new_password")
    user.set_password(new)
