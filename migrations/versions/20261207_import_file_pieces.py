"""an uploaded file is kept in pieces, so that neither its upload nor its import job holds it whole

Revision ID: p7f2c9a1e4d6
Revises: t4a7c1e9d2b3
Create Date: 2026-12-07 12:00:00

"""
import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "p7f2c9a1e4d6"
down_revision = "t4a7c1e9d2b3"
branch_labels = None
depends_on = None

batches = sa.table("import_batches", sa.column("id", sa.Integer), sa.column("content", sa.LargeBinary),
                   sa.column("size", sa.Integer))
pieces = sa.table("import_file_pieces", sa.column("batch_id", sa.Integer), sa.column("number", sa.Integer),
                  sa.column("data", sa.LargeBinary))


@contextmanager
def _batches_table():
    # SQLite rebuilds the table; reflecting the tables it refers to meets the expression index
    # on organisations (lower(name)), which SQLite cannot reflect and which the rebuild never touches.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("import_batches") as batch_op:
            yield batch_op


def upgrade():
    op.create_table(
        "import_file_pieces",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], name=op.f("fk_import_file_pieces_batch_id_import_batches"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("batch_id", "number", name=op.f("pk_import_file_pieces")),
    )
    with _batches_table() as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=False, server_default="0"))
    with _batches_table() as batch_op:
        batch_op.alter_column("size", existing_type=sa.Integer(), server_default=None)
    # A file kept before: one piece, as it was.
    op.execute(pieces.insert().from_select(
        ["batch_id", "number", "data"],
        sa.select(batches.c.id, sa.literal(0), batches.c.content).where(batches.c.content.is_not(None)),
    ))
    op.execute(batches.update().values(size=sa.func.coalesce(sa.func.length(batches.c.content), 0)))
    with _batches_table() as batch_op:
        batch_op.drop_column("content")


def downgrade():
    with _batches_table() as batch_op:
        batch_op.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
    connection = op.get_bind()
    for (batch_id,) in connection.execute(sa.select(batches.c.id)).all():
        data = b"".join(connection.execute(
            sa.select(pieces.c.data).where(pieces.c.batch_id == batch_id).order_by(pieces.c.number)).scalars())
        connection.execute(batches.update().where(batches.c.id == batch_id).values(content=data))
    with _batches_table() as batch_op:
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("size")
    op.drop_table("import_file_pieces")
