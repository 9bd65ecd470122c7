"""Declarative base, the database handle, the UTC datetime column type and small query helpers."""
from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, registry
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

from expo.core import signals
from expo.core.text import COLLATION_LANGUAGES, collation_name, contains_folded, install_sqlite_functions

# Ids are database INTEGERs: anything beyond names no row (and would overflow the SQL).
MAX_DATABASE_INTEGER = 2**31 - 1


def is_database_id(value: int) -> bool:
    """Whether ``value`` can be a row's id: 1 … the largest database INTEGER, as in URLs."""
    return 1 <= value <= MAX_DATABASE_INTEGER


class DatabaseInteger(IntegerConverter):
    """``<int:…>`` limited to the positive range of a database INTEGER column."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_DATABASE_INTEGER, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class DatabaseText(UnicodeConverter):
    """``<slug>``, ``<token>`` …: a path segment without NUL, which no text column can store, so
    such an address is simply not found instead of reaching the database."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):  # noqa: A002
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]")


class DatabasePath(PathConverter):
    """``<path:…>`` without NUL (see ``DatabaseText``)."""

    regex = "[^/\\x00][^\\x00]*?"


# Every variable part of every address goes through one of these.
URL_CONVERTERS = {"default": DatabaseText, "string": DatabaseText, "path": DatabasePath, "int": DatabaseInteger}

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator):
    """An instant stored in UTC; refuses naive datetimes so no local time slips in."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: pass an aware datetime")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_enforce_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite checks foreign keys (ON DELETE rules included) only when asked, per connection; it
    learns there too how Expo folds text for searches and sorts names by language."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        install_sqlite_functions(dbapi_connection)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# The database handle; bound to the app in create_app (expo.core.extensions re-exports it).
db = SQLAlchemy(model_class=Base)


def limit_request_statements(app: Flask) -> None:
    """On PostgreSQL, the statements of a web request are cancelled after the app's
    ``DB_STATEMENT_TIMEOUT`` seconds (the request then answers 503: ``expo.core.errors``), so a
    lock that is never released or a runaway query cannot hold a worker until gunicorn kills
    it. Connections used outside a request (commands, jobs, migrations) have no limit. The
    setting is made on a connection only when it passes from one use to the other: once per
    connection in a web process."""
    seconds = app.config["DB_STATEMENT_TIMEOUT"]
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql" or not seconds:
        return
    limit = f"{max(round(seconds * 1000), 1)}ms"

    @sa.event.listens_for(engine, "checkout")
    def _statement_timeout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        wanted = limit if has_request_context() else "0"
        if record.info.get("statement_timeout") != wanted:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", (wanted,))
            dbapi_connection.commit()  # a setting made in a transaction rolled back is undone
            record.info["statement_timeout"] = wanted


E = TypeVar("E", bound=enum.Enum)


def enum_column(enum_cls: type[E], **kwargs: Any) -> sa.Enum:
    """A portable enum column: a checked VARCHAR of the members' values (no native type)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=kwargs.pop("name", enum_cls.__name__.lower()),
        **kwargs,
    )


M = TypeVar("M")


def get_or_404(model: type[M], ident: Any, *, options: Sequence[Any] = ()) -> M:
    """Load a row by primary key or answer 404; ``options`` are loader options (``joinedload``…)."""
    if isinstance(ident, int) and not is_database_id(ident):
        abort(404)
    obj = db.session.get(model, ident, options=options)
    if obj is None:
        abort(404)
    return obj


# --- row locks the transaction holds ------------------------------------------------------------
# A row read under its lock (FOR UPDATE) is remembered until the transaction ends, so that code
# further on that needs the same row locked and fresh does not read it again: nobody else can
# change it meanwhile, and this transaction's own changes through the unit of work are in the
# object already. A statement that writes the row's table past the unit of work (rows_written),
# a rollback (of a savepoint too, which gives up the locks taken since) or the end of the
# transaction forgets them.

_HELD_LOCKS = "expo_held_locks"


def remember_lock(obj: Any) -> None:
    """``obj`` has just been read under its row's lock."""
    key = sa.inspect(obj).identity_key
    db.session.info.setdefault(_HELD_LOCKS, {})[key] = obj


def forget_locks(objects: Iterable[Any]) -> None:
    """Forget that these objects were read under their rows' locks (the rows stay locked until
    the transaction ends): a caller done with them lets them go (a large import, the sessions it
    has written), and code that wants one again reads it again, under its lock."""
    held = db.session.info.get(_HELD_LOCKS)
    if held:
        for obj in objects:
            key = sa.inspect(obj).identity_key
            if key is not None and held.get(key) is obj:
                del held[key]


def holds_lock(obj: Any) -> bool:
    """Whether this transaction read ``obj`` (this very object, still in the session and not
    deleted) under its row's lock."""
    key = sa.inspect(obj).identity_key
    return key is not None and db.session.info.get(_HELD_LOCKS, {}).get(key) is obj and _present(key, obj)


def held_lock(model: type[M], **values: Any) -> M | None:
    """The row of ``model`` with these attribute values that this transaction holds locked, if any."""
    for key, obj in db.session.info.get(_HELD_LOCKS, {}).items():
        if isinstance(obj, model) and _present(key, obj) and all(getattr(obj, n) == v for n, v in values.items()):
            return obj
    return None


def _present(key: Any, obj: Any) -> bool:
    return db.session.identity_map.get(key) is obj


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _locks_released(session: sa.orm.Session) -> None:
    session.info.pop(_HELD_LOCKS, None)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _locks_given_up(session: sa.orm.Session, _previous_transaction: Any) -> None:
    session.info.pop(_HELD_LOCKS, None)


@signals.rows_written.connect
def _locked_rows_written(session: sa.orm.Session, *, table: str | None, **_extra: Any) -> None:
    held = session.info.get(_HELD_LOCKS)
    if held:
        for key in [k for k in held if table is None or sa.inspect(held[k]).mapper.local_table.name == table]:
            del held[key]


def database_id(text: str) -> int:
    """An id read from a query string; ValueError unless it is a positive database INTEGER,
    so ``request.args.get(name, type=database_id)`` gives None for anything else."""
    if not (text.isascii() and text.isdigit()) or not is_database_id(int(text)):
        raise ValueError(f"not a database id: {text[:20]!r}")
    return int(text)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def contains_text(text: str, *columns: Any) -> sa.ColumnElement[bool]:
    """Any of the columns contains ``text``, ignoring letter case and accents ("orebro" finds
    "Örebro") and taken literally: its % and _ are escaped and NUL characters (which
    PostgreSQL text cannot hold) are dropped."""
    return contains_folded(text, *columns)


def collated(column: Any, language: str) -> sa.ColumnElement[Any]:
    """``column`` to be ordered as a dictionary in ``language`` orders words."""
    return column.collate(collation_name(language, db.engine.dialect.name))


def collated_indexes(column: Any) -> list[sa.Index]:
    """An index of ``column`` in each language's dictionary order, so that a long list sorted by
    it reads one page of the index instead of sorting every row (``ix_<table>_<column>_<language>``).
    PostgreSQL only: SQLite's collations live in the application, and a file indexed by one could
    not be written without it."""
    return [
        sa.Index(f"ix_{column.class_.__tablename__}_{column.key}_{language}",
                 column.collate(collation_name(language, "postgresql"))).ddl_if(dialect="postgresql")
        for language in COLLATION_LANGUAGES
    ]


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _statement_writes_rows(state: Any) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        signals.rows_written.send(state.session, table=table)


def insert_rows(table: sa.Table, rows: Sequence[dict[str, Any]], *, ids: bool = False,
                key: str | None = None) -> list[int]:
    """Write many new rows of ``table`` (dicts of the same columns) at once in the current
    transaction, with the column defaults an INSERT fills in; with ``ids``, return their
    numbers — in the order given when ``key`` names a unique column to match them by, in any
    order otherwise.

    On PostgreSQL the rows go by COPY (their numbers drawn from the table's sequence first):
    a multi-row INSERT of thousands of rows costs more to build and parse than to write.
    Elsewhere one INSERT takes them all."""
    session = db.session
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        numbers = _copy_rows(session.connection(), table, rows, numbered=ids or key is not None)
        signals.rows_written.send(session(), table=table.name)  # COPY goes past the session's events
        return numbers
    if key is not None:
        # Matched by the key: asking SQLite for the numbers in the order given sends one INSERT a row.
        numbers = dict(session.execute(sa.insert(table).returning(table.c[key], table.c.id), rows).all())
        return [numbers[row[key]] for row in rows]
    if ids:
        return list(session.scalars(sa.insert(table).returning(table.c.id), rows))
    session.execute(sa.insert(table), rows)
    return []


def _copy_rows(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *,
               numbered: bool) -> list[int]:
    import psycopg

    dialect = connection.dialect
    given = list(rows[0])
    defaults = [column for column in table.columns
                if column.key not in given and column.default is not None
                and (getattr(column.default, "is_scalar", False) or getattr(column.default, "is_callable", False))]
    columns = [table.c[name] for name in given] + defaults
    numbers: list[int] = []
    if numbered:
        sequence = connection.scalar(sa.select(sa.func.pg_get_serial_sequence(table.name, table.c.id.name)))
        numbers = list(connection.scalars(
            sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, len(rows)))))
        columns.insert(0, table.c.id)
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda value: value)
                  for column in columns]
    quote = dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} ({', '.join(quote.quote(c.name) for c in columns)}) "
                 "FROM STDIN")
    try:
        with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for index, row in enumerate(rows):
                values = [row[name] for name in given] + [
                    column.default.arg(None) if column.default.is_callable else column.default.arg
                    for column in defaults]
                if numbered:
                    values.insert(0, numbers[index])
                copy.write_row([process(value) for process, value in zip(processors, values)])
    except psycopg.errors.IntegrityError as error:  # as an INSERT's would be
        raise sa.exc.IntegrityError(statement, None, error) from error
    return numbers
