"""The expo's look: its name, colours and logo, as pages, e-mails and badges show them.

An administrator sets them under Settings → Branding (they are stored with the expo's row). Every
page needs them, so they are read through the shared cache: one cache read per request (held in
``g`` for the rest of it), the database only when the cache has no copy. Saving the look forgets
the copy; without Redis each process keeps its own copy for ``TIMEOUT`` seconds at most.

Colours are checked for contrast as WCAG 2 computes it: white text is written on the main
colour (headers, buttons), so it needs 4.5:1; the accent colour draws lines, bars and borders
beside text, never text itself, so it needs 3:1 against the white page."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from html import escape

from flask import Flask, current_app, g, has_app_context, has_request_context
from flask_babel import gettext as _

from sqlalchemy.exc import SQLAlchemyError

from expo.core.extensions import cache, db

EXTENSION_KEY = "expo.branding"
CACHE_KEY = "branding:look:v1"
TIMEOUT = 60
DEFAULT_PRIMARY = "#1d5b79"
DEFAULT_ACCENT = "#b3541e"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")  # whole values only: use fullmatch
TEXT_CONTRAST = 4.5  # WCAG AA, normal text
GRAPHIC_CONTRAST = 3.0  # WCAG AA, lines and shapes beside text
LOGO_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "svg": "image/svg+xml"}


@dataclass(frozen=True)
class Look:
    """What the expo looks like; ``name`` None means no expo has been named yet."""

    name: str | None = None
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT
    logo_type: str | None = None
    version: str = "0"

    @property
    def display_name(self) -> str:
        return self.name or _("Expo")

    @property
    def primary_rgb(self) -> tuple[int, int, int]:
        return rgb(self.primary)


def init_app(app: Flask, loader: Callable[[], Look]) -> None:
    """``loader`` reads the look from the database (the expo's domain knows where)."""
    app.extensions[EXTENSION_KEY] = loader
    app.jinja_env.globals["expo_look"] = current_look


def current_look() -> Look:
    """The expo's look: from this request's memo, else the shared cache, else the database."""
    if has_request_context() and "_expo_look" in g:
        return g._expo_look  # type: ignore[no-any-return]
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        return Look()
    look = None
    try:
        stored = cache.get(CACHE_KEY)
        look = Look(**stored) if isinstance(stored, dict) else None
    except Exception:  # noqa: BLE001 - an unreadable cache only costs the database read
        current_app.logger.warning("the expo's look is not in the cache", exc_info=True)
    if look is None:
        try:
            look = current_app.extensions[EXTENSION_KEY]()
        except SQLAlchemyError:  # an error page still draws its header when the database is down
            current_app.logger.warning("the expo's look could not be read", exc_info=True)
            db.session.rollback()
            return Look()
        try:
            cache.set(CACHE_KEY, asdict(look), timeout=TIMEOUT)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("the expo's look could not be cached", exc_info=True)
    if has_request_context():
        g._expo_look = look
    return look


def forget() -> None:
    """Drop the cached look (after a commit that changed it)."""
    if has_request_context():
        g.pop("_expo_look", None)
    try:
        cache.delete(CACHE_KEY)
    except Exception:  # noqa: BLE001 - the copy expires after TIMEOUT seconds anyway
        current_app.logger.warning("the expo's cached look was not dropped", exc_info=True)


# --- colours --------------------------------------------------------------------------------------

def rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g_, b = (channel(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g_ + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two "#rrggbb" colours (1 to 21)."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def darker(colour: str, amount: float = 0.18) -> str:
    return "#" + "".join(f"{round(c * (1 - amount)):02x}" for c in rgb(colour))


def stylesheet(look: Look) -> str:
    """The look's CSS custom properties; expo.css draws every page with them."""
    return (
        ":root {\n"
        f"  --expo-primary: {look.primary};\n"
        f"  --expo-primary-hover: {darker(look.primary)};\n"
        f"  --expo-accent: {look.accent};\n"
        "}\n"
    )


def mail_html(subject: str, body: str, look: Look) -> str:
    """An e-mail's text as a small HTML page under a band of the expo's colour and name. The text
    is escaped and kept as written (line breaks and all); addresses become links."""
    text = escape(body)
    text = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', text)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>"
        '<body style="margin:0;background:#f4f6f8;font-family:Arial,Helvetica,sans-serif;color:#1f2d38">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr>'
        f'<td style="background:{look.primary};color:#ffffff;padding:16px 24px;font-size:20px;font-weight:bold">'
        f"{escape(look.display_name)}</td></tr><tr>"
        f'<td style="background:#ffffff;padding:24px;border-top:4px solid {look.accent}">'
        f'<div style="white-space:pre-wrap;font-size:15px;line-height:1.5">{text}</div>'
        "</td></tr></table></body></html>"
    )
