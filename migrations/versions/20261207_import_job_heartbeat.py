"""when an import's job last showed it was alive (queued, started, or a chunk done)

Revision ID: co4a9e2b7d15
Revises: ld3a7c1e9b42
Create Date: 2026-12-07 00:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "co4a9e2b7d15"
down_revision = "ld3a7c1e9b42"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("import_batches", sa.Column("job_heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("import_batches", "job_heartbeat_at")  # SQLite 3.35 and later drop a column in place
