"""E-mail goes out through jobs, never inside the request that caused it.

A message queued while a change is being made is written to the ``outgoing_mails`` table in
the same transaction, one row for each recipient, and after the commit jobs deliver the rows
in batches (one SMTP connection for each). A row is sent at most once: a job locks it, sends
it only while it is still waiting, and marks it sent in the same breath, so a retry, a second
worker or a "send again" never sends anyone the same e-mail twice. A mail server that is down
or too slow leaves the rows waiting for the job's next try (with back-off); after the last
try, or at once when the server refuses a message for good, the row is marked failed, and
organisers see it in the list of failed e-mails with a button to send it again."""
from __future__ import annotations

import base64
import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column

from expo.core import jobs, mail
from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow

_PENDING_KEY = "expo_mail_pending"
_ERROR_LENGTH = 500


class MailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutgoingMail(db.Model):
    """One e-mail to one recipient, from the moment it is queued until it is sent or given up."""

    __tablename__ = "outgoing_mails"
    __table_args__ = (sa.Index("ix_outgoing_mails_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    # [{"filename", "mimetype", "content" (base64)}]
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]

    @classmethod
    def of(cls, message: mail.Message) -> OutgoingMail:
        return cls(**cls.values(message))

    @staticmethod
    def values(message: mail.Message) -> dict[str, Any]:
        """The row's columns for ``message``, waiting to be sent."""
        return {
            "recipient": message.to, "subject": message.subject, "body": message.body, "status": MailStatus.QUEUED,
            "attempts": 0,
            "attachments": [{"filename": a.filename, "mimetype": a.mimetype,
                             "content": base64.b64encode(a.content).decode("ascii")} for a in message.attachments],
        }

    def message(self) -> mail.Message:
        return mail.Message(
            to=self.recipient, subject=self.subject, body=self.body,
            attachments=[mail.Attachment(filename=a["filename"], mimetype=a["mimetype"],
                                         content=base64.b64decode(a["content"])) for a in self.attachments],
        )

    def give_up(self, error: str) -> None:
        self.status = MailStatus.FAILED
        self.failed_at = utcnow()
        self.last_error = error[:_ERROR_LENGTH]


# --- queueing, inside the change's transaction ------------------------------------------------

def send_after_commit(message: mail.Message) -> None:
    """Send ``message`` once the current transaction commits; drop it if it rolls back."""
    db.session.info.setdefault(_PENDING_KEY, []).append(message)


def pending() -> list[mail.Message]:
    """Messages waiting for the current transaction to commit."""
    return list(db.session.info.get(_PENDING_KEY, []))


def store_now(messages: Sequence[mail.Message]) -> None:
    """Write the messages' rows at once (one INSERT), in the current transaction, and send them
    once it commits, as ``send_after_commit`` does: for many e-mails at a time (an import's
    invitations), which then need not wait in memory. A rollback takes the rows with it."""
    if not messages:
        return
    ids = list(db.session.scalars(
        sa.insert(OutgoingMail).returning(OutgoingMail.id),
        [OutgoingMail.values(message) for message in messages],
    ))
    for batch in _batches(ids):
        jobs.enqueue_after_commit(deliver, batch)


@sa.event.listens_for(Session, "before_commit")
def _store_pending(session: Session) -> None:
    messages = session.info.pop(_PENDING_KEY, [])
    if not messages:
        return
    rows = [OutgoingMail.of(message) for message in messages]
    session.add_all(rows)
    session.flush()
    for batch in _batches([row.id for row in rows]):
        jobs.enqueue_after_commit(deliver, batch, session=session)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    # Every rollback of the whole transaction, even one that never reached the database.
    if not previous_transaction.nested:
        session.info.pop(_PENDING_KEY, None)


def _batches(ids: list[int]) -> list[list[int]]:
    """One job for each SMTP connection's worth of e-mails (a moved session may tell 1,700 people)."""
    size = max(current_app.config.get("MAIL_MESSAGES_PER_CONNECTION") or 1, 1)
    return [ids[start:start + size] for start in range(0, len(ids), size)]


# --- delivering, in a job ---------------------------------------------------------------------

def max_attempts() -> int:
    return len(jobs.retry_intervals()) + 1


def deliver(ids: Sequence[int]) -> None:
    """The job: send each waiting e-mail of ``ids`` over shared connections. Raises (so the job is
    tried again later) when the mail server cannot be reached and some e-mails still wait."""
    trouble: OSError | None = None
    with mail.Delivery() as delivery:
        for mail_id in ids:
            row = db.session.scalar(
                sa.select(OutgoingMail)
                .where(OutgoingMail.id == mail_id, OutgoingMail.status == MailStatus.QUEUED)
                .with_for_update(skip_locked=True)
            )
            if row is None:  # sent already, given up, or in another worker's hands right now
                db.session.rollback()
                continue
            row.attempts += 1
            try:
                delivery.send(row.message())
            except mail.Refused as refused:
                row.give_up(str(refused))
            except OSError as error:  # smtplib.SMTPException is one too
                db.session.rollback()
                trouble = error
                break
            else:
                row.status = MailStatus.SENT
                row.sent_at = utcnow()
            db.session.commit()
    if trouble is not None and _count_failed_try(ids, trouble):
        raise trouble


def _count_failed_try(ids: Sequence[int], error: OSError) -> bool:
    """Count one more try on the e-mails of ``ids`` still waiting, give up those that had their
    last, and tell whether any is left for the next try."""
    waiting = list(db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.id.in_(ids), OutgoingMail.status == MailStatus.QUEUED)
    ))
    limit = max_attempts()
    reason = f"{type(error).__name__}: {error}"
    left = False
    for row in waiting:
        row.attempts += 1
        row.last_error = reason[:_ERROR_LENGTH]
        if row.attempts >= limit:
            row.give_up(reason)
        else:
            left = True
    db.session.commit()
    return left


# --- the failed list (organisers) --------------------------------------------------------------

def failed_mails(limit: int = 200) -> list[OutgoingMail]:
    """E-mails given up, newest first."""
    return list(db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.status == MailStatus.FAILED)
        .order_by(OutgoingMail.failed_at.desc(), OutgoingMail.id.desc()).limit(limit)
    ))


def count_by_status() -> dict[MailStatus, int]:
    rows = db.session.execute(sa.select(OutgoingMail.status, sa.func.count()).group_by(OutgoingMail.status))
    counts = {status: 0 for status in MailStatus}
    counts.update({status: count for status, count in rows})
    return counts


STALE_AFTER = timedelta(minutes=10)


def _stale_waiting(older_than: timedelta) -> sa.Select:
    return sa.select(OutgoingMail.id).where(OutgoingMail.status == MailStatus.QUEUED,
                                            OutgoingMail.created_at < utcnow() - older_than)


def count_stale_waiting(older_than: timedelta = STALE_AFTER) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(_stale_waiting(older_than).subquery()))


def requeue_waiting(older_than: timedelta = STALE_AFTER) -> int:
    """Queue jobs again for e-mails still waiting after ``older_than`` (their job was lost with a
    Redis that restarted empty, or a web process that stopped); sending stays once per recipient."""
    ids = list(db.session.scalars(_stale_waiting(older_than).order_by(OutgoingMail.id)))
    for batch in _batches(ids):
        jobs.enqueue(deliver, batch)
    return len(ids)


def send_again(ids: Sequence[int]) -> int:
    """Put the failed e-mails of ``ids`` back in the queue, with fresh tries, once the caller
    commits; e-mails sent meanwhile are left alone. Returns how many go again."""
    rows = list(db.session.scalars(
        sa.select(OutgoingMail).where(OutgoingMail.id.in_(ids), OutgoingMail.status == MailStatus.FAILED)
        .with_for_update()
    ))
    for row in rows:
        row.status = MailStatus.QUEUED
        row.attempts = 0
        row.failed_at = None
    db.session.flush()
    for batch in _batches([row.id for row in rows]):
        jobs.enqueue_after_commit(deliver, batch)
    return len(rows)
