"""Configuration: defaults here, then ``instance/expo.cfg``, then ``EXPO_*`` environment
variables, then the mapping passed to ``create_app`` (tests).

The instance folder (``expo.cfg``, the generated ``secret_key``, the development SQLite file) is
``instance/`` beside the code, or wherever ``EXPO_INSTANCE_PATH`` points: an installed package
(``pip install .``) keeps it out of site-packages that way."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class Defaults:
    # SQLite file in the instance folder; production sets EXPO_DATABASE_URL to PostgreSQL.
    DATABASE_URL: str | None = None
    # Signs cookies and CSRF tokens; generated once into instance/secret_key when unset.
    SECRET_KEY: str | None = None
    # The expo's own time zone, used where an event has none of its own.
    TIMEZONE = "Europe/Stockholm"
    # Languages offered in the interface; the first is the default.
    LANGUAGES = ("en", "sv")
    # Outgoing mail; with no MAIL_SERVER, messages are written to the log (development).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = True
    MAIL_DEFAULT_SENDER = "Expo <noreply@localhost>"
    # The e-mails of one change go out over one SMTP connection, at most this many on each.
    MAIL_MESSAGES_PER_CONNECTION = 100
    # Seconds to wait for the mail server to answer before the try counts as failed.
    MAIL_TIMEOUT = 20
    # Where slow work (e-mail) runs: "thread" (a background thread of each web process), "redis"
    # (an RQ queue on REDIS_URL, run by `flask --app wsgi expo worker`) or "eager" (at once, tests).
    # Empty: "redis" when REDIS_URL is set, else "thread".
    JOB_QUEUE = ""
    # Seconds before each retry of a failed job (back-off); a job is tried once more than listed.
    JOB_RETRY_INTERVALS = (30, 120, 600, 1800, 7200)
    # Seconds a job may run before the RQ worker stops it (a batch of e-mails to a slow server).
    JOB_TIMEOUT = 600
    # The same for jobs of minutes, on a queue of their own (the assistant's runs, imports).
    LONG_JOB_TIMEOUT = 7200
    # Uploads larger than this many bytes are previewed and imported by a job with a progress
    # page (people files always are).
    IMPORT_JOB_BYTES = 256 * 1024
    # Seconds an import's job may run before the RQ worker stops it: longer than an e-mail's, as
    # confirming fifty thousand people is one transaction. A job silent for longer (its worker
    # or web process stopped) is shown as failed, and can be started again.
    IMPORT_JOB_TIMEOUT = 1800
    # Fetching a schedule by its address: seconds to wait, and the largest schedule read.
    SCHEDULE_FETCH_TIMEOUT = 10.0
    SCHEDULE_FETCH_MAX_BYTES = 20 * 1024 * 1024
    # Schedules may be fetched from private, loopback and link-local addresses (a test server,
    # an intranet): off, so nobody can make Expo reach into its own network.
    SCHEDULE_FETCH_PRIVATE = False
    # Redis shared by all workers for caches and login throttling; in-process when unset.
    REDIS_URL: str | None = None
    # Seconds Redis may take to connect or answer before a command gives up (a cache miss).
    REDIS_TIMEOUT = 0.05
    # After this many Redis failures in a row, nobody asks it for REDIS_PAUSE seconds.
    REDIS_FAILURES = 3
    REDIS_PAUSE = 5.0
    # Failed log-ins allowed per e-mail address and client (device, or network address for a
    # device that never signed in to that account) before throttling.
    LOGIN_RATE_LIMIT = "5 per minute;20 per hour"
    # Failed log-ins allowed per network address over all accounts (password spraying); devices
    # that signed in to the account before are not counted or held back.
    LOGIN_ADDRESS_RATE_LIMIT = "30 per 10 minutes;100 per day"
    # Failed log-ins allowed per account from devices that never signed in to it; past that only
    # such known devices (and a password reset) still sign in, so a stranger locks out no owner.
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per hour;30 per day"
    # Sign-ups and password-reset requests per network address; resends of a verification
    # e-mail per account; reset e-mails per address asked for.
    SIGNUP_RATE_LIMIT = "10 per hour"
    PASSWORD_RESET_RATE_LIMIT = "10 per hour"
    PASSWORD_RESET_EMAIL_RATE_LIMIT = "3 per hour"
    VERIFICATION_RESEND_RATE_LIMIT = "3 per hour"
    # Seconds a password-reset link and an e-mail verification link stay valid.
    PASSWORD_RESET_MAX_AGE = 3600
    EMAIL_VERIFICATION_MAX_AGE = 86400
    # Password checks (scrypt) running at once in one process, and the seconds a request waits
    # for a free slot before it is answered 503: floods of log-ins cannot hold every thread.
    PASSWORD_CHECKS_AT_ONCE = 2
    PASSWORD_CHECK_WAIT = 10
    # Reverse proxies in front of Expo whose X-Forwarded-For/-Proto headers are trusted (0: none);
    # the client's address then comes from them (throttling counts per client address).
    PROXY_COUNT = 0
    # Public base URL: every absolute link (pages, feeds, e-mails) starts with it, whatever
    # Host a request names.
    BASE_URL = "http://127.0.0.1:5000"
    # Host names requests may address (a leading dot allows subdomains); others get 400.
    # Empty: the host of BASE_URL, localhost and 127.0.0.1.
    ALLOWED_HOSTS: tuple[str, ...] = ()
    # Right-hand side of every calendar UID; pin it before the site ever changes address,
    # or subscribed calendars see every session as new. Empty: the host of BASE_URL.
    CALENDAR_UID_DOMAIN = ""
    # Cookies travel only over HTTPS in production; development over plain HTTP keeps working.
    SECURE_COOKIES = False
    # Database connection pool (PostgreSQL): connections kept open per process and extra ones.
    DB_POOL_SIZE = 5
    DB_MAX_OVERFLOW = 10
    # Seconds to wait for PostgreSQL to accept a new connection before the request answers 503.
    DB_CONNECT_TIMEOUT = 5
    # Seconds a web request's SQL statement may run (a lock waited for included) before
    # PostgreSQL cancels it and the request answers 503: below gunicorn's EXPO_TIMEOUT, so a
    # stuck request answers instead of taking its worker down. 0: no limit. Commands, job
    # workers and migrations are not limited.
    DB_STATEMENT_TIMEOUT = 20.0
    # Password hashing (Werkzeug): scrypt, a memory-hard key derivation function.
    PASSWORD_HASH_METHOD = "scrypt"
    # Seconds a cached feed or export lives before it is rebuilt even without a change.
    CACHE_TIMEOUT = 3600
    # Seconds a public page stays cached for visitors who are not signed in (0: off). Changes
    # show at once; this only bounds what follows the clock, such as a session that has begun.
    PAGE_CACHE_TIMEOUT = 60
    # Seconds the drawn region of an organisers' table (rows, counts, filters, pager) stays in the
    # shared cache (0: off, each request draws it). Changes show at once; this only bounds a change
    # whose generation could not be moved (Redis unreachable just then). Redis only.
    TABLE_CACHE_TIMEOUT = 60
    # After each change to the schedule, a job builds the expo's and every published event's
    # calendar feed, so the first calendar app to ask finds it ready (one job waits at most).
    PREBUILD_FEEDS = True


_BOOLEAN = {"1": True, "true": True, "yes": True, "on": True,
            "0": False, "false": False, "no": False, "off": False}


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        try:
            return _BOOLEAN[raw.strip().lower()]
        except KeyError:
            raise ValueError(f"not a yes/no value: {raw!r}") from None
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def instance_path() -> str | None:
    """The folder named by EXPO_INSTANCE_PATH, made absolute; None keeps Flask's default."""
    raw = os.environ.get("EXPO_INSTANCE_PATH", "").strip()
    return str(Path(raw).expanduser().resolve()) if raw else None


def load(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the instance file, EXPO_* variables and overrides into Flask config."""
    values: dict[str, Any] = {k: v for k, v in vars(Defaults).items() if k.isupper()}
    instance_file = Path(instance_path) / "expo.cfg"
    if instance_file.exists():
        scope: dict[str, Any] = {}
        exec(compile(instance_file.read_text(), str(instance_file), "exec"), scope)  # noqa: S102
        values.update({k: v for k, v in scope.items() if k.isupper()})
    for key, default in list(values.items()):
        raw = os.environ.get(f"EXPO_{key}")
        if raw is not None:
            values[key] = _coerce(default, raw)
    values.update(overrides or {})

    Path(instance_path).mkdir(parents=True, exist_ok=True)
    if not values.get("DATABASE_URL"):
        values["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'expo.sqlite'}"
    if not values.get("SECRET_KEY"):
        values["SECRET_KEY"] = _instance_secret(Path(instance_path) / "secret_key")

    url = values["DATABASE_URL"]
    values["SQLALCHEMY_DATABASE_URI"] = url
    values["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(url, values)
    values["SESSION_COOKIE_HTTPONLY"] = True
    values["SESSION_COOKIE_SAMESITE"] = "Lax"
    values["SESSION_COOKIE_SECURE"] = values["SECURE_COOKIES"]
    values["REMEMBER_COOKIE_HTTPONLY"] = True
    values["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    values["REMEMBER_COOKIE_SECURE"] = values["SECURE_COOKIES"]
    values["BABEL_DEFAULT_LOCALE"] = values["LANGUAGES"][0]
    values["BABEL_DEFAULT_TIMEZONE"] = values["TIMEZONE"]
    values["BABEL_TRANSLATION_DIRECTORIES"] = "translations"
    values.setdefault("RATELIMIT_STORAGE_URI", values["REDIS_URL"] or "memory://")
    values.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    # Redis down or slow: count failed log-ins in the process until it answers again.
    values.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    values.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if values["REDIS_URL"]:
        # Flask-Caching's Redis backend on the guarded client: errors are misses.
        values.setdefault("CACHE_TYPE", "expo.core.resilient_redis.RedisCache")
        values.setdefault("CACHE_REDIS_URL", values["REDIS_URL"])
        values.setdefault("CACHE_KEY_PREFIX", "expo:")
    else:
        values.setdefault("CACHE_TYPE", "SimpleCache")
        # Room for every session's calendar entry of a large expo in one process's cache.
        values.setdefault("CACHE_THRESHOLD", 20000)
    values.setdefault("CACHE_DEFAULT_TIMEOUT", values["CACHE_TIMEOUT"])
    return values


def _engine_options(url: str, values: dict[str, Any]) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Several threads (the development server, browser tests) share one SQLite file.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {
        "pool_pre_ping": True,
        "pool_size": values["DB_POOL_SIZE"],
        "max_overflow": values["DB_MAX_OVERFLOW"],
        "connect_args": {"connect_timeout": values["DB_CONNECT_TIMEOUT"]},
    }


def _instance_secret(path: Path) -> str:
    """The key in ``path``, or a new random one written there (owner-only) on the first start."""
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    try:
        # Linking a complete file is atomic: of several workers starting at once the first
        # wins, and no one ever reads a half-written key.
        os.link(draft, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        os.unlink(draft)
    return key
