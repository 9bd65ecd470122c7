"""Conditional answers and the cache of built feeds and exports.

A scope's fingerprint (a cheap aggregate query) plus the schedule's generation give the ETag
and Last-Modified; a 304 is decided from them alone, and the built bytes are cached under the
ETag. The generation is a row of the database that every transaction changing the schedule
moves (expo.core.generations), so it drops every cached feed at once (and changes every ETag,
so clients fetch again) even when a change leaves no timestamp behind, such as a renamed venue
or room, and every process, with Redis or each with its own cache, serves the same text under
the same ETag."""
from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from flask import Response, current_app, request
from werkzeug.http import is_resource_modified

from expo.calendar.queries import Fingerprint, schedule_state
from expo.core import pagecache
from expo.core.generations import schedule_generation
from expo.core.extensions import cache

# Part of every key this package writes: raise CACHE_FORMAT whenever what is stored under a
# key changes shape, or a release writes feeds differently from the same data, so servers of
# a new release never read an older release's values (and every ETag moves with the bytes).
CACHE_FORMAT = 4
KEY_PREFIX = f"calendar:v{CACHE_FORMAT}:"


def cache_get(key: str, valid: Callable[[Any], bool]) -> Any:
    """The cached value, or None when missing, unreadable (unpickling fails, the cache is
    down) or not what ``valid`` expects: every read treats a foreign value as a miss."""
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - a broken cache entry must never break a feed
        current_app.logger.warning("unreadable cache entry %s", key, exc_info=True)
        return None
    return value if value is not None and valid(value) else None


def cache_get_many(keys: list[str], valid: Callable[[Any], bool]) -> list[Any]:
    """``cache_get`` for many keys in one round trip."""
    try:
        values = cache.get_many(*keys) if keys else []
    except Exception:  # noqa: BLE001
        current_app.logger.warning("unreadable cache entries", exc_info=True)
        return [None] * len(keys)
    if len(values) != len(keys):
        return [None] * len(keys)
    return [v if v is not None and valid(v) else None for v in values]


def cache_set(key: str, value: Any, timeout: int | None = None) -> None:
    """Write, and shrug off a cache that cannot take it: the answer is served anyway."""
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("cache write failed for %s", key, exc_info=True)


def generation() -> tuple[str, datetime]:
    """The schedule's generation and when it began. Before the schedule's first change through
    Expo (a database filled by other means) it is made from the database's state,
    deterministically, so that every process agrees on it."""
    found = schedule_generation()
    if found is not None:
        token, began = found
        return token, began.astimezone(timezone.utc).replace(microsecond=0)
    digest, began = schedule_state()
    return digest, began.replace(microsecond=0)


# Seconds a public scope's looked-up fingerprint is kept; a commit changing the schedule
# replaces it at once (the page generations), so this only bounds a change made behind Expo's
# back, straight in the database.
SCOPE_TIMEOUT = 60
_T = TypeVar("_T")


def remembered(lookup: Callable[[], _T | None], depends_on: tuple[str, ...] = ("schedule",)) -> _T | None:
    """What ``lookup`` finds for this public feed's address (its fingerprint, names …), kept in
    the shared cache under the schedule's page generation: a cached feed or a 304 then costs
    no SQL at all. The generation is read before the database, so a lookup that a concurrent
    commit outdates is stored under the generation that commit replaces. Nothing is kept for
    an address that finds nothing. ``depends_on`` names other page generations it follows."""
    tokens = pagecache.generations(depends_on)
    if not tokens:
        return lookup()
    raw = repr((request.path, tokens)).encode()
    key = f"{KEY_PREFIX}scope:{hashlib.sha256(raw).hexdigest()[:40]}"
    hit = cache_get(key, lambda v: isinstance(v, tuple) and len(v) == 1)
    if hit is not None:
        return hit[0]
    found = lookup()
    if found is not None:
        cache_set(key, (found,), timeout=SCOPE_TIMEOUT)
    return found


def feed_owner(token: str, lookup: Callable[[str], int | None]) -> int | None:
    """Whose personal feed ``token`` opens, remembered with the owner's page generation at
    the time: any change to their account (a new feed address, a closed account) moves that
    generation after its commit, so a remembered owner whose generation moved is looked up
    again, and an old address answers 404 at once. Nothing is kept for an unknown token."""
    key = f"{KEY_PREFIX}owner:{hashlib.sha256(token.encode()).hexdigest()[:40]}"
    hit = cache_get(key, lambda v: isinstance(v, tuple) and len(v) == 2)
    if hit is not None:
        user_id, seen = hit
        if _own_generation(user_id) == seen:
            return user_id
    user_id = lookup(token)
    if user_id is not None:
        own = _own_generation(user_id)
        # Asked again after reading the generation: a reset committed in between is seen here,
        # and one committed later moves the generation kept with the owner.
        if own is not None and lookup(token) == user_id:
            cache_set(key, (user_id, own), timeout=SCOPE_TIMEOUT)
    return user_id


def personal_generations(user_id: int) -> tuple[str, ...]:
    """What a personal feed's remembered fingerprint follows: the schedule, bulk changes and
    the owner's own generation (read together: one query where they live in the database)."""
    return ("schedule", pagecache.BULK, f"person:{user_id}")


def _own_generation(user_id: int) -> str | None:
    tokens = pagecache.generations(personal_generations(user_id))
    return tokens[-1] if tokens else None


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


def _wants_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def _body(etag: str, build: Callable[[], bytes], *, gzipped: bool) -> bytes:
    """The feed's bytes from the cache, else built (and compressed) once and kept."""
    timeout = current_app.config["CACHE_TIMEOUT"]
    key = f"{KEY_PREFIX}body:{etag}"
    if gzipped:
        packed = cache_get(key + ":gzip", lambda v: isinstance(v, bytes))
        if packed is None:
            packed = gzip.compress(_body(etag, build, gzipped=False), compresslevel=6, mtime=0)
            cache_set(key + ":gzip", packed, timeout=timeout)
        return packed
    body = cache_get(key, lambda v: isinstance(v, bytes))
    if body is None:
        body = build()
        cache_set(key, body, timeout=timeout)
    return body


def serve(fingerprint: Fingerprint, variant: str, download: Download, build: Callable[[], bytes]) -> Response:
    """Answer 304 when the client's copy is current, else the cached or freshly built bytes,
    compressed for clients that accept gzip (calendar apps do: a large expo's feed shrinks to
    an eighth). Each encoding has an ETag of its own."""
    etag, last_modified = validators(fingerprint, variant)
    gzipped = _wants_gzip()
    tag = f"{etag}-gzip" if gzipped else etag
    response = Response(status=304)
    if is_resource_modified(request.environ, etag=tag, last_modified=last_modified):
        response = Response(_body(etag, build, gzipped=gzipped), status=200, content_type=download.content_type)
        response.headers["Content-Disposition"] = _disposition(download)
        if gzipped:
            response.content_encoding = "gzip"
    response.set_etag(tag)
    response.vary.add("Accept-Encoding")
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
