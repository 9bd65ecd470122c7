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
from flask import current_app, g, has_request_context
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from expo.core import signals
from expo.core.extensions import db
from expo.core.timeutil import utcnow

SCHEDULE = "schedule"
# Tables whose rows a schedule never shows; everything else moves the schedule's generation.
# E-mails waiting to go out are stored with the booking that queued them, and the audit log
# with the change it records: neither may put that booking in line for the generation's lock.
_NOT_SCHEDULE = frozenset({"bookings", "registrations", "check_ins", "cache_generations", "outgoing_mails",
                           "audit_entries"})
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


def _move(session: Session) -> None:
    """Start a new schedule generation inside the session's transaction (once per transaction)."""
    if session.info.get(_MOVED):
        return
    session.info[_MOVED] = True
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = {"name": SCHEDULE, "token": secrets.token_hex(8), "changed_at": utcnow()}
    statement = dialect.insert(CacheGeneration.__table__).values(**values)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"token": statement.excluded.token, "changed_at": statement.excluded.changed_at}))
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


@sa.event.listens_for(Session, "do_orm_execute")
def _move_with_statements(state: Any) -> None:
    if not (state.is_update or state.is_delete or state.is_insert) or state.session.info.get(_MOVED):
        return
    mapper = state.bind_mapper
    table = getattr(getattr(mapper, "local_table", None), "name", None)
    if table not in _NOT_SCHEDULE:
        _move(state.session)


@sa.event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_MOVED, None):
        signals.schedule_committed.send(current_app._get_current_object())


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_args: Any) -> None:
    # Also after a savepoint rolled back, which took the move with it: the next change moves again.
    session.info.pop(_MOVED, None)
