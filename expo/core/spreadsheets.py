"""Tables as files organisers open in a spreadsheet: CSV and Excel, safe against formulas."""
from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import IO, Any

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
    return b"".join(csv_chunks(rows))


def csv_chunks(rows: Iterable[Sequence[Any]], every: int = 200) -> Iterator[bytes]:
    """The CSV of ``csv_bytes`` in pieces of ``every`` rows, to stream a long list as it is read."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for number, row in enumerate(rows, start=1):
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
        if number % every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_file(rows: Iterable[Sequence[Any]]) -> IO[bytes]:
    """The CSV of ``csv_bytes`` in a temporary file (on disk once it is large), written as the
    rows are read."""
    spool = tempfile.SpooledTemporaryFile(max_size=1 << 20)
    for chunk in csv_chunks(rows):
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def xlsx_file(rows: Iterable[Sequence[Any]], *, sheet_title: str, title: str = "", width: int = 24) -> IO[bytes]:
    """Rows (the first is the header) as an Excel workbook in a temporary file, written row by
    row (openpyxl's write-only mode), so a list of any length takes little memory; the header
    is bold, frozen and filterable, every column ``width`` wide."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_name(sheet_title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    count = columns = 0
    for count, row in enumerate(rows, start=1):
        if count == 1:
            columns = len(row)
            for index in range(1, columns + 1):
                sheet.column_dimensions[get_column_letter(index)].width = width
            header = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=safe_cell(value))
                cell.font = bold
                header.append(cell)
            sheet.append(header)
        else:
            sheet.append([safe_cell(cell) for cell in row])
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{count}"
    if title:
        workbook.properties.title = _printable(title)[:250]
    spool = tempfile.TemporaryFile()
    workbook.save(spool)
    spool.seek(0)
    return spool


def _sheet_name(text: str) -> str:
    # Excel refuses these characters and more than 31 of them in a sheet's name.
    return _printable(text).translate(str.maketrans("[]:*?/\\", "       "))[:31] or "Sheet"


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
    sheet.title = _sheet_name(sheet_title)
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
