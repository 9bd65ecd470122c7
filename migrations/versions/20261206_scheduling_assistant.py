"""delegates' interest in sessions, the scheduling assistant's runs, and the kind of each room

Revision ID: so4a1c7e2b90
Revises: ta1e5b0c4d7e
Create Date: 2026-12-06 20:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "so4a1c7e2b90"
down_revision = "ta1e5b0c4d7e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "session_interests",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["programme_sessions.id"],
                                name=op.f("fk_session_interests_session_id_programme_sessions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_session_interests_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "session_id", name=op.f("pk_session_interests")),
    )
    op.create_index("ix_session_interests_session_id", "session_interests", ["session_id"], unique=False)
    op.create_table(
        "assistant_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Enum("queued", "running", "done", "failed", name="runstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("time_limit", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("time_limit > 0", name=op.f("ck_assistant_runs_time_limit_positive")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_assistant_runs_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_assistant_runs_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_runs")),
    )
    op.create_index("ix_assistant_runs_event_created", "assistant_runs", ["event_id", "created_at"], unique=False)
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("kind", sa.Enum("indoor", "outdoor", name="roomkind", native_enum=False,
                                                   create_constraint=True, length=20),
                                   nullable=False, server_default="indoor"))


def downgrade():
    with op.batch_alter_table("rooms") as batch:
        batch.drop_constraint(op.f("ck_rooms_roomkind"), type_="check")
        batch.drop_column("kind")
    op.drop_index("ix_assistant_runs_event_created", table_name="assistant_runs")
    op.drop_table("assistant_runs")
    op.drop_index("ix_session_interests_session_id", table_name="session_interests")
    op.drop_table("session_interests")
