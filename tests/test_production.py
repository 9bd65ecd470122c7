"""Production serving: the gunicorn configuration, the health probe, and Redis shared by several
processes for the cache and the log-in throttle (set EXPO_REDIS_URL to run those, as CI does)."""
from __future__ import annotations

import http.cookiejar
import multiprocessing
import os
import signal
import subprocess
import sys
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from gunicorn.app.base import Application

from expo import create_app
from expo.config import load as load_config
from expo.core.extensions import cache, db
from tests.conftest import base_config, free_port

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "gunicorn.conf.py"
REDIS_URL = os.environ.get("EXPO_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/9)")
GUNICORN_ENV = ("WEB_CONCURRENCY", "EXPO_THREADS", "EXPO_BIND", "EXPO_ACCESS_LOG", "EXPO_TIMEOUT",
                "EXPO_PRELOAD", "EXPO_MAX_REQUESTS", "EXPO_CONTROL_SOCKET", "EXPO_KEEPALIVE", "EXPO_SWITCH_INTERVAL_MS")


class ConfigOnly(Application):
    """Reads gunicorn.conf.py exactly as ``gunicorn -c`` does, without serving anything."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__()

    def load_config(self) -> None:
        self.load_config_from_file(str(self.path))

    def load(self):  # pragma: no cover - never served
        raise AssertionError("only the configuration is read")


@pytest.fixture
def clean_env(monkeypatch):
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_gunicorn_config_defaults(clean_env):
    cfg = ConfigOnly(CONFIG).cfg

    assert cfg.workers == multiprocessing.cpu_count() * 2 + 1
    assert cfg.worker_class_str == "gthread"
    assert cfg.threads == 4
    assert cfg.preload_app is True
    assert cfg.timeout == 30
    assert cfg.bind == ["127.0.0.1:8000"]
    assert cfg.accesslog == "-"
    assert "%(M)s" in cfg.access_log_format
    assert cfg.forwarded_allow_ips == ["127.0.0.1", "::1"]
    assert callable(cfg.post_fork)


def test_gunicorn_config_from_environment(clean_env):
    clean_env.setenv("WEB_CONCURRENCY", "3")
    clean_env.setenv("EXPO_THREADS", "2")
    clean_env.setenv("EXPO_BIND", "0.0.0.0:9000,unix:/run/expo.sock")
    clean_env.setenv("EXPO_ACCESS_LOG", "off")
    clean_env.setenv("EXPO_PRELOAD", "no")
    clean_env.setenv("EXPO_MAX_REQUESTS", "1000")

    cfg = ConfigOnly(CONFIG).cfg

    assert (cfg.workers, cfg.threads) == (3, 2)
    assert cfg.bind == ["0.0.0.0:9000", "unix:/run/expo.sock"]
    assert cfg.accesslog is None
    assert cfg.preload_app is False
    assert (cfg.max_requests, cfg.max_requests_jitter) == (1000, 100)


def test_worker_threads_take_turns_every_millisecond(clean_env, monkeypatch):
    intervals: list[float] = []
    monkeypatch.setattr("sys.setswitchinterval", intervals.append)
    ConfigOnly(CONFIG).cfg.post_fork(None, None)
    clean_env.setenv("EXPO_SWITCH_INTERVAL_MS", "5")
    ConfigOnly(CONFIG).cfg.post_fork(None, None)
    assert intervals == [0.001, 0.005]


def test_what_the_master_loaded_is_out_of_the_collectors_sight_in_the_workers(clean_env, monkeypatch):
    frozen: list[bool] = []
    monkeypatch.setattr("gc.freeze", lambda: frozen.append(True))
    ConfigOnly(CONFIG).cfg.pre_fork(None, None)
    assert frozen == [True]



class Served:
    """The app under gunicorn with gunicorn.conf.py, in a process of its own."""

    def __init__(self, tmp_path: Path, name: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.error_log = tmp_path / f"{name}-error.log"
        self.access_log = tmp_path / f"{name}-access.log"
        full_env = dict(os.environ, EXPO_BIND=f"127.0.0.1:{self.port}", WEB_CONCURRENCY="1", EXPO_THREADS="2",
                        EXPO_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite'}", EXPO_SECRET_KEY="serve-test",
                        EXPO_ACCESS_LOG=str(self.access_log), EXPO_ERROR_LOG=str(self.error_log))
        full_env.pop("EXPO_REDIS_URL", None)
        full_env.update(env)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen([str(gunicorn), "-c", str(CONFIG), "wsgi:app"], cwd=ROOT, env=full_env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def wait_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.error_log.read_text()
            try:
                if self.request("/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"no answer from gunicorn in {seconds} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=40)


def test_gunicorn_serves_the_app_with_this_configuration(tmp_path, clean_env):
    """Two preloaded gthread workers answer, and the access log records each request's time."""
    server = Served(tmp_path, "serve", WEB_CONCURRENCY="2")
    try:
        server.wait_ready()
        answers = [server.request("/health") for _ in range(6)]
        assert answers == [(200, b'{"status":"ok"}\n')] * 6
        time.sleep(0.5)
        assert 'GET /health HTTP/1.1" 200' in server.access_log.read_text()
    finally:
        server.stop()
    assert server.error_log.read_text().count("Booting worker") == 2


def test_health_answers_503_when_the_database_is_unreachable(tmp_path):
    port = free_port()  # nothing listens there
    app = create_app(base_config(tmp_path, DATABASE_URL=f"postgresql+psycopg://expo@127.0.0.1:{port}/expo"))

    response = app.test_client().get("/health")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    with app.app_context():
        db.engine.dispose()


# --- several app servers sharing Redis --------------------------------------------------------

def test_redis_url_selects_the_shared_backends(tmp_path):
    values = load_config(str(tmp_path), {"SECRET_KEY": "x", "REDIS_URL": "redis://cache.internal:6379/2"})

    assert values["CACHE_TYPE"] == "expo.core.resilient_redis.RedisCache"
    assert values["CACHE_REDIS_URL"] == "redis://cache.internal:6379/2"
    assert values["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379/2"


def test_without_redis_each_process_keeps_its_own(tmp_path, monkeypatch):
    monkeypatch.delenv("EXPO_REDIS_URL", raising=False)
    values = load_config(str(tmp_path), {"SECRET_KEY": "x"})

    assert values["CACHE_TYPE"] == "SimpleCache"
    assert values["RATELIMIT_STORAGE_URI"] == "memory://"


@needs_redis
def test_cache_is_shared_between_app_servers(app, tmp_path):
    """What one server caches (the feeds' generation, built feeds) another one reads."""
    prefix = f"expo-test-{uuid.uuid4().hex}:"
    # Throttling stays off and in memory, as in the rest of the suite: only the cache differs.
    servers = [create_app(base_config(tmp_path, DATABASE_URL=app.config["DATABASE_URL"], CACHE_TYPE="RedisCache",
                                      CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix))
               for _ in range(2)]

    with servers[0].app_context():
        assert cache.cache.__class__.__name__ == "RedisCache"
        cache.set("calendar:generation", "g-1", timeout=60)
    with servers[1].app_context():
        seen = cache.get("calendar:generation")
        cache.delete("calendar:generation")

    assert seen == "g-1"
    for server in servers:
        with server.app_context():
            db.engine.dispose()


@needs_redis
def test_login_throttle_is_shared_between_app_servers(tmp_path, clean_env):
    """Failed log-ins counted by one server count on the other too: a password guesser gains
    nothing from a load balancer spreading the guesses."""
    database = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    schema = create_app(base_config(tmp_path, DATABASE_URL=database))
    with schema.app_context():
        db.create_all()
        db.engine.dispose()
    env = {"EXPO_REDIS_URL": REDIS_URL, "EXPO_LOGIN_RATE_LIMIT": "2 per minute", "EXPO_DATABASE_URL": database}
    servers = [Served(tmp_path, name, **env) for name in ("one", "two")]
    try:
        for server in servers:
            server.wait_ready()
        email = f"guesser-{uuid.uuid4().hex}@example.org"

        def guess(server: Served, address: str) -> int:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                              r'name="csrf_token" value="([^"]+)"', server.request("/account/login")[1].decode())
            assert token, "the log-in form has a CSRF token"
            form = {"csrf_token": token.group(1) or token.group(2), "email": address, "password": "wrong"}
            return server.request("/account/login", form)[0]

        statuses = [guess(servers[i % 2], email) for i in range(3)]
        other = guess(servers[0], f"other-{uuid.uuid4().hex}@example.org")
    finally:
        for server in servers:
            server.stop()

    assert statuses == [200, 200, 429]
    assert other == 200
