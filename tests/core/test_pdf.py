"""The PDF document every printout is made with: each letter in a font that has it."""
from expo.core.pdf import Document
from tests.pdf_check import NAMES_IN_EVERY_SCRIPT, notdef_glyphs, pdftotext


def test_text_after_a_name_in_another_script_is_set_in_its_own_font():
    document = Document(title="Door list")
    document.add_page()
    for row, name in enumerate(NAMES_IN_EVERY_SCRIPT):
        document.fitted_text(10, 10 + 7 * row, 60, name, size=10, minimum=7)
        document.fitted_text(80, 10 + 7 * row, 60, "City of Helsingborg", size=10, minimum=7)
    pdf = bytes(document.output())

    assert notdef_glyphs(pdf) == []
    assert pdftotext(pdf).count("City of Helsingborg") == len(NAMES_IN_EVERY_SCRIPT)


def test_a_text_too_wide_at_the_smallest_size_is_narrowed_not_cut():
    document = Document(title="Narrow")
    document.add_page()
    document.fitted_text(10, 10, 20, "Wolfeschlegelsteinhausenbergerdorff", size=10, minimum=8)

    assert document.font_stretching == 100  # back to normal for what follows
    assert "Wolfeschlegelsteinhausenbergerdorff" in pdftotext(bytes(document.output()))
