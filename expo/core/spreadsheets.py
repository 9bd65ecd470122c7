"""Tables as files organisers open in a spreadsheet: CSV and Excel, safe against formulas."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@cache
def _illegal_characters() -> re.Pattern[str]:
    from openpyxl.cell.cell import (
        ILLEGAL_CHARACTERS_RE,  # openpyxl loads slowly: only when needed
    )

    return ILLEGAL_CHARACTERS_RE


def _printable(text: str) -> str:
    """Text without the control characters a workbook cannot hold (openpyxl refuses them in
    cells and writes a file Excel cannot open when they are in a sheet's name or title)."""
    return _illegal_characters().sub("", text)


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet shows as text and never evaluates (CSV/formula injection),
    without control characters; numbers and other values pass unchanged."""
    if isinstance(value, str):
        value = _printable(value)
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows (the first is the header) as CSV: UTF-8 with a byte-order mark so Excel reads
    accents, CRLF line ends, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(
    rows: Iterable[Sequence[Any]], *, sheet_title: str, title: str = "", widths: Sequence[int] = ()
) -> bytes:
    """Rows (the first is the header) as an Excel workbook of one sheet with a bold, frozen,
    filterable header; columns are sized to their content unless ``widths`` are given."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    # Excel refuses these characters and more than 31 of them in a sheet's name.
    sheet.title = _printable(sheet_title).translate(str.maketrans("[]:*?/\\", "       "))[:31] or "Sheet"
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    if not widths:
        widths = [
            min(max(max(len(str(c.value or "")) for c in column) + 2, 8), 60) for column in sheet.columns
        ]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if title:
        workbook.properties.title = _printable(title)[:250]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
