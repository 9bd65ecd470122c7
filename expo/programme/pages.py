"""The steps every organisers' page takes: guard, validate, call one service, commit, flash,
redirect — shared by the programme, venues and people blueprints."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import flash, redirect, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.permissions import require

T = TypeVar("T")


def guard(predicate: Callable[[Any], bool]) -> Callable:
    """Sign-in first (anonymous visitors go to the log-in page), then the predicate or 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require(predicate(current_user))
            return view(*args, **kwargs)

        return wrapped

    return decorate


def refused(error: ExpoError) -> None:
    """Undo whatever the refused action touched and tell the organiser why."""
    db.session.rollback()
    flash(str(error.message), "error")


def form_refused(form: Any, error: ExpoError) -> None:
    """Show a service's refusal next to the field it concerns (else as a message)."""
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    if field is None:
        flash(str(error.message), "error")
    else:
        field.errors = [*field.errors, error.message]


def submit(form: Any, action: Callable[[], T], done: str, next_url: Callable[[T], str]) -> Response | None:
    """Validate the form and run the service; on success commit, flash and redirect.
    Returns None when the form is to be shown again (first visit, field errors, refusal)."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except ExpoError as error:
        form_refused(form, error)
        return None
    db.session.commit()
    flash(done, "success")
    return redirect(next_url(result))


def perform(action: Callable[[], Any], done: str, success_url: str, failure_url: str | None = None) -> Response:
    """Run a button's service (delete, publish, cancel …), commit and go on, or explain the refusal."""
    try:
        action()
    except ExpoError as error:
        refused(error)
        return redirect(failure_url or success_url)
    db.session.commit()
    flash(done, "success")
    return redirect(success_url)


MAX_PAGE = 10_000


def page_number() -> int:
    """The ``page`` of a paged list from the query string: 1 … MAX_PAGE, 1 when it is no number."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
