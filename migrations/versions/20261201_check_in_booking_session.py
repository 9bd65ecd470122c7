"""a check-in's booking is one for the check-in's own session

Revision ID: 3b8e5d1c7a20
Revises: 7c1f0e2a9b44
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3b8e5d1c7a20"
down_revision = "7c1f0e2a9b44"
branch_labels = None
depends_on = None


def upgrade():
    # A check-in that names another session's booking counted nobody's seat: keep it as the
    # walk-in it really was.
    op.execute(
        "UPDATE check_ins SET booking_id = NULL, is_walk_in = true WHERE booking_id IS NOT NULL AND "
        "session_id <> (SELECT bookings.session_id FROM bookings WHERE bookings.id = check_ins.booking_id)"
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_bookings_id_session_id"), ["id", "session_id"])
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_check_ins_booking_id_session_id_bookings"),
            "bookings", ["booking_id", "session_id"], ["id", "session_id"],
        )


def downgrade():
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_check_ins_booking_id_session_id_bookings"), type_="foreignkey")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_bookings_id_session_id"), type_="unique")
