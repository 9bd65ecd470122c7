import csv
import io

from openpyxl import load_workbook

from expo.core.spreadsheets import csv_bytes, safe_cell, xlsx_bytes


def test_formulas_are_kept_as_text():
    assert safe_cell("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert safe_cell("-1+2") == "'-1+2"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Åsa Öberg") == "Åsa Öberg"
    assert safe_cell(-3) == -3


def test_control_characters_are_dropped_before_the_formula_check():
    assert safe_cell("Bell \x07 here\tand\nmore") == "Bell  here\tand\nmore"
    assert safe_cell("\x00\x1b=cmd") == "'=cmd"
    data = csv_bytes([["Name"], ["Bell \x07"]])
    assert data.decode("utf-8-sig") == "Name\r\nBell \r\n"


def test_csv_has_a_bom_crlf_and_safe_cells():
    data = csv_bytes([["Name", "Seats"], ["Åsa", 3], ["=cmd", None]])
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    assert list(csv.reader(io.StringIO(text))) == [["Name", "Seats"], ["Åsa", "3"], ["'=cmd", ""]]


def test_xlsx_round_trip():
    data = xlsx_bytes([["Name", "Seats"], ["+46 42 10 50 00", 3]], sheet_title="People", title="H22", widths=(20, 8))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "People"
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["Name", "Seats"], ["'+46 42 10 50 00", 3]]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
