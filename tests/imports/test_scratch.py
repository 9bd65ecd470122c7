"""The working space on disk that large imports keep what they remember of a file's rows in."""
from __future__ import annotations

import os
import sqlite3

import pytest

from expo.imports.scratch import Scratch


def test_rows_go_in_and_come_back_in_order_and_the_folder_is_removed():
    with Scratch() as scratch:
        scratch.execute("CREATE TABLE seen (digest INTEGER PRIMARY KEY, line INTEGER NOT NULL)")
        scratch.insert("INSERT INTO seen VALUES (?, ?)", ((n * 7 % 2500, n) for n in range(2500)))
        assert scratch.execute("SELECT count(*) FROM seen").fetchone() == (2500,)
        got = list(scratch.rows("SELECT digest, line FROM seen ORDER BY digest", size=100))
        assert [d for d, _ in got] == list(range(2500))
        assert dict(got)[7] == 1
        folder = scratch._folder
        assert os.path.isdir(folder)
    assert not os.path.exists(folder)


def test_a_failed_insert_writes_none_of_its_rows_and_the_folder_goes_on_an_error():
    with pytest.raises(RuntimeError):
        with Scratch() as scratch:
            scratch.execute("CREATE TABLE seen (digest INTEGER PRIMARY KEY)")
            with pytest.raises(sqlite3.IntegrityError):
                scratch.insert("INSERT INTO seen VALUES (?)", [(1,), (1,)])
            scratch.insert("INSERT INTO seen VALUES (?)", [(2,)])
            assert scratch.execute("SELECT digest FROM seen ORDER BY digest").fetchall() == [(2,)]
            folder = scratch._folder
            raise RuntimeError
    assert not os.path.exists(folder)
