"""PostgreSQL down, silent or slow: every request answers in bounded time with a page that asks
the visitor to try again (503 and Retry-After), nothing half-written, and the site comes back
by itself (docs/production.md, "What happens when PostgreSQL is down or slow")."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from expo.core.errors import DATABASE_RETRY_AFTER
from expo.core.extensions import db as _db
from expo.registration.models import Booking
from tests.conftest import TEST_DATABASE_URL, free_port, log_in
from tests.registration.conftest import future_event, future_session, registered

MESSAGE = "Expo cannot reach its database just now. Please try again in a minute."



@contextmanager
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never says a word (a stalled PostgreSQL)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def _asks_to_try_again(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DATABASE_RETRY_AFTER)
    assert MESSAGE in response.get_data(as_text=True)


def test_postgresql_down_every_page_asks_to_try_again(make_app):
    down = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/expo")
    client = down.test_client()
    for path in ("/", "/venues/", "/networks/", "/sessions/1", "/calendar/expo.ics"):
        _asks_to_try_again(client.get(path))
    assert client.get("/account/login").status_code == 200  # a page that needs no data still draws
    _asks_to_try_again(client.post("/account/login", data={"email": "a@example.org", "password": "x"}))
    health = client.get("/health")
    assert health.status_code == 503 and health.get_json() == {"status": "error", "database": "unreachable"}


def test_swedish_visitors_are_asked_in_swedish(make_app):
    down = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/expo")
    response = down.test_client().get("/", headers={"Accept-Language": "sv"})
    assert response.status_code == 503
    assert "Expo når inte sin databas just nu. Försök igen om en minut." in response.get_data(as_text=True)


def test_postgresql_not_answering_gives_up_after_the_connect_timeout(make_app):
    with silent_server() as port:
        stalled = make_app(DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{port}/expo", DB_CONNECT_TIMEOUT=2)
        started = time.monotonic()
        _asks_to_try_again(stalled.test_client().get("/"))
        waited = time.monotonic() - started
    # Without the time-out the request waits for the server for ever (gunicorn kills it at 30 s).
    assert waited < 10, waited


def test_the_connect_timeout_reaches_the_driver(make_app):
    app = make_app(DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/expo", DB_CONNECT_TIMEOUT=3)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 3}


needs_postgres = pytest.mark.postgres


@needs_postgres
def test_statements_outside_requests_are_not_limited(make_app):
    limited = make_app(DB_STATEMENT_TIMEOUT=0.3)
    with limited.app_context():
        _db.session.execute(sa.text("SELECT pg_sleep(0.5)"))  # a command or a job: no limit
        _db.session.commit()
        with limited.test_request_context("/"):
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                _db.session.execute(sa.text("SELECT pg_sleep(0.5)"))
            _db.session.rollback()
        _db.session.execute(sa.text("SELECT pg_sleep(0.5)"))  # the same connection, out of the request again
        _db.session.commit()


@needs_postgres
def test_a_booking_stuck_behind_a_lock_answers_503_and_books_nothing(db, make_app):
    event = future_event(name="H22 City Expo Days", slug="h22-days")
    session = future_session(event, capacity=5, title="Harbour walk")
    delegate = registered(event)
    db.session.commit()
    limited = make_app(DB_STATEMENT_TIMEOUT=0.5)
    client = limited.test_client()
    log_in(client, delegate)
    holder = sa.create_engine(TEST_DATABASE_URL, poolclass=sa.pool.NullPool)
    try:
        with holder.connect() as other:
            # Someone else holds the session's row (an organiser's long change, a stuck transaction).
            other.execute(sa.text("SELECT id FROM programme_sessions WHERE id = :id FOR UPDATE"), {"id": session.id})
            started = time.monotonic()
            _asks_to_try_again(client.post(f"/sessions/{session.id}/book"))
            assert time.monotonic() - started < 10
            other.rollback()
    finally:
        holder.dispose()
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 0
    # The lock gone, the same delegate books at once, on the same connections.
    assert client.post(f"/sessions/{session.id}/book").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 1


@needs_postgres
def test_connections_cut_by_a_database_restart_cost_no_failed_request(db, make_app):
    served = make_app()
    client = served.test_client()
    assert client.get("/venues/").status_code == 200
    with served.app_context():
        assert _db.engine.pool.checkedin() >= 1
    # What a restart of PostgreSQL does to the connections the app keeps open.
    with db.engine.connect() as connection:
        cut = connection.scalar(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
    assert cut >= 1
    assert client.get("/venues/").status_code == 200
