"""Public pages rendered once and served to every visitor who is not signed in.

The schedule, session, venue, network, country and changes pages look the same to every
anonymous visitor in one language, and they are what a city expo's crowd reads most. A
rendered page is kept in the shared cache (Redis across app servers, else in-process) under a
key made of its address, the reader's language and the *generations* of the data it shows:

- ``schedule``: events, sessions, the people in them, rooms, venues, networks …
- ``bookings``: seats taken and waiting lists (seat counts);
- ``registrations``: who comes to which event (country counts).

A generation moves after every commit that changed rows of its kind, so a page never outlives
the data it was built from. Each request reads the generations *before* it reads the database:
a page built from rows that a concurrent commit then changes is stored under the older
generation, which nobody asks for again. Entries also expire after ``PAGE_CACHE_TIMEOUT``
seconds, which bounds how long anything that follows the clock (a session that has begun, the
day shown by default) can lag.

Signed-in users, requests carrying flashed messages or unknown query arguments, and answers
other than 200 always go to the view. The one per-visitor part of a public page, its CSRF
token, is stored as a placeholder and filled in for each visitor.

A few signed-in pages are kept too, each for its own reader only (their id is part of the key):
a delegate's agenda and the door list staff open. Their keys add a generation of the reader
(``person:<id>``: their account, bookings and registrations) and, for a door list, of the
session (``door:<id>``: its bookings and check-ins), plus ``bulk``, which every UPDATE or
DELETE statement moves since such a statement does not say which rows it touched."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Session

from expo.core import signals
from expo.core.extensions import cache
from expo.core.generations import BULK, SCHEDULE, database_generations, in_database, move_in_database

# Raise when what is stored under a key changes shape (servers of a new release never read
# an older release's entries).
CACHE_FORMAT = 1
KEY_PREFIX = f"pages:v{CACHE_FORMAT}:"
GENERATIONS = ("schedule", "bookings", "registrations")
CSRF_PLACEHOLDER = "__expo_csrf_token__"
_PENDING = "expo_pagecache_pending"
# What anonymous visitors' pages never show: a change to these alone moves no generation.
# (Delegates' stars and the scheduling assistant's runs are seen by signed-in readers only.)
_PRIVATE_TABLES = frozenset({"session_interests", "assistant_runs"})
# What of a person public pages show, and what organisers' lists filter them by (their counts are
# remembered under these generations too: expo.core.tables).
_USER_PUBLIC_FIELDS = ("name", "email", "country_code", "organisation_id", "networks", "active", "role")
_TABLE_GENERATIONS = {"bookings": ("bookings",), "registrations": ("registrations",), "check_ins": ()}
# A query argument value longer than this is not worth a cache entry.
_MAX_ARG_LENGTH = 100


def _generation_key(name: str) -> str:
    return f"{KEY_PREFIX}generation:{name}"


def generations(names: Iterable[str]) -> tuple[str, ...]:
    """The current token of each named generation (one round trip). A missing one (never set,
    evicted) is created atomically, so every server agrees on it afterwards. The schedule's is
    read from the database (expo.core.generations), the same in every process."""
    names = tuple(names)
    held = [n for n in names if in_database(n)]
    if held:
        others = generations(n for n in names if n not in held) if len(held) < len(names) else ()
        if len(others) != len(names) - len(held):
            return ()
        tokens = database_generations(held)
        rest = iter(others)
        return tuple(tokens[n] if n in tokens else next(rest) for n in names)
    keys = [_generation_key(n) for n in names]
    try:
        values = list(cache.get_many(*keys))
        for i, value in enumerate(values):
            if not isinstance(value, str):
                cache.add(keys[i], secrets.token_hex(8), timeout=0)
                values[i] = cache.get(keys[i])
    except Exception:  # noqa: BLE001 - without a readable cache every page is built afresh
        current_app.logger.warning("page cache generations unreadable", exc_info=True)
        return ()
    if not all(isinstance(v, str) for v in values):
        return ()
    return tuple(values)


def bump(names: Iterable[str]) -> None:
    """Start new generations: every cached page that shows these kinds of data is stale. (The
    schedule's moves in the database, with the transaction that changed it.)"""
    names = tuple(n for n in names if not in_database(n))
    if not names:
        return
    try:  # one round trip for all of them
        cache.set_many({_generation_key(name): secrets.token_hex(8) for name in names}, timeout=0)
    except Exception:  # noqa: BLE001 - the write is committed; pages expire on their own
        current_app.logger.warning("page cache generations %s not moved", ", ".join(names), exc_info=True)


# --- which commits move which generations ------------------------------------------------------

def note_changes(session: Session, names: Iterable[str]) -> None:
    """Generations to move once the session's transaction commits (with the page cache's own,
    in one round trip)."""
    session.info.setdefault(_PENDING, set()).update(names)


def _generations_of(obj: Any) -> tuple[str, ...]:
    table = getattr(obj, "__tablename__", None)
    if table is None or table in _PRIVATE_TABLES:
        return ()
    if table == "users":
        own = (f"person:{obj.id}",) if obj.id is not None else ()
        state = sa.inspect(obj)
        if state.pending or state.deleted or state.was_deleted:
            return GENERATIONS + own
        changed = any(state.attrs[f].history.has_changes() for f in _USER_PUBLIC_FIELDS if f in state.attrs)
        return (GENERATIONS if changed else ()) + own
    if table == "twinning_one_to_ones":  # on its two people's agendas and feeds only
        return tuple(f"person:{i}" for i in (obj.requester_id, obj.invitee_id) if i is not None)
    names = _TABLE_GENERATIONS.get(table, ("schedule",))
    # Whose agenda and which door list the row shows on (a row added through its relationships
    # has its ids only once flushed).
    if table in ("bookings", "registrations", "check_ins"):
        user_id = obj.user_id or getattr(obj.user, "id", None)
        if user_id is not None:
            names += (f"person:{user_id}",)
    if table in ("bookings", "check_ins"):
        session_id = obj.session_id or getattr(obj.session, "id", None)
        if session_id is not None:
            names += (f"door:{session_id}",)
    return names


@sa.event.listens_for(Session, "before_flush")
def _note_flushed_changes(session: Session, _context: Any, _instances: Any) -> None:
    pending: set[str] = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        pending.update(_generations_of(obj))
    # Where no cache is shared, people's generations move in the database, with the change
    # (the schedule's follows its own rules there: expo.core.generations).
    move_in_database(session, [n for n in pending if n != SCHEDULE and in_database(n)])


@signals.rows_written.connect
def _note_bulk_writes(session: Session, *, table: str | None, **_extra: Any) -> None:
    # Statements and COPY bypass the unit of work: assume they touch everything.
    session.info.setdefault(_PENDING, set()).update((*GENERATIONS, BULK))
    if in_database(BULK):
        move_in_database(session, [BULK])


@sa.event.listens_for(Session, "after_commit")
def _move_generations(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        bump(sorted(pending))


@sa.event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- serving -----------------------------------------------------------------------------------

def _servable(allowed_args: frozenset[str], *, signed_in: bool) -> bool:
    if request.method != "GET" or current_user.is_authenticated != signed_in or "_flashes" in session:
        return False
    if not current_app.config.get("PAGE_CACHE_TIMEOUT"):
        return False
    return all(k in allowed_args and len(v) <= _MAX_ARG_LENGTH for k, v in request.args.items(multi=True))


def _key(tokens: tuple[str, ...], reader: int | None) -> str:
    raw = repr((request.endpoint, request.full_path, str(get_locale()), reader, tokens)).encode()
    return KEY_PREFIX + "page:" + hashlib.sha256(raw).hexdigest()[:40]


def _answer(body: str, content_type: str) -> Response:
    response = make_response(body.replace(CSRF_PLACEHOLDER, generate_csrf()))
    response.content_type = content_type
    return response


def _served(view: Callable, view_args: tuple, view_kwargs: dict, names: tuple[str, ...],
            reader: int | None) -> Any:
    """The view's page from the cache under the generations ``names``, else rendered and kept."""
    tokens = generations(names)
    if len(tokens) != len(names):
        return view(*view_args, **view_kwargs)
    key = _key(tokens, reader)
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreadable entry is a miss
        hit = None
    if isinstance(hit, tuple) and len(hit) == 2 and all(isinstance(v, str) for v in hit):
        return _answer(*hit)
    response = make_response(view(*view_args, **view_kwargs))
    if response.status_code == 200 and response.mimetype == "text/html" and not response.direct_passthrough \
            and "_flashes" not in session:
        body = response.get_data(as_text=True).replace(generate_csrf(), CSRF_PLACEHOLDER)
        try:
            cache.set(key, (body, response.content_type), timeout=current_app.config["PAGE_CACHE_TIMEOUT"])
        except Exception:  # noqa: BLE001 - the page is served anyway
            current_app.logger.warning("page cache write failed", exc_info=True)
    return response


def _cache_decorator(depends_on: tuple[str, ...], args: Iterable[str], *, signed_in: bool,
                     names: Callable[[dict], tuple[str, ...]]) -> Callable:
    unknown = set(depends_on) - set(GENERATIONS)
    assert not unknown, f"unknown generations {unknown}"
    allowed = frozenset(args)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*view_args: Any, **view_kwargs: Any) -> Any:
            if not _servable(allowed, signed_in=signed_in):
                return view(*view_args, **view_kwargs)
            reader = current_user.id if signed_in else None
            return _served(view, view_args, view_kwargs, names(view_kwargs), reader)

        return wrapper

    return decorate


def public_page(*depends_on: str, args: Iterable[str] = ()) -> Callable:
    """Serve the decorated view's page from the cache to visitors who are not signed in.

    ``depends_on`` names the generations of what the page shows; ``args`` the query arguments
    it understands (a request with any other is always rendered, so junk cannot fill the cache)."""
    return _cache_decorator(depends_on, args, signed_in=False, names=lambda _kwargs: depends_on)


def own_page(*depends_on: str, door: str | None = None, args: Iterable[str] = ()) -> Callable:
    """Serve the decorated view's page from the cache to the signed-in reader it was rendered
    for, while nothing it shows has changed: ``depends_on`` as for ``public_page``, and always
    the reader's own generation; ``door`` names the view argument of a session whose door list
    the page shows. Place it under the view's log-in check: the view authorises the reader the
    first time, and a change to the reader's account (such as their role) starts anew."""
    def names(view_kwargs: dict) -> tuple[str, ...]:
        own = (*depends_on, BULK, f"person:{current_user.id}")
        return own + (f"door:{view_kwargs[door]}",) if door is not None else own

    return _cache_decorator(depends_on, args, signed_in=True, names=names)
