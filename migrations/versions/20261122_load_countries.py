"""load the ISO 3166-1 countries from pycountry

Revision ID: 7c1f0e2a9b44
Revises: 66311b15a3cb
Create Date: 2026-11-22 07:00:00

"""
import pycountry
import sqlalchemy as sa
from alembic import op

revision = "7c1f0e2a9b44"
down_revision = "66311b15a3cb"
branch_labels = None
depends_on = None

countries = sa.table("countries", sa.column("code"), sa.column("alpha3"), sa.column("name"))


def upgrade():
    op.bulk_insert(
        countries,
        [
            {"code": c.alpha_2, "alpha3": c.alpha_3, "name": getattr(c, "common_name", None) or c.name}
            for c in pycountry.countries
        ],
    )


def downgrade():
    op.execute(countries.delete())
