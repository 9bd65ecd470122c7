"""e-mails are kept in a table from queueing to sending, one row for each recipient

Revision ID: 7c41e9a2b5d3
Revises: 6c1e9a4b7d20
Create Date: 2026-12-06 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7c41e9a2b5d3"
down_revision = "6c1e9a4b7d20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("queued", "sent", "failed", name="mailstatus", native_enum=False,
                                    create_constraint=True, length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mails")),
    )
    op.create_index("ix_outgoing_mails_status", "outgoing_mails", ["status", "id"], unique=False)


def downgrade():
    op.drop_index("ix_outgoing_mails_status", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
