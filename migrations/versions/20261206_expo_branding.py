"""the expo's look (colours, logo) is stored with it; an account may leave its language to the browser

Revision ID: de5a1b7c9f20
Revises: tw1a2b3c4d5e
Create Date: 2026-12-06 20:40:00

"""
import warnings

import sqlalchemy as sa
from alembic import op

revision = "de5a1b7c9f20"
down_revision = "tw1a2b3c4d5e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("expos") as batch:
        batch.add_column(sa.Column("primary_colour", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("accent_colour", sa.String(length=7), nullable=True))
        batch.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("logo_type", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("look_version", sa.String(length=16), nullable=True))
    with warnings.catch_warnings():
        # SQLite rebuilds users, reflecting the tables it points at: organisations has an index
        # on expressions, which reflection skips (and the rebuild does not touch).
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("users") as batch:
            batch.alter_column("locale", existing_type=sa.String(length=8), nullable=True)


def downgrade():
    op.execute("UPDATE users SET locale = 'en' WHERE locale IS NULL")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("users") as batch:
            batch.alter_column("locale", existing_type=sa.String(length=8), nullable=False)
    with op.batch_alter_table("expos") as batch:
        for column in ("look_version", "logo_type", "logo", "accent_colour", "primary_colour"):
            batch.drop_column(column)
