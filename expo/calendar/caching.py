"""Conditional answers and the cache of built feeds and exports.

A scope's fingerprint (a cheap aggregate query) plus a cache generation give the ETag and
Last-Modified; a 304 is decided from them alone, and the built bytes are cached under the
ETag. Any schedule signal moves the generation, which drops every cached feed at once (and
changes every ETag, so clients fetch again) even when a change leaves no timestamp behind,
such as a renamed venue or room."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, current_app, request
from werkzeug.http import is_resource_modified

from expo import signals
from expo.calendar.queries import Fingerprint
from expo.extensions import cache
from expo.timeutil import utcnow

GENERATION_KEY = "calendar:generation"


def generation() -> tuple[str, datetime]:
    """The current cache generation and when it began; a fresh one when the cache has none."""
    value = cache.get(GENERATION_KEY)
    token, _, began = str(value or "").partition("|")
    try:
        return token, datetime.fromisoformat(began)
    except ValueError:  # none yet, or written by something else: start a new one
        value = _new_generation()
        cache.set(GENERATION_KEY, value, timeout=0)
        token, _, began = value.partition("|")
        return token, datetime.fromisoformat(began)


def _new_generation() -> str:
    return f"{secrets.token_hex(8)}|{utcnow().replace(microsecond=0).isoformat()}"


def drop_cached_feeds(*_args: Any, **_kwargs: Any) -> None:
    """Signal receiver: every cached feed and export is stale from now on."""
    cache.set(GENERATION_KEY, _new_generation(), timeout=0)


def connect_signals() -> None:
    for signal in (signals.schedule_changed, signals.session_changed, signals.session_cancelled):
        signal.connect(drop_cached_feeds, weak=False)


@dataclass(frozen=True)
class Download:
    """How one feed or export is answered over HTTP."""

    content_type: str
    filename: str
    public: bool
    # Subscription feeds are shown inline; spreadsheets are saved as files.
    disposition: str = "attachment"


def validators(fingerprint: Fingerprint, variant: str) -> tuple[str, datetime]:
    """ETag and Last-Modified. A new generation moves both: a client that only sends
    If-Modified-Since still fetches a feed whose venue was renamed."""
    token, began = generation()
    raw = repr((variant, fingerprint.parts, token)).encode()
    last_modified = max(fingerprint.last_modified, began).replace(microsecond=0)
    return hashlib.sha256(raw).hexdigest()[:32], last_modified


def serve(fingerprint: Fingerprint, variant: str, download: Download, build: Callable[[], bytes]) -> Response:
    """Answer 304 when the client's copy is current, else the cached or freshly built bytes."""
    etag, last_modified = validators(fingerprint, variant)
    response = Response(status=304)
    if is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        key = f"calendar:body:{etag}"
        body = cache.get(key)
        if body is None:
            body = build()
            cache.set(key, body, timeout=current_app.config["CACHE_TIMEOUT"])
        response = Response(body, status=200, content_type=download.content_type)
        response.headers["Content-Disposition"] = _disposition(download)
    response.set_etag(etag)
    response.last_modified = last_modified
    response.cache_control.max_age = 0
    response.cache_control.must_revalidate = True
    if download.public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    return response


def _disposition(download: Download) -> str:
    from werkzeug.utils import secure_filename

    name = secure_filename(download.filename) or "export"
    return f'{download.disposition}; filename="{name}"'
