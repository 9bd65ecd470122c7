import io

import segno
from pypdf import PdfReader

from expo.badges import builders
from expo.badges.builders import BadgeData


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


def test_long_names_are_shrunk_or_cut_to_fit_the_badge():
    name = "Maria Dolores Fernández de la Concepción y Rodríguez-Villanueva"
    pdf = builders.badges_pdf([badge(name)], event_name="Expo", title="Badges")
    [text] = pdf_pages_text(pdf)
    assert name in text.replace("\n", " ") or "…" in text


def test_fit_keeps_text_within_width():
    builders._register_fonts()
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text, size = builders._fit("W" * 200, builders.FONT_BOLD, 18, 100, minimum=10)
    assert size == 10
    assert text.endswith("…")
    assert stringWidth(text, builders.FONT_BOLD, size) <= 100


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
