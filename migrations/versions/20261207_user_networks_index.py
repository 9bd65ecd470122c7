"""the members of a network are found by the network: an index on user_networks.network_id

Revision ID: t4a7c1e9d2b3
Revises: bo4d7e2a9c15
Create Date: 2026-12-07 03:00:00

"""
from alembic import op

revision = "t4a7c1e9d2b3"
down_revision = "bo4d7e2a9c15"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_user_networks_network_id", "user_networks", ["network_id"], unique=False)


def downgrade():
    op.drop_index("ix_user_networks_network_id", table_name="user_networks")
