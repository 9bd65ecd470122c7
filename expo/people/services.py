"""Countries, networks and organisations."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pycountry
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.accounts.models import User, user_networks
from expo.core.db import contains_text
from expo.core.errors import Conflict, InvalidState
from expo.core.extensions import db
from expo.people.countries import by_country_name, country_name, named_countries
from expo.people.models import Country, Network, Organisation, OrganisationKind
from expo.programme.models import ProgrammeSession, session_networks
from expo.core.i18n import by_name, reader_language
from expo.core.tables import Column, Table, remembered


def sync_countries() -> int:
    """Load every ISO 3166-1 country from pycountry; returns how many were added."""
    known = set(db.session.scalars(sa.select(Country.code)))
    added = [
        Country(code=c.alpha_2, alpha3=c.alpha_3, name=getattr(c, "common_name", None) or c.name)
        for c in pycountry.countries
        if c.alpha_2 not in known
    ]
    db.session.add_all(added)
    db.session.flush()
    return len(added)


def country_choices() -> list[tuple[str, str]]:
    """Every country as (code, name) in the reader's language and alphabetical order (remembered
    until the countries change: the schedule's generation moves with them)."""
    return remembered("countries", reader_language(), ("schedule",),
                      lambda: named_countries(db.session.execute(sa.select(Country.code, Country.name))))


# --- networks and organisations (managed by organisers) ---------------------------------------

@dataclass
class NetworkData:
    name: str
    slug: str | None = None
    acronym: str | None = None
    website: str | None = None
    description: str | None = None


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _check_network(data: NetworkData, exclude_id: int | None = None) -> None:
    query = sa.select(Network.id).where(sa.func.lower(Network.name) == data.name.strip().lower())
    if exclude_id is not None:
        query = query.where(Network.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(_l("A network with this name already exists."), field="name")


def _apply_network(network: Network, data: NetworkData) -> None:
    network.name = data.name.strip()
    network.acronym = _clean(data.acronym)
    network.website = _clean(data.website)
    network.description = _clean(data.description)


def create_network(*, data: NetworkData, actor: User) -> Network:
    """A new international network (UNECE, CPMR …)."""
    from expo.events.services import unique_slug

    _check_network(data)
    network = Network(slug=unique_slug(Network, data.slug, data.name))
    _apply_network(network, data)
    db.session.add(network)
    db.session.flush()
    return network


def update_network(*, network: Network, data: NetworkData, actor: User) -> Network:
    from expo.events.services import slugify, touch_schedules_of, unique_slug

    _check_network(data, exclude_id=network.id)
    if data.slug and slugify(data.slug) != network.slug:
        network.slug = unique_slug(Network, data.slug, data.name, exclude_id=network.id)
    shown = (network.name, network.acronym)
    _apply_network(network, data)
    db.session.flush()
    if (network.name, network.acronym) != shown:  # the schedules of its sessions show them
        touch_schedules_of(sa.select(session_networks.c.session_id).where(session_networks.c.network_id == network.id))
    return network


def delete_network(*, network: Network, actor: User) -> None:
    """Delete a network that hosts no session and has no members."""
    hosted = db.session.scalar(
        sa.select(sa.func.count()).select_from(session_networks).where(session_networks.c.network_id == network.id)
    )
    if hosted:
        raise InvalidState(_l("This network hosts sessions: remove it from them first."))
    members = db.session.scalar(
        sa.select(sa.func.count()).select_from(user_networks).where(user_networks.c.network_id == network.id)
    )
    if members:
        raise InvalidState(_l("People belong to this network, so it cannot be deleted."))
    audit.record(actor=actor, action=AuditAction.NETWORK_DELETED, target=network.name)
    db.session.delete(network)
    db.session.flush()


def network_list(q: str = "", *, event_id: int | None = None) -> tuple[Table, sa.Select]:
    """The table of networks with their member and session counts (rows of network, members,
    sessions) and the query of those whose name or acronym contains ``q``; with ``event_id``,
    those hosting sessions of that event, counting only those sessions."""
    members = (
        sa.select(sa.func.count())
        .select_from(user_networks)
        .where(user_networks.c.network_id == Network.id)
        .scalar_subquery()
    )

    def hosted(*columns: Any) -> sa.Select:
        """Rows of session_networks, only the event's sessions when one is chosen."""
        query = sa.select(*columns).select_from(session_networks)
        if event_id is not None:
            query = query.join(ProgrammeSession, ProgrammeSession.id == session_networks.c.session_id).where(
                ProgrammeSession.event_id == event_id
            )
        return query

    sessions = hosted(sa.func.count()).where(session_networks.c.network_id == Network.id).scalar_subquery()
    query = sa.select(Network, members, sessions)
    if q.strip():
        query = query.where(contains_text(q, Network.name, Network.acronym))
    if event_id is not None:
        query = query.where(Network.id.in_(hosted(session_networks.c.network_id)))
    table = Table(
        columns=(
            Column("name", _l("Network"), by_name(Network.name)),
            Column("acronym", _l("Acronym"), Network.acronym),
            Column("members", _l("Members"), members, numeric=True),
            Column("sessions", _l("Sessions in this event") if event_id else _l("Sessions"), sessions, numeric=True),
        ),
        key=Network.id,
        default_sort="name",
        depends_on=("registrations", "schedule"),  # members (people), networks and their sessions
    )
    return table, query


def list_networks(q: str = "", *, event_id: int | None = None) -> list[tuple[Network, int, int]]:
    """Networks with their member and session counts by name, in one query (see ``network_list``)."""
    table, query = network_list(q, event_id=event_id)
    return [tuple(row) for row in db.session.execute(table.ordered(query, table.state({})))]


def network_rows(rows: Iterable[tuple[Network, int, int]]) -> tuple[list[Any], Iterator[list[Any]]]:
    """The header and rows of the networks list as a download."""
    header = [_l("Network"), _l("Acronym"), _l("Members"), _l("Sessions")]
    return header, ([network.name, network.acronym or "", members, sessions] for network, members, sessions in rows)


@dataclass
class OrganisationData:
    name: str
    kind: OrganisationKind
    country_code: str | None = None


def _check_organisation(data: OrganisationData, exclude_id: int | None = None) -> None:
    if data.country_code and db.session.get(Country, data.country_code) is None:
        raise InvalidState(_l("Choose a country from the list."), field="country_code")
    query = sa.select(Organisation.id).where(
        sa.func.lower(Organisation.name) == data.name.strip().lower(),
        Organisation.country_code.is_(None) if not data.country_code else Organisation.country_code == data.country_code,
    )
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(_l("This organisation already exists in this country."), field="name")


def create_organisation(*, data: OrganisationData, actor: User) -> Organisation:
    """A new organisation (a city, region, company, university …)."""
    _check_organisation(data)
    organisation = Organisation(name=data.name.strip(), kind=data.kind, country_code=data.country_code or None)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def update_organisation(*, organisation: Organisation, data: OrganisationData, actor: User) -> Organisation:
    _check_organisation(data, exclude_id=organisation.id)
    organisation.name = data.name.strip()
    organisation.kind = data.kind
    organisation.country_code = data.country_code or None
    db.session.flush()
    return organisation


def delete_organisation(*, organisation: Organisation, actor: User) -> None:
    """Delete an organisation nobody belongs to."""
    if db.session.scalar(sa.select(sa.func.count()).where(User.organisation_id == organisation.id)):
        raise InvalidState(_l("People belong to this organisation, so it cannot be deleted."))
    audit.record(actor=actor, action=AuditAction.ORGANISATION_DELETED, target=organisation.name)
    db.session.delete(organisation)
    db.session.flush()


def organisation_list(
    q: str = "", kind: OrganisationKind | None = None, country_code: str | None = None
) -> tuple[Table, sa.Select]:
    """The table of organisations with their country and member count (rows of organisation,
    members) and the query of those that match."""
    members = sa.select(sa.func.count()).where(User.organisation_id == Organisation.id).scalar_subquery()
    query = sa.select(Organisation, members)
    if q.strip():
        query = query.where(contains_text(q, Organisation.name))
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if country_code:
        query = query.where(Organisation.country_code == country_code)
    table = Table(
        columns=(
            Column("name", _l("Organisation"), by_name(Organisation.name)),
            Column("kind", _l("Kind"), Organisation.kind),
            Column("country", _l("Country"), by_country_name(Organisation.country_code)),
            Column("members", _l("Members"), members, numeric=True),
        ),
        key=Organisation.id,
        default_sort="name",
        options=(joinedload(Organisation.country),),
        depends_on=("registrations", "schedule"),  # members (people) and organisations
    )
    return table, query


def list_organisations(
    q: str = "", kind: OrganisationKind | None = None, country_code: str | None = None
) -> list[tuple[Organisation, int]]:
    """Organisations with their country and member count by name, in one query."""
    table, query = organisation_list(q, kind, country_code)
    return [tuple(row) for row in db.session.execute(table.ordered(query, table.state({})).options(*table.options))]


def organisation_rows(rows: Iterable[tuple[Organisation, int]],
                      kind_labels: dict[str, Any]) -> tuple[list[Any], Iterator[list[Any]]]:
    """The header and rows of the organisations list as a download."""
    header = [_l("Organisation"), _l("Kind"), _l("Country"), _l("Members")]
    return header, ([o.name, str(kind_labels[o.kind.value]), country_name(o.country), members]
                    for o, members in rows)
