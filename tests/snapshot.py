"""A digest of every row of every table, to show that something changed nothing at all."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from expo.core.extensions import db


def database_digest() -> dict[str, str]:
    """Each table's rows, in primary-key order, hashed: equal digests mean equal contents."""
    digests = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
        digests[table.name] = digest.hexdigest()
    return digests
