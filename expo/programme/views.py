"""Organisers' pages: the dashboard, events, tracks, sessions and the conflicts report."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from expo.db import get_or_404
from expo.errors import ExpoError, NeedsConfirmation
from expo.events import services as event_services
from expo.events.forms import EventForm, TrackForm
from expo.events.models import Event, Track
from expo.extensions import db
from expo.permissions import (
    can_edit_session,
    can_manage_expo,
    can_publish_event,
    can_view_conflicts,
    require,
)
from expo.programme import queries, services
from expo.programme.forms import ConfirmForm, SessionFiltersForm, SessionForm
from expo.programme.models import ProgrammeSession

bp = Blueprint("programme", __name__, url_prefix="/manage")


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
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    if field is None:
        flash(str(error.message), "error")
    else:
        field.errors = [*field.errors, error.message]


# --- dashboard and events ----------------------------------------------------------------------

@bp.route("/")
@guard(can_manage_expo)
def manage_index():
    return render_template("manage/index.html", **queries.dashboard())


@bp.route("/events")
@guard(can_manage_expo)
def list_events():
    q = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    return render_template("manage/events.html", events=queries.events(q, status), q=q, status=status)


@bp.route("/events/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_event():
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = event_services.create_event(data=form.event_data(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Event created as a draft. Add rooms and sessions, then publish it."), "success")
            return redirect(url_for("programme.edit_event", event_id=event.id))
    return render_template("manage/event_form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_event(event_id: int):
    event = get_or_404(Event, event_id)
    form = EventForm() if request.method == "POST" else EventForm.for_event(event)
    if form.validate_on_submit():
        try:
            event_services.update_event(event=event, data=form.event_data(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            return redirect(url_for("programme.edit_event", event_id=event.id))
    return render_template("manage/event_form.html", form=form, event=event)


@bp.route("/events/<int:event_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_event(event_id: int):
    event = get_or_404(Event, event_id)
    try:
        event_services.delete_event(event=event, actor=current_user)
    except ExpoError as error:
        refused(error)
        return redirect(url_for("programme.edit_event", event_id=event_id))
    db.session.commit()
    flash(_("Event deleted."), "success")
    return redirect(url_for("programme.list_events"))


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@guard(can_publish_event)
def publish_event(event_id: int):
    return _publishing(event_id, event_services.publish_event, _("The event is published."))


@bp.route("/events/<int:event_id>/unpublish", methods=["POST"])
@guard(can_publish_event)
def unpublish_event(event_id: int):
    return _publishing(event_id, event_services.unpublish_event, _("The event is a draft again."))


def _publishing(event_id: int, action: Callable, done: str):
    event = get_or_404(Event, event_id)
    try:
        action(event=event, actor=current_user)
    except ExpoError as error:
        refused(error)
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("programme.edit_event", event_id=event_id))


# --- tracks -------------------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/tracks", methods=["GET", "POST"])
@guard(can_manage_expo)
def list_tracks(event_id: int):
    event = get_or_404(Event, event_id)
    form = TrackForm()
    if form.validate_on_submit():
        try:
            event_services.create_track(event=event, name=form.name.data, colour=form.colour.data, actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Track added."), "success")
            return redirect(url_for("programme.list_tracks", event_id=event.id))
    return render_template("manage/tracks.html", event=event, form=form, tracks=queries.tracks(event))


@bp.route("/tracks/<int:track_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_track(track_id: int):
    track = get_or_404(Track, track_id)
    form = TrackForm(obj=track)
    if form.validate_on_submit():
        try:
            event_services.update_track(track=track, name=form.name.data, colour=form.colour.data, actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Track saved."), "success")
            return redirect(url_for("programme.list_tracks", event_id=track.event_id))
    return render_template("manage/track_form.html", form=form, track=track, event=track.event)


@bp.route("/tracks/<int:track_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_track(track_id: int):
    track = get_or_404(Track, track_id)
    event_id = track.event_id
    try:
        event_services.delete_track(track=track, actor=current_user)
    except ExpoError as error:
        refused(error)
    else:
        db.session.commit()
        flash(_("Track deleted."), "success")
    return redirect(url_for("programme.list_tracks", event_id=event_id))


# --- sessions -----------------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/sessions")
@guard(can_manage_expo)
def list_sessions(event_id: int):
    event = get_or_404(Event, event_id)
    filters_form = SessionFiltersForm(event, queries.venue_choices(), formdata=request.args)
    sessions = services.list_sessions(event, filters_form.filters())
    return render_template("manage/sessions.html", event=event, sessions=sessions, filters=filters_form)


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
@guard(can_edit_session)
def new_session(event_id: int):
    event = get_or_404(Event, event_id)
    form = SessionForm(event)
    warnings: list[Any] = []
    if form.validate_on_submit():
        try:
            session = services.create_session(
                event=event, data=form.session_data(), actor=current_user, confirm=form.confirm.data
            )
        except NeedsConfirmation as error:
            db.session.rollback()
            warnings = error.warnings
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Session “%(title)s” added.", title=session.title), "success")
            return redirect(url_for("programme.list_sessions", event_id=event.id))
    return render_template("manage/session_form.html", form=form, event=event, session=None, warnings=warnings)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@guard(can_edit_session)
def edit_session(session_id: int):
    session = get_or_404(ProgrammeSession, session_id)
    form = SessionForm(session.event) if request.method == "POST" else SessionForm.for_session(session)
    warnings: list[Any] = []
    if form.validate_on_submit():
        try:
            services.update_session(session=session, data=form.session_data(), actor=current_user, confirm=form.confirm.data)
        except NeedsConfirmation as error:
            db.session.rollback()
            warnings = error.warnings
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Session saved."), "success")
            return redirect(url_for("programme.edit_session", session_id=session.id))
    return render_template(
        "manage/session_form.html", form=form, event=session.event, session=session, warnings=warnings,
        changes=services.recent_changes(session),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@guard(can_edit_session)
def cancel_session(session_id: int):
    session = get_or_404(ProgrammeSession, session_id)
    try:
        services.cancel_session(session=session, actor=current_user)
    except ExpoError as error:
        refused(error)
    else:
        db.session.commit()
        flash(_("The session is cancelled. It stays in the programme, marked as cancelled."), "success")
    return redirect(url_for("programme.edit_session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/restore", methods=["POST"])
@guard(can_edit_session)
def restore_session(session_id: int):
    session = get_or_404(ProgrammeSession, session_id)
    form = ConfirmForm()
    try:
        services.restore_session(session=session, actor=current_user, confirm=form.confirm.data)
    except NeedsConfirmation as error:
        db.session.rollback()
        return render_template("manage/restore_confirm.html", session=session, form=form, warnings=error.warnings)
    except ExpoError as error:
        refused(error)
    else:
        db.session.commit()
        flash(_("The session is back in the programme."), "success")
    return redirect(url_for("programme.edit_session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@guard(can_edit_session)
def delete_session(session_id: int):
    session = get_or_404(ProgrammeSession, session_id)
    event_id = session.event_id
    try:
        services.delete_session(session=session, actor=current_user)
    except ExpoError as error:
        refused(error)
        return redirect(url_for("programme.edit_session", session_id=session_id))
    db.session.commit()
    flash(_("Session deleted."), "success")
    return redirect(url_for("programme.list_sessions", event_id=event_id))


# --- conflicts and the people picker -------------------------------------------------------------

@bp.route("/conflicts")
@guard(can_view_conflicts)
def conflicts():
    items = services.conflict_report()
    return render_template("manage/conflicts.html", items=items, events=queries.event_names())


@bp.route("/people/search")
@guard(can_edit_session)
def search_people():
    """JSON for the people picker: [{id, label}] for names or e-mails containing ``q``."""
    q = request.args.get("q", "").strip()[:100]
    people = services.search_people(q) if len(q) >= 2 else []
    return jsonify(results=[{"id": p.id, "label": f"{p.name} <{p.email}>"} for p in people])
