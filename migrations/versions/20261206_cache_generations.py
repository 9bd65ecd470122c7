"""the schedule's cache generation is kept in the database, shared by every process

Revision ID: 7c41e9b3d2a6
Revises: 9e2b6c4d8a17
Create Date: 2026-12-06 17:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7c41e9b3d2a6"
down_revision = "9e2b6c4d8a17"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_generations")),
    )


def downgrade():
    op.drop_table("cache_generations")
