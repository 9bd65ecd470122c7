"""CSV rendering of a statistics table: the same rows the page shows, as raw values."""
from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from expo.core.spreadsheets import csv_bytes
from expo.core.timeutil import local_stamp
from expo.stats.queries import Column, Table

def csv_cell(value: Any, column: Column) -> Any:
    """A value as written to CSV: numbers stay numbers, rates are fractions (0.75), days ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return round(value, 4) if column.kind == "rate" else value
    if isinstance(value, datetime):
        return local_stamp(value) if value.tzinfo is not None else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_csv(table: Table) -> bytes:
    """The table as UTF-8 CSV with a byte order mark, so spreadsheets read the accents right."""
    header = [str(column.label) for column in table.columns]
    rows = ([csv_cell(value, column) for value, column in zip(row, table.columns)] for row in table.rows)
    return csv_bytes(itertools.chain([header], rows))
