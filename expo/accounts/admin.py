"""People administration by organisers: find accounts, see what a person did, invite staff
and organisers, change roles, deactivate and reactivate accounts. Each action is audited."""
from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from expo.accounts import mails
from expo.accounts.models import Role, User
from expo.accounts.passwords import check_new_password
from expo.accounts.services import (
    Details, NewAccount, create_accounts, end_all_sessions, link_mark, set_details, set_many_details, valid_name,
)
from expo.attendance.models import CheckIn
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.db import contains_text, is_database_id
from expo.core.errors import InvalidState, NotAllowed
from expo.core.extensions import db
from expo.core.mailqueue import store_now
from expo.core.i18n import by_name
from expo.core.tables import Column, Table, joined, name_ranks
from expo.core.timeutil import utcnow
from expo.people.countries import by_country_name
from expo.people.models import Network, Organisation
from expo.programme.models import ProgrammeSession
from expo.registration import privacy
from expo.registration.models import Booking, Registration

PER_PAGE = 50
INVITATION_VALID_FOR = timedelta(days=7)
INVITABLE_ROLES = (Role.DELEGATE, Role.STAFF, Role.ADMIN)
_INVITATION_SALT = "expo-invitation"


# --- finding people ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PeopleFilter:
    q: str | None = None  # name, e-mail or organisation
    role: Role | None = None
    country: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class PeoplePage:
    people: list[User]
    number: int
    has_next: bool


def people_table() -> Table:
    """The columns of the people list, names sorted in the reader's language."""
    organisations = name_ranks(Organisation.id, Organisation.name, "organisation_ranks")
    return Table(
        columns=(
            Column("name", _l("Name"), by_name(User.name)),
            Column("email", _l("E-mail"), User.email),
            Column("organisation", _l("Organisation"), organisations.c.rank,
                   joins=((organisations, True, organisations.c.id == User.organisation_id),)),
            Column("country", _l("Country"), by_country_name(User.country_code)),
            Column("role", _l("Role"), User.role),
            Column("account", _l("Account"), User.active),
        ),
        key=User.id,
        default_sort="name",
        options=(joinedload(User.organisation),),
        depends_on=("registrations", "schedule"),
    )


def people_query(filters: PeopleFilter) -> sa.Select:
    """The accounts that match the filters, for the people table."""
    query = sa.select(User)
    if filters.q:
        query = joined(query, User.organisation, outer=True).where(contains_text(filters.q, User.name, User.email, Organisation.name))
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.country:
        query = query.where(User.country_code == filters.country)
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    return query


def search_people(filters: PeopleFilter, *, page: int = 1, per_page: int = PER_PAGE) -> PeoplePage:
    """Accounts that match, by name, a page at a time (one query, organisations included)."""
    query = people_query(filters).options(joinedload(User.organisation))
    rows = db.session.scalars(
        query.order_by(User.name, User.id).offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    return PeoplePage(people=list(rows[:per_page]), number=page, has_next=len(rows) > per_page)


def people_rows(people: Iterable[User], role_labels: dict[Role, Any]) -> tuple[list[Any], Iterator[list[Any]]]:
    """The header and rows of the people list as a download (rows built as they are read)."""
    from expo.people.countries import country_name

    header = [_l("Name"), _l("E-mail"), _l("Organisation"), _l("Country"), _l("Role"), _l("Account")]
    rows = (
        [p.name, p.email, p.organisation.name if p.organisation else "", country_name(p.country_code) or "",
         str(role_labels[p.role]), str(_l("Active") if p.active else _l("Deactivated"))]
        for p in people
    )
    return header, rows


@dataclass(frozen=True)
class Activity:
    registrations: list[Registration]
    bookings: list[Booking]
    check_ins: list[CheckIn]


def person_activity(user: User) -> Activity:
    """The person's registrations, bookings and check-ins, newest first (three queries)."""
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.user_id == user.id)
        .options(joinedload(Registration.event)).order_by(Registration.created_at.desc(), Registration.id.desc())
    ).all()
    bookings = db.session.scalars(
        sa.select(Booking).where(Booking.user_id == user.id)
        .options(joinedload(Booking.session).joinedload(ProgrammeSession.event))
        .order_by(Booking.created_at.desc(), Booking.id.desc())
    ).all()
    check_ins = db.session.scalars(
        sa.select(CheckIn).where(CheckIn.user_id == user.id)
        .options(joinedload(CheckIn.session).joinedload(ProgrammeSession.event))
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
    ).all()
    return Activity(registrations=list(registrations), bookings=list(bookings), check_ins=list(check_ins))


# --- invitations ------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_INVITATION_SALT)


def invitation_token(user: User, serializer: URLSafeTimedSerializer | None = None) -> str:
    """A signed link token naming the account and a mark of its state: setting the password
    through it changes the mark, so the link works once."""
    return (serializer or _serializer()).dumps({"id": user.id, "digest": link_mark(user, _INVITATION_SALT)})


def invite_people(*, people: Sequence[NewAccount], actor: User, send: bool = True,
                  addresses_checked: bool = False) -> list[User]:
    """Create accounts without a password anyone knows, each written in the audit log, and
    (``send``) e-mail each person their invitation link once the transaction commits: a few
    statements for the whole list, however long (the invitation form invites one, a people
    import a thousand at a time). Returns the accounts as ``create_accounts`` does."""
    db.session.flush()  # an organisation made for them has its number
    users = create_accounts(accounts=people, addresses_checked=addresses_checked)
    for role in dict.fromkeys(user.role for user in users):
        audit.record_many(actor=actor, action=AuditAction.PERSON_INVITED, detail=role.value,
                          subjects=[(user.id, user.name) for user in users if user.role is role])
    if send:
        serializer = _serializer()
        store_now(mails.invitation_messages(users, tokens=[invitation_token(user, serializer) for user in users],
                                            inviter=actor, days=INVITATION_VALID_FOR.days))
    return users


def invite_person(
    *, email: str, name: str, role: Role, actor: User, organisation: Organisation | None = None,
    country_code: str | None = None, networks: Iterable[Network] = (), locale: str = "en",
) -> User:
    """Create an account without a password anyone knows; the person sets one through the
    invitation link (``send_invitation``)."""
    if organisation is not None and organisation.id is None:
        db.session.flush()
    [invited] = invite_people(people=[NewAccount(
        email=email, name=name, role=role, organisation_id=organisation.id if organisation else None,
        country_code=country_code, network_ids=tuple(n.id for n in networks), locale=locale,
    )], actor=actor, send=False)
    return db.session.get_one(User, invited.id)


def update_person(
    *, user: User, name: str, organisation: Organisation | None, country_code: str | None,
    networks: Iterable[Network], locale: str, actor: User,
) -> User:
    """An administrator corrects who a person is (name, organisation, country, networks,
    language); the e-mail address and the password stay the owner's to change."""
    return set_details(user=user, name=name, organisation=organisation, country_code=country_code,
                       networks=networks, locale=locale)


def update_people(*, people: Sequence[Details], actor: User) -> None:
    """``update_person`` for many people at once (an import)."""
    set_many_details(people)


def send_invitation(*, user: User, actor: User) -> User:
    """E-mail the invited person their link, once the transaction commits."""
    mails.invitation(user, token=invitation_token(user), inviter=actor, days=INVITATION_VALID_FOR.days)
    return user


def invited_user(token: str) -> User | None:
    """The account an invitation link names, while the link is valid and not yet used."""
    try:
        data: Any = _serializer().loads(token, max_age=int(INVITATION_VALID_FOR.total_seconds()))
    except BadSignature:  # expired links are a kind of bad signature
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not is_database_id(data["id"]):
        return None
    user = db.session.get(User, data["id"])
    digest = data.get("digest")
    if user is None or not user.active or not isinstance(digest, str) \
            or not hmac.compare_digest(link_mark(user, _INVITATION_SALT), digest):
        return None
    return user


def accept_invitation(*, user: User, name: str, password: str) -> User:
    """The invited person confirms their name and chooses their password (under the same rules
    as at sign-up); following the link sent to the address verifies it."""
    user.name = valid_name(name)
    check_new_password(password, email=user.email, name=user.name)
    user.set_password(password)
    user.email_verified_at = user.email_verified_at or utcnow()
    db.session.flush()
    return user


# --- roles and deactivation -------------------------------------------------------------------

def _not_oneself(user: User, actor: User | None) -> None:
    if actor is not None and user.id == actor.id:
        raise NotAllowed(_l("You cannot change your own account here."))


def change_role(*, user: User, role: Role, actor: User) -> User:
    """Give the person another role."""
    _not_oneself(user, actor)
    if user.role is role:
        raise InvalidState(_l("%(name)s already has this role.", name=user.name), field="role")
    old = user.role
    user.role = role
    audit.record(actor=actor, action=AuditAction.ROLE_CHANGED, subject=user, detail=f"{old.value} → {role.value}")
    db.session.flush()
    return user


def deactivate(*, user: User, actor: User | None) -> User:
    """The account can no longer sign in and its sessions end; its places in what is still to
    come are released as on deletion (their calendars are sent the cancellations), and
    everything else is kept. ``actor`` None: the command line."""
    _not_oneself(user, actor)
    if not user.active:
        raise InvalidState(_l("This account is already deactivated."))
    privacy.release_places(user=user)
    end_all_sessions(user=user)  # a reactivated account starts with no session of before
    user.active = False
    audit.record(actor=actor, action=AuditAction.ACCOUNT_DEACTIVATED, subject=user)
    db.session.flush()
    return user


def deactivate_people(*, user_ids: Iterable[int], actor: User) -> list[User]:
    """Deactivate several accounts (see ``deactivate``); those already deactivated and the
    actor's own are passed over."""
    people = db.session.scalars(
        sa.select(User).where(User.id.in_(sorted(set(user_ids))), User.active.is_(True), User.id != actor.id)
        .order_by(User.id)
    ).all()
    return [deactivate(user=person, actor=actor) for person in people]


def reactivate(*, user: User, actor: User) -> User:
    """The account may sign in again (released places stay released)."""
    _not_oneself(user, actor)
    if user.active:
        raise InvalidState(_l("This account is active."))
    user.active = True
    audit.record(actor=actor, action=AuditAction.ACCOUNT_REACTIVATED, subject=user)
    db.session.flush()
    return user
