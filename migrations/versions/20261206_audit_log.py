"""the audit log

Revision ID: 9c4e7a1d2b60
Revises: 7c41e9a3b5d2
Create Date: 2026-12-06 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "9c4e7a1d2b60"
down_revision = "7c41e9a3b5d2"
branch_labels = None
depends_on = None

ACTIONS = (
    "person_invited", "role_changed", "account_deactivated", "account_reactivated", "account_deleted",
    "event_published", "event_unpublished", "event_deleted", "track_deleted", "session_deleted",
    "venue_deleted", "room_deleted", "network_deleted", "organisation_deleted", "export_registrations",
    "export_bookings", "export_attendance", "export_badges", "export_own_data", "team_member_added",
    "team_member_removed",
)


def upgrade():
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("action", sa.Enum(*ACTIONS, name="auditaction", native_enum=False, create_constraint=True,
                                    length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(length=200), nullable=True),
        sa.Column("target", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries") as batch_op:
        for column in ("action", "actor_id", "created_at", "subject_id"):
            batch_op.create_index(batch_op.f(f"ix_audit_entries_{column}"), [column], unique=False)


def downgrade():
    op.drop_table("audit_entries")
