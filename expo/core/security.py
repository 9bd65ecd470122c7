"""Security headers on every response, input no database column can store refused up front, and
safe redirect targets."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from expo.core.errors import UnstorableText

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters() -> None:
        # PostgreSQL refuses NUL in text: such input gets a clear answer, not a server error.
        pairs = (*request.args.items(multi=True), *request.form.items(multi=True))
        if any("\x00" in key or "\x00" in value for key, value in pairs):
            raise UnstorableText()

    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if app.config.get("SECURE_COOKIES"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target after log-in. A control character
    (a line break, NUL) is refused too: no address of the site holds one, and a header cannot."""
    if not target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
