"""Pure builders for badges: the QR code a delegate shows at the door and A4 sheets of
printable badges. They take plain data and return bytes; no database, no request."""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# Medium error correction survives a scuffed or creased badge; a 43-character token still fits
# a small symbol (version 4) that phone cameras read from arm's length.
QR_ERROR = "m"
QR_BORDER = 4
# Trying all eight masks takes ~8 ms a code: 15 s for a sheet of 2,000 badges. A token is
# random-looking data, on which every mask reads about as well, so printed sheets use one.
PRINT_MASK = 2

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "ExpoSans"
FONT_BOLD = "ExpoSans-Bold"


def qr_payload(badge_token: str) -> str:
    """What a badge's QR code holds: the delegate's unguessable badge token and nothing else."""
    return badge_token


def make_qr(badge_token: str, *, mask: int | None = None) -> segno.QRCode:
    """The QR code for a badge token; segno picks the most readable mask unless one is given."""
    return segno.make(qr_payload(badge_token), error=QR_ERROR, micro=False, mask=mask)


def qr_svg(badge_token: str, *, title: str = "", scale: int = 6) -> bytes:
    """The badge QR code as a standalone SVG document."""
    out = io.BytesIO()
    make_qr(badge_token).save(
        out, kind="svg", scale=scale, border=QR_BORDER, dark="#000", light="#fff", title=title or None
    )
    return out.getvalue()


@dataclass(frozen=True)
class BadgeData:
    """What is printed on one badge."""

    name: str
    organisation: str
    country: str
    badge_token: str
    badge_code: str


@cache
def _register_fonts() -> None:
    # DejaVu covers the Latin, Greek and Cyrillic names of delegates from 50+ countries; the
    # PDF base fonts only know Latin-1.
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))


# An A4 sheet holds 2 × 4 badges of 90 × 65 mm with cut lines around each.
PAGE_WIDTH, PAGE_HEIGHT = A4
BADGE_WIDTH = 90 * mm
BADGE_HEIGHT = 65 * mm
COLUMNS = 2
ROWS = 4
BADGES_PER_PAGE = COLUMNS * ROWS
MARGIN_X = (PAGE_WIDTH - COLUMNS * BADGE_WIDTH) / 2
MARGIN_Y = (PAGE_HEIGHT - ROWS * BADGE_HEIGHT) / 2
PADDING = 5 * mm
QR_SIZE = 30 * mm


def _fit(text: str, font: str, size: float, width: float, minimum: float = 7) -> tuple[str, float]:
    """Shrink the font until the text fits the width; below the minimum size, cut it short."""
    while size > minimum and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text, size
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…", size


def _draw_qr(canvas: Canvas, badge_token: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector rectangles, one per run of dark modules in a row."""
    rows = list(make_qr(badge_token, mask=PRINT_MASK).matrix_iter(border=QR_BORDER))
    module = size / len(rows)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    # In module units with the origin at the top left, every rectangle has whole-number
    # coordinates; one filled path of them keeps the PDF small and quick to write.
    runs = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            runs.append(f"{start} {r} {c - start} 1 re")
    canvas.saveState()
    canvas.transform(module, 0, 0, -module, x, y + size)
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()


def _draw_badge(canvas: Canvas, badge: BadgeData, event_name: str, x: float, y: float) -> None:
    canvas.setStrokeColorRGB(0.7, 0.7, 0.7)
    canvas.setLineWidth(0.5)
    canvas.setDash(2, 2)
    canvas.rect(x, y, BADGE_WIDTH, BADGE_HEIGHT, stroke=1, fill=0)
    canvas.setDash()

    inner_left = x + PADDING
    inner_width = BADGE_WIDTH - 2 * PADDING
    top = y + BADGE_HEIGHT - PADDING

    canvas.setFillColorRGB(0.114, 0.357, 0.475)  # the expo accent colour
    text, size = _fit(event_name, FONT_BOLD, 9, inner_width)
    canvas.setFont(FONT_BOLD, size)
    canvas.drawString(inner_left, top - size, text)

    canvas.setFillColorRGB(0, 0, 0)
    text, size = _fit(badge.name, FONT_BOLD, 18, inner_width, minimum=10)
    name_baseline = top - 12 - size
    canvas.setFont(FONT_BOLD, size)
    canvas.drawString(inner_left, name_baseline, text)

    text_width = inner_width - QR_SIZE - 3 * mm
    line = name_baseline - 8 * mm
    for value, font, start in ((badge.organisation, FONT, 11), (badge.country, FONT, 10)):
        if value:
            text, size = _fit(value, font, start, text_width)
            canvas.setFont(font, size)
            canvas.drawString(inner_left, line, text)
            line -= size + 3 * mm

    qr_x = x + BADGE_WIDTH - PADDING - QR_SIZE
    qr_y = y + PADDING + 4 * mm
    _draw_qr(canvas, badge.badge_token, qr_x, qr_y, QR_SIZE)
    canvas.setFont(FONT, 8)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, y + PADDING, badge.badge_code)


def badges_pdf(badges: Sequence[BadgeData], *, event_name: str, title: str, compress: bool = True) -> bytes:
    """A4 sheets of badges, eight to a page, in the order given."""
    _register_fonts()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1 if compress else 0, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("Expo")
    for index, badge in enumerate(badges):
        slot = index % BADGES_PER_PAGE
        if index and slot == 0:
            canvas.showPage()
        column, row = slot % COLUMNS, slot // COLUMNS
        x = MARGIN_X + column * BADGE_WIDTH
        y = PAGE_HEIGHT - MARGIN_Y - (row + 1) * BADGE_HEIGHT
        _draw_badge(canvas, badge, event_name, x, y)
    canvas.showPage()
    canvas.save()
    return out.getvalue()
