import io

import segno
from pypdf import PdfReader

from expo.badges import builders
from expo.badges.builders import BadgeData
from tests.pdf_check import NAMES_IN_EVERY_SCRIPT, notdef_glyphs, pdftotext, pdftotext_bbox


def badge(name: str, token: str = "token-" + "x" * 37, **fields) -> BadgeData:
    fields.setdefault("organisation", "City of Helsingborg")
    fields.setdefault("country", "Sweden")
    fields.setdefault("badge_code", "ABCD2345")
    return BadgeData(name=name, badge_token=token, **fields)


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_qr_payload_is_the_badge_token_only():
    assert builders.qr_payload("s3cr3t-token") == "s3cr3t-token"


def test_qr_code_encodes_the_token():
    token = "Wq2cS1l0x9kq3bYbZ5tTz6b8kU7mJ1nQ4vX2pR0oLs"
    qr = builders.make_qr(token)
    assert qr.matrix == segno.make(token, error="m", micro=False).matrix
    assert qr.matrix != segno.make(token + "x", error="m", micro=False).matrix


def test_qr_svg_is_the_segno_rendering_of_the_token():
    token = "Wq2cS1l0x9kq3bYbZ5tTz6b8kU7mJ1nQ4vX2pR0oLs"
    out = io.BytesIO()
    segno.make(token, error="m", micro=False).save(out, kind="svg", scale=6, border=4, dark="#000", light="#fff")
    assert builders.qr_svg(token) == out.getvalue()
    assert builders.qr_svg(token).startswith(b"<?xml")


def test_badges_pdf_has_eight_badges_per_a4_page_with_names_organisations_and_countries():
    people = [badge(f"Delegate {n:02d}", token=f"token-{n:02d}", organisation=f"Org {n:02d}") for n in range(1, 10)]
    people[0] = badge("Łukasz Żółć", country="Poland", organisation="Gdańsk")
    pdf = builders.badges_pdf(people, event_name="H22 City Expo", title="Badges")

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]
    first, second = pdf_pages_text(pdf)
    for text, expected in ((first, people[:8]), (second, people[8:])):
        for b in expected:
            assert b.name in text
            assert b.organisation in text
            assert b.country in text
        assert text.count("H22 City Expo") == len(expected)
    assert "Delegate 09" not in first
    assert "Łukasz Żółć" in first and "Gdańsk" in first


# Arabic inside a Latin name runs right to left within the left-to-right line.
MIXED_NAME = "Ahmed أحمد Hassan"


def test_a_badge_sheet_prints_every_script_with_fonts_that_have_its_letters():
    names = [*NAMES_IN_EVERY_SCRIPT, MIXED_NAME]
    people = [badge(name, token=f"token-{n:02d}") for n, name in enumerate(names)]
    pdf = builders.badges_pdf(people, event_name="H22 City Expo", title="Badges")

    text = pdftotext(pdf)
    for name in NAMES_IN_EVERY_SCRIPT:
        assert name in text  # right-to-left names too, in the order they are written
    # pdftotext reads a mixed line in its visual order; each word keeps its letters' order.
    assert all(word in text for word in MIXED_NAME.split())
    assert notdef_glyphs(pdf) == []
    assert "\ufffd" not in text


def test_the_glyph_check_finds_a_letter_drawn_as_a_box():
    pdf = builders.badges_pdf([badge("Ada")], event_name="Expo", title="Badges", compress=False)
    first_code = pdf.index(b") Tj") - 2
    # A code the subset font does not map draws glyph 0, .notdef: the box a missing letter prints as.
    boxed = pdf[:first_code] + b"\x7f\x7f" + pdf[first_code + 2:]

    assert notdef_glyphs(pdf) == []
    assert len(notdef_glyphs(boxed)) == 1


def test_a_letter_no_font_has_prints_as_the_replacement_character_not_a_box():
    pdf = builders.badges_pdf([badge("Ada \U0001f600 Lovelace")], event_name="Expo", title="Badges")

    assert "Ada \ufffd Lovelace" in pdftotext(pdf)
    assert notdef_glyphs(pdf) == []


def test_long_names_shrink_onto_two_lines_within_the_badge():
    name = "Maria-Magdalena Wolfeschlegelsteinhausenbergerdorff von Hohenzollern-Sigmaringen"
    pdf = builders.badges_pdf([badge(name)], event_name="Expo", title="Badges", compress=False)

    text = pdftotext(pdf)
    assert "Maria-Magdalena Wolfeschlegelsteinhausenbergerdorff" in text
    assert "von Hohenzollern-Sigmaringen" in text
    assert "…" not in text
    # Nothing is drawn past the badge's right edge minus its padding.
    for line in pdftotext_bbox(pdf):
        assert line["xMax"] <= (builders.MARGIN_X + builders.BADGE_WIDTH - builders.PADDING) * builders.POINT + 0.5


def test_a_name_without_spaces_is_narrowed_to_fit_one_line():
    name = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegt"
    pdf = builders.badges_pdf([badge(name)], event_name="Expo", title="Badges")

    assert name in pdftotext(pdf)
    for line in pdftotext_bbox(pdf):
        assert line["xMax"] <= (builders.MARGIN_X + builders.BADGE_WIDTH - builders.PADDING) * builders.POINT + 0.5


def test_badge_pdf_draws_exactly_the_qr_modules_of_the_token():
    import re

    token = "Wq2cS1l0x9kq3bYbZ5tTz6b8kU7mJ1nQ4vX2pR0oLs"
    pdf = builders.badges_pdf([badge("Ada", token=token)], event_name="Expo", title="Badges", compress=False)
    stream = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    expected = [list(row) for row in builders.make_qr(token, mask=builders.PRINT_MASK).matrix_iter(border=4)]
    drawn = [[0] * len(expected) for _ in expected]
    for column, row, width in re.findall(r"^(\d+) (\d+) (\d+) 1 re$", stream, flags=re.M):
        for c in range(int(column), int(column) + int(width)):
            drawn[int(row)][c] = 1
    assert drawn == expected
    assert segno.make(token, error="m", micro=False, mask=builders.PRINT_MASK).matrix == builders.make_qr(
        token, mask=builders.PRINT_MASK
    ).matrix
