"""Signed links for e-mails: what a link says cannot be changed, and it expires."""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The purpose is the salt: a link made for one purpose is worthless for any other.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"expo-accounts-{purpose}")


def sign(purpose: str, payload: Any) -> str:
    """A URL-safe token carrying ``payload``, signed with the site's secret key."""
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str, *, max_age: int) -> Any | None:
    """The payload of a token made for ``purpose`` at most ``max_age`` seconds ago, else None."""
    try:
        return _serializer(purpose).loads(token, max_age=max_age)
    except BadData:
        return None
