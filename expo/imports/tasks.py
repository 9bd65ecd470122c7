"""Large imports run as jobs: the preview and the confirmation of a people file (always) and
of any other file above ``IMPORT_JOB_BYTES``. The job keeps its progress (rows done of the
total) in the upload's row, which the progress page polls, and its outcome there too: the
preview as data, or the error that stopped it. The confirmation is one transaction: a failure
half-way leaves nothing changed.

A job that dies without a word (stopped by the worker's time-out, a worker or web process that
stopped) cannot say so itself: its heartbeat, written when it is queued, when it starts and as
it goes, tells. One silent past its time-out (``IMPORT_JOB_TIMEOUT``) and a margin, or queued
far too long, is shown as failed (``settle``), and the organiser may start it again."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.core import jobs
from expo.core.errors import ExpoError, InvalidState
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.imports import people, services
from expo.imports.models import ImportBatch, ImportKind, ImportStatus, JobState
from expo.imports.plan import CANCEL, NEW, UNCHANGED, UPDATE, Digest, RowsPlan

logger = logging.getLogger("expo.imports")
PREVIEW, CONFIRM = "preview", "confirm"
LANE = "imports"
RUN_MARGIN = timedelta(minutes=2)  # past the time-out, a running job is surely gone
QUEUE_MARGIN = timedelta(hours=6)  # a queued job may wait behind a long run of e-mails
STOPPED = _l("The import stopped before it finished (it ran out of time, or the server running it stopped); "
             "nothing was changed. Start it again, or split the file.")


def runs_as_job(batch: ImportBatch) -> bool:
    """People files always; others when they are large."""
    return batch.kind is ImportKind.PEOPLE or batch.size > current_app.config["IMPORT_JOB_BYTES"]


def start(*, batch: ImportBatch, step: str, actor: User, digest: str = "") -> None:
    """Queue the step's job once the caller's transaction commits."""
    if batch.status is not ImportStatus.PREVIEW:
        raise InvalidState(_l("This file has already been imported."))
    settle(batch)
    if batch.job_running:
        raise InvalidState(_l("This file is being read: wait until it is done."))
    batch.job_state, batch.job_step, batch.job_heartbeat_at = JobState.QUEUED, step, utcnow()
    batch.rows_done, batch.rows_total, batch.job_error = 0, None, None
    if step == PREVIEW:
        batch.result = None
    db.session.flush()
    # A job of minutes: on a queue (or a thread) of its own, so that e-mail never waits behind it.
    jobs.enqueue_after_commit(run, batch.id, step, actor.id, digest, lane=LANE,
                              timeout=current_app.config["IMPORT_JOB_TIMEOUT"])


def start_again(*, batch: ImportBatch, actor: User) -> None:
    """Read the file again after its preview's job failed or stopped (a confirmation that failed
    is started again from its preview, with the confirm button)."""
    settle(batch)
    if batch.job_state != JobState.FAILED or batch.job_step != PREVIEW:
        raise InvalidState(_l("Only an import whose reading failed can be started again."))
    start(batch=batch, step=PREVIEW, actor=actor)


def settle(batch: ImportBatch) -> bool:
    """Show as failed a job that can no longer be running: silent past its time-out and a
    margin (its worker stopped it, or stopped), or waiting to start far too long (its queue
    was lost). Returns whether it was given up; the caller commits."""
    if not batch.job_running:
        return False
    last = batch.job_heartbeat_at or batch.created_at  # (a job queued before heartbeats were kept)
    limit = (RUN_MARGIN + timedelta(seconds=current_app.config["IMPORT_JOB_TIMEOUT"])
             if batch.job_state == JobState.RUNNING else QUEUE_MARGIN)
    if utcnow() < last + limit:
        return False
    logger.warning("import %s: the %s job stopped without finishing", batch.id, batch.job_step)
    batch.job_state, batch.job_error = JobState.FAILED, str(STOPPED)[:500]
    db.session.flush()
    return True


def _set(batch_id: int, *, separately: bool, **values: Any) -> None:
    """Write the job's state: in the job's own transaction (committed at once: the preview
    writes nothing else), or, while the confirmation's transaction is open, through a
    connection of its own where the database allows two writers (not SQLite)."""
    statement = sa.update(ImportBatch).where(ImportBatch.id == batch_id).values(**values)
    if not separately:
        db.session.execute(statement)
        db.session.commit()
    elif db.engine.dialect.name != "sqlite":
        with db.engine.begin() as connection:
            connection.execute(statement)


def _reporter(batch_id: int, *, separately: bool) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        left = jobs.check_time()  # a job run in this process stops here once its time is up
        if separately and left is not None and db.engine.dialect.name == "postgresql":
            # ... or in a statement that would outlast it (a lock waited for): the confirmation's
            # transaction is then rolled back, as the worker's time-out would have it.
            db.session.execute(sa.select(sa.func.set_config("statement_timeout", str(max(int(left * 1000), 1)), True)))
        _set(batch_id, separately=separately, job_state=JobState.RUNNING, rows_done=done, rows_total=total,
             job_heartbeat_at=utcnow())

    return report


def run(batch_id: int, step: str, actor_id: int, digest: str) -> None:
    """The job: preview or confirm one upload, in the language of whoever started it."""
    batch = db.session.get(ImportBatch, batch_id)
    actor = db.session.get(User, actor_id)
    if batch is None or actor is None or batch.job_state not in (JobState.QUEUED, JobState.RUNNING):
        return
    _set(batch_id, separately=False, job_state=JobState.RUNNING, job_heartbeat_at=utcnow())
    with force_locale(actor.locale or "en"):
        try:
            with services.stored_file(batch) as content:  # removed when the job ends, however it ends
                if step == PREVIEW:
                    result = _preview(batch, content, _reporter(batch_id, separately=False))
                    _set(batch_id, separately=False, job_state=JobState.DONE, result=result,
                         rows_done=result["total"], rows_total=result["total"])
                else:
                    _confirm(batch, content, digest, actor, _reporter(batch_id, separately=True))
                    jobs.check_time()  # never committed past its time: it may be shown failed already
                    batch.job_state = JobState.DONE
                    db.session.commit()
        except ExpoError as error:
            db.session.rollback()
            _set(batch_id, separately=False, job_state=JobState.FAILED, job_error=str(error.message)[:500])
        except Exception as error:  # noqa: BLE001 - the organiser sees that it failed; the log has why
            db.session.rollback()
            if _timed_out(error):  # the time-out, raised inside the job
                logger.warning("import %s: the %s job ran out of time", batch_id, step)
                message = STOPPED
            else:
                logger.exception("import %s: the %s job failed", batch_id, step)
                message = _l("The import failed unexpectedly; nothing was changed. Try again, or split the file.")
            _set(batch_id, separately=False, job_state=JobState.FAILED, job_error=str(message)[:500])


def _timed_out(error: Exception) -> bool:
    if isinstance(error, jobs.JobTimedOut):  # run in this process (without Redis)
        return True
    if isinstance(error, sa.exc.OperationalError) and type(error.orig).__name__ == "QueryCanceled":
        return True  # the statement limit set from the time left
    try:
        from rq.timeouts import JobTimeoutException
    except ImportError:  # pragma: no cover - RQ is there wherever jobs run on Redis
        return False
    return isinstance(error, JobTimeoutException)


def _preview(batch: ImportBatch, content: IO[bytes], progress: Callable[[int, int], None]) -> dict[str, Any]:
    if batch.kind is ImportKind.PEOPLE:
        return people.preview(content, progress)
    with services.preview(batch, streamed=True, content=content) as plan:  # (its scratch database let go at the end)
        result = plan_result(plan)
    progress(result["total"], result["total"])
    return result


def _confirm(batch: ImportBatch, content: IO[bytes], digest: str, actor: User,
             progress: Callable[[int, int], None]) -> None:
    if batch.kind is ImportKind.PEOPLE:
        summary = people.apply(content, digest=digest, previewed=batch.result or {}, actor=actor, progress=progress)
        services.record_import(batch=batch, summary=summary, actor=actor)
    else:
        services.confirm_import(batch=batch, digest=digest, actor=actor, progress=progress, streamed=True,
                                content=content)


def plan_result(plan: RowsPlan) -> dict[str, Any]:
    """A programme import's preview as the data the progress page shows, its rows gone through
    once (a large file's are planned again as they are: ``plan.PlannedAgain``)."""
    tally = people.Tally()
    summary = {NEW: 0, UPDATE: 0, UNCHANGED: 0, CANCEL: 0}
    digest = Digest()
    total = 0
    for row in plan.rows:
        total += 1
        tally.states[row.state] = tally.states.get(row.state, 0) + 1
        summary[row.action] += 1
        digest.add(plan.fingerprint(row))
        tally.keep(row.state, lambda row=row: {
            "line": row.line, "state": row.state, "action": row.action, "title": row.title,
            "changed": list(getattr(row, "changed_labels", [])) if row.action == "update" else [],
            "problems": [{"kind": kind, "cell": p.cell, "message": str(p.message)}
                         for kind, problems in (("error", row.errors), ("warning", row.warnings)) for p in problems],
        })
    rows = tally.shown()
    return {"states": tally.states, "summary": summary, "rows": rows, "digest": digest.hexdigest(),
            "notes": [str(n) for n in plan.notes], "shown": len(rows), "total": total}
