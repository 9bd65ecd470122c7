"""a booking's confirmed and cancelled times go with its status

Revision ID: 5e2a9c4f8b31
Revises: 3b8e5d1c7a20
Create Date: 2026-12-01 09:10:00

"""
from alembic import op

revision = "5e2a9c4f8b31"
down_revision = "3b8e5d1c7a20"
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before the rule get the time of their last change where a time is missing.
    op.execute("UPDATE bookings SET confirmed_at = updated_at WHERE status = 'confirmed' AND confirmed_at IS NULL")
    op.execute("UPDATE bookings SET confirmed_at = NULL WHERE status = 'waitlisted'")
    op.execute("UPDATE bookings SET cancelled_at = updated_at WHERE status = 'cancelled' AND cancelled_at IS NULL")
    op.execute("UPDATE bookings SET cancelled_at = NULL WHERE status <> 'cancelled'")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f("ck_bookings_confirmed_at_iff_seat"),
            "status = 'cancelled' OR (status = 'confirmed') = (confirmed_at IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bookings_cancelled_at_iff_cancelled"),
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_bookings_cancelled_at_iff_cancelled"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bookings_confirmed_at_iff_seat"), type_="check")
