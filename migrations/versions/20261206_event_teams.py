"""event teams; the expo's organisers become expo administrators

Revision ID: 4d7b2e9a1c85
Revises: 9c4e7a1d2b60
Create Date: 2026-12-06 17:30:00

"""
import warnings

import sqlalchemy as sa
from alembic import op

revision = "4d7b2e9a1c85"
down_revision = "9c4e7a1d2b60"
branch_labels = None
depends_on = None


def _role_rule(old: str, new: str) -> None:
    """Rename one value of users.role, and the check that lists the values with it."""
    with warnings.catch_warnings():
        # SQLite rebuilds users, reflecting the tables it points at: organisations has an index
        # on expressions, which reflection skips (and the rebuild does not touch).
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f("ck_users_role"), type_="check")
        op.execute(f"UPDATE users SET role = '{new}' WHERE role = '{old}'")
        with op.batch_alter_table("users", schema=None) as batch_op:
            batch_op.create_check_constraint(batch_op.f("ck_users_role"), f"role IN ('{new}', 'staff', 'delegate')")


def upgrade():
    op.create_table(
        "event_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.Enum("organiser", "staff", name="teamrole", native_enum=False, create_constraint=True,
                                  length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_team_members_event_id_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_event_team_members_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_team_members")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_team_members_event_id_user_id")),
    )
    with op.batch_alter_table("event_team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_team_members_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_team_members_user_id"), ["user_id"], unique=False)
    # Today's organisers run the whole expo: they become its administrators.
    _role_rule("organiser", "admin")


def downgrade():
    _role_rule("admin", "organiser")
    op.drop_table("event_team_members")
