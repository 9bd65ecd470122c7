"""Security headers on every response, input no database column can store refused up front,
safe redirect targets, and absolute addresses that never come from the request's Host."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, make_response, request

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


class Expo(Flask):
    """Flask whose absolute URLs always start with ``BASE_URL``.

    Flask builds them from the request's Host header, which the client chooses: a cached page,
    a feed or an e-mail would then carry an attacker's address to everyone. Only the path
    (with the script root the server gives) comes from the request."""

    def url_for(self, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values: Any) -> str:
        if not has_request_context() or not (_external or _scheme):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        path = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=False, **values)
        base = urlsplit(self.config["BASE_URL"])
        return f"{_scheme or base.scheme}://{base.netloc}{path}"


def allowed_hosts(configured: tuple[str, ...], base_url: str) -> list[str]:
    """The host names requests may address: ``ALLOWED_HOSTS`` when set, else ``BASE_URL``'s host
    and this machine's own names (the development server, the tests, the benchmark)."""
    if configured:
        return list(configured)
    own = urlsplit(base_url).hostname
    return [host for host in (own, "localhost", "127.0.0.1") if host]


def init_app(app: Flask) -> None:
    # Werkzeug refuses (400) a request whose Host is not one of these before any view runs.
    app.config["TRUSTED_HOSTS"] = allowed_hosts(tuple(app.config["ALLOWED_HOSTS"]), app.config["BASE_URL"])

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


def no_store(view: Callable[..., Any]) -> Callable[..., Any]:
    """A page or file with personal data: no browser or proxy keeps a copy (the back button
    on a shared computer after signing out shows nothing)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped
