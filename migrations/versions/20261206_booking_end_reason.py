"""bookings remember why they ended and what they held, so a restored session gives it back

Revision ID: 9e2b6c4d8a17
Revises: 7c41e9a2b5d3
Create Date: 2026-12-06 18:00:00

"""
import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "9e2b6c4d8a17"
down_revision = "7c41e9a2b5d3"
branch_labels = None
depends_on = None

REASONS = ("delegate", "organiser", "registration", "session_cancelled", "check_in_undone")
STATUSES = ("confirmed", "waitlisted", "cancelled")


@contextmanager
def _bookings_table():
    # SQLite rebuilds the table; reflecting the tables it refers to meets the expression index
    # on organisations (lower(name)), which SQLite cannot reflect and which the rebuild never touches.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("bookings") as batch_op:
            yield batch_op


def upgrade():
    with _bookings_table() as batch_op:
        batch_op.add_column(sa.Column("end_reason", sa.Enum(*REASONS, name="bookingendreason", native_enum=False,
                                                            create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column("ended_as", sa.Enum(*STATUSES, name="bookingendedas", native_enum=False,
                                                          create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column("ended_position", sa.Integer(), nullable=True))
    # Bookings ended before Expo kept the reason: those of a cancelled session ended with it.
    op.execute(
        "UPDATE bookings SET end_reason = 'session_cancelled' WHERE status = 'cancelled' AND session_id IN "
        "(SELECT id FROM programme_sessions WHERE status = 'cancelled')"
    )


def downgrade():
    with _bookings_table() as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_bookings_bookingendedas"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bookings_bookingendreason"), type_="check")
        batch_op.drop_column("ended_position")
        batch_op.drop_column("ended_as")
        batch_op.drop_column("end_reason")
