"""PDF documents that print a name in any script.

fpdf2 shapes text with HarfBuzz, so Arabic letters join and run right to left, Devanagari
forms its conjuncts and Thai places its vowels. Each character is drawn in the first Noto font
that has it: Noto Sans for Latin, Greek and Cyrillic, then the fonts of other scripts, loaded
into a document only when its text needs them (the CJK collections take a second each). The
fonts come from Debian's fonts-noto-core and fonts-noto-cjk packages, which `make install`
installs; without them, printing stops with ``FontsMissing`` saying what to install.

Measured on this project's shared 2-core machine for a sheet of 2,000 badges with names in
sixteen scripts, as processor time (wall time was two to seven times more, the machine being
busy): fpdf2 with uharfbuzz 10 s, the QR codes written as one path each; WeasyPrint (Pango,
HTML and CSS) 41 s for the same sheet. ReportLab, which drew the badges before, shapes text
with HarfBuzz too but cannot read the Noto CJK fonts (PostScript outlines)."""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

# Where Debian puts the Noto fonts; EXPO_FONT_DIRS (separated by ":") replaces the list.
DEFAULT_FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto")
FONT_PACKAGES = "fonts-noto-core fonts-noto-cjk"

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0  # A4 in millimetres
BODY = "notosans"
REPLACEMENT = "\ufffd"
LINE_HEIGHT = 1.25 * 25.4 / 72  # millimetres per point of font size
TWO_LINE_SCALE = 0.75  # a name on two lines starts at three quarters of its one-line size


class FontsMissing(RuntimeError):
    """The Noto fonts Expo prints with are not installed."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = sorted(missing)
        super().__init__(
            f"Expo prints PDFs with the Noto fonts of Debian's {FONT_PACKAGES} packages, and "
            f"{', '.join(self.missing)} cannot be found in {':'.join(font_dirs())}. Install them with "
            f"`apt-get install {FONT_PACKAGES}` (`make install` does it), or point EXPO_FONT_DIRS at them."
        )


def font_dirs() -> list[str]:
    configured = os.environ.get("EXPO_FONT_DIRS")
    return configured.split(":") if configured else list(DEFAULT_FONT_DIRS)


@dataclass(frozen=True)
class Face:
    """A font family in two weights (one file each, or a face of a collection)."""

    family: str
    regular: Path
    bold: Path
    index: int = 0

    @property
    def cmap(self) -> frozenset[int]:
        return _cmap(self.regular, self.index)


@cache
def _cmap(path: Path, index: int) -> frozenset[int]:
    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _find(name: str) -> Path | None:
    for folder in font_dirs():
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


# The scripts of the expo's delegates, in the order a character looks for its font.
PRIMARY = ("NotoSans", "NotoSansArabic", "NotoSansHebrew", "NotoSansDevanagari", "NotoSansThai")
# Han characters are drawn differently in Chinese and Japanese: text with kana is set in the
# Japanese face of the collection, other text (Korean hangul too) in the Chinese one.
CJK_FILE = "NotoSansCJK-{weight}.ttc"
CJK_FACES = {"ja": 0, "zh": 2}


def _face(stem: str) -> Face | None:
    regular = _find(f"{stem}-Regular.ttf")
    if regular is None:
        return None
    return Face(stem.lower(), regular, _find(f"{stem}-Bold.ttf") or regular)


@cache
def primary_faces() -> tuple[Face, ...]:
    """Noto Sans and the fonts of the expo's main scripts; FontsMissing when one is not installed."""
    faces, missing = [], []
    for stem in PRIMARY:
        face = _face(stem)
        if face is None:
            missing.append(f"{stem}-Regular.ttf")
        else:
            faces.append(face)
    if _find(CJK_FILE.format(weight="Regular")) is None:
        missing.append(CJK_FILE.format(weight="Regular"))
    if missing:
        raise FontsMissing(missing)
    return tuple(faces)


def cjk_face(language: str) -> Face:
    regular = _find(CJK_FILE.format(weight="Regular"))
    if regular is None:
        raise FontsMissing([CJK_FILE.format(weight="Regular")])
    bold = _find(CJK_FILE.format(weight="Bold")) or regular
    return Face(f"notosanscjk{language}", regular, bold, CJK_FACES[language])


@cache
def other_faces() -> tuple[Face, ...]:
    """Every other Noto Sans font installed (Armenian, Georgian, Tamil …): looked through only
    for characters the main fonts lack."""
    taken = {stem.lower() for stem in PRIMARY}
    faces = []
    for folder in font_dirs():
        for path in sorted(Path(folder).glob("NotoSans*-Regular.ttf")):
            stem = path.name.removesuffix("-Regular.ttf")
            if stem.lower() not in taken and not stem.endswith(("UI", "Display", "Mono")):
                taken.add(stem.lower())
                faces.append(Face(stem.lower(), path, path.with_name(f"{stem}-Bold.ttf")
                                  if path.with_name(f"{stem}-Bold.ttf").is_file() else path))
    return tuple(faces)


def cjk_language(text: str) -> str:
    """Which CJK face sets ``text``: Japanese with kana, else Chinese."""
    kana = any(0x3040 <= ord(char) <= 0x30FF or 0x31F0 <= ord(char) <= 0x31FF for char in text)
    return "ja" if kana else "zh"


def _ignorable(char: str) -> bool:
    # Joiners and direction marks have no glyph of their own: shaping reads and drops them.
    return unicodedata.category(char) == "Cf"


class Document(FPDF):
    """An A4 document (millimetres) that sets any text in the Noto font that has its characters."""

    def __init__(self, *, title: str, compress: bool = True) -> None:
        super().__init__(unit="mm", format="A4")
        self._primary = primary_faces()
        self._cjk = "zh"
        self._added: set[str] = set()
        # Sheets repeat the event, organisations and countries: each is measured once.
        self._widths: dict[tuple[str, bool], float] = {}
        self._printable: dict[str, str] = {}
        self.set_auto_page_break(False)
        self.set_compression(compress)
        self.set_title(title)
        self.set_creator("Expo")
        self.set_producer("Expo")
        self.set_margin(0)
        self.c_margin = 0
        self._add_face(self._primary[0], "")
        self._add_face(self._primary[0], "B")
        self.set_text_shaping(True)

    def _add_face(self, face: Face, style: str) -> str:
        # Each font is read only when the document first needs it: a CJK face takes a second.
        key = face.family + style
        if key not in self._added:
            path = face.bold if style == "B" else face.regular
            self.add_font(face.family, style, str(path), collection_font_number=face.index)
            self._added.add(key)
        return key

    def face_for(self, char: str) -> Face | None:
        """The first font that has ``char``; None when no installed font has it."""
        code = ord(char)
        for face in self._primary:
            if code in face.cmap:
                return face
        cjk = cjk_face(self._cjk)
        if code in cjk.cmap:
            return cjk
        return next((face for face in other_faces() if code in face.cmap), None)

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        face = self.face_for(char)
        if face is None or face.family == BODY:
            return None
        return self._add_face(face, "B" if "B" in style else "")

    def printable(self, text: str) -> str:
        """``text`` with every character some font can draw: the others become U+FFFD."""
        self._cjk = cjk_language(text)
        if text not in self._printable:
            self._printable[text] = "".join(
                char if char.isspace() or _ignorable(char) or self.face_for(char) is not None else REPLACEMENT
                for char in unicodedata.normalize("NFC", text)
            )
        return self._printable[text]

    def text_width(self, text: str, size: float, *, bold: bool = False) -> float:
        """The width of ``text`` (already printable) in millimetres at ``size`` points."""
        if not text:
            return 0.0
        if (text, bold) not in self._widths:
            self.set_font(BODY, "B" if bold else "", 10)
            self._widths[text, bold] = self.get_string_width(text) / 10
        return self._widths[text, bold] * size

    def fitted_text(self, x: float, y: float, width: float, text: str, *, size: float,
                    minimum: float, bold: bool = False, align: str = "L") -> float:
        """Write ``text`` on one line from the top left corner (x, y), at ``size`` points or
        smaller down to ``minimum``; still too wide there, it is narrowed to fit. Returns the
        height of the line in millimetres."""
        text = self.printable(text)
        natural = self.text_width(text, size, bold=bold)
        stretch = 100.0
        if natural > width:
            fitting = size * width / natural
            if fitting >= minimum:
                size = fitting
            else:
                stretch, size = 100 * fitting / minimum, minimum
        self.set_font(BODY, "B" if bold else "", size)
        # fpdf2 switches to a fallback font inside a text and does not switch back, so the next
        # text would draw its letters' codes in the wrong font: each text sets its own font
        # inside a saved graphics state, which is restored after it.
        self._out("q")
        self.current_font_is_set_on_page = False
        self.set_stretching(stretch)
        self.set_xy(x, y)
        height = size * LINE_HEIGHT
        self.cell(width, height, text, align=align)
        self._out("Q")
        self.current_font_is_set_on_page = False
        self.set_stretching(100)
        return height

    def name_lines(self, x: float, y: float, width: float, text: str, *, size: float, minimum: float,
                   bold: bool = True) -> float:
        """Write ``text`` on one line as ``fitted_text`` does, or when it would be smaller than
        ``minimum`` there, on two lines broken between words. Returns the height used."""
        text = self.printable(text)
        natural = self.text_width(text, size, bold=bold)
        words = text.split()
        if natural <= width or len(words) < 2 or size * width / natural >= minimum:
            return self.fitted_text(x, y, width, text, size=size, minimum=minimum, bold=bold)
        rows = _balanced_rows(words, lambda row: self.text_width(row, size, bold=bold))
        widest = max(self.text_width(row, size, bold=bold) for row in rows)
        row_size = min(size * TWO_LINE_SCALE, size * width / widest)
        top = y
        for row in rows:
            top += self.fitted_text(x, top, width, row, size=row_size, minimum=minimum * TWO_LINE_SCALE, bold=bold)
        return top - y

    def path(self, operators: str) -> None:
        """Write raw path operators into the page (points, origin at the bottom left)."""
        self._out(operators)


def _balanced_rows(words: list[str], width_of) -> list[str]:
    """The words on two rows, broken where the wider row is narrowest."""
    cuts = [(" ".join(words[:cut]), " ".join(words[cut:])) for cut in range(1, len(words))]
    return list(min(cuts, key=lambda rows: max(width_of(rows[0]), width_of(rows[1]))))
