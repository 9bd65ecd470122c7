"""people's and organisations' names indexed in each language's dictionary order (PostgreSQL)

Revision ID: pe3c8a1d5f70
Revises: de5a1b7c9f20
Create Date: 2026-12-06 22:00:00

"""
from alembic import op

revision = "pe3c8a1d5f70"
down_revision = "de5a1b7c9f20"
branch_labels = None
depends_on = None

# (index, table, column, language): the organisers' lists sorted by name read a page of these.
INDEXES = [
    (f"ix_{table}_name_{language}", table, "name", language)
    for table in ("users", "organisations")
    for language in ("en", "sv")
]


def upgrade():
    # SQLite's collations live in the application: it keeps sorting every row there.
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column, language in INDEXES:
        op.execute(f'CREATE INDEX {name} ON {table} ({column} COLLATE "{language}-x-icu")')


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _column, _language in INDEXES:
        op.drop_index(name, table_name=table)
