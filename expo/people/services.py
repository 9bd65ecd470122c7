"""Countries, networks and organisations."""
from __future__ import annotations

import pycountry
import sqlalchemy as sa

from expo.extensions import db
from expo.people.models import Country


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
    return [(c.code, c.name) for c in db.session.scalars(sa.select(Country).order_by(Country.name))]
