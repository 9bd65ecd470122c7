"""Account services: create users, authenticate, change passwords."""
from __future__ import annotations

import hmac
from collections.abc import Iterable
from functools import cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import joinedload
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from expo.accounts.models import Role, User, new_token, password_hash_method
from expo.core.db import is_database_id
from expo.core.errors import Conflict, ExpoError, NotAllowed
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.people.models import Network, Organisation, OrganisationKind

MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 200  # users.name


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def valid_email(email: str) -> str:
    """The address in the form Expo stores it (lower case), or ExpoError when it is no address."""
    email = User.normalise_email(email)
    try:
        # Only the form of the address: whether its domain receives mail is not asked here.
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ExpoError(_l("This is not an e-mail address."), field="email") from None
    return email


def valid_name(name: str) -> str:
    """A person's name without surrounding spaces, or ExpoError when it is blank or too long."""
    name = name.strip()
    if not name:
        raise ExpoError(_l("Give the person's name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ExpoError(_l("A name has at most %(n)s characters.", n=MAX_NAME_LENGTH), field="name")
    return name


def create_user(
    *,
    email: str,
    password: str,
    name: str,
    role: Role | str = Role.DELEGATE,
    organisation: Organisation | None = None,
    country_code: str | None = None,
    networks: Iterable[Network] = (),
    locale: str = "en",
) -> User:
    """Create an account; refuses an e-mail address already in use (in any letter case)."""
    email = valid_email(email)
    name = valid_name(name)
    if role not in set(Role):
        raise ExpoError(_l("A role is one of: %(roles)s.", roles=", ".join(Role)), field="role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ExpoError(_l("Passwords need at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="password")
    if find_user_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    user = User(
        email=email,
        name=name,
        role=Role(role),
        organisation=organisation,
        country_code=country_code,
        networks=list(networks),
        locale=locale,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(new_token(), method=method)


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the time of the log-in."""
    user = find_user_by_email(email)
    if user is None:
        # An unknown address costs one hash check too, so timing tells no one which addresses
        # have accounts.
        check_password_hash(_dummy_hash(password_hash_method()), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def user_by_login_id(login_id: str) -> User | None:
    """The active user a session's id names, if its password fingerprint is still the current one."""
    account, _, digest = login_id.partition(":")
    if not (account.isdigit() and is_database_id(int(account)) and digest):
        return None
    # The person's event teams come along: the permission rules of every page read them.
    user = db.session.get(User, int(account), options=[joinedload(User.team_roles)])
    if user is None or not hmac.compare_digest(user.password_digest, digest):
        return None
    return user if user.active else None  # a deactivated account's sessions end at once


def change_password(*, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; sessions under the old one end."""
    if not user.check_password(current):
        raise ExpoError(_l("The current password is not right."), field="current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ExpoError(_l("Passwords need at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="new_password")
    user.set_password(new)


def organisation_choices() -> list[tuple[int, str]]:
    """Organisations to pick from, labelled with their country code."""
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.country_code).order_by(Organisation.name)
    ).all()
    return [(i, f"{name} ({code})" if code else name) for i, name, code in rows]


def network_choices() -> list[tuple[int, str]]:
    return [(n.id, n.name) for n in db.session.scalars(sa.select(Network).order_by(Network.name))]


def find_or_create_organisation(*, name: str, kind: OrganisationKind, country_code: str | None) -> Organisation:
    """The organisation of this name (in any letter case) and country, created if new."""
    name = " ".join(name.split())
    if not name:
        raise ExpoError(_l("Name the organisation."), field="new_organisation_name")
    existing = db.session.scalar(
        sa.select(Organisation).where(
            sa.func.lower(Organisation.name) == name.lower(),
            Organisation.country_code.is_(None) if country_code is None else Organisation.country_code == country_code,
        )
    )
    if existing is not None:
        return existing
    organisation = Organisation(name=name, kind=kind, country_code=country_code)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def update_profile(
    *,
    user: User,
    actor: User,
    name: str,
    email: str,
    organisation: Organisation | None,
    country_code: str | None,
    networks: Iterable[Network],
    locale: str,
) -> User:
    """Change who the user is; the e-mail address must stay unique."""
    if actor.id != user.id:
        raise NotAllowed(_l("Only the account's owner edits the profile."))
    email = valid_email(email)
    if email != user.email and find_user_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    name = valid_name(name)
    renamed = user.name != name
    user.name = name
    user.email = email
    user.organisation = organisation
    user.country_code = country_code
    user.networks = list(networks)
    user.locale = locale
    db.session.flush()
    if renamed:
        from expo.events.services import person_renamed

        person_renamed(user=user)
    return user


def set_locale(*, user: User, locale: str) -> User:
    """The language Expo speaks to the user in, on every device and in e-mails."""
    user.locale = locale
    db.session.flush()
    return user


def set_needs(*, user: User, accessibility: str | None, dietary: str | None, consent: bool) -> User:
    """Store accessibility and dietary needs only with consent; withdrawing consent erases them."""
    accessibility = (accessibility or "").strip() or None
    dietary = (dietary or "").strip() or None
    if not consent:
        if accessibility or dietary:
            raise ExpoError(_l("Needs are stored only with your consent."), field="needs_consent")
        user.accessibility_needs = user.dietary_needs = None
        user.needs_consent_at = None
    else:
        user.accessibility_needs = accessibility
        user.dietary_needs = dietary
        # Consent matters only while something is stored under it.
        user.needs_consent_at = (user.needs_consent_at or utcnow()) if (accessibility or dietary) else None
    db.session.flush()
    return user


def networks_by_ids(ids: Iterable[int]) -> list[Network]:
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Network).where(Network.id.in_(ids)).order_by(Network.name)))
