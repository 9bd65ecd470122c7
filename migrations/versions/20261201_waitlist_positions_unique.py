"""two bookings waiting for one session never share a waiting-list position

Revision ID: 3b8e5d21c4f7
Revises: 8d4f1b6e2c53
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3b8e5d21c4f7"
down_revision = "8d4f1b6e2c53"
branch_labels = None
depends_on = None

WAITING = sa.text("status = 'waitlisted'")


def upgrade():
    op.create_index(
        "uq_bookings_session_waitlist_position", "bookings", ["session_id", "waitlist_position"],
        unique=True, sqlite_where=WAITING, postgresql_where=WAITING,
    )


def downgrade():
    op.drop_index("uq_bookings_session_waitlist_position", table_name="bookings")
