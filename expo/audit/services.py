"""Writing the audit log and reading it back, filtered and a page at a time."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from expo.audit.models import AuditAction, AuditEntry
from expo.core.db import contains_text, insert_rows
from expo.core.extensions import db
from expo.core.timeutil import local_day_bounds

PER_PAGE = 50


def _cut(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


def record(
    *, actor: Any, action: AuditAction, subject: Any = None, target: str | None = None, detail: str | None = None
) -> AuditEntry:
    """Write one entry: ``actor`` did ``action`` (to ``subject``, a person, on ``target``)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", None),
        action=action,
        subject_id=getattr(subject, "id", None),
        subject_name=getattr(subject, "name", None),
        target=_cut(target, 300),
        detail=_cut(detail, 500),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_many(*, actor: Any, action: AuditAction, subjects: Sequence[tuple[int, str]], detail: str | None = None) -> None:
    """One entry for each ``(number, name)`` of ``subjects``, as ``record`` writes them, all
    together (an import that invites thousands of people)."""
    if not subjects:
        return
    insert_rows(AuditEntry.__table__, [
        {"actor_id": getattr(actor, "id", None), "actor_name": getattr(actor, "name", None), "action": action,
         "subject_id": subject_id, "subject_name": name, "target": None, "detail": _cut(detail, 500)}
        for subject_id, name in subjects
    ])


def forget_person(*, user_id: int) -> None:
    """The account is being deleted: its name leaves the log, its number stays."""
    for column, name in ((AuditEntry.actor_id, "actor_name"), (AuditEntry.subject_id, "subject_name")):
        db.session.execute(
            sa.update(AuditEntry).where(column == user_id).values({name: None})
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class AuditFilter:
    who: str | None = None
    action: AuditAction | None = None
    whom: str | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    number: int
    has_next: bool


def entries(filters: AuditFilter, *, timezone: str, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """The entries that match, newest first; days are the expo's days in ``timezone``."""
    query = sa.select(AuditEntry)
    if filters.who:
        query = query.where(contains_text(filters.who, AuditEntry.actor_name))
    if filters.whom:
        query = query.where(contains_text(filters.whom, AuditEntry.subject_name, AuditEntry.target))
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since:
        query = query.where(AuditEntry.created_at >= local_day_bounds(filters.since, timezone)[0])
    if filters.until:
        query = query.where(AuditEntry.created_at < local_day_bounds(filters.until, timezone)[1])
    rows = db.session.scalars(
        query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    return AuditPage(entries=list(rows[:per_page]), number=page, has_next=len(rows) > per_page)
