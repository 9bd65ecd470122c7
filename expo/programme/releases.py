"""Releases of a published programme: the staged changes made public at once, as a version.

A release writes each pending change to its session through the programme's services (the
rules, the change log, the revision and the signals are those of a live edit), numbers the
version (v1, v2 …) with the organiser's note, and ties the change log's new entries to it.
Feeds and public pages move then, with the sessions; each delegate whose bookings it touches
gets one e-mail listing all their sessions (with the calendar invitations and cancellations)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.core.errors import Conflict, InvalidState
from expo.core.extensions import db
from expo.events.models import Event
from expo.imports.models import ExternalKey
from expo.programme import services, staging
from expo.programme.models import PendingChange, Release, SessionChange, SessionStatus
from expo.registration import notifications


def release_changes(
    *, event: Event, actor: User, note: str | None = None, only: PendingChange | None = None,
) -> Release:
    """Make the event's pending changes public as its next version (``only``: that one
    session's change, for an urgent fix), mailing each affected delegate once."""
    db.session.execute(sa.select(Event.id).where(Event.id == event.id).with_for_update())
    if only is not None and only.event_id != event.id:
        raise InvalidState(_l("This change belongs to another event."))
    rows = [only] if only is not None else staging.pending_changes(event)
    if not rows:
        raise InvalidState(_l("There are no unreleased changes."))
    number = (db.session.scalar(sa.select(sa.func.max(Release.number)).where(Release.event_id == event.id)) or 0) + 1
    release = Release(event_id=event.id, number=number, note=(note or "").strip() or None, released_by=actor)
    db.session.add(release)
    last_logged = db.session.scalar(sa.select(sa.func.max(SessionChange.id))) or 0
    with notifications.one_mail_per_delegate(event=event, version=release.label, note=release.note):
        _apply_all(event, rows, actor)
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    db.session.execute(
        sa.update(SessionChange)
        .where(SessionChange.event_id == event.id, SessionChange.id > last_logged, SessionChange.release_id.is_(None))
        .values(release_id=release.id)
    )
    db.session.flush()
    return release


def _apply_all(event: Event, rows: list[PendingChange], actor: User) -> None:
    """Write each change; one refused for a room clash is tried again once the others are in
    place, and the moves still refused then are made together, judged where they end up (two
    sessions may swap rooms or times in one release, three may move round a cycle)."""
    waiting = list(rows)
    for _attempt in (1, 2):
        deferred = []
        for row in waiting:
            try:
                with db.session.begin_nested():
                    _apply(event, row, actor)
            except Conflict:
                deferred.append(row)
        waiting = deferred
    moves = [row for row in waiting
             if row.session is not None and row.status is SessionStatus.SCHEDULED and not row.session.is_cancelled]
    for row in waiting:
        if row not in moves:
            _apply(event, row, actor)  # raises its conflict
    if moves:
        services.update_sessions(changes=[(row.session, services.SessionData.from_json(row.data)) for row in moves],
                                 actor=actor, confirm=True, live=True)


def _apply(event: Event, row: PendingChange, actor: User) -> None:
    data = services.SessionData.from_json(row.data)
    session = row.session
    if session is None:
        session = services.create_session(event=event, data=data, actor=actor, confirm=True, live=True)
        assert session is not None
        if row.external:
            db.session.add(ExternalKey(event_id=event.id, source=row.external["source"],
                                       external_id=row.external["id"], session=session))
        return
    if row.status is SessionStatus.CANCELLED and not session.is_cancelled:
        # First: a cancelled session holds no room.
        services.cancel_session(session=session, actor=actor, confirm=True, live=True)
    services.update_session(session=session, data=data, actor=actor, confirm=True, live=True)
    if row.status is SessionStatus.SCHEDULED and session.is_cancelled:
        services.restore_session(session=session, actor=actor, confirm=True, give_back=row.give_back, live=True)
    db.session.flush()


def discard_change(*, change: PendingChange, actor: User) -> None:
    """Drop a pending change: the session stays as the public sees it."""
    db.session.delete(change)
    db.session.flush()

