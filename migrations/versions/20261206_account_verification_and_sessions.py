"""accounts: verified e-mail addresses, a pending new address, and a session version

Revision ID: 7c41e9a3b5d2
Revises: 7c4e19a2b5d3
Create Date: 2026-12-06 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7c41e9a3b5d2"
down_revision = "7c4e19a2b5d3"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE (no batch copy of the table): SQLite adds and drops such columns in place.
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("pending_email", sa.String(length=254), nullable=True))
    op.add_column("users", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    # Accounts made before addresses were verified keep every right they had: they count as
    # verified from the day they were made.
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade():
    op.drop_column("users", "session_version")
    op.drop_column("users", "pending_email")
    op.drop_column("users", "email_verified_at")
