"""Organisers' long lists as tables: sorted by a column from a fixed list, read a page at a time
with a count of all matches, acted on in bulk and downloaded whole, in a fixed number of queries
however many rows there are (an expo has tens of thousands of delegates)."""
from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.util import find_tables

from expo.core.extensions import db

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Rows fetched at a time when a whole list is read for a download or a bulk action.
CHUNK = 500
# Query-string arguments that belong to the table, not to its filters.
TABLE_ARGS = ("page", "per_page", "sort")
# Raise when what is stored under a key changes shape.
CACHE_FORMAT = 1
KEY_PREFIX = f"tables:v{CACHE_FORMAT}:"
# Seconds a remembered count or list of choices is kept at most: a commit moves its generations
# at once, so this only bounds a change made behind Expo's back, straight in the database.
REMEMBER_TIMEOUT = 300
_T = TypeVar("_T")


def remembered(what: str, parts: Any, depends_on: Sequence[str], compute: Callable[[], _T]) -> _T:
    """What ``compute`` reads (a count, a list of choices), kept in the shared cache under the
    generations of the data it reads (``depends_on``: expo.core.pagecache), so that a page asked
    again before anything changed reads it once. The generations are read before the database,
    so a value a concurrent commit outdates is stored under the generation that commit replaces.
    Only where every process shares one cache (Redis): a process's own memory would not see
    another's commits."""
    from flask import current_app, g, has_request_context

    from expo.core import pagecache
    from expo.core.extensions import cache
    from expo.core.generations import shared_cache

    if not depends_on or not shared_cache():
        return compute()
    # Read once per request: a page remembers several things under the same generations.
    read: dict[tuple[str, ...], tuple[str, ...]] = (
        g.setdefault("_expo_table_generations", {}) if has_request_context() else {})
    names = tuple(depends_on)
    tokens = read.get(names)
    if tokens is None:
        tokens = read[names] = pagecache.generations(names)
    if len(tokens) != len(names):
        return compute()
    key = KEY_PREFIX + what + ":" + hashlib.sha256(repr((parts, tokens)).encode()).hexdigest()[:40]
    try:
        hit = cache.get(key)
    except Exception:  # noqa: BLE001 - an unreadable entry is a miss
        hit = None
    if isinstance(hit, tuple) and len(hit) == 1:
        return hit[0]  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(key, (value,), timeout=REMEMBER_TIMEOUT)
    except Exception:  # noqa: BLE001 - the page is served anyway
        current_app.logger.warning("a table's %s was not kept in the cache", what, exc_info=True)
    return value


def statement_key(query: sa.Select) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """The query as the database receives it (SQL and values): what identifies its answer."""
    compiled = query.compile(dialect=db.engine.dialect)
    return str(compiled), tuple(sorted((k, repr(v)) for k, v in compiled.params.items()))


def joined(query: sa.Select, relationship: Any, *, outer: bool = False, on: Any = None) -> sa.Select:
    """The query joined along ``relationship`` (or to a subquery ``on`` a condition) unless its
    target is among the query's tables already (a filter and a sort may both need the same one)."""
    target = relationship if on is not None else relationship.property.mapper.local_table
    if target in _tables_of(query):
        return query
    if on is not None:
        return query.outerjoin(target, on) if outer else query.join(target, on)
    return query.outerjoin(relationship) if outer else query.join(relationship)


def _tables_of(query: sa.Select) -> set[Any]:
    """The tables (and subqueries) the query selects from and joins, read from the query as it
    was put together: ``get_final_froms`` would compile the whole statement to tell."""
    present: set[Any] = set(query.columns_clause_froms)
    for from_ in query._from_obj:  # select_from()
        present.update(find_tables(from_, include_aliases=True))
    for target, _onclause, _left, _flags in query._setup_joins:
        mapper = getattr(getattr(target, "property", None), "mapper", None)
        if mapper is not None:
            present.add(mapper.local_table)
        elif isinstance(target, sa.FromClause):
            present.update(find_tables(target, include_aliases=True))
        else:
            inspected = sa.inspect(target, raiseerr=False)
            present.add(getattr(inspected, "local_table", target))
    return present


def name_ranks(id_column: Any, name_column: Any, name: str) -> sa.Subquery:
    """Each row's rank (``rank``, by ``id``) among its table's rows ordered by ``name_column`` in
    the reader's language, equal names ranked alike. A long list sorted by a short table's names
    (people by their organisation's) then sorts numbers, where comparing names in a language's
    dictionary order for every row costs tens of milliseconds; the order is the same."""
    from expo.core.i18n import by_name

    return sa.select(id_column.label("id"), sa.func.dense_rank().over(order_by=by_name(name_column)).label("rank")) \
        .subquery(name)


@dataclass(frozen=True)
class Column:
    """A column of a table: its key in URLs, its heading, and what it sorts by (None: it does not
    sort; a tuple orders by several expressions). ``joins`` are the relationships its sort reads
    through, as ``(relationship, outer)``, or subqueries, as ``(subquery, outer, on)``: they are
    joined for the rows of a page only, so that counting the matches reads no table that no
    filter needs."""

    key: str
    label: Any
    sort: Any = None
    numeric: bool = False
    joins: tuple[tuple[Any, bool], ...] = ()

    @property
    def sortable(self) -> bool:
        return self.sort is not None

    def order(self, descending: bool) -> list[Any]:
        expressions = self.sort if isinstance(self.sort, tuple) else (self.sort,)
        return [e.desc() if descending else e.asc() for e in expressions]


@dataclass(frozen=True)
class TableState:
    """What the reader asked of a table in the URL, every value checked: the page, its size and
    the sorting column (``sort=name`` rising, ``sort=-name`` falling)."""

    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    sort: str = ""
    descending: bool = False

    @property
    def sort_arg(self) -> str:
        return ("-" if self.descending else "") + self.sort


def _positive(value: str | None, default: int) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return default
    return max(int(text), 1)


@dataclass(frozen=True)
class Table:
    """A list's columns, the column that keeps the order stable (its id) and the default sort;
    ``options`` are the loader options of the rows shown (kept off counts and id lists).
    ``depends_on`` names the generations (expo.core.pagecache) of everything the list's filters
    and sorts read: a query's count and the ids of its pages are then remembered until one of
    them moves."""

    columns: Sequence[Column]
    key: Any
    default_sort: str
    options: Sequence[Any] = ()
    depends_on: tuple[str, ...] = ()

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def state(self, args: Mapping[str, str]) -> TableState:
        """The reader's page, size and sort from the query string; anything unknown or out of
        range falls back to the default, never to an error."""
        per_page = _positive(args.get("per_page"), DEFAULT_PAGE_SIZE)
        sort = (args.get("sort") or "").strip()
        descending = sort.startswith("-")
        column = self.column(sort[1:] if descending else sort)
        if column is None or not column.sortable:
            descending = self.default_sort.startswith("-")
            sort = self.default_sort.lstrip("-")
        else:
            sort = column.key
        return TableState(
            page=_positive(args.get("page"), 1),
            per_page=per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE,
            sort=sort,
            descending=descending,
        )

    def ordered(self, query: sa.Select, state: TableState) -> sa.Select:
        """The query in the state's order, then by id so that equal values keep one order."""
        column = self.column(state.sort)
        order = column.order(state.descending) if column is not None and column.sortable else []
        for relationship, outer, *on in column.joins if column is not None else ():
            query = joined(query, relationship, outer=outer, on=on[0] if on else None)
        return query.order_by(None).order_by(*order, self.key.desc() if state.descending else self.key.asc())

    def count(self, query: sa.Select) -> int:
        """The number of the query's rows, read from their ids alone (a row's other columns,
        such as counts in subqueries, are not worked out to be counted)."""
        ids = query.with_only_columns(self.key, maintain_column_froms=True).order_by(None)
        counting = sa.select(sa.func.count()).select_from(ids.subquery())
        return self._remembered("count", counting, lambda: db.session.scalar(counting) or 0)

    def _remembered(self, what: str, query: sa.Select, read: Callable[[], _T]) -> _T:
        if not self.depends_on:
            return read()
        return remembered(what, statement_key(query), self.depends_on, read)

    def page(self, query: sa.Select, state: TableState) -> Page:
        """One page of the query's rows and the number of all its matches (three queries, plus
        the loader options' own); a page beyond the last shows the last. The page is found by
        its ids alone, then its rows read by id: sorting every match carries numbers, not rows
        (nor the columns of the rows' loader options)."""
        total = self.count(query)
        pages = max(math.ceil(total / state.per_page), 1)
        state = replace(state, page=min(state.page, pages))
        rows: list[Any] = []
        if total:
            found = self.ordered(query, state).offset((state.page - 1) * state.per_page).limit(state.per_page)
            ids = found.with_only_columns(self.key, maintain_column_froms=True)
            rows = self._by_ids(query, self._remembered("ids", ids, lambda: list(db.session.scalars(ids))))
        return Page(table=self, state=state, rows=rows, total=total)

    def _by_ids(self, query: sa.Select, ids: list[int]) -> list[Any]:
        """The query's rows of these ids, in their order."""
        if not ids:
            return []
        place = {self._row_id(row): row for row in self._fetch(query.order_by(None).where(self.key.in_(ids)))}
        return [place[i] for i in ids if i in place]

    def _fetch(self, query: sa.Select) -> list[Any]:
        result = db.session.execute(query.options(*self.options))
        if len(query.column_descriptions) == 1:
            return list(result.scalars())
        return [tuple(row) for row in result]

    def all_rows(self, query: sa.Select, state: TableState, chunk: int = CHUNK) -> Iterator[Any]:
        """Every row of the query in the state's order: their ids first (one query of numbers),
        then the rows ``chunk`` at a time by id, so that only one chunk of rows is held at once
        (the session's identity map lets go of rows already given)."""
        ids = self.ids(self.ordered(query, state))
        for start in range(0, len(ids), chunk):
            yield from self._by_ids(query, ids[start:start + chunk])

    def _row_id(self, row: Any) -> int:
        entity = row[0] if isinstance(row, tuple) else row
        return getattr(entity, self.key.key)

    def ids(self, query: sa.Select, chosen: Iterable[int] | None = None) -> list[int]:
        """The ids of the query's rows (in its order), only those among ``chosen`` when given."""
        query = query.with_only_columns(self.key, maintain_column_froms=True)
        if chosen is not None:
            query = query.where(self.key.in_(sorted(set(chosen))))
        return list(db.session.scalars(query))


@dataclass(frozen=True)
class Page:
    """One page of a table: its rows, the count of all matches and the numbers a pager needs."""

    table: Table
    state: TableState
    rows: list[Any]
    total: int
    sizes: tuple[int, ...] = field(default=PAGE_SIZES)

    @property
    def number(self) -> int:
        return self.state.page

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.state.per_page), 1)

    @property
    def first(self) -> int:
        return (self.number - 1) * self.state.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * self.state.per_page, self.total)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def sort_link(self, column: Column) -> str:
        """The ``sort`` argument of the column's heading: rising first, falling when it is the
        rising sort already."""
        if column.key == self.state.sort and not self.state.descending:
            return "-" + column.key
        return column.key

    def aria_sort(self, column: Column) -> str | None:
        if column.key != self.state.sort:
            return None
        return "descending" if self.state.descending else "ascending"

    def window(self, around: int = 2) -> list[int]:
        """Page numbers worth a link: the first, the last and those near the current one."""
        near = range(max(self.number - around, 1), min(self.number + around, self.pages) + 1)
        return sorted({1, self.pages, *near})


def table_url(**changes: Any) -> str:
    """The current page's URL with its filters kept and some arguments changed (a sort heading
    or a pager link goes back to the first page unless it names one)."""
    from flask import request, url_for

    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("page", None)
    args.update({k: v for k, v in changes.items() if v is not None and (k, v) != ("page", 1)})
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)


# A number no row has, written in a URL where a row's id goes (row_url).
_ROW_ID = 987654321987


def row_url(endpoint: str, argument: str, **values: Any) -> Callable[[int], str]:
    """The URL of ``endpoint`` for each row of a table, by the row's id (``argument``): built
    once, then the id written in, as building a URL costs more than drawing the rest of a row."""
    from flask import url_for

    head, _, tail = url_for(endpoint, **values, **{argument: _ROW_ID}).partition(str(_ROW_ID))
    return lambda row_id: f"{head}{int(row_id)}{tail}"


def filter_args() -> list[tuple[str, str]]:
    """The current filters (without the table's own arguments), for the hidden fields of a form
    that must keep them."""
    from flask import request

    return [(k, v) for k, values in request.args.lists() if k not in TABLE_ARGS for v in values]


@dataclass(frozen=True)
class BulkAction:
    """An action on many rows at once: its key, the label of its choice, and the service call
    that makes it on a list of ids (returning how many rows changed)."""

    key: str
    label: Any
    run: Any


def run_bulk(*, table: Table, query: sa.Select, actions: Sequence[BulkAction], back: str, what: str) -> Any:
    """The steps of a bulk action: validate the form, find the rows (ticked, or every match of
    the filters in ``query``), ask first with their number, then make the change through the
    action's service in one transaction, or explain the refusal. ``what`` names the list."""
    from flask import flash, redirect, render_template, request
    from flask_babel import gettext as _
    from flask_babel import ngettext

    from expo.core.errors import ExpoError
    from expo.core.forms import BulkForm

    form = BulkForm(actions)
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    ids = table.ids(query, form.chosen())
    action = next(a for a in actions if a.key == form.action.data)
    if not ids:
        flash(_("No row matches."), "error")
        return redirect(back)
    if not form.confirmed.data:
        return render_template("_bulk_confirm.html", form=form, action=action, count=len(ids), what=what,
                               back=back, target=request.full_path)
    try:
        # In pieces, as a database takes a bounded number of values in one statement.
        changed = sum(action.run(ids[start:start + CHUNK]) for start in range(0, len(ids), CHUNK))
    except ExpoError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(back)
    db.session.commit()
    flash(ngettext("%(num)d row changed.", "%(num)d rows changed.", changed), "success")
    return redirect(back)


def download_url(endpoint: str, **values: Any) -> str:
    """A download of the whole list as the reader sees it: its filters and sort kept, the
    page and its size dropped."""
    from flask import request, url_for

    args: dict[str, Any] = {k: v for k, v in request.args.to_dict(flat=False).items() if k not in ("page", "per_page")}
    return url_for(endpoint, **values, **args)


def _read(file: IO[bytes], size: int = 1 << 16) -> Iterator[bytes]:
    """The file's bytes in pieces, closing (and so deleting) it once they are sent."""
    with file:
        while chunk := file.read(size):
            yield chunk


def download(fmt: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], *, filename: str, title: str) -> Any:
    """The list as a CSV file or an Excel workbook, written row by row to a temporary file as
    it is read (memory does not grow with the list); no browser or proxy keeps it (it names
    people)."""
    import itertools

    from flask import Response

    from expo.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, csv_file, xlsx_file

    table = itertools.chain([[str(h) for h in header]], rows)
    if fmt == "xlsx":
        content, mimetype = xlsx_file(table, sheet_title=title, title=title), XLSX_CONTENT_TYPE
    else:
        content, mimetype = csv_file(table), CSV_CONTENT_TYPE
    response = Response(_read(content), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Content-Type"] = mimetype  # as it is: Flask would add a second charset
    response.headers["Cache-Control"] = "no-store"
    return response
