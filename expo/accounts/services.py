"""Account services: sign up, verify addresses, authenticate, change and reset passwords, end
sessions."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from expo.accounts import mails, tokens
from expo.accounts.models import Role, User, new_token, password_hash_method, user_networks
from expo.accounts.passwords import check_new_password, password_work
from expo.core.db import insert_rows, is_database_id
from expo.core.errors import Conflict, ExpoError, InvalidState, NotAllowed
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.people.models import Network, Organisation, OrganisationKind

MAX_NAME_LENGTH = 200  # users.name
UNUSABLE_PASSWORD_PREFIX = "!"  # no hashing method starts so: no password matches
RESET = "password-reset"
VERIFY = "verify-email"


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def valid_email(email: str) -> str:
    """The address in the form Expo stores it (lower case), or ExpoError when it is no address."""
    email = User.normalise_email(email)
    if not _is_address(email):
        raise ExpoError(_l("This is not an e-mail address."), field="email")
    return email


@lru_cache(maxsize=4096)  # an import checks each address when it reads the row and when it makes the account
def _is_address(email: str) -> bool:
    try:
        # Only the form of the address: whether its domain receives mail is not asked here.
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def valid_name(name: str) -> str:
    """A person's name without surrounding spaces, or ExpoError when it is blank or too long."""
    name = name.strip()
    if not name:
        raise ExpoError(_l("Give the person's name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ExpoError(_l("A name has at most %(n)s characters.", n=MAX_NAME_LENGTH), field="name")
    return name


def _account_rules(*, email: str, name: str, role: Role | str, address_checked: bool = False) -> tuple[str, str]:
    """The address and name a new account gets, once they pass the rules; the role must be one.
    ``address_checked``: the caller has found the address well formed already."""
    if role not in set(Role):
        raise ExpoError(_l("A role is one of: %(roles)s.", roles=", ".join(Role)), field="role")
    return User.normalise_email(email) if address_checked else valid_email(email), valid_name(name)


@dataclass(frozen=True)
class NewAccount:
    """Who an account without a password is made for (an invited person)."""

    email: str
    name: str
    role: Role = Role.DELEGATE
    organisation_id: int | None = None
    country_code: str | None = None
    network_ids: tuple[int, ...] = ()
    locale: str | None = "en"


def create_accounts(*, accounts: Sequence[NewAccount], addresses_checked: bool = False) -> list[User]:
    """Create accounts without a password anyone knows, as ``create_user`` does one (the same
    rules; an address in use, in any letter case, or twice in the list is refused), the
    accounts and their networks written together however many they are (``insert_rows``). Returns them in
    the order given as detached copies of what was written (outside the database session, so
    a file of thousands does not fill it): load one to change it. ``addresses_checked``: the
    caller has found every address well formed already (a people import, in its preview)."""
    if not accounts:
        return []
    values = []
    for account in accounts:
        email, name = _account_rules(email=account.email, name=account.name, role=account.role,
                                     address_checked=addresses_checked)
        values.append({
            "email": email, "name": name, "role": Role(account.role), "organisation_id": account.organisation_id,
            "country_code": account.country_code, "locale": account.locale or None, "email_verified_at": None,
            "password_hash": UNUSABLE_PASSWORD_PREFIX + new_token(),
        })
    emails = [v["email"] for v in values]
    if len(set(emails)) != len(emails) or db.session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.email.in_(emails))):
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    ids = insert_rows(User.__table__, values, key="email")
    insert_rows(user_networks, [{"user_id": user_id, "network_id": network_id}
                                for user_id, account in zip(ids, accounts)
                                for network_id in dict.fromkeys(account.network_ids)])
    return [User(id=user_id, session_version=0, **row) for user_id, row in zip(ids, values)]


def create_user(
    *,
    email: str,
    password: str | None,
    name: str,
    role: Role | str = Role.DELEGATE,
    organisation: Organisation | None = None,
    country_code: str | None = None,
    networks: Iterable[Network] = (),
    locale: str | None = "en",
    verified: bool = False,
) -> User:
    """Create an account; refuses an e-mail address already in use (in any letter case).
    ``password`` None: no password anyone knows (nothing matches the stored value, and no time
    is spent hashing one), until the owner sets one through an invitation or reset link.
    ``verified``: whoever creates it vouches for the address (an administrator on the server)."""
    email, name = _account_rules(email=email, name=name, role=role)
    if password is not None:
        check_new_password(password, email=email, name=name)
    if find_user_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    user = User(
        email=email,
        name=name,
        role=Role(role),
        organisation=organisation,
        country_code=country_code,
        networks=list(networks),
        locale=locale or None,
        email_verified_at=utcnow() if verified else None,
    )
    if password is None:
        user.password_hash = UNUSABLE_PASSWORD_PREFIX + new_token()
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(
    *,
    email: str,
    password: str,
    name: str,
    organisation: Organisation | None = None,
    country_code: str | None = None,
    networks: Iterable[Network] = (),
    locale: str | None = "en",
) -> User | None:
    """A delegate's own sign-up: the new account (unverified, its link mailed), or None when
    the address has an account already, whose owner is mailed instead. The caller answers both
    alike, so the form tells no one which addresses have accounts."""
    email = valid_email(email)
    check_new_password(password, email=email, name=valid_name(name))
    existing = find_user_by_email(email)
    if existing is not None:
        # As long as creating an account takes: the hash is the slow part of either.
        with password_work():
            generate_password_hash(password, method=password_hash_method())
        mails.account_exists(existing)
        return None
    user = create_user(email=email, password=password, name=name, organisation=organisation,
                       country_code=country_code, networks=networks, locale=locale)
    send_verification(user=user)
    return user


def _hours(config_key: str) -> float:
    return current_app.config[config_key] / 3600


def send_verification(*, user: User) -> str:
    """Mail the link that verifies the address waiting for it: a new address the owner asked
    for, or the account's own while it is unverified. Returns that address."""
    address = user.pending_email or (None if user.email_verified else user.email)
    if address is None:
        raise InvalidState(_l("Your e-mail address is verified already."))
    mails.verify_email(user, address=address, token=tokens.sign(VERIFY, [user.id, address]),
                       hours=_hours("EMAIL_VERIFICATION_MAX_AGE"))
    return address


def _user_by_id(value: object) -> User | None:
    if not (isinstance(value, int) and is_database_id(value)):
        return None
    return db.session.get(User, value)


def verify_email(*, token: str) -> User:
    """Follow a verification link: the account's address counts as verified, or the new
    address it names replaces the old one. Following it again changes nothing."""
    payload = tokens.read(VERIFY, token, max_age=current_app.config["EMAIL_VERIFICATION_MAX_AGE"])
    user_id, address = payload if isinstance(payload, list) and len(payload) == 2 else (None, None)
    user = _user_by_id(user_id)
    if user is None or address not in (user.email, user.pending_email):
        raise InvalidState(_l("This link has expired or is no longer valid. Ask for a new one from your profile."))
    if address != user.email:
        user.pending_email = None
        if find_user_by_email(address) is not None:
            raise Conflict(_l("Another account uses this e-mail address now, so yours keeps its address."))
        user.email = address
        user.email_verified_at = utcnow()
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.flush()
    return user


def request_password_reset(*, email: str) -> User | None:
    """Mail a link to choose a new password when an active account has this address; do
    nothing otherwise (the caller answers the same either way)."""
    try:
        user = find_user_by_email(valid_email(email))
    except ExpoError:
        return None
    if user is None or not user.active:
        return None
    token = tokens.sign(RESET, [user.id, link_mark(user, RESET)])
    mails.password_reset(user, token=token, hours=_hours("PASSWORD_RESET_MAX_AGE"))
    return user


def link_mark(user: User, purpose: str) -> str:
    """What a single-use link (a password reset, an invitation) carries of the account's
    state: derived from the session fingerprint, so setting a password or ending every session
    spends the link, but not the fingerprint itself, which session cookies hold."""
    return hashlib.sha256(f"{purpose}:{user.session_fingerprint}".encode()).hexdigest()[:16]


def user_for_reset(token: str) -> User | None:
    """The account a password-reset link is for, while the link is fresh and unused (a new
    password or ended sessions change the fingerprint it carries, so it works once)."""
    payload = tokens.read(RESET, token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    user_id, fingerprint = payload if isinstance(payload, list) and len(payload) == 2 else (None, None)
    user = _user_by_id(user_id)
    if user is None or not user.active or not isinstance(fingerprint, str):
        return None
    return user if hmac.compare_digest(link_mark(user, RESET), fingerprint) else None


def reset_password(*, token: str, new: str) -> User:
    """Set a new password through a reset link; every session of the account ends, and the
    address counts as verified (the link reached it)."""
    user = user_for_reset(token)
    if user is None:
        raise InvalidState(_l("This link has expired or was used already. Ask for a new one."))
    check_new_password(new, email=user.email, name=user.name, field="new_password")
    user.set_password(new)
    end_all_sessions(user=user)
    user.email_verified_at = user.email_verified_at or utcnow()
    return user


def end_all_sessions(*, user: User) -> None:
    """End every session of the account on every device, "keep me signed in" ones too (at
    log-out, a password reset, deactivation). A view that keeps its own browser signed in
    signs it in again afterwards."""
    user.session_version += 1
    db.session.flush()


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(new_token(), method=method)


def authenticate(*, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the time of the log-in."""
    user = find_user_by_email(email)
    if user is None:
        # An unknown address costs one hash check too, so timing tells no one which addresses
        # have accounts.
        with password_work():
            check_password_hash(_dummy_hash(password_hash_method()), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


# The signed-in person of every request, with their event teams (the permission rules of every
# page read them); built once, as building the statement costs more than sending it.
_SIGNED_IN = sa.select(User).options(joinedload(User.team_roles)).where(User.id == sa.bindparam("user_id"))


def user_by_login_id(login_id: str) -> User | None:
    """The active user a session's id names, if its password fingerprint is still the current one."""
    account, _, digest = login_id.partition(":")
    if not (account.isdigit() and is_database_id(int(account)) and digest):
        return None
    user = db.session.execute(_SIGNED_IN, {"user_id": int(account)}).unique().scalar_one_or_none()
    if user is None or not hmac.compare_digest(user.session_fingerprint, digest):
        return None
    return user if user.active else None  # a deactivated account's sessions end at once


def change_password(*, user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one; sessions under the old one end."""
    if not user.check_password(current):
        raise ExpoError(_l("The current password is not right."), field="current_password")
    check_new_password(new, email=user.email, name=user.name, field="new_password")
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
    return find_or_create_organisations(wanted=[(name, country_code)], kind=kind)[0]


def find_or_create_organisations(*, wanted: Sequence[tuple[str, str | None]], kind: OrganisationKind) -> list[Organisation]:
    """The organisations of these names (in any letter case) and countries, each created if
    new, with one query and one flush for the lot; in the order asked."""
    names = [" ".join(name.split()) for name, _country in wanted]
    if not all(names):
        raise ExpoError(_l("Name the organisation."), field="new_organisation_name")
    found: dict[tuple[str, str | None], Organisation] = {}
    for organisation in db.session.scalars(
        sa.select(Organisation).where(sa.func.lower(Organisation.name).in_({name.lower() for name in names}))
        .order_by(Organisation.id)
    ):
        found.setdefault((organisation.name.lower(), organisation.country_code), organisation)
    new: dict[tuple[str, str | None], dict] = {}
    for name, (_name, country_code) in zip(names, wanted):
        if (name.lower(), country_code) not in found:
            new.setdefault((name.lower(), country_code), {"name": name, "kind": kind, "country_code": country_code})
    if new:
        for organisation in db.session.scalars(sa.insert(Organisation).returning(Organisation), list(new.values())):
            found[(organisation.name.lower(), organisation.country_code)] = organisation
    return [found[(name.lower(), country_code)] for name, (_name, country_code) in zip(names, wanted)]


def update_profile(
    *,
    user: User,
    actor: User,
    name: str,
    email: str,
    organisation: Organisation | None,
    country_code: str | None,
    networks: Iterable[Network],
    locale: str | None,
) -> User:
    """Change who the user is. A new e-mail address takes effect once the link mailed to it is
    followed (``user.pending_email`` holds it meanwhile); whether another account has it is
    not told here."""
    if actor.id != user.id:
        raise NotAllowed(_l("Only the account's owner edits the profile."))
    email = valid_email(email)
    new_address = None if email == user.email else email
    if new_address != user.pending_email:
        user.pending_email = new_address
        if new_address is not None:
            send_verification(user=user)
    return set_details(user=user, name=name, organisation=organisation, country_code=country_code,
                       networks=networks, locale=locale)


def set_details(
    *, user: User, name: str, organisation: Organisation | None, country_code: str | None,
    networks: Iterable[Network], locale: str,
) -> User:
    """Who the person is, as the profile form and the administrators' tools give it; a new
    name shows in the sessions they take part in."""
    set_many_details([Details(user, name, organisation, country_code, list(networks), locale)])
    return user


@dataclass
class Details:
    """Who one person is (``set_details``)."""

    user: User
    name: str
    organisation: Organisation | None
    country_code: str | None
    networks: list[Network]
    locale: str


def set_many_details(people: Sequence[Details]) -> None:
    """``set_details`` for many people at once (an import): one flush, and the sessions of all
    those renamed shown anew together."""
    renamed = []
    for details in people:
        user, name = details.user, valid_name(details.name)
        if user.name != name:
            renamed.append(user)
        user.name = name
        user.organisation = details.organisation
        user.country_code = details.country_code
        user.networks = list(details.networks)
        user.locale = details.locale or None
    db.session.flush()
    if renamed:
        from expo.events.services import people_renamed

        people_renamed(users=renamed)


def set_invitations(*, user: User, actor: User, wanted: bool) -> User:
    """Whether the user's booking e-mails carry calendar invitations and cancellations."""
    if actor.id != user.id:
        raise NotAllowed(_l("Only the account's owner chooses how Expo writes to them."))
    user.wants_invitations = wanted
    db.session.flush()
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
