"""People around the expo: countries, international networks and organisations."""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expo.accounts.models import user_networks
from expo.core.db import collated_indexes, enum_column
from expo.core.extensions import db

if TYPE_CHECKING:
    from expo.accounts.models import User
    from expo.programme.models import ProgrammeSession


class Country(db.Model):
    """An ISO 3166-1 country, loaded from pycountry (never typed by hand)."""

    __tablename__ = "countries"
    __table_args__ = (sa.CheckConstraint("length(code) = 2", name="code_alpha2"),)

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(sa.String(3), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class Network(db.Model):
    """An international network of cities, regions or companies (UNECE, CPMR …)."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    acronym: Mapped[str | None] = mapped_column(sa.String(40))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)

    members: Mapped[list[User]] = relationship(secondary=user_networks, back_populates="networks")
    sessions: Mapped[list[ProgrammeSession]] = relationship(
        secondary="session_networks", back_populates="networks"
    )

    @property
    def label(self) -> str:
        return self.acronym or self.name


class OrganisationKind(enum.StrEnum):
    CITY = "city"
    REGION = "region"
    COMPANY = "company"
    UNIVERSITY = "university"
    NGO = "ngo"
    GOVERNMENT = "government"
    INTERNATIONAL = "international"

    @property
    def label(self) -> str:
        return str(ORGANISATION_KIND_LABELS[self])


ORGANISATION_KIND_LABELS = {
    OrganisationKind.CITY: _l("City"),
    OrganisationKind.REGION: _l("Region"),
    OrganisationKind.COMPANY: _l("Company"),
    OrganisationKind.UNIVERSITY: _l("University"),
    OrganisationKind.NGO: _l("Non-governmental organisation"),
    OrganisationKind.GOVERNMENT: _l("Government"),
    OrganisationKind.INTERNATIONAL: _l("International organisation"),
}


def organisation_kind_choices() -> list[tuple[str, object]]:
    """(value, label) pairs for a select field."""
    return [(kind.value, label) for kind, label in ORGANISATION_KIND_LABELS.items()]


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    country_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("countries.code", ondelete="RESTRICT"), index=True
    )

    country: Mapped[Country | None] = relationship()
    members: Mapped[list[User]] = relationship(back_populates="organisation")


# Lists of organisations, and of people by their organisation, read one page of these.
collated_indexes(Organisation.name)

# One organisation per name in any letter case and country, "no country" counting as one: a
# plain unique constraint would let any number of "City of Porto" without a country in.
sa.Index(
    "uq_organisations_lower_name_country",
    sa.func.lower(Organisation.name),
    sa.func.coalesce(Organisation.country_code, sa.literal_column("''")),
    unique=True,
)
