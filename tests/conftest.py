"""Fixtures shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when ``EXPO_TEST_DATABASE_URL`` is set.
Every test starts from a clean database (countries, which are reference data, stay)."""
from __future__ import annotations

import contextvars
import email
import email.message
import os
import socket
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from expo import create_app
from expo.accounts.models import Role, User
from expo.core.extensions import cache, db as _db
from tests import factories

TEST_DATABASE_URL = os.environ.get("EXPO_TEST_DATABASE_URL")
REFERENCE_TABLES = {"countries"}
PASSWORD = factories.PASSWORD


def pytest_report_header(config):
    return f"expo database: {TEST_DATABASE_URL or 'SQLite (set EXPO_TEST_DATABASE_URL for PostgreSQL)'}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_config(tmp_dir: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_dir / 'expo-test.sqlite'}",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "CACHE_TYPE": "SimpleCache",
        "REDIS_URL": None,
        "JOB_QUEUE": "eager",
        # Tests of the feeds' pre-building turn it on; elsewhere each change would build every feed.
        "PREBUILD_FEEDS": False,
        "BASE_URL": "http://expo.test",
    }
    config.update(overrides)
    return config


class IsolatedClient(FlaskClient):
    """Runs each request in a context of its own, as in production: its own application
    context, ``g`` and database session, so a view that forgets to commit fails its test.
    Afterwards the test's own session is expired so it reads what the request wrote."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    tmp_dir = tmp_path_factory.mktemp("expo")
    # Every app of the suite (and gunicorn started by it) keeps its instance folder here,
    # never in a real installation's.
    os.environ["EXPO_INSTANCE_PATH"] = str(tmp_dir)
    application = create_app(base_config(tmp_dir))
    application.test_client_class = IsolatedClient
    with application.app_context():
        _db.drop_all()
        _db.create_all()
        from expo.people.services import sync_countries

        sync_countries()
        _db.session.commit()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _clean(app: Flask) -> None:
    with app.app_context():
        _db.session.remove()
        tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
        with _db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(table.delete())
        cache.clear()
        app.extensions.get("expo_outbox", []).clear()


@pytest.fixture(autouse=True)
def db(app: Flask) -> Iterator:
    """The database, empty but for the countries, inside an application context."""
    with app.app_context():
        yield _db
        _db.session.remove()
    _clean(app)


@pytest.fixture(autouse=True)
def _postgres_marker(request) -> None:
    """Tests marked ``postgres`` (row locks, concurrent transactions) mean something only on
    PostgreSQL: on any other database they are skipped, and fail in CI."""
    if request.node.get_closest_marker("postgres") is None:
        return
    if TEST_DATABASE_URL and sa.engine.make_url(TEST_DATABASE_URL).get_backend_name() == "postgresql":
        return
    must_run_in_ci("PostgreSQL tests", "the test database is not PostgreSQL",
                   "set EXPO_TEST_DATABASE_URL to a PostgreSQL database to run them")


@pytest.fixture
def make_app(app: Flask, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Another app on the test database with some settings changed; its connections are
    closed after the test."""
    created: list[Flask] = []

    def _make(**overrides) -> Flask:
        overrides.setdefault("DATABASE_URL", app.config["DATABASE_URL"])
        application = create_app(base_config(tmp_path / f"app{len(created)}", **overrides))
        application.test_client_class = IsolatedClient
        created.append(application)
        return application

    yield _make
    for application in created:
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app: Flask) -> list:
    from expo.core.mail import outbox as _outbox

    return _outbox()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greeting, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server: SMTPServer = self.server  # type: ignore[assignment]
        server.hold.wait(timeout=30)
        server.connections += 1
        if server.unavailable > 0:
            server.unavailable -= 1
            self.reply("421 expo.test service not available")
            return
        self.reply("220 expo.test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "RCPT" and any(bad in command for bad in server.refuse):
                self.reply("550 no such mailbox")
            elif verb == "RCPT" and (busy := next((b for b in server.busy_once if b in command), None)):
                server.busy_once.discard(busy)
                self.reply("451 mailbox busy, try again later")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(part)
                data = b"".join(lines)
                server.received.append((server.connections, recipients, email.message_from_bytes(data)))
                recipients = []
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            elif verb in ("EHLO", "HELO", "MAIL", "RSET", "NOOP"):
                recipients = [] if verb in ("MAIL", "RSET") else recipients
                self.reply("250 ok")
            else:
                self.reply("502 not implemented")


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.connections = 0
        self.received: list[tuple[int, list[str], email.message.Message]] = []
        self.refuse: set[str] = set()  # recipients refused for good (550)
        self.busy_once: set[str] = set()  # recipients refused once, for now (451)
        self.unavailable = 0  # connections answered "421 not available" before it serves again
        self.hold = threading.Event()  # cleared: connections wait before the greeting (a slow server)
        self.hold.set()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A mail server on a free port of 127.0.0.1 that keeps what it receives: for each
    message, the number of the connection it came over, its recipients and the message."""
    server = SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.hold.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def smtp_app(make_app, smtp_server) -> Callable[..., Flask]:
    """Another app (not TESTING) that sends its e-mail to ``smtp_server``."""

    def _make(**overrides) -> Flask:
        return make_app(TESTING=False, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1],
                        MAIL_USE_TLS=False, MAIL_DEFAULT_SENDER="Expo <noreply@expo.test>", **overrides)

    return _make


def log_in(client: FlaskClient, user: User | str, password: str = PASSWORD) -> None:
    """Sign ``client`` in as ``user`` (or the account of that e-mail address)."""
    email = user if isinstance(user, str) else user.email
    response = client.post("/account/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def signed_in(server: Flask, user: User | str) -> FlaskClient:
    """A new client of ``server``, signed in as ``user``."""
    client = server.test_client()
    log_in(client, user)
    return client


@contextmanager
def redis_servers(make_app: Callable[..., Flask], count: int = 2, **settings) -> Iterator[list[Flask]]:
    """App servers sharing the test Redis (EXPO_REDIS_URL) under a key prefix of their own,
    emptied afterwards; skips the test without it."""
    url = os.environ.get("EXPO_REDIS_URL")
    if not url:
        pytest.skip("set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/9)")
    prefix = f"expo-test-{uuid.uuid4().hex}:"
    made = [make_app(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url, CACHE_KEY_PREFIX=prefix, **settings)
            for _ in range(count)]
    try:
        yield made
    finally:
        with made[0].app_context():
            cache.clear()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., User]:
    """Create a user with the given role, sign the test client in as them, return the user."""

    def _login(role: str | Role = Role.DELEGATE, **fields) -> User:
        user = factories.make_user(role=Role(role), **fields)
        _db.session.commit()
        log_in(client, user)
        return user

    return _login


# --- browser tests --------------------------------------------------------------------------

CHROMIUM = os.environ.get("EXPO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def must_run_in_ci(kind: str, reason: str, remedy: str):
    """Tests that CI must run fail there when they cannot; elsewhere they are skipped with the reason."""
    if os.environ.get("CI"):
        pytest.fail(f"{kind} cannot run in CI: {reason}")
    pytest.skip(f"{kind} skipped: {reason} ({remedy})")


def _browser_unavailable(reason: str):
    must_run_in_ci("browser tests", reason, "install Debian's chromium to run them")


@pytest.fixture(scope="session")
def _browser():
    if not Path(CHROMIUM).exists():
        _browser_unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the [test] extra installs it
        _browser_unavailable("the playwright package is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as error:  # noqa: BLE001 - report why the browser did not start
        playwright.stop()
        _browser_unavailable(f"Chromium did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="session")
def live_app(app: Flask, tmp_path_factory) -> Iterator[Flask]:
    """A second app on the same test database, with CSRF on, as a browser meets it."""
    tmp_dir = tmp_path_factory.mktemp("expo-live")
    config = base_config(tmp_dir, DATABASE_URL=app.config["DATABASE_URL"], WTF_CSRF_ENABLED=True)
    application = create_app(config)
    application.test_client_class = IsolatedClient
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def live_server(live_app: Flask):
    """The app served over HTTP on a free port of 127.0.0.1, in a thread."""
    import threading
    from types import SimpleNamespace

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    # Absolute links (feeds, subscribe buttons) start with BASE_URL: this server's address.
    base_url, live_app.config["BASE_URL"] = live_app.config["BASE_URL"], url
    yield SimpleNamespace(url=url, app=live_app)
    live_app.config["BASE_URL"] = base_url
    server.shutdown()
    thread.join(timeout=5)
    with live_app.app_context():
        _db.session.remove()


@pytest.fixture
def page(_browser, live_server):
    """A fresh browser tab (desktop size) whose relative URLs go to the live server."""
    context = _browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
