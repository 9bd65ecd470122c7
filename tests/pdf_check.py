"""Reading Expo's PDFs as a reader would: the text Debian's pdftotext (poppler-utils) extracts, and
the glyph each shown character code draws, to find any .notdef (a box where a letter should be)."""
from __future__ import annotations

import html
import io
import re
import shutil
import subprocess

import pytest
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import ContentStream

# One delegate for each script the expo's badges print, as they sign up.
NAMES_IN_EVERY_SCRIPT = [
    "Åsa Öberg-Müller", "Zoë Łukasiewicz-Dvořák", "Nguyễn Thị Ánh", "Алексей Иванов", "Γιώργος Παπαδόπουλος",
    "أحمد حسن", "דוד כהן", "王小明", "山田 さくら", "김민준", "राजेश कुमार", "สมชาย ใจดี",
]


# pdftotext marks right-to-left runs with embedding controls; the letters between are in logical order.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))


def pdftotext(pdf: bytes) -> str:
    """The PDF's text as pdftotext extracts it, without bidi controls, spaces collapsed."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make install` installs Debian's poppler-utils")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"[ \t]+", " ", out.stdout.decode().translate(BIDI_CONTROLS))


def _bytes(value) -> bytes:
    # pypdf reads two-byte codes as UTF-16 text; encoded back (without a byte-order mark) they are the codes.
    if getattr(value, "autodetect_utf16", False):
        return value.encode("utf-16-be")
    return value.get_original_bytes() if hasattr(value, "get_original_bytes") else bytes(value)


def _glyph_lookup(font):
    """A function from the font's character codes (two bytes, Identity) to glyph ids in its embedded program."""
    descendant = font["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    if descendant["/Subtype"] == "/CIDFontType2":
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        count = program["maxp"].numGlyphs
        mapping = descendant.get("/CIDToGIDMap")
        table = None if mapping is None or mapping == "/Identity" else mapping.get_object().get_data()

        def truetype(code: int) -> int:
            gid = code if table is None else int.from_bytes(table[2 * code:2 * code + 2], "big")
            return gid if gid < count else 0
        return truetype
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()), None)
    charset = cff[cff.fontNames[0]].charset
    encoding = font["/Encoding"]
    cids = None
    if not isinstance(encoding, str):
        text = encoding.get_object().get_data().decode("latin-1")
        cids = {int(code, 16): int(cid) for code, cid in re.findall(r"<([0-9A-Fa-f]{4})>\s+(\d+)", text)}

    def cff_glyph(code: int) -> int:
        cid = code if cids is None else cids.get(code, 0)
        name = ".notdef" if cid == 0 else f"cid{cid:05d}"
        return charset.index(name) if name in charset else 0
    return cff_glyph


def notdef_glyphs(pdf: bytes) -> list[tuple[str, int]]:
    """Every (font, code) shown in the PDF that draws its font's .notdef glyph (glyph 0)."""
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        lookups = {name: _glyph_lookup(fonts[name].get_object()) for name in fonts}
        current, saved = None, []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            # The font is part of the graphics state, which q saves and Q restores.
            if operator == b"q":
                saved.append(current)
            elif operator == b"Q":
                current = saved.pop()
            elif operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ"):
                shown = [operands[0]] if operator == b"Tj" else [o for o in operands[0] if not isinstance(o, (int, float))]
                for value in shown:
                    data = _bytes(value)
                    for i in range(0, len(data), 2):
                        code = int.from_bytes(data[i:i + 2], "big")
                        if lookups[current](code) == 0:
                            found.append((str(fonts[current].get_object()["/BaseFont"]), code))
    return found


def pdftotext_bbox(pdf: bytes) -> list[dict]:
    """Each line of text with its box in points (xMin, yMin, xMax, yMax), from pdftotext -bbox-layout."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make install` installs Debian's poppler-utils")
    out = subprocess.run(["pdftotext", "-bbox-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return [
        {key: float(value) for key, value in re.findall(r'(\w+)="([\d.]+)"', attributes)}
        for attributes in re.findall(r"<line ([^>]*)>", out.stdout.decode())
    ]


def pdf_words(pdf: bytes) -> list[dict]:
    """Each word with its box in points, from pdftotext -bbox."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make install` installs Debian's poppler-utils")
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True)
    return [
        {"text": html.unescape(text), **{key: float(value) for key, value in re.findall(r'(\w+)="([\d.]+)"', attrs)}}
        for attrs, text in re.findall(r"<word ([^>]*)>([^<]*)</word>", out.stdout.decode())
    ]
