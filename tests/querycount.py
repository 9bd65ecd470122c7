"""Count the SQL statements a block of code sends, to prove a page's query count is fixed."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa

from expo.core.branding import current_look
from expo.core.extensions import db


@dataclass
class QueryLog:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1}: {s}" for i, s in enumerate(self.statements))


@contextmanager
def count_queries() -> Iterator[QueryLog]:
    """Collects every statement sent through the app's engine (any thread) inside the block.
    Savepoints and transaction control are not counted. The expo's look, which every page
    shows, is read from the shared cache and only once a minute from the database: it is read
    first, so that a count measures the code alone."""
    current_look()
    log = QueryLog()
    engine = db.engine

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            log.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


def page_query_count(client, url: str) -> int:
    """How many statements one GET of ``url`` sends to render it (the caches of public pages and
    of organisers' tables are bypassed); the page must answer 200."""
    config = client.application.config
    saved = {name: config[name] for name in ("PAGE_CACHE_TIMEOUT", "TABLE_CACHE_TIMEOUT")}
    config.update(dict.fromkeys(saved, 0))
    try:
        with count_queries() as log:
            response = client.get(url)
    finally:
        config.update(saved)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return log.count
