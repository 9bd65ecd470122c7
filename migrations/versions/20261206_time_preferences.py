"""speakers', moderators' and hosts' preferred times and unavailable days per event; when an
assistant run started

Revision ID: s2b7e4d1c9a3
Revises: pe3c8a1d5f70
Create Date: 2026-12-06 22:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "s2b7e4d1c9a3"
down_revision = "pe3c8a1d5f70"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "time_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("part_of_day", sa.Enum("morning", "afternoon", "evening", name="daypart", native_enum=False,
                                         create_constraint=True, length=20), nullable=True),
        sa.Column("unavailable_dates", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_time_preferences_event_id_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_time_preferences_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "event_id", name=op.f("pk_time_preferences")),
    )
    op.add_column("assistant_runs", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("assistant_runs", "started_at")  # SQLite 3.35 and later drop a column in place
    op.drop_table("time_preferences")
