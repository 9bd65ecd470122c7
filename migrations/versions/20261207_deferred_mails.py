"""outgoing e-mails may be kept as facts, written by the job that sends them

Revision ID: bo4d7e2a9c15
Revises: tb4c8e2a6f10
Create Date: 2026-12-06 23:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "bo4d7e2a9c15"
down_revision = "tb4c8e2a6f10"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("outgoing_mails", sa.Column("kind", sa.String(length=40), nullable=True))
    op.add_column("outgoing_mails", sa.Column("facts", sa.JSON(), nullable=True))


def downgrade():
    # SQLite 3.35 and later drop a column in place
    op.drop_column("outgoing_mails", "facts")
    op.drop_column("outgoing_mails", "kind")
