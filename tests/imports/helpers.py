"""Files for the import tests: CSV text and Excel workbooks built in memory."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from expo.core.spreadsheets import csv_bytes

HEADER = ["UID", "Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Speakers", "Track"]


def csv_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    return csv_bytes([list(header), *rows])


def xlsx_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, *, edit=None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if edit is not None:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
