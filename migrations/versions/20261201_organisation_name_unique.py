"""organisation names are unique per country in any letter case, "no country" included

Revision ID: 8d4f1b6e2c53
Revises: 5e2a9c4f8b31
Create Date: 2026-12-01 09:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "8d4f1b6e2c53"
down_revision = "5e2a9c4f8b31"
branch_labels = None
depends_on = None

SAME_ORGANISATION = "lower(o.name) = lower(organisations.name) AND " \
    "coalesce(o.country_code, '') = coalesce(organisations.country_code, '')"


def upgrade():
    # Organisations that were entered twice become one: members move to the first of them.
    op.execute(
        "UPDATE users SET organisation_id = (SELECT min(o.id) FROM organisations o, organisations "
        f"WHERE organisations.id = users.organisation_id AND {SAME_ORGANISATION}) "
        "WHERE organisation_id IS NOT NULL"
    )
    op.execute(
        f"DELETE FROM organisations WHERE EXISTS (SELECT 1 FROM organisations o "
        f"WHERE o.id < organisations.id AND {SAME_ORGANISATION})"
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_organisations_name_country_code"), type_="unique")
    # An index on expressions: both databases create it in place (batch mode copies columns only).
    op.create_index(
        "uq_organisations_lower_name_country",
        "organisations",
        [sa.text("lower(name)"), sa.text("coalesce(country_code, '')")],
        unique=True,
    )


def downgrade():
    op.drop_index("uq_organisations_lower_name_country", table_name="organisations")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_organisations_name_country_code"), ["name", "country_code"]
        )
