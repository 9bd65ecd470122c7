"""imports: uploaded files awaiting confirmation, external keys and remembered room mappings

Revision ID: 6c1e9a4b7d20
Revises: 4d7b2e9a1c85
Create Date: 2026-12-06 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "6c1e9a4b7d20"
down_revision = "4d7b2e9a1c85"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column(
            "format",
            sa.Enum("spreadsheet", "frab", name="importformat", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum("sessions", "venues", "registrations", name="importkind", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum("preview", "applied", name="importstatus", native_enum=False, create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_import_batches_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_import_batches_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    op.create_index(op.f("ix_import_batches_event_id"), "import_batches", ["event_id"], unique=False)
    op.create_table(
        "import_external_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_import_external_keys_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["programme_sessions.id"],
            name=op.f("fk_import_external_keys_session_id_programme_sessions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_external_keys")),
        sa.UniqueConstraint(
            "event_id", "source", "external_id", name=op.f("uq_import_external_keys_event_id_source_external_id")
        ),
    )
    op.create_index(
        op.f("ix_import_external_keys_session_id"), "import_external_keys", ["session_id"], unique=False
    )
    op.create_table(
        "import_room_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_import_room_mappings_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_import_room_mappings_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_room_mappings")),
        sa.UniqueConstraint("event_id", "source", "name", name=op.f("uq_import_room_mappings_event_id_source_name")),
    )
    op.create_index(op.f("ix_import_room_mappings_room_id"), "import_room_mappings", ["room_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_import_room_mappings_room_id"), table_name="import_room_mappings")
    op.drop_table("import_room_mappings")
    op.drop_index(op.f("ix_import_external_keys_session_id"), table_name="import_external_keys")
    op.drop_table("import_external_keys")
    op.drop_index(op.f("ix_import_batches_event_id"), table_name="import_batches")
    op.drop_table("import_batches")
