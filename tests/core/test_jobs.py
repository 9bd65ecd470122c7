"""Jobs run after the commit: in a background thread of the web process without Redis, on an RQ
queue run by `flask expo worker` with Redis (these tests use the real Redis of EXPO_REDIS_URL,
as CI does), and in this process when Redis cannot take them."""
from __future__ import annotations

import os
import socket
import time

import pytest
import sqlalchemy as sa

from expo.core import jobs, mailqueue
from expo.core.extensions import db as _db
from expo.core.mailqueue import MailStatus, OutgoingMail
from tests.conftest import log_in, must_run_in_ci
from tests.registration.conftest import at, future_event, future_session, registered

REDIS_URL = os.environ.get("EXPO_REDIS_URL")

ran: list[tuple] = []


def record(*args) -> None:
    """A job for these tests."""
    ran.append(args)


def fail_twice(key: str) -> None:
    """A job that fails its first two runs."""
    ran.append((key,))
    if len(ran) < 3:
        raise OSError("not yet")


@pytest.fixture(autouse=True)
def _forget():
    ran.clear()


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        must_run_in_ci("Redis queue tests", "EXPO_REDIS_URL is not set",
                       "set it to a Redis database of your own, e.g. redis://127.0.0.1:6379/9")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    yield REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_mode_follows_redis_unless_chosen(make_app):
    assert jobs.mode(make_app(JOB_QUEUE="")) == "thread"
    assert jobs.mode(make_app(JOB_QUEUE="", REDIS_URL="redis://127.0.0.1:1/0")) == "redis"
    with pytest.raises(ValueError, match="JOB_QUEUE"):
        jobs.mode(make_app(JOB_QUEUE="celery"))


def test_a_job_queued_in_a_transaction_runs_only_after_its_commit(db, make_app):
    app = make_app(JOB_QUEUE="thread")
    with app.app_context():
        _db.session.execute(sa.text("SELECT 1"))  # a transaction is under way
        jobs.enqueue_after_commit(record, "rolled back")
        _db.session.rollback()
        jobs.enqueue_after_commit(record, "committed", 1)
        assert ran == []
        _db.session.commit()
    assert jobs.thread_runner(app).wait_idle()
    assert ran == [("committed", 1)]


def test_the_thread_retries_with_growing_waits(db, make_app, caplog):
    app = make_app(JOB_QUEUE="thread", JOB_RETRY_INTERVALS=(0.05, 0.1))
    with app.app_context():
        jobs.enqueue(fail_twice, "x")
    assert jobs.thread_runner(app).wait_idle()
    assert ran == [("x",), ("x",), ("x",)]
    assert [r.message for r in caplog.records if "trying again" in r.message] == [
        "job tests.core.test_jobs.fail_twice failed; trying again in 0.05 s",
        "job tests.core.test_jobs.fail_twice failed; trying again in 0.1 s",
    ]


def test_with_redis_the_job_waits_for_a_worker(db, make_app, redis_url):
    app = make_app(JOB_QUEUE="redis", REDIS_URL=redis_url)
    with app.app_context():
        jobs.enqueue_after_commit(record, "hello", 2)
        _db.session.commit()
        assert jobs.redis_queue(app).count == 1
        assert ran == []
        result = app.test_cli_runner().invoke(args=["expo", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert ran == [("hello", 2)]
    with app.app_context():
        assert jobs.redis_queue(app).count == 0


def test_with_redis_a_failing_job_is_retried_by_the_worker(db, make_app, redis_url):
    app = make_app(JOB_QUEUE="redis", REDIS_URL=redis_url, JOB_RETRY_INTERVALS=(0, 0))
    with app.app_context():
        jobs.enqueue(fail_twice, "y")
        jobs.work(app, burst=True)
    assert ran == [("y",), ("y",), ("y",)]


def test_with_redis_a_booking_mail_goes_out_through_the_worker(db, smtp_app, smtp_server, redis_url):
    event = future_event()
    session = future_session(event, title="Mobility hubs")
    user = registered(event)
    db.session.commit()
    app = smtp_app(JOB_QUEUE="redis", REDIS_URL=redis_url)
    client = app.test_client()
    log_in(client, user)

    assert client.post(f"/sessions/{session.id}/book").status_code == 302
    assert smtp_server.received == []
    with app.app_context():
        jobs.work(app, burst=True)

    [(_conn, [recipient], message)] = smtp_server.received
    assert (recipient, message["Subject"]) == (user.email, "Booking confirmed: Mobility hubs")
    db.session.expire_all()
    assert db.session.scalar(sa.select(OutgoingMail.status)) is MailStatus.SENT


def test_with_redis_bookings_share_one_job_and_a_refused_batch_waits_its_back_off(db, smtp_app, smtp_server,
                                                                                   redis_url):
    from rq.registry import ScheduledJobRegistry

    event = future_event()
    sessions = [future_session(event, start=at(8 + i)) for i in range(2)]
    user = registered(event)
    db.session.commit()
    app = smtp_app(JOB_QUEUE="redis", REDIS_URL=redis_url, JOB_RETRY_INTERVALS=(60, 120))
    client = app.test_client()
    log_in(client, user)
    for session in sessions:
        assert client.post(f"/sessions/{session.id}/book").status_code == 302
    smtp_server.unavailable = 1  # "421 not available" to the first connection
    with app.app_context():
        queue = jobs.redis_queue(app)
        assert queue.count == 1  # two bookings, one job
        jobs.work(app, burst=True)
        # The batch is tried again in a minute, by a job of its own; the key is free again.
        assert ScheduledJobRegistry(queue=queue).count == 1
        assert queue.connection.get(jobs.PENDING_PREFIX + mailqueue.FRESH_JOB) is None
    assert smtp_server.received == []
    db.session.expire_all()
    assert {(row.status, row.attempts) for row in db.session.scalars(sa.select(OutgoingMail))} == {
        (MailStatus.QUEUED, 1)}


def test_when_redis_is_down_the_web_process_runs_the_job(db, make_app, caplog):
    app = make_app(JOB_QUEUE="redis", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    with app.app_context():
        jobs.enqueue_after_commit(record, "still done")
        _db.session.commit()
    assert jobs.thread_runner(app).wait_idle()
    assert ran == [("still done",)]
    assert any("Redis did not take the job" in r.message for r in caplog.records)


def test_when_redis_is_down_booking_still_mails(db, smtp_app, smtp_server):
    event = future_event()
    session = future_session(event, title="Mobility hubs")
    user = registered(event)
    db.session.commit()
    app = smtp_app(JOB_QUEUE="redis", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    client = app.test_client()
    log_in(client, user)
    assert client.post(f"/sessions/{session.id}/book").status_code == 302
    assert jobs.thread_runner(app).wait_idle()
    assert [recipients for _c, recipients, _m in smtp_server.received] == [[user.email]]


def test_the_worker_command_refuses_to_start_without_redis(make_app):
    result = make_app(JOB_QUEUE="thread").test_cli_runner().invoke(args=["expo", "worker", "--burst"])
    assert result.exit_code != 0
    assert "set EXPO_REDIS_URL" in result.output


def test_mail_jobs_name_a_function_the_worker_can_import():
    assert jobs.resolve(jobs.path_of(mailqueue.deliver)) is mailqueue.deliver


def test_the_worker_queues_again_mail_whose_job_was_lost(db, smtp_app, smtp_server, redis_url):
    from datetime import timedelta

    from expo.core.timeutil import utcnow

    lost = OutgoingMail.of(mailqueue.mail.Message(to="ana@example.org", subject="Lost", body="Body"))
    lost.created_at = utcnow() - timedelta(hours=1)
    fresh = OutgoingMail.of(mailqueue.mail.Message(to="ben@example.org", subject="Fresh", body="Body"))
    db.session.add_all([lost, fresh])
    db.session.commit()
    app = smtp_app(JOB_QUEUE="redis", REDIS_URL=redis_url)

    with app.app_context():
        result = app.test_cli_runner().invoke(args=["expo", "worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert "1 e-mails were still waiting" in result.output
    assert [recipients for _c, recipients, _m in smtp_server.received] == [["ana@example.org"]]


import threading  # noqa: E402 - for the lane test alone

_release = threading.Event()


def block() -> None:
    """A long job for these tests: runs until released."""
    ran.append(("long started",))
    _release.wait(10)
    ran.append(("long done",))


def test_a_job_in_a_lane_of_its_own_never_holds_up_the_others(db, make_app):
    app = make_app(JOB_QUEUE="thread")
    _release.clear()
    try:
        with app.app_context():
            _db.session.execute(sa.text("SELECT 1"))
            jobs.enqueue_after_commit(block, lane="long")
            _db.session.commit()
            jobs.enqueue(record, "mail")
        assert jobs.thread_runner(app).wait_idle(5)
        assert ("mail",) in ran and ("long done",) not in ran
        assert jobs.thread_runner(app, "long") is not jobs.thread_runner(app)
    finally:
        _release.set()
    assert jobs.thread_runner(app, "long").wait_idle(5)
    assert ran[-1] == ("long done",)


def slow(marker: str, seconds: float) -> None:
    """A long job for these tests, run by a worker of its own process: says when it started,
    then takes its time."""
    import time
    from pathlib import Path

    Path(marker).write_text("started")
    time.sleep(seconds)
    Path(marker).write_text("done")


def test_with_redis_lane_jobs_go_to_the_queue_of_long_jobs(db, make_app, redis_url):
    app = make_app(JOB_QUEUE="redis", REDIS_URL=redis_url)
    with app.app_context():
        jobs.enqueue(record, "mail", lane=None)
        jobs.enqueue(record, "solve", lane="assistant")
        assert jobs.redis_queue(app).count == 1 and jobs.redis_queue(app, long=True).count == 1
        result = app.test_cli_runner().invoke(args=["expo", "worker", "--burst", "--queue", "mail"])
        assert result.exit_code == 0, result.output
        assert ran == [("mail",)] and jobs.redis_queue(app, long=True).count == 1
        assert app.test_cli_runner().invoke(args=["expo", "worker", "--burst", "--queue", "long"]).exit_code == 0
    assert ran == [("mail",), ("solve",)]


def test_with_redis_an_e_mail_goes_out_while_the_worker_runs_a_long_job(db, smtp_app, smtp_server, redis_url,
                                                                        tmp_path):
    """`flask expo worker`, as in production (a process of its own, both queues): a booking's
    e-mail is sent while an assistant's run (here, a job that sleeps) is still under way."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    event = future_event()
    session = future_session(event, title="Mobility hubs")
    user = registered(event)
    db.session.commit()
    app = smtp_app(JOB_QUEUE="redis", REDIS_URL=redis_url)
    marker = tmp_path / "long-job"
    with app.app_context():
        jobs.enqueue(slow, str(marker), 60, lane="assistant")
    env = {
        **os.environ, "EXPO_REDIS_URL": redis_url, "EXPO_DATABASE_URL": app.config["DATABASE_URL"],
        "EXPO_INSTANCE_PATH": str(tmp_path / "worker"), "EXPO_SECRET_KEY": "worker-test",
        "EXPO_MAIL_SERVER": "127.0.0.1", "EXPO_MAIL_PORT": str(smtp_server.server_address[1]),
        "EXPO_MAIL_USE_TLS": "no", "EXPO_MAIL_DEFAULT_SENDER": "Expo <noreply@expo.test>",
    }
    root = Path(__file__).resolve().parents[2]
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "expo", "worker"], cwd=root, env=env,
                              start_new_session=True)

    def wait_for(condition, seconds: float = 60) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            assert worker.poll() is None, "the worker stopped"
            time.sleep(0.2)
        return False

    try:
        assert wait_for(lambda: marker.exists()), "the long job never started"
        client = app.test_client()
        log_in(client, user)
        assert client.post(f"/sessions/{session.id}/book").status_code == 302
        assert wait_for(lambda: smtp_server.received, 30), "the e-mail waited behind the long job"
        assert marker.read_text() == "started"  # the long job is still under way
        [(_conn, [recipient], message)] = smtp_server.received
        assert (recipient, message["Subject"]) == (user.email, "Booking confirmed: Mobility hubs")
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


def in_steps(seconds: float) -> None:
    """A job for these tests: works in ten steps, asking at each whether its time is up."""
    import time

    try:
        for _ in range(10):
            time.sleep(seconds / 10)
            jobs.check_time()
    except jobs.JobTimedOut:
        ran.append(("timed out",))
    else:
        ran.append(("finished",))


def test_a_job_run_by_the_thread_stops_at_its_next_step_once_its_time_out_is_up(db, make_app):
    app = make_app(JOB_QUEUE="thread")
    with app.app_context():
        jobs.enqueue(in_steps, 5.0, lane="long", timeout=1)
        jobs.enqueue(in_steps, 0.2, lane="long", timeout=60)
        jobs.enqueue(in_steps, 0.2, lane="long")
    started = time.monotonic()
    assert jobs.thread_runner(app, "long").wait_idle(10)
    assert ran == [("timed out",), ("finished",), ("finished",)]
    assert time.monotonic() - started < 3  # the first stopped after its second, not its five
