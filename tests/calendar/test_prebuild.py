"""After a schedule change, one job builds the expo's and each published event's feed ahead,
so the first calendar app finds it cached; before the job runs, the feed is built on demand."""
from __future__ import annotations

import os

import pytest

from expo.calendar import prebuild
from expo.core import jobs
from expo.core.extensions import db as _db
from tests.conftest import must_run_in_ci
from tests.factories import make_event, make_session
from tests.querycount import count_queries

REDIS_URL = os.environ.get("EXPO_REDIS_URL")


@pytest.fixture
def programme(db):
    event = make_event(slug="h22-programme", name="H22 programme")
    talk = make_session(event=event, title="Cities of tomorrow")
    db.session.commit()
    return event, talk


@pytest.fixture
def paused_app(make_app):
    """An app with its jobs in a background thread that waits until the test resumes it."""
    app = make_app(JOB_QUEUE="thread", PREBUILD_FEEDS=True)
    runner = jobs.thread_runner(app)
    runner.paused = True
    yield app, runner
    runner.resume()
    runner.wait_idle()


def _rename(app, session_id: int, title: str) -> None:
    from expo.programme.models import ProgrammeSession

    with app.app_context():
        _db.session.get(ProgrammeSession, session_id).title = title
        _db.session.commit()


def _feed(app, path: str) -> tuple[str, int]:
    client = app.test_client()
    with app.app_context(), count_queries() as log:
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True), log.count


def test_changes_queue_one_prebuild_and_the_feed_is_ready_after_it(programme, paused_app):
    event, talk = programme
    app, runner = paused_app
    _rename(app, talk.id, "Mobility hubs")
    _rename(app, talk.id, "Mobility hubs of Helsingborg")
    assert runner.waiting() == 1  # two changes, one pending rebuild
    runner.resume()
    assert runner.wait_idle()
    body, queries = _feed(app, f"/events/{event.slug}/calendar.ics")
    assert "SUMMARY:Mobility hubs of Helsingborg" in body
    # Built by the job: the schedule's generation is all the request reads (and the feed's
    # fingerprint, should the cache not answer in time on a busy machine).
    assert queries <= 2
    expo_body, _ = _feed(app, "/calendar.ics")
    assert "SUMMARY:Mobility hubs of Helsingborg" in expo_body


def test_before_the_job_ran_the_feed_is_built_on_demand(programme, paused_app):
    event, talk = programme
    app, runner = paused_app
    _rename(app, talk.id, "Harbour walk")
    assert runner.waiting() == 1
    body, queries = _feed(app, f"/events/{event.slug}/calendar.ics")
    assert "SUMMARY:Harbour walk" in body
    assert queries > 2  # the event and its sessions load to build it


def test_a_change_while_the_job_runs_queues_the_next(programme, paused_app):
    _event, talk = programme
    app, runner = paused_app
    with app.app_context():
        assert jobs.enqueue_unique(prebuild.prebuild_feeds, key=prebuild.JOB_KEY) is True
        assert jobs.enqueue_unique(prebuild.prebuild_feeds, key=prebuild.JOB_KEY) is False
    runner.resume()
    assert runner.wait_idle()
    runner.paused = True
    _rename(app, talk.id, "Asked again")  # the first job has started: this one is queued
    assert runner.waiting() == 1


def test_bookings_queue_no_prebuild(app, db, programme, monkeypatch):
    from tests.factories import make_booking

    _event, talk = programme
    monkeypatch.setitem(app.config, "JOB_QUEUE", "thread")
    monkeypatch.setitem(app.config, "PREBUILD_FEEDS", True)
    runner = jobs.thread_runner(app)
    runner.paused = True
    try:
        make_booking(session=talk)
        db.session.commit()
        assert runner.waiting() == 0  # a booking changes no feed built ahead
        talk.title = "Renamed"
        db.session.commit()
        assert runner.waiting() == 1  # a change to the schedule does
    finally:
        runner.resume()
    assert runner.wait_idle()


def test_with_redis_changes_queue_one_prebuild_for_the_worker(programme, make_app):
    if not REDIS_URL:
        must_run_in_ci("Redis queue tests", "EXPO_REDIS_URL is not set",
                       "set it to a Redis database of your own, e.g. redis://127.0.0.1:6379/9")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    event, talk = programme
    app = make_app(JOB_QUEUE="redis", REDIS_URL=REDIS_URL, PREBUILD_FEEDS=True)
    try:
        _rename(app, talk.id, "Kept for the worker")
        _rename(app, talk.id, "Kept for the worker and renamed")
        with app.app_context():
            assert jobs.redis_queue(app).count == 1
            result = app.test_cli_runner().invoke(args=["expo", "worker", "--burst"])
        assert result.exit_code == 0, result.output
        body, queries = _feed(app, f"/events/{event.slug}/calendar.ics")
        assert "SUMMARY:Kept for the worker and renamed" in body
        assert queries <= 2
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()
