"""Expo's domain errors and the HTTP error pages."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, SecurityError, ServiceUnavailable


class ExpoError(Exception):
    """A rule of the domain refused an action; the message is shown to the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ExpoError):
    """The actor may not do this."""


class Conflict(ExpoError):
    """The action clashes with existing data (double booking, a room already taken …)."""


class CapacityFull(ExpoError):
    """No seat is left."""


class InvalidState(ExpoError):
    """The object is not in a state that allows the action (closed, cancelled …)."""


class NeedsConfirmation(ExpoError):
    """Allowed only once the user confirms the listed warnings; ``digest`` identifies them, so
    that a confirmation counts only for the warnings that were shown."""

    def __init__(self, message: str, warnings: list[str] | None = None, digest: str = "") -> None:
        super().__init__(message)
        self.warnings = warnings or []
        self.digest = digest


ERROR_CODES = (400, 403, 404, 405, 413, 429, 500, 503)
DATABASE_RETRY_AFTER = 30  # seconds a visitor is asked to wait when the database does not answer


class Busy(ServiceUnavailable):
    """Every slot for a slow piece of work (checking a password) stayed taken too long."""


class UnstorableText(BadRequest):
    """A form or address held a NUL character, which no text column can store."""


def register_error_pages(app: Flask) -> None:
    def render(error: HTTPException):
        code = error.code or 500
        return render_template("errors.html", code=code, error=error), code

    def render_csrf(error: CSRFError):
        return render_template("errors.html", code=400, error=error, csrf=True), 400

    def render_server_error(error: HTTPException):
        from expo.core.extensions import db, login_manager

        try:
            # A failed flush leaves the session unusable until it is rolled back, and the
            # layout needs it to load the signed-in visitor.
            db.session.rollback()
            return render(error)
        except Exception:  # noqa: BLE001 - the error page must answer whatever broke
            app.logger.exception("The error page failed; showing it to an anonymous visitor")
        # Drawn as for a visitor who is not signed in, the layout needs no database.
        g._login_user = login_manager.anonymous_user()
        return render(error)

    def render_unstorable(error: UnstorableText):
        return render_template("errors.html", code=400, error=error, unstorable=True), 400

    def render_unknown_host(error: SecurityError):
        from expo.core.extensions import login_manager

        # No address of the site can be built from a host that is not ours: the page is drawn
        # as for an anonymous visitor at BASE_URL, in the language the browser asks for.
        language = request.headers.get("Accept-Language", "")
        with app.test_request_context("/", base_url=app.config["BASE_URL"], headers={"Accept-Language": language}):
            g._login_user = login_manager.anonymous_user()
            page = render_template("errors.html", code=400, error=error, unknown_host=True)
        return page, 400

    def render_database_unavailable(error: sa.exc.SQLAlchemyError):
        from expo.core.extensions import db, login_manager

        # PostgreSQL down, not answering in time (``DB_CONNECT_TIMEOUT``), a statement cancelled
        # (``DB_STATEMENT_TIMEOUT``), a deadlock, or no connection free in the pool: nothing of
        # the request was committed; the visitor is asked to try again, the cause is logged.
        app.logger.error("The database could not answer %s %s: %s", request.method, request.path, error,
                         exc_info=error)
        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:
            db.session.invalidate()
        # Drawn as for a visitor who is not signed in: the layout then needs no database.
        g._login_user = login_manager.anonymous_user()
        page = render_template("errors.html", code=503, error=error, database=True)
        return page, 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}

    for code in ERROR_CODES:
        app.register_error_handler(code, render_server_error if code == 500 else render)
    app.register_error_handler(CSRFError, render_csrf)
    app.register_error_handler(UnstorableText, render_unstorable)
    app.register_error_handler(SecurityError, render_unknown_host)
    for unavailable in (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError):
        app.register_error_handler(unavailable, render_database_unavailable)
