"""changes to the expo's look (name, colours, logo) are written to the audit log

Revision ID: tb4c8e2a6f10
Revises: co4a9e2b7d15
Create Date: 2026-12-06 23:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "tb4c8e2a6f10"
down_revision = "co4a9e2b7d15"
branch_labels = None
depends_on = None

BEFORE = (
    "person_invited", "role_changed", "account_deactivated", "account_reactivated", "account_deleted",
    "event_published", "event_unpublished", "event_deleted", "track_deleted", "session_deleted",
    "venue_deleted", "room_deleted", "network_deleted", "organisation_deleted", "export_registrations",
    "export_bookings", "export_attendance", "export_badges", "export_own_data", "team_member_added",
    "team_member_removed", "import_confirmed", "export_people", "application_decided", "pairs_published",
    "claim_decided",
)
AFTER = (*BEFORE, "branding_changed")


def _allow(actions):
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_entries_auditaction"), type_="check")
        batch_op.create_check_constraint(op.f("ck_audit_entries_auditaction"), sa.column("action").in_(actions))


def upgrade():
    _allow(AFTER)


def downgrade():
    op.execute(sa.text("DELETE FROM audit_entries WHERE action = 'branding_changed'"))
    _allow(BEFORE)
