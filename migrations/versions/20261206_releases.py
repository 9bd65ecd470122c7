"""releases of a published programme: staged changes and numbered versions

Revision ID: re5a1e4c0b19
Revises: 7c41e9b3d2a6
Create Date: 2026-12-06 20:40:00

"""
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "re5a1e4c0b19"
down_revision = "7c41e9b3d2a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "programme_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("number > 0", name=op.f("ck_programme_releases_number_positive")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_programme_releases_event_id_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["released_by_id"], ["users.id"],
                                name=op.f("fk_programme_releases_released_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_releases")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_programme_releases_event_id_number")),
    )
    op.create_table(
        "pending_session_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("scheduled", "cancelled", name="sessionstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("give_back", sa.Boolean(), nullable=False),
        sa.Column("external", sa.JSON(), nullable=True),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_pending_session_changes_event_id_events"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["programme_sessions.id"],
                                name=op.f("fk_pending_session_changes_session_id_programme_sessions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"],
                                name=op.f("fk_pending_session_changes_changed_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_session_changes")),
        sa.UniqueConstraint("session_id", name=op.f("uq_pending_session_changes_session_id")),
    )
    op.create_index(op.f("ix_pending_session_changes_event_id"), "pending_session_changes", ["event_id"])
    with _quietly(), op.batch_alter_table("session_changes") as batch:
        batch.add_column(sa.Column("release_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_session_changes_release_id_programme_releases"), "programme_releases",
                                 ["release_id"], ["id"], ondelete="SET NULL")
        batch.create_index(batch.f("ix_session_changes_release_id"), ["release_id"])


@contextmanager
def _quietly() -> Iterator[None]:
    """SQLite rebuilds session_changes, reflecting the tables it points at: organisations (through
    users) has an index on expressions, which reflection skips (and the rebuild does not touch)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        yield


def downgrade():
    with _quietly(), op.batch_alter_table("session_changes") as batch:
        batch.drop_index(batch.f("ix_session_changes_release_id"))
        batch.drop_constraint(batch.f("fk_session_changes_release_id_programme_releases"), type_="foreignkey")
        batch.drop_column("release_id")
    op.drop_index(op.f("ix_pending_session_changes_event_id"), table_name="pending_session_changes")
    op.drop_table("pending_session_changes")
    op.drop_table("programme_releases")
