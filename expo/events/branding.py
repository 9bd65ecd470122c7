"""Settings → Branding: the expo's name, colours and logo, checked before they are stored.

A logo is a PNG, JPEG or SVG file of at most ``MAX_LOGO_BYTES``. Raster files must open as the
image they claim to be; an SVG must be a plain drawing: no scripts, event handlers, embedded
documents or references to other files (it is also served with a policy that runs nothing)."""
from __future__ import annotations

import io
import secrets
from typing import Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.branding import GRAPHIC_CONTRAST, HEX_COLOUR, LOGO_TYPES, TEXT_CONTRAST, contrast
from expo.core.errors import ExpoError
from expo.events.models import Expo
from expo.events.services import current_expo

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 4000  # a side, for raster logos
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_SVG_ELEMENTS = frozenset({"script", "foreignObject", "iframe", "object", "embed", "image", "feImage",
                                     "animate", "set", "animateMotion", "animateTransform", "handler", "listener"})
_REFERENCES = ("href", "{http://www.w3.org/1999/xlink}href")


class LogoRefused(ExpoError):
    """The uploaded logo is not one Expo can show safely."""

    def __init__(self, message: Any) -> None:
        super().__init__(message, field="logo")


def update_look(*, name: str, primary: str, accent: str, logo: bytes | None = None, remove_logo: bool = False,
                actor: Any) -> Expo:
    """Rename the expo and change its colours and logo (``logo`` None keeps the current one);
    what changed is written to the audit log with who changed it."""
    check_colour(primary, field="primary_colour", minimum=TEXT_CONTRAST)
    check_colour(accent, field="accent_colour", minimum=GRAPHIC_CONTRAST)
    expo = current_expo()
    before = (expo.name, expo.primary_colour, expo.accent_colour)
    had_logo = expo.logo_type is not None
    expo.name = name.strip()
    expo.primary_colour = primary.lower()
    expo.accent_colour = accent.lower()
    logo_change = None
    if logo is not None:
        expo.logo_type = logo_type(logo)
        expo.logo = logo
        logo_change = "logo replaced" if had_logo else "logo added"
    elif remove_logo and had_logo:
        expo.logo, expo.logo_type = None, None
        logo_change = "logo removed"
    changes = [f"{what}: {old or '—'} → {new}" for what, old, new in
               zip(("name", "primary colour", "accent colour"), before,
                   (expo.name, expo.primary_colour, expo.accent_colour)) if old != new]
    if logo_change:
        changes.append(logo_change)
    if changes:
        audit.record(actor=actor, action=AuditAction.BRANDING_CHANGED, target=expo.name, detail="; ".join(changes))
    expo.look_version = secrets.token_hex(4)
    return expo


def check_colour(colour: str, *, field: str, minimum: float) -> None:
    """Refuse a colour that is not "#rrggbb" or on which white reads too faintly."""
    if not HEX_COLOUR.fullmatch(colour or ""):
        raise ExpoError(_l("Write a colour as # and six hexadecimal digits, for example #1d5b79."), field=field)
    ratio = contrast(colour, "#ffffff")
    if ratio < minimum:
        raise ExpoError(_l("%(colour)s is too light: its contrast with white is %(ratio).1f:1, and at least "
                           "%(needed).1f:1 is needed to read well (WCAG AA). Choose a darker colour.",
                           colour=colour, ratio=ratio, needed=minimum), field=field)


def logo_type(content: bytes) -> str:
    """The logo's content type, or LogoRefused saying what is wrong with it."""
    if len(content) > MAX_LOGO_BYTES:
        raise LogoRefused(_l("The logo is larger than %(limit)d KB. Save it smaller.", limit=MAX_LOGO_BYTES // 1024))
    if not content:
        raise LogoRefused(_l("The file is empty."))
    if content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff"):
        return _raster_type(content)
    _check_svg(content)
    return LOGO_TYPES["svg"]


def _raster_type(content: bytes) -> str:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            kind, size = (image.format or "").lower(), image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LogoRefused(_l("The image cannot be read. Save it again as PNG or JPEG.")) from None
    if kind not in LOGO_TYPES or max(size) > MAX_LOGO_PIXELS:
        raise LogoRefused(_l("The image is too large: at most %(limit)d pixels a side.", limit=MAX_LOGO_PIXELS))
    return LOGO_TYPES[kind]


def _check_svg(content: bytes) -> None:
    not_logo = _l("The logo must be a PNG, JPEG or SVG file.")
    try:
        root = ElementTree.fromstring(content.decode("utf-8"))
    except (UnicodeDecodeError, ElementTree.ParseError, DefusedXmlException, ValueError):
        raise LogoRefused(not_logo) from None
    if root.tag != f"{SVG_NAMESPACE}svg":
        raise LogoRefused(not_logo)
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        handlers = any(key.rsplit("}", 1)[-1].lower().startswith("on") for key in element.attrib)
        outside = any(not element.attrib[key].startswith("#") for key in _REFERENCES if key in element.attrib)
        styled = " ".join([element.attrib.get("style", ""), element.text or "" if tag == "style" else ""]).lower()
        if tag in _FORBIDDEN_SVG_ELEMENTS or handlers or outside or "url(" in styled.replace("url(#", "") \
                or "@import" in styled or "javascript:" in " ".join(element.attrib.values()).lower():
            raise LogoRefused(_l("The SVG file holds scripts or links to other files. Save it as a plain drawing."))
