"""Pure builders for badges: the QR code a delegate shows at the door and A4 sheets of
printable badges. They take plain data and return bytes; no database, no request."""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno

from expo.core.pdf import PAGE_HEIGHT, PAGE_WIDTH, Document

# Medium error correction survives a scuffed or creased badge; a 43-character token still fits
# a small symbol (version 4) that phone cameras read from arm's length.
QR_ERROR = "m"
QR_BORDER = 4
# Trying all eight masks takes ~8 ms a code: 15 s for a sheet of 2,000 badges. A token is
# random-looking data, on which every mask reads about as well, so printed sheets use one.
PRINT_MASK = 2


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


@dataclass(frozen=True)
class BadgeLook:
    """The expo's look on a badge: a band of its main colour with its name and logo."""

    expo_name: str
    colour: tuple[int, int, int] = (29, 91, 121)
    logo: bytes | None = None  # PNG, JPEG or SVG


BAND_HEIGHT = 9.0

# An A4 sheet (210 × 297 mm) holds 2 × 4 badges of 90 × 65 mm with cut lines around each.
BADGE_WIDTH = 90.0
BADGE_HEIGHT = 65.0
COLUMNS = 2
ROWS = 4
BADGES_PER_PAGE = COLUMNS * ROWS
MARGIN_X = (PAGE_WIDTH - COLUMNS * BADGE_WIDTH) / 2
MARGIN_Y = (PAGE_HEIGHT - ROWS * BADGE_HEIGHT) / 2
PADDING = 5.0
QR_SIZE = 30.0
POINT = 72 / 25.4  # points per millimetre


def _draw_qr(document: Document, badge_token: str, x: float, y: float, size: float) -> None:
    """Draw the QR code (top left corner at x, y) as one filled path of rectangles, one per
    run of dark modules in a row, on a white square."""
    rows = list(make_qr(badge_token, mask=PRINT_MASK).matrix_iter(border=QR_BORDER))
    module = size / len(rows) * POINT
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
    document.path(
        f"q {module:.4f} 0 0 {-module:.4f} {x * POINT:.2f} {(PAGE_HEIGHT - y) * POINT:.2f} cm\n"
        f"1 g 0 0 {len(rows)} {len(rows)} re f\n0 g\n" + "\n".join(runs) + "\nf\nQ"
    )


def _draw_badge(document: Document, badge: BadgeData, event_name: str, x: float, y: float,
                look: BadgeLook | None = None) -> None:
    document.set_draw_color(178)
    document.set_line_width(0.18)
    document.set_dash_pattern(dash=0.7, gap=0.7)
    document.rect(x, y, BADGE_WIDTH, BADGE_HEIGHT)
    document.set_dash_pattern()

    inner_left = x + PADDING
    inner_width = BADGE_WIDTH - 2 * PADDING
    top = y + PADDING
    colour = look.colour if look else (29, 91, 121)

    if look is not None:
        _draw_band(document, look, x, y)
        top = y + BAND_HEIGHT + 3
    if event_name and (look is None or event_name != look.expo_name):
        document.set_text_color(*colour)
        top += document.fitted_text(inner_left, top, inner_width, event_name, size=9, minimum=6, bold=True) + 2

    document.set_text_color(0)
    top += document.name_lines(inner_left, top, inner_width, badge.name, size=18, minimum=11) + 2

    qr_x = x + BADGE_WIDTH - PADDING - QR_SIZE
    qr_y = y + BADGE_HEIGHT - PADDING - 4 - QR_SIZE
    text_width = inner_width - QR_SIZE - 3
    for value, size in ((badge.organisation, 11), (badge.country, 10)):
        if value:
            top += document.fitted_text(inner_left, top, text_width, value, size=size, minimum=7) + 1

    _draw_qr(document, badge.badge_token, qr_x, qr_y, QR_SIZE)
    document.fitted_text(qr_x, y + BADGE_HEIGHT - PADDING - 3.5, QR_SIZE, badge.badge_code, size=8, minimum=6,
                         align="C")


def _draw_band(document: Document, look: BadgeLook, x: float, y: float) -> None:
    """The badge's top band: the expo's colour, its logo on a white tile, its name in white."""
    document.set_fill_color(*look.colour)
    document.rect(x, y, BADGE_WIDTH, BAND_HEIGHT, style="F")
    text_left = x + PADDING
    if look.logo:
        try:
            document.set_fill_color(255)
            document.rect(x + PADDING - 0.5, y + 0.75, 16, BAND_HEIGHT - 1.5, style="F")
            document.image(io.BytesIO(look.logo), x=x + PADDING, y=y + 1.25, h=BAND_HEIGHT - 2.5, keep_aspect_ratio=True,
                           w=15)
            text_left += 18
        except Exception:  # noqa: BLE001 - a logo the PDF library cannot draw leaves the name alone
            pass
    document.set_text_color(255)
    document.fitted_text(text_left, y + 2.2, x + BADGE_WIDTH - PADDING - text_left, look.expo_name, size=10,
                         minimum=6, bold=True)


def badges_pdf(badges: Sequence[BadgeData], *, event_name: str, title: str, compress: bool = True,
               look: BadgeLook | None = None) -> bytes:
    """A4 sheets of badges, eight to a page, in the order given, under the expo's band when
    ``look`` is given; FontsMissing without the Noto fonts."""
    document = Document(title=title, compress=compress)
    for index, badge in enumerate(badges):
        slot = index % BADGES_PER_PAGE
        if slot == 0:
            document.add_page()
        column, row = slot % COLUMNS, slot // COLUMNS
        _draw_badge(document, badge, event_name, MARGIN_X + column * BADGE_WIDTH, MARGIN_Y + row * BADGE_HEIGHT, look)
    if not badges:
        document.add_page()
    return bytes(document.output())
