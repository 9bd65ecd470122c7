"""A large import's working space on disk, so that what it must remember of a file's rows
(the addresses seen so far, each row's slot for the conflict rules) does not stay in memory.

Each job opens its own: a SQLite database in a temporary folder (Python's ``sqlite3``, no
server), with a small page cache and no syncing (it lives as long as the job and
is thrown away with it, finished or not; the journal of its open transaction, one batch of
rows at most, is kept in memory). It is not the expo's database: nothing in it is
shared, committed or seen by anyone else, and the expo's transaction is not made longer by it."""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

CACHE_KB = 2048  # the page cache the scratch database may keep in memory, whatever its size


class Scratch:
    """``with Scratch() as scratch:`` a temporary database, removed on leaving the block."""

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="expo-import-")
        self.connection = sqlite3.connect(Path(self._folder) / "scratch.sqlite", isolation_level=None)
        for pragma in ("journal_mode = MEMORY", "synchronous = OFF", f"cache_size = -{CACHE_KB}", "temp_store = FILE"):
            self.connection.execute(f"PRAGMA {pragma}")

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.connection.execute(statement, parameters)

    def insert(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        """Many rows at once, in one transaction of the scratch database (far faster than one each):
        all of them, or none when one fails."""
        self.connection.execute("BEGIN")
        try:
            self.connection.executemany(statement, rows)
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def rows(self, statement: str, parameters: Sequence[Any] = (), *, size: int = 1000) -> Iterator[tuple[Any, ...]]:
        """A query's rows, fetched ``size`` at a time."""
        cursor = self.connection.execute(statement, parameters)
        while batch := cursor.fetchmany(size):
            yield from batch
