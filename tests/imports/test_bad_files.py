"""Files that are not what an import expects get a clear message, never a server error."""
from __future__ import annotations

import codecs
import io
from datetime import date

import pytest

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.imports import readers, services
from expo.imports.models import ImportBatch
from expo.imports.readers import FileRefused, read_rows
from tests.factories import make_event, make_room, make_user, make_venue, utc
from tests.imports.helpers import HEADER, xlsx_file

ROW = ["", "Opening", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""]


@pytest.fixture
def setting(db):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    make_room(name="Hall A", venue=make_venue(name="Dunkers"))
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    return event, organiser


def _preview(setting, content: bytes):
    event, organiser = setting
    batch = services.start_import(event=event, filename="file", content=content, actor=organiser)
    return services.preview(batch)


def _refusal(setting, content: bytes) -> str:
    event, organiser = setting
    with pytest.raises(FileRefused) as caught:
        services.start_import(event=event, filename="file", content=content, actor=organiser)
    assert db.session.query(ImportBatch).count() == 0
    return str(caught.value.message)


def test_a_semicolon_csv_saved_by_excel_is_read(setting):
    text = ";".join(HEADER) + "\r\n" + ";".join(ROW) + "\r\n"
    plan = _preview(setting, text.encode("utf-8-sig"))
    assert [(r.title, r.state) for r in plan.rows] == [("Opening", "new")]
    assert plan.rows[0].data.starts_at == utc(2022, 6, 1, 7)


def test_a_file_in_another_encoding_is_refused_with_the_remedy(setting):
    text = ",".join(HEADER) + "\r\n" + ",".join(ROW).replace("Opening", "Öppning") + "\r\n"
    message = _refusal(setting, text.encode("cp1252"))
    assert "not in UTF-8" in message and "CSV UTF-8" in message


def test_a_utf16_file_with_its_byte_order_mark_is_read(setting):
    text = "\t".join(HEADER) + "\r\n" + "\t".join(ROW).replace("Opening", "Öppning") + "\r\n"
    plan = _preview(setting, text.encode("utf-16"))
    assert [r.title for r in plan.rows] == ["Öppning"]


def test_empty_rows_are_skipped_and_lines_keep_their_numbers(setting):
    text = ",".join(HEADER) + "\r\n,,,,\r\n\r\n" + ",".join(ROW) + "\r\n,,, ,\r\n"
    plan = _preview(setting, text.encode())
    assert [(r.line, r.title) for r in plan.rows] == [(4, "Opening")]


def test_merged_cells_are_refused_with_their_range(setting):
    content = xlsx_file([ROW, ROW], edit=lambda sheet: sheet.merge_cells("B2:B3"))
    assert "merged cells (B2:B3)" in _refusal(setting, content)


def test_formulas_are_read_as_their_saved_values_and_never_evaluated(setting):
    from openpyxl import load_workbook

    # openpyxl writes a formula without its value, as no spreadsheet program would.
    content = xlsx_file([[*ROW[:1], "=CONCAT(\"Op\",\"ening\")", *ROW[2:]]])
    assert load_workbook(io.BytesIO(content)).active["B2"].value.startswith("=")
    assert "holds a formula whose result was not saved" in _refusal(setting, content)

    saved = _with_cached_value(content, "B2", "Opening (saved value)")
    plan = _preview(setting, saved)
    assert [r.title for r in plan.rows] == ["Opening (saved value)"]


def _with_cached_value(content: bytes, ref: str, value: str) -> bytes:
    """The workbook as a spreadsheet program saves it: the formula's result beside it."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(
                    rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>',
                    lambda m: f'<c r="{ref}" t="str"><f>{m.group(2)}</f><v>{value}</v>', text,
                )
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel file"),
        (b"PK\x03\x04 this is no workbook", "cannot be opened as an Excel workbook"),
        (b"", "empty"),
        (b"name,colour\r\nbike,red\r\n", "must name the columns"),
        (b"<html><body>hello</body></html>", "cannot be read as a frab or pretalx schedule"),
        (b'{"schedule": {"conference": {}}}', "cannot be read as a frab or pretalx schedule"),
    ],
    ids=["png", "xls", "broken-zip", "empty", "other-table", "html", "json-without-days"],
)
def test_a_file_that_is_not_an_import_is_refused_clearly(setting, content, message):
    assert message in _refusal(setting, content)


def test_a_file_above_the_limit_is_refused_before_it_is_read():
    from expo.imports.readers import MAX_IMPORT_BYTES

    with pytest.raises(FileRefused, match="larger than 20 MB"):
        list(read_rows(b"x" * (MAX_IMPORT_BYTES + 1)))


def test_the_encoding_is_checked_a_piece_at_a_time_naming_the_byte_that_cannot_be_read(monkeypatch):
    monkeypatch.setattr(readers, "DECODED_AT_ONCE", 4)  # characters of several bytes cut between pieces
    good = codecs.BOM_UTF8 + "Title\nÖppning 😀 €\n".encode()
    assert readers.text_encoding(good) == "utf-8-sig"
    assert readers.text_encoding(codecs.BOM_UTF16_LE + "Title\nÖppning 😀\n".encode("utf-16-le")) == "utf-16"
    bad = good + b"caf\xe9\n"  # cp1252, far from the first piece
    with pytest.raises(readers.FileRefused) as caught:
        readers.text_encoding(bad)
    position = len(bad) - len(codecs.BOM_UTF8) - 1  # as the whole text decoded at once counts it
    assert f"byte {position} cannot be read" in str(caught.value.message)


def _on_disk(content: bytes):
    """The file as a job has it: a temporary file, left at its end by whoever wrote it."""
    import tempfile

    file = tempfile.TemporaryFile()
    file.write(content)
    return file


def _read(content) -> list[tuple[int, list]] | str:
    try:
        return [(row.number, [(cell.ref, cell.value) for cell in row.cells]) for row in read_rows(content)]
    except FileRefused as refused:
        return str(refused.message)


@pytest.mark.parametrize("content", [
    (",".join(HEADER) + "\r\n" + ",".join(ROW) + "\n\n" + ",".join(ROW) + "\r\n").encode(),
    (";".join(HEADER) + "\r\n" + ";".join(ROW) + "\r\n").encode("utf-8-sig"),
    ("\t".join(HEADER) + "\r\n" + "\t".join(ROW).replace("Opening", "Öppning 😀") + "\r\n").encode("utf-16"),
    ("Title\n" + "Öppning\n" * 30000).encode(),  # several pieces, characters cut between them
    xlsx_file([ROW, ROW]),
    xlsx_file([ROW, ROW], edit=lambda sheet: sheet.merge_cells("B2:B3")),
    xlsx_file([[*ROW[:1], "=CONCAT(\"Op\",\"ening\")", *ROW[2:]]]),
    (",".join(HEADER) + "\r\n" + ",".join(ROW).replace("Opening", "Öppning") + "\r\n").encode("cp1252"),
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
    b"PK\x03\x04 this is no workbook",
    b"",
    b" \r\n\t \n",
    b'"unclosed,\x00quote\n',
], ids=["csv", "semicolon", "utf-16", "long-utf-8", "xlsx", "merged", "formula", "cp1252", "png", "xls",
        "broken-zip", "empty", "blank", "nul"])
def test_a_file_on_disk_reads_as_its_bytes_do_or_is_refused_the_same(content):
    expected = _read(content)
    with _on_disk(content) as file:
        assert _read(file) == expected
        assert _read(file) == expected  # read again from its start, as a job's passes do


def test_readings_of_one_file_on_disk_may_go_on_side_by_side():
    content = ("Title,Type\n" + "".join(f"Session {n},Talk\n" for n in range(5000))).encode()
    with _on_disk(content) as file:
        pairs = list(zip(read_rows(file), read_rows(file)))
        assert len(pairs) == 5001 and all(a == b for a, b in pairs)
        header = next(iter(read_rows(file)))  # a reading left half-way leaves the file open
        assert header.cells[0].value == "Title" and not file.closed and len(list(read_rows(file))) == 5001


def test_the_encoding_of_a_file_on_disk_is_checked_a_piece_at_a_time(monkeypatch):
    monkeypatch.setattr(readers, "DECODED_AT_ONCE", 4)
    bad = codecs.BOM_UTF8 + "Title\nÖppning 😀 €\n".encode() + b"caf\xe9\n"
    with _on_disk(bad) as file, pytest.raises(readers.FileRefused) as caught:
        readers.text_encoding(file)
    assert f"byte {len(bad) - len(codecs.BOM_UTF8) - 1} cannot be read" in str(caught.value.message)
    with _on_disk(codecs.BOM_UTF16_BE + "Title\nÖppning 😀\n".encode("utf-16-be")) as file:
        assert readers.text_encoding(file) == "utf-16" and readers.decode_text(file) == "Title\nÖppning 😀\n"
