"""Reading an uploaded table (CSV or Excel) row by row, with a clear refusal for anything else.

Rows are streamed: CSV line by line, Excel through openpyxl's read-only mode, so memory does
not grow with the file; the file itself may be bytes (a small one, in a request) or a binary
file (a job's temporary copy of the stored file), read a piece at a time. Excel formulas are never evaluated: a formula cell gives the value
the spreadsheet program saved with it, and a formula saved without its value is refused."""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree

from flask_babel import lazy_gettext as _l

from expo.core.errors import ExpoError

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # far above any programme, far below a server's memory
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls)
_FORMULA_ESCAPE = re.compile(r"^'(?=[=+\-@\t\r])")  # our exports' guard against formulas


Content = bytes | IO[bytes]  # a file as bytes (small ones, in a request) or as a binary file (a job's)
PIECE = 1 << 16  # bytes of a file read (and decoded) at a time


class FileRefused(ExpoError):
    """The upload cannot be read as a table; the message says why and what to do."""


@dataclass(frozen=True)
class Cell:
    value: Any
    ref: str  # "C4", as the spreadsheet program names it


@dataclass(frozen=True)
class Row:
    number: int  # the line (CSV) or row (Excel) number the organiser sees
    cells: tuple[Cell, ...]

    def is_empty(self) -> bool:
        return all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in self.cells)


class CellRefs(Mapping[str, str]):
    """The cells of one row by column key ("title" → "C4"), each named only when asked: the
    rows of a plan keep their line and the file's columns (shared), not a string a cell."""

    __slots__ = ("columns", "number")

    def __init__(self, columns: dict[str, int], number: int) -> None:
        self.columns = columns  # column key → index from 0
        self.number = number

    def __getitem__(self, key: str) -> str:
        return f"{column_letter(self.columns[key] + 1)}{self.number}"

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def check_size(size: int) -> None:
    if size > MAX_IMPORT_BYTES:
        raise FileRefused(
            _l("The file is larger than %(limit)s MB. Split it into smaller files.", limit=MAX_IMPORT_BYTES // 2**20)
        )


class _Reading(io.RawIOBase):
    """One reading of a file, from its start: with a position of its own (the file is sought
    to it before each read), so that readings of one file may go on side by side (a workbook's
    values and formulas), and closing it leaves the file open for the next."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__()
        self._file, self._position = file, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._file.seek(0, io.SEEK_END)}[whence]
        self._position = max(start + offset, 0)
        return self._position

    def readinto(self, buffer: Any) -> int:
        self._file.seek(self._position)
        data = self._file.read(len(buffer))
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)


def opened(content: Content) -> IO[bytes]:
    """A reading of the file from its start (bytes are read from memory)."""
    return io.BufferedReader(_Reading(io.BytesIO(content) if isinstance(content, bytes) else content), PIECE)


def pieces(content: Content, size: int = PIECE) -> Iterator[bytes]:
    """The file ``size`` bytes at a time, from its start."""
    with opened(content) as file:
        while piece := file.read(size):
            yield piece


def size_of(content: Content) -> int:
    return len(content) if isinstance(content, bytes) else content.seek(0, io.SEEK_END)


def head_of(content: Content, size: int = 4096) -> bytes:
    """The file's first ``size`` bytes."""
    if isinstance(content, bytes):
        return content[:size]
    with opened(content) as file:
        return file.read(size)


def whole(content: Content) -> bytes:
    """The file as bytes: only for what must be read at once anyway (a frab schedule's XML or JSON)."""
    if isinstance(content, bytes):
        return content
    with opened(content) as file:
        return file.read()


def is_workbook(content: Content) -> bool:
    return head_of(content, len(_XLSX_MAGIC)) == _XLSX_MAGIC


def _is_blank(content: Content) -> bool:
    # (content.strip() would copy the whole file)
    return all(piece.isspace() for piece in pieces(content))


def read_rows(content: Content) -> Iterator[Row]:
    """Every non-empty row of the file's first sheet, the header first (a file is read from its
    start, whatever its position)."""
    check_size(size_of(content))
    if _is_blank(content):  # (all() of no pieces: an empty file)
        raise FileRefused(_l("The file is empty."))
    if head_of(content, len(_OLE_MAGIC)) == _OLE_MAGIC:
        raise FileRefused(
            _l("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV and upload it again.")
        )
    rows = _workbook_rows(content) if is_workbook(content) else _csv_rows(content)
    return (row for row in rows if not row.is_empty())


# --- CSV ----------------------------------------------------------------------------------------

def decode_text(content: Content) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark) or UTF-16 with one."""
    return whole(content).decode(text_encoding(content))


DECODED_AT_ONCE = PIECE  # bytes of a file decoded at a time to check its encoding


def _check_decodes(content: Content, encoding: str) -> None:
    """Raise UnicodeDecodeError (its ``start`` counted as ``bytes.decode`` counts it: from
    the first byte after a UTF-8 byte-order mark) unless the whole file reads in ``encoding``:
    read and decoded a piece at a time, so that neither the file nor its text (up to four bytes
    a character) is ever held whole."""
    with opened(content) as file:
        if encoding == "utf-8-sig":
            if file.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
                file.seek(0)
            encoding = "utf-8"
        decoder = codecs.getincrementaldecoder(encoding)()
        start = 0  # of the piece, from the first byte decoded
        while piece := file.read(DECODED_AT_ONCE):
            held = len(decoder.getstate()[0])  # the end of the last piece, not yet decoded
            try:
                decoder.decode(piece)
            except UnicodeDecodeError as error:
                error.start += start - held
                raise
            start += len(piece)
    held = len(decoder.getstate()[0])
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        error.start += start - held
        raise


def text_encoding(content: Content) -> str:
    """The encoding the file is in, once the whole file is known to read in it: UTF-8 (with or
    without a byte-order mark) or UTF-16 with one (checked a piece at a time)."""
    head = head_of(content)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            _check_decodes(content, "utf-16")
            return "utf-16"
        except UnicodeError:
            pass
    elif b"\x00" not in head:
        try:
            _check_decodes(content, "utf-8-sig")
            return "utf-8-sig"
        except UnicodeDecodeError as error:
            raise FileRefused(
                _l(
                    "The file is not in UTF-8 (byte %(position)s cannot be read). In Excel, choose "
                    "“Save as” and the type “CSV UTF-8”, then upload it again.",
                    position=error.start + 1,
                )
            ) from None
    raise FileRefused(_l("This file is not a spreadsheet. Upload a CSV file or an Excel workbook (.xlsx)."))


def _delimiter(header: str) -> str:
    """Comma, or the semicolon (Excel in Swedish and other languages) or tab of the header."""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(content: Content) -> Iterator[Row]:
    # Read and decoded as it goes: neither the file nor its text is ever held whole.
    with io.TextIOWrapper(opened(content), encoding=text_encoding(content), newline="") as lines:
        header = lines.readline()
        reader = csv.reader(itertools.chain([header], lines), delimiter=_delimiter(header))
        try:
            for number, values in enumerate(reader, start=1):
                yield Row(number, tuple(
                    Cell(_unescape(value), f"{column_letter(i)}{number}") for i, value in enumerate(values, start=1)
                ))
        except csv.Error as error:
            raise FileRefused(_l("Line %(line)s of the file cannot be read as CSV.", line=reader.line_num)) from error


def _unescape(value: str) -> str:
    return _FORMULA_ESCAPE.sub("", value)


# --- Excel --------------------------------------------------------------------------------------

def _not_a_workbook() -> FileRefused:
    return FileRefused(_l("The file cannot be opened as an Excel workbook (.xlsx). Save it again from Excel, or as CSV."))


def _open_workbook(content: Content, data_only: bool) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(opened(content), read_only=True, data_only=data_only)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise _not_a_workbook() from error


def _merged_ranges(content: Content, sheet_path: str) -> list[str]:
    """The merged cell ranges of a sheet, read from its XML (read-only mode does not list them)."""
    try:
        with opened(content) as file, zipfile.ZipFile(file) as archive, archive.open(sheet_path.lstrip("/")) as part:
            return [
                element.get("ref", "")
                for _, element in ElementTree.iterparse(part)
                if element.tag.endswith("}mergeCell") or element.tag == "mergeCell"
            ]
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError) as error:
        raise _not_a_workbook() from error


def _workbook_rows(content: Content) -> Iterator[Row]:
    values = _open_workbook(content, data_only=True)
    formulas = _open_workbook(content, data_only=False)
    try:
        if not values.worksheets:
            raise _not_a_workbook()
        sheet, formula_sheet = values.worksheets[0], formulas.worksheets[0]
        merged = _merged_ranges(content, getattr(sheet, "_worksheet_path", "xl/worksheets/sheet1.xml"))
        if merged:
            raise FileRefused(
                _l("The sheet has merged cells (%(ranges)s). Unmerge them so each row has its own values, "
                   "then upload it again.", ranges=", ".join(merged[:5]))
            )
        try:
            pairs = zip(sheet.iter_rows(values_only=True), formula_sheet.iter_rows(values_only=True))
            for number, (row, formula_row) in enumerate(pairs, start=1):
                cells = []
                for index, value in enumerate(row, start=1):
                    ref = f"{column_letter(index)}{number}"
                    written = formula_row[index - 1] if index <= len(formula_row) else None
                    if value is None and isinstance(written, str) and written.startswith("="):
                        raise FileRefused(
                            _l("Cell %(cell)s holds a formula whose result was not saved with the file. Expo "
                               "never calculates formulas: open the file in a spreadsheet program and save it, "
                               "or type the value.", cell=ref)
                        )
                    cells.append(Cell(_unescape(value) if isinstance(value, str) else value, ref))
                yield Row(number, tuple(cells))
        except FileRefused:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged sheet fails while it streams
            raise _not_a_workbook() from error
    finally:
        values.close()
        formulas.close()
