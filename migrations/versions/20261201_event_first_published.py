"""events remember when they were first published

Revision ID: 3f8a2d61c0b7
Revises: 3b8e5d21c4f7
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3f8a2d61c0b7"
down_revision = "3b8e5d21c4f7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True))
    # The best we know of a published event's first publication is its current one.
    op.execute("UPDATE events SET first_published_at = published_at WHERE published_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("first_published_at")
