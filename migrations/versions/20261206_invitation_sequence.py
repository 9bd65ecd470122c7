"""bookings count their seat changes (each delegate's SEQUENCE); delegates choose invitations

Revision ID: 7c4e19a2b5d3
Revises: 3f8a2d61c0b7
Create Date: 2026-12-06 17:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7c4e19a2b5d3"
down_revision = "3f8a2d61c0b7"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs (SQLite has them too): rebuilding a table would reflect its neighbours.
    op.add_column("bookings", sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("wants_invitations", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    op.drop_column("users", "wants_invitations")  # SQLite 3.35 and later drop columns in place
    op.drop_column("bookings", "revision")
