"""The schedule's generation, kept in the database so that every process agrees on it.

Feeds, exports and public pages are cached under keys that carry the schedule's generation,
whatever stores the bytes: Redis shared by every server, or each process's own memory when
there is no Redis (gunicorn's workers then each keep their own copies). Were the generation
kept in that cache too, a worker that did not see a change would go on serving the old text
under the old ETag while its neighbour served the new, for as long as its copy lived.

So the generation is a row of the database, moved by the very transaction that changes
anything a calendar or a public page shows of the schedule (sessions, events, rooms, venues,
tracks, networks, people's names): it is committed, or rolled back, with the change, and
every process reads the same row with one primary-key lookup per request. Bookings,
registrations and check-ins, written far more often, never touch it (they would all queue
on its lock): what they change carries its own timestamps."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from expo.core import signals
from expo.core.extensions import db
from expo.core.timeutil import utcnow

SCHEDULE = "schedule"
# Tables whose rows a schedule never shows; everything else moves the schedule's generation.
# Changes staged in a published programme show nowhere public until their release, which
# writes the sessions themselves (and so moves the generation then, not while staging).
# E-mails waiting to go out are stored with the booking that queued them, and the audit log
# with the change it records: neither may put that booking in line for the generation's lock.
# A twinning one-to-one shows only in its two people's agendas and feeds.
_NOT_SCHEDULE = frozenset({"bookings", "registrations", "check_ins", "cache_generations", "outgoing_mails",
                           "audit_entries", "pending_session_changes", "twinning_one_to_ones"})
_MOVED = "expo_schedule_generation_moved"
# What of a person sessions show: their name, and whether they show at all.
_USER_FIELDS = ("name", "active")


class CacheGeneration(db.Model):
    """A generation shared by every process: a random token that changes with the data."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[datetime]


def schedule_generation() -> tuple[str, datetime] | None:
    """The schedule's generation (token, when it began), or None before its first change.
    Read once per request, before anything else the request reads."""
    memo = g.get("_schedule_generation", False) if has_request_context() else False
    if memo is not False:
        return memo  # type: ignore[no-any-return]
    row = db.session.execute(
        sa.select(CacheGeneration.token, CacheGeneration.changed_at).where(CacheGeneration.name == SCHEDULE)
    ).one_or_none()
    found = (row.token, row.changed_at) if row is not None else None
    if has_request_context():
        g._schedule_generation = found
    return found


# --- people's generations, where no cache is shared ---------------------------------------------
#
# A person's own generation (``person:<id>``: their account, bookings, registrations, check-ins)
# and ``bulk`` (moved by any UPDATE or DELETE statement) key their agenda and their calendar
# feed. With Redis every process reads the same ones from it. Without, each process would keep
# its own in memory, and a delegate's feed served by one worker would lag a booking made through
# another for as long as the cached lookup lived. There they are rows of this table too, moved
# by the transaction that changes the person's data and read with the schedule's in one query.

PERSON_PREFIX = "person:"
BULK = "bulk"
_PEOPLE_MOVED = "expo_people_generations_moved"


def shared_cache() -> bool:
    """Whether every process reads one cache (Redis) rather than its own memory."""
    return has_app_context() and "redis" in str(current_app.config.get("CACHE_TYPE") or "").lower()


def in_database(name: str) -> bool:
    """Whether the generation ``name`` is a row of this table (the same in every process)."""
    if name == SCHEDULE:
        return True
    return (name.startswith(PERSON_PREFIX) or name == BULK) and has_app_context() and not shared_cache()


def database_generations(names: list[str]) -> dict[str, str]:
    """The tokens of these database-held generations, in one query (the schedule's is read once
    per request and kept). One never moved has the token "initial" everywhere."""
    memo: dict[str, str] = g.setdefault("_database_generations", {}) if has_request_context() else {}
    found: dict[str, str] = {n: memo[n] for n in names if n in memo}
    wanted = [n for n in names if n not in found]
    if SCHEDULE in wanted:
        kept = g.get("_schedule_generation", False) if has_request_context() else False
        if kept is not False:
            wanted.remove(SCHEDULE)
            found[SCHEDULE] = kept[0] if kept is not None else "initial"
    if wanted:
        rows = db.session.execute(
            sa.select(CacheGeneration.name, CacheGeneration.token, CacheGeneration.changed_at)
            .where(CacheGeneration.name.in_(wanted))
        ).all()
        by_name = {row.name: row for row in rows}
        for name in wanted:
            row = by_name.get(name)
            found[name] = memo[name] = row.token if row is not None else "initial"
        if SCHEDULE in wanted and has_request_context():
            row = by_name.get(SCHEDULE)
            g._schedule_generation = (row.token, row.changed_at) if row is not None else None
            memo.pop(SCHEDULE, None)  # kept with its time, above
    return found


def move_in_database(session: Session, names: list[str]) -> None:
    """Start new generations of ``names`` inside the session's transaction (each once per
    transaction), in name order so two transactions never wait for each other's rows."""
    moved: set[str] = session.info.setdefault(_PEOPLE_MOVED, set())
    fresh = sorted(set(names) - moved)
    if not fresh:
        return
    moved.update(fresh)
    if has_request_context():
        for name in fresh:
            g.get("_database_generations", {}).pop(name, None)
    _upsert(session, [{"name": name, "token": secrets.token_hex(8), "changed_at": utcnow()} for name in fresh])


def _upsert(session: Session, values: list[dict[str, Any]]) -> None:
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CacheGeneration.__table__).values(values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"token": statement.excluded.token, "changed_at": statement.excluded.changed_at}))


def _move(session: Session) -> None:
    """Start a new schedule generation inside the session's transaction (once per transaction)."""
    if session.info.get(_MOVED):
        return
    session.info[_MOVED] = True
    _upsert(session, [{"name": SCHEDULE, "token": secrets.token_hex(8), "changed_at": utcnow()}])
    if has_request_context():
        g.pop("_schedule_generation", None)


def _shows_in_schedule(obj: Any) -> bool:
    """Whether flushing ``obj`` changes what the schedule shows. A session whose collection of
    bookings grew (the other side of a new booking) has not changed."""
    table = getattr(obj, "__tablename__", None)
    if table is None or table in _NOT_SCHEDULE:
        return False
    state = sa.inspect(obj)
    if table == "users":  # a new account shows nowhere until it joins a session
        if state.pending:
            return False
        return state.deleted or any(state.attrs[f].history.has_changes() for f in _USER_FIELDS if f in state.attrs)
    if state.pending or state.deleted:
        return True
    for attribute in state.mapper.attrs:
        related = getattr(attribute, "mapper", None)
        if related is not None and related.local_table.name in _NOT_SCHEDULE:
            continue
        if state.attrs[attribute.key].history.has_changes():
            return True
    return False


@sa.event.listens_for(Session, "before_flush")
def _move_with_flushed_changes(session: Session, _context: Any, _instances: Any) -> None:
    if not session.info.get(_MOVED) and any(
            _shows_in_schedule(obj) for obj in (*session.new, *session.dirty, *session.deleted)):
        _move(session)


@signals.rows_written.connect
def _move_with_bulk_writes(session: Session, *, table: str | None, **_extra: Any) -> None:
    if not session.info.get(_MOVED) and table not in _NOT_SCHEDULE:
        _move(session)


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_PEOPLE_MOVED, None)
    if session.info.pop(_MOVED, None):
        signals.schedule_committed.send(current_app._get_current_object())


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_args: Any) -> None:
    # Also after a savepoint rolled back, which took the move with it: the next change moves again.
    session.info.pop(_MOVED, None)
    session.info.pop(_PEOPLE_MOVED, None)
