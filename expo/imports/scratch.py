"""A large import's working space on disk, so that what it must remember of a file's rows
(the addresses seen so far, each row's slot for the conflict rules) does not stay in memory.

Each job opens its own: a SQLite database in a temporary folder (Python's ``sqlite3``, no
server), with a small page cache and no syncing (it lives as long as the job and
is thrown away with it, finished or not; the journal of its open transaction, one batch of
rows at most, is kept in memory). It is not the expo's database: nothing in it is
shared, committed or seen by anyone else, and the expo's transaction is not made longer by it."""
from __future__ import annotations

import itertools
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

CACHE_KB = 2048  # the page cache the scratch database may keep in memory, whatever its size
BATCH = 500  # rows a ``NumberMap`` keeps before it writes them
_names = itertools.count(1)


def _remove(connection: sqlite3.Connection, folder: str) -> None:
    connection.close()
    shutil.rmtree(folder, ignore_errors=True)


class Scratch:
    """``with Scratch() as scratch:`` a temporary database, removed on leaving the block."""

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="expo-import-")
        self.connection = sqlite3.connect(Path(self._folder) / "scratch.sqlite", isolation_level=None)
        for pragma in ("journal_mode = MEMORY", "synchronous = OFF", f"cache_size = -{CACHE_KB}", "temp_store = FILE"):
            self.connection.execute(f"PRAGMA {pragma}")
        # Removed when closed, or at the latest when no longer referred to (a job that failed).
        self._remove = weakref.finalize(self, _remove, self.connection, self._folder)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._remove()

    @property
    def closed(self) -> bool:
        return not self._remove.alive

    def table(self, prefix: str) -> str:
        """A table name not used before in this process."""
        return f"{prefix}_{next(_names)}"

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


class NumberMap(MutableMapping[int, int]):
    """A mapping of whole numbers to whole numbers (a session's id to the line of the file that
    imports it) in a table of a scratch database, which it drops on ``close``: the last
    ``BATCH`` added are kept in memory until they are written together."""

    def __init__(self, scratch: Scratch) -> None:
        self._scratch, self._table = scratch, scratch.table("numbers")
        scratch.execute(f"CREATE TABLE {self._table} (number INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        self._pending: dict[int, int] = {}

    def _write(self) -> None:
        if self._pending:
            self._scratch.insert(f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)", self._pending.items())
            self._pending = {}

    def __getitem__(self, number: int) -> int:
        if number in self._pending:
            return self._pending[number]
        row = self._scratch.execute(f"SELECT value FROM {self._table} WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise KeyError(number)
        return row[0]

    def __setitem__(self, number: int, value: int) -> None:
        self._pending[number] = value
        if len(self._pending) >= BATCH:
            self._write()

    def __delitem__(self, number: int) -> None:
        self._write()
        if self._scratch.execute(f"DELETE FROM {self._table} WHERE number = ?", (number,)).rowcount == 0:
            raise KeyError(number)

    def __iter__(self) -> Iterator[int]:
        self._write()
        return (number for (number,) in self._scratch.rows(f"SELECT number FROM {self._table} ORDER BY number"))

    def __len__(self) -> int:
        self._write()
        return self._scratch.execute(f"SELECT count(*) FROM {self._table}").fetchone()[0]

    def close(self) -> None:
        self._pending = {}
        if not self._scratch.closed:
            self._scratch.execute(f"DROP TABLE IF EXISTS {self._table}")

    def __enter__(self) -> NumberMap:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
