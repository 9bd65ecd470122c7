"""An import's job that dies (the worker's time-out, a worker or web process that stopped) is
shown as failed with a message, and can be started again; import jobs get their own time-out."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.core import jobs
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.imports import people, services, tasks
from expo.imports.models import ImportBatch, ImportStatus, JobState
from tests.factories import make_user
from tests.imports.helpers import confirmed, csv_file, people_previewed

FILE = csv_file([["Carla Diaz", "carla@example.org"]], header=["Name", "E-mail"])


@pytest.fixture
def admin(db):
    user = make_user(role=Role.ADMIN, name="Admin Person")
    db.session.commit()
    return user


def _batch(admin: User, state: str, step: str, heartbeat_ago: timedelta) -> ImportBatch:
    batch = services.start_people_import(filename="people.csv", content=FILE, actor=admin)
    batch.job_state, batch.job_step, batch.job_heartbeat_at = state, step, utcnow() - heartbeat_ago
    db.session.commit()
    return batch


def test_a_running_job_silent_past_its_time_out_is_shown_failed_and_can_be_read_again(app, client, login_as):
    admin = login_as("admin")
    timeout = app.config["IMPORT_JOB_TIMEOUT"]
    alive = _batch(admin, JobState.RUNNING, tasks.PREVIEW, timedelta(seconds=timeout))
    dead = _batch(admin, JobState.RUNNING, tasks.PREVIEW, timedelta(seconds=timeout) + tasks.RUN_MARGIN
                  + timedelta(seconds=1))
    assert client.get(f"/manage/imports/{alive.id}/progress.json").get_json()["state"] == "running"
    assert client.get(f"/manage/imports/{dead.id}/progress.json").get_json()["state"] == "failed"
    page = client.get(f"/manage/imports/{dead.id}").get_data(as_text=True)
    assert "The import stopped before it finished" in page and "Read the file again" in page
    assert '<meta http-equiv="refresh"' not in page
    again = client.post(f"/manage/imports/{dead.id}/again")
    assert again.status_code == 302
    db.session.expire_all()
    batch = db.session.get(ImportBatch, dead.id)
    assert batch.job_state == JobState.DONE and batch.result["summary"]["new"] == 1 and batch.job_error is None


def test_a_queued_job_is_given_up_only_after_waiting_far_too_long(admin):
    waiting = _batch(admin, JobState.QUEUED, tasks.PREVIEW, tasks.QUEUE_MARGIN - timedelta(minutes=1))
    lost = _batch(admin, JobState.QUEUED, tasks.PREVIEW, tasks.QUEUE_MARGIN + timedelta(minutes=1))
    assert not tasks.settle(waiting) and waiting.job_state == JobState.QUEUED
    assert tasks.settle(lost) and lost.job_state == JobState.FAILED


def test_a_stopped_confirmation_changed_nothing_and_is_confirmed_again_from_its_preview(app, admin):
    batch = services.start_people_import(filename="people.csv", content=FILE, actor=admin)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
    db.session.commit()
    batch = db.session.get(ImportBatch, batch.id)
    batch.job_state, batch.job_step = JobState.RUNNING, tasks.CONFIRM
    batch.job_heartbeat_at = utcnow() - timedelta(seconds=app.config["IMPORT_JOB_TIMEOUT"]) - tasks.RUN_MARGIN * 2
    db.session.commit()
    with pytest.raises(Exception, match="Only an import whose reading failed"):
        tasks.start_again(batch=batch, actor=admin)  # settles it; a confirmation goes again by its button
    assert batch.job_state == JobState.FAILED
    tasks.start(batch=batch, step=tasks.CONFIRM, actor=admin, digest=batch.result["digest"])
    db.session.commit()
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status is ImportStatus.APPLIED and batch.job_state == JobState.DONE
    assert db.session.scalar(sa.select(User.name).where(User.email == "carla@example.org")) == "Carla Diaz"


def test_the_workers_time_out_inside_the_job_fails_it_with_the_message(admin, monkeypatch):
    from rq.timeouts import JobTimeoutException

    def out_of_time(*args, **kwargs):
        raise JobTimeoutException("Task exceeded maximum timeout value (1800 seconds)")

    batch = services.start_people_import(filename="people.csv", content=FILE, actor=admin)
    monkeypatch.setattr(people, "preview", out_of_time)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
    db.session.commit()
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.job_state == JobState.FAILED and batch.job_error.startswith("The import stopped before it finished")


def test_a_running_job_cannot_be_started_twice_and_only_a_failed_reading_is_started_again(admin):
    running = _batch(admin, JobState.RUNNING, tasks.PREVIEW, timedelta(seconds=5))
    with pytest.raises(Exception, match="being read"):
        tasks.start(batch=running, step=tasks.PREVIEW, actor=admin)
    with pytest.raises(Exception, match="Only an import whose reading failed"):
        tasks.start_again(batch=running, actor=admin)


def test_import_jobs_go_to_redis_with_their_own_time_out(app, monkeypatch, admin):
    queued = []

    class Queue:
        def __init__(self, long):
            self.long = long

        def enqueue(self, *args, **kwargs):
            queued.append((self.long, kwargs["job_timeout"]))

    monkeypatch.setitem(app.config, "JOB_QUEUE", "redis")
    monkeypatch.setitem(app.config, "IMPORT_JOB_TIMEOUT", 1234)
    monkeypatch.setattr(jobs, "redis_queue", lambda app=None, long=False: Queue(long))
    batch = services.start_people_import(filename="people.csv", content=FILE, actor=admin)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
    db.session.commit()
    jobs.enqueue(print, "an e-mail's job")
    assert queued == [(True, 1234), (False, app.config["JOB_TIMEOUT"])]  # the long jobs' queue, then e-mail's


def _stopped_and_nothing_changed(batch: ImportBatch) -> bool:
    return (batch.job_state == JobState.FAILED and batch.job_error.startswith("The import stopped before it finished")
            and batch.status is ImportStatus.PREVIEW
            and db.session.scalar(sa.select(User).where(User.email == "carla@example.org")) is None)


def test_a_job_run_in_this_process_past_its_time_out_fails_with_the_message_and_changes_nothing(app, admin, monkeypatch):
    batch = people_previewed(FILE, admin)
    monkeypatch.setitem(app.config, "IMPORT_JOB_TIMEOUT", 0)  # up before its first chunk is written
    batch = confirmed(batch, admin)
    assert _stopped_and_nothing_changed(batch)
    monkeypatch.setitem(app.config, "IMPORT_JOB_TIMEOUT", 1800)
    batch = confirmed(batch, admin)  # confirmed again
    assert batch.status is ImportStatus.APPLIED and batch.job_state == JobState.DONE
    assert db.session.scalar(sa.select(User.name).where(User.email == "carla@example.org")) == "Carla Diaz"


def test_a_confirmation_never_commits_once_its_time_is_up(app, admin, monkeypatch):
    batch = people_previewed(FILE, admin)
    apply = people.apply

    def slow_apply(*args, **kwargs):  # every chunk written in time, the last just as the time runs out
        summary = apply(*args, **kwargs)
        monkeypatch.setattr(jobs.time, "monotonic", lambda: float("inf"))
        return summary

    monkeypatch.setattr(people, "apply", slow_apply)
    tasks.start(batch=batch, step=tasks.CONFIRM, actor=admin, digest=batch.result["digest"])
    db.session.commit()
    monkeypatch.undo()
    db.session.expire_all()
    assert _stopped_and_nothing_changed(db.session.get(ImportBatch, batch.id))


@pytest.mark.postgres
def test_a_statement_that_would_outlast_the_time_out_is_stopped_by_the_database(app, admin, monkeypatch):
    import time

    batch = people_previewed(FILE, admin)
    apply = people.apply

    def stuck_apply(*args, progress, **kwargs):  # writes its first chunk, then waits as if on a lock
        summary = apply(*args, progress=progress, **kwargs)
        db.session.execute(sa.text("SELECT pg_sleep(30)"))
        return summary

    monkeypatch.setattr(people, "apply", stuck_apply)
    monkeypatch.setitem(app.config, "IMPORT_JOB_TIMEOUT", 2)
    started = time.monotonic()
    batch = confirmed(batch, admin)
    assert time.monotonic() - started < 10
    assert _stopped_and_nothing_changed(batch)
