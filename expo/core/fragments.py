"""Organisers' tables drawn once and shown again while nothing they read has changed.

Most of what a table page costs (registrations, bookings, sessions, people, organisations,
networks) is its *region*: counts, the filters and their choices, a page of rows and the pager.
The region is kept in the shared cache (Redis) under a key made of the release, the page's
address (path and query arguments), the reader's language, what the reader's permissions let
them see (``expo.permissions.table_scope``, given by the application) and the generations of
the database tables it reads: ``rows:<table>`` moves after every commit that wrote a row of
that table, and ``rows:*``, which every region reads, after a statement whose table cannot be
told. The rest of the page (layout, menus, the reader's name, flashed messages) is drawn for
each request; the region's one per-request part, its CSRF token, is kept as a placeholder and
filled in for each reader.

As for public pages (expo.core.pagecache), the generations are read before the database: a region
drawn from rows that a concurrent commit then changes is stored under the generation that commit
replaces, which nobody asks for again. Without a shared cache (each process would keep its own
copies and miss its neighbours' commits) every region is drawn afresh, as it is with
``TABLE_CACHE_TIMEOUT = 0`` (what a page costs to draw can then be measured)."""
from __future__ import annotations

import hashlib
from functools import cache as cache_once
from pathlib import Path
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import MANYTOONE, RelationshipProperty, Session

from expo.core import pagecache, signals
from expo.core.extensions import cache
from expo.core.generations import shared_cache

CACHE_FORMAT = 1
KEY_PREFIX = f"tables:v{CACHE_FORMAT}:region:"
ANY_TABLE = "*"
# A person's log-in bookkeeping, which no table shows: signing in moves no generation.
_UNSHOWN_USER_FIELDS = frozenset({"last_login_at", "password_hash", "session_version", "pending_email"})
# Pages whose address carries more (or longer) arguments than this are drawn, never kept.
_MAX_ARGS = 20
_MAX_ARG_LENGTH = 200
_DRAWN = "_expo_table_region"
EXTENSION_KEY = "expo.fragments"


def _generation(table: str) -> str:
    return f"rows:{table}"


def _written_tables(obj: Any) -> set[str]:
    """The tables flushing ``obj`` writes: its own when it is added, deleted or has a column (or
    the foreign key of a many-to-one) changed, and the association table of each many-to-many
    collection changed. A row on the other side of a one-to-many collection that changed (a
    session whose list of bookings grew) is not written: the added row is."""
    table = getattr(obj, "__tablename__", None)
    if table is None:
        return set()
    state = sa.inspect(obj)
    whole = state.pending or state.deleted or state.was_deleted
    written = {table} if whole else set()
    for attribute in state.mapper.attrs:
        if not state.attrs[attribute.key].history.has_changes():
            continue
        if isinstance(attribute, RelationshipProperty):
            if attribute.secondary is not None:
                written.add(attribute.secondary.name)
            elif attribute.direction is MANYTOONE:
                written.add(table)
        elif table != "users" or attribute.key not in _UNSHOWN_USER_FIELDS:
            written.add(table)
    return written


@sa.event.listens_for(Session, "before_flush")
def _note_flushed_rows(session: Session, _context: Any, _instances: Any) -> None:
    if not shared_cache():
        return
    tables = set().union(*(_written_tables(obj) for obj in (*session.new, *session.dirty, *session.deleted)))
    pagecache.note_changes(session, [_generation(t) for t in tables])


@signals.rows_written.connect
def _note_bulk_rows(session: Session, *, table: str | None, **_extra: Any) -> None:
    if shared_cache():
        pagecache.note_changes(session, [_generation(table or ANY_TABLE)])


def init_app(app: Flask, *, scope: Callable[[Any], Hashable]) -> None:
    """``scope(user)``: what decides which rows and actions the tables show a reader (readers
    of one scope share the kept regions)."""
    app.extensions[EXTENSION_KEY] = scope
    app.jinja_env.globals["keep_region"] = keep_region


def keep_region(drawn: Markup) -> Markup:
    """Note the region a page has just drawn (``_table.html``'s ``region``), to be kept."""
    g.setdefault(_DRAWN, []).append(drawn)
    return drawn


def _cacheable() -> bool:
    if not current_app.config.get("TABLE_CACHE_TIMEOUT") or not shared_cache():
        return False
    args = list(request.args.items(multi=True))
    return len(args) <= _MAX_ARGS and all(len(k) + len(v) <= _MAX_ARG_LENGTH for k, v in args)


@cache_once
def _release() -> str:
    """What this release draws with (the code, templates and catalogues of the package), as a
    digest: servers of a new release never show a region an older one drew, and servers of one
    release share theirs. Worked out once per process."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".html", ".mo") and p.is_file()):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(template: str, scope: Any, tokens: tuple[str, ...]) -> str:
    args = sorted(request.args.items(multi=True))
    address = (request.script_root, request.endpoint, sorted((request.view_args or {}).items()), args)
    raw = repr((_release(), template, address, str(get_locale()), current_app.config.get("TIMEZONE"), scope, tokens))
    return KEY_PREFIX + hashlib.sha256(raw.encode()).hexdigest()[:40]


def table_page(template: str, *, reads: Iterable[str], context: Mapping[str, Any],
               build: Callable[[], Mapping[str, Any]]) -> str:
    """The page ``template`` whose region (``{% call tables.region(region) %}``) shows what the
    database ``reads`` (table names) hold: from the cache while none of them changed, else drawn
    with ``build()`` (what only the region needs) and kept. ``context`` is what the rest of the
    page needs; the view has authorised the reader before."""
    names = tuple(_generation(t) for t in (ANY_TABLE, *sorted(set(reads))))
    tokens = pagecache.generations(names) if _cacheable() else ()
    if len(tokens) != len(names):
        return render_template(template, region=None, **context, **build())
    key = _key(template, current_app.extensions[EXTENSION_KEY](current_user), tokens)
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreadable entry is a miss
        hit = None
    if isinstance(hit, str):
        region = Markup(hit.replace(pagecache.CSRF_PLACEHOLDER, generate_csrf()))
        return render_template(template, region=region, **context)
    g.pop(_DRAWN, None)
    page = render_template(template, region=None, **context, **build())
    drawn = g.pop(_DRAWN, [])
    if len(drawn) == 1:
        try:
            cache.set(key, str(drawn[0]).replace(generate_csrf(), pagecache.CSRF_PLACEHOLDER),
                      timeout=current_app.config["TABLE_CACHE_TIMEOUT"])
        except Exception:  # noqa: BLE001 - the page is served anyway
            current_app.logger.warning("a table's region was not kept in the cache", exc_info=True)
    return page
