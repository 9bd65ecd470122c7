"""E-mail goes out through jobs, never inside the request that caused it.

A message queued while a change is being made is written to the ``outgoing_mails`` table in
the same transaction, one row for each recipient, and after the commit jobs deliver the rows
in batches (one SMTP connection for each). A row is sent at most once: a job locks it, sends
it only while it is still waiting, and marks it sent in the same breath, so a retry, a second
worker or a "send again" never sends anyone the same e-mail twice. A mail server that is down
or too slow leaves the rows waiting for the job's next try (with back-off); after the last
try, or at once when the server refuses a message for good, the row is marked failed, and
organisers see it in the list of failed e-mails with a button to send it again.

An e-mail may also be queued as facts (``Deferred``): the row keeps what the e-mail needs,
as it stood when the change was made, and the job writes it just before sending it (see the
writers registered with ``writer``). The request that made the change then renders nothing;
the e-mail is the same whenever it is written. One given up is kept written, as sent."""
from __future__ import annotations

import base64
import enum
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context
from sqlalchemy.orm import Mapped, Session, mapped_column

from expo.core import jobs, mail
from expo.core.db import enum_column, insert_rows
from expo.core.extensions import db
from expo.core.timeutil import utcnow

logger = logging.getLogger("expo.core.mailqueue")

_PENDING_KEY = "expo_mail_pending"
_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Deferred:
    """An e-mail to ``to``, written when it is sent by the writer of ``kind`` from ``facts``
    (JSON-friendly: everything the e-mail says that could change before then)."""

    kind: str
    to: str
    facts: dict[str, Any]


_WRITERS: dict[str, Callable[[dict[str, Any]], mail.Message]] = {}


def writer(kind: str) -> Callable[[Callable[[dict[str, Any]], mail.Message]], Callable[[dict[str, Any]], mail.Message]]:
    """Register the function that writes the e-mails of ``kind`` from their facts. It gets
    an application context and, for its links, a request at BASE_URL."""
    def register(func: Callable[[dict[str, Any]], mail.Message]) -> Callable[[dict[str, Any]], mail.Message]:
        _WRITERS[kind] = func
        return func
    return register


def write(item: mail.Message | Deferred) -> mail.Message:
    """The e-mail itself: ``item`` if written already, else written now from its facts."""
    if isinstance(item, mail.Message):
        return item
    with ExitStack() as stack:
        if not has_request_context():
            stack.enter_context(_lent_request())
        return _WRITERS[item.kind](item.facts)


def _lent_request() -> Any:
    return current_app.test_request_context(base_url=current_app.config["BASE_URL"])


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
    # A deferred e-mail (see Deferred): its writer and facts; subject and body stay empty
    # until it is given up, when it is kept written.
    kind: Mapped[str | None] = mapped_column(sa.String(40))
    facts: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    status: Mapped[MailStatus] = mapped_column(enum_column(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]

    @classmethod
    def of(cls, message: mail.Message | Deferred) -> OutgoingMail:
        return cls(**cls.values(message))

    @staticmethod
    def values(message: mail.Message | Deferred) -> dict[str, Any]:
        """The row's columns for ``message``, waiting to be sent."""
        if isinstance(message, Deferred):
            return {"recipient": message.to, "subject": "", "body": "", "attachments": [], "kind": message.kind,
                    "facts": message.facts, "status": MailStatus.QUEUED, "attempts": 0}
        return {"recipient": message.to, "kind": None, "facts": None, "status": MailStatus.QUEUED, "attempts": 0,
                **_written(message)}

    def message(self) -> mail.Message:
        """The e-mail, written now from the facts if it is a deferred one."""
        if self.kind is not None:
            return write(Deferred(self.kind, self.recipient, self.facts or {}))
        return mail.Message(
            to=self.recipient, subject=self.subject, body=self.body,
            attachments=[mail.Attachment(filename=a["filename"], mimetype=a["mimetype"],
                                         content=base64.b64decode(a["content"])) for a in self.attachments],
        )

    def keep_written(self) -> None:
        """Store a deferred e-mail written, as it goes out (the facts stay, for the record);
        one that cannot be written is left as it is."""
        if self.kind is None:
            return
        try:
            message = self.message()
        except Exception:  # noqa: BLE001 - logged; the row is given up all the same
            logger.exception("the e-mail %s to %s could not be written", self.id, self.recipient)
            return
        for name, value in _written(message).items():
            setattr(self, name, value)
        self.kind = None

    def give_up(self, error: str) -> None:
        self.status = MailStatus.FAILED
        self.failed_at = utcnow()
        self.last_error = error[:_ERROR_LENGTH]


def _written(message: mail.Message) -> dict[str, Any]:
    return {
        "subject": message.subject, "body": message.body,
        "attachments": [{"filename": a.filename, "mimetype": a.mimetype,
                         "content": base64.b64encode(a.content).decode("ascii")} for a in message.attachments],
    }


# --- queueing, inside the change's transaction ------------------------------------------------

def send_after_commit(message: mail.Message | Deferred) -> None:
    """Send ``message`` once the current transaction commits; drop it if it rolls back."""
    db.session.info.setdefault(_PENDING_KEY, []).append(message)


def pending() -> list[mail.Message]:
    """Messages waiting for the current transaction to commit (deferred ones written now)."""
    return [write(item) for item in db.session.info.get(_PENDING_KEY, [])]


def store_now(messages: Sequence[mail.Message | Deferred]) -> None:
    """Write the messages' rows at once (one INSERT), in the current transaction, and send them
    once it commits: for many e-mails at a time (an import's invitations, a thousand at a time
    in one long transaction), which then need not wait in memory, nor their numbers: the one
    ``deliver_fresh`` job sends every e-mail not tried yet. A rollback takes the rows with it."""
    if not messages:
        return
    insert_rows(OutgoingMail.__table__, [OutgoingMail.values(message) for message in messages])
    jobs.enqueue_unique_after_commit(deliver_fresh, key=FRESH_JOB)


# Built once: every booking sends it.
_INSERT_QUEUED = sa.insert(OutgoingMail.__table__).returning(OutgoingMail.__table__.c.id)


@sa.event.listens_for(Session, "before_commit")
def _store_pending(session: Session) -> None:
    messages = session.info.pop(_PENDING_KEY, [])
    if not messages:
        return
    # One INSERT on the connection: the rows are not needed as objects here, and a statement
    # through the ORM session would count as a bulk change to everything cached.
    ids = list(session.connection().execute(
        _INSERT_QUEUED, [OutgoingMail.values(message) for message in messages],
    ).scalars())
    batches = _batches(ids)
    if len(batches) == 1:
        # A few e-mails (a booking's): one job sends them with whatever else was queued
        # meanwhile, and a busy site does not queue a job for each booking.
        jobs.enqueue_unique_after_commit(deliver_fresh, key=FRESH_JOB, session=session)
        return
    for batch in batches:
        jobs.enqueue_after_commit(deliver, batch, session=session)


@sa.event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: Any) -> None:
    # Every rollback of the whole transaction, even one that never reached the database.
    if not previous_transaction.nested:
        session.info.pop(_PENDING_KEY, None)


def _batch_size() -> int:
    return max(current_app.config.get("MAIL_MESSAGES_PER_CONNECTION") or 1, 1)


def _batches(ids: list[int]) -> list[list[int]]:
    """One job for each SMTP connection's worth of e-mails (a moved session may tell 1,700 people)."""
    size = _batch_size()
    return [ids[start:start + size] for start in range(0, len(ids), size)]


# --- delivering, in a job ---------------------------------------------------------------------

def max_attempts() -> int:
    return len(jobs.retry_intervals()) + 1


# The key of the one job at a time that sends the e-mails not tried yet (deliver_fresh).
FRESH_JOB = "mail:fresh"
# How long one deliver_fresh job goes on before it hands over to the next.
FRESH_JOB_SECONDS = 30.0
# With Redis, how long a deliver_fresh job waits for more e-mails once none is left, looking
# every FRESH_POLL_SECONDS: on a busy site it stays at work instead of a job being queued, and
# started, for each booking (each job costs the worker and Redis far more than one look).
FRESH_LINGER_SECONDS = 0.2
FRESH_POLL_SECONDS = 0.02


def deliver_fresh() -> None:
    """The job: send every e-mail not tried yet, oldest first, a batch per SMTP connection.
    Changes ask for this job only when none is waiting or at work (it holds its key while it
    works), so on a busy site one job sends what many bookings queue. A batch the mail server
    does not take is tried again later, with back-off, by a job of its own (see deliver)."""
    size = _batch_size()
    polls = round(FRESH_LINGER_SECONDS / FRESH_POLL_SECONDS) if jobs.mode() == "redis" else 0
    last, idle = 0, 0
    until = time.monotonic() + FRESH_JOB_SECONDS
    jobs.hold_unique(FRESH_JOB)
    try:
        with mail.Delivery() as delivery, ExitStack() as lent:
            while time.monotonic() < until:
                ids = _fresh_ids(after=last, limit=size)
                if ids:
                    idle, last = 0, ids[-1]
                    try:
                        _deliver(ids, delivery, lent)
                    except OSError:
                        jobs.retry_later(deliver, ids)
                    if len(ids) == size:
                        continue  # there may be more at once
                if idle >= polls:
                    break
                idle += 1
                time.sleep(FRESH_POLL_SECONDS)
    finally:
        jobs.release_unique(FRESH_JOB)
    # What was committed before the release queued no job of its own (or the time was up): looked
    # for from the first, since a long transaction (an import's) commits e-mails numbered below
    # those sent meanwhile. A job run at once, in the committing thread, has nothing to hand over.
    if jobs.mode() != "eager" and _fresh_ids(after=0, limit=1):
        jobs.enqueue_unique(deliver_fresh, key=FRESH_JOB)


def _fresh_ids(*, after: int, limit: int) -> list[int]:
    """Ids of e-mails not tried yet, above ``after``, oldest first (read outside any transaction)."""
    ids = list(db.session.scalars(
        sa.select(OutgoingMail.id)
        .where(OutgoingMail.status == MailStatus.QUEUED, OutgoingMail.attempts == 0, OutgoingMail.id > after)
        .order_by(OutgoingMail.id).limit(limit)
    ))
    db.session.rollback()
    return ids


def deliver(ids: Sequence[int]) -> None:
    """The job: send each waiting e-mail of ``ids`` over shared connections. Raises (so the job is
    tried again later) when the mail server cannot be reached and some e-mails still wait."""
    with mail.Delivery() as delivery, ExitStack() as lent:
        _deliver(ids, delivery, lent)


def _deliver(ids: Sequence[int], delivery: mail.Delivery, lent: ExitStack) -> None:
    trouble: OSError | None = None
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
        if row.kind is not None and not has_request_context():
            lent.enter_context(_lent_request())  # one request for the links of all the e-mails
        try:
            message = row.message()
        except Exception as error:  # noqa: BLE001 - a writer that fails would fail again: given up
            logger.exception("the e-mail %s to %s could not be written", row.id, row.recipient)
            row.give_up(f"the e-mail could not be written: {type(error).__name__}: {error}")
            db.session.commit()
            continue
        try:
            delivery.send(message)
        except mail.Refused as refused:
            row.keep_written()
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
            row.keep_written()
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
