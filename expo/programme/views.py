"""Organisers' pages: the dashboard, events, tracks, sessions and the conflicts report."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expo.assistant.queries import interest_counts
from expo.core.db import get_or_404
from expo.core.errors import ExpoError, NeedsConfirmation
from expo.events import services as event_services
from expo.events.forms import EventForm, TrackFiltersForm, TrackForm
from expo.events.models import Event, Track
from expo.core.extensions import db
from expo.core.fragments import table_page
from expo.core.tables import download
from expo.permissions import (
    can_edit_session,
    can_find_people,
    can_manage_event,
    can_manage_expo,
    can_publish_event,
    can_release_changes,
    can_view_conflicts,
    organises_any_event,
    require,
)
from expo.programme import queries, releases, services, staging
from expo.programme.forms import ConfirmForm, ProceedForm, ReleaseForm, SessionFiltersForm, SessionForm
from expo.programme.models import PendingChange, ProgrammeSession
from expo.programme.pages import form_refused, guard, perform, refused, submit

bp = Blueprint("programme", __name__, url_prefix="/manage")


# --- dashboard and events ----------------------------------------------------------------------

@bp.route("/")
@guard(organises_any_event)
def manage_index():
    return render_template("manage/index.html", **queries.dashboard(current_user))


@bp.route("/events")
@guard(organises_any_event)
def list_events():
    q = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    return render_template("manage/events.html", events=queries.events(q, status, user=current_user), q=q, status=status)


def _managed_event(event_id: int) -> Event:
    """The event, if the signed-in person manages it (else 403)."""
    event = get_or_404(Event, event_id)
    require(can_manage_event(current_user, event))
    return event


def _edited_session(session_id: int) -> ProgrammeSession:
    session = get_or_404(ProgrammeSession, session_id)
    require(can_edit_session(current_user, session))
    return session


def _event_page(event: Event) -> str:
    return url_for("programme.edit_event", event_id=event.id)


@bp.route("/events/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_event():
    form = EventForm()
    return submit(
        form, lambda: event_services.create_event(data=form.event_data(), actor=current_user),
        _("Event created as a draft. Add rooms and sessions, then publish it."), _event_page,
    ) or render_template(
        "manage/event_form.html", form=form, event=None
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@guard(organises_any_event)
def edit_event(event_id: int):
    event = _managed_event(event_id)
    form = EventForm() if request.method == "POST" else EventForm.for_event(event)
    return submit(
        form, lambda: event_services.update_event(event=event, data=form.event_data(), actor=current_user),
        _("Event saved."), _event_page,
    ) or render_template(
        "manage/event_form.html", form=form, event=event, pending_count=staging.pending_count(event)
    )


@bp.route("/events/<int:event_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_event(event_id: int):
    event = get_or_404(Event, event_id)
    return perform(
        lambda: event_services.delete_event(event=event, actor=current_user), _("Event deleted."),
        url_for("programme.list_events"), url_for("programme.edit_event", event_id=event_id),
    )


@bp.route("/events/<int:event_id>/publish", methods=["POST"])
@guard(organises_any_event)
def publish_event(event_id: int):
    event = get_or_404(Event, event_id)
    require(can_publish_event(current_user, event))
    return perform(
        lambda: event_services.publish_event(event=event, actor=current_user),
        _("The event is published."), url_for("programme.edit_event", event_id=event_id),
    )


@bp.route("/events/<int:event_id>/unpublish", methods=["POST"])
@guard(organises_any_event)
def unpublish_event(event_id: int):
    """Asks first, with the seats and waiting places its sessions hold; the answer's POST unpublishes."""
    event = get_or_404(Event, event_id)
    require(can_publish_event(current_user, event))
    return _ask_first(
        lambda proceed: event_services.unpublish_event(event=event, actor=current_user, confirm=proceed),
        title=_("Unpublish “%(name)s”?", name=event.name), button=_("Unpublish"),
        action=url_for("programme.unpublish_event", event_id=event_id),
        back=url_for("programme.edit_event", event_id=event_id), done=_("The event is a draft again."),
    )


def _ask_first(run: Callable[[bool], Any], *, title: str, button: str, action: str, back: str, done: str) -> Any:
    """A button whose service asks first (NeedsConfirmation): show the question with the
    service's numbers; the question page's POST (``proceed``) does it."""
    form = ProceedForm()
    try:
        run(form.proceed.data == "yes")
    except NeedsConfirmation as error:
        db.session.rollback()
        return render_template("manage/proceed_confirm.html", question=error, form=form, back=back,
                               title=title, button=button, action=action)
    except ExpoError as error:
        refused(error)
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(back)


# --- tracks -------------------------------------------------------------------------------------

def _tracks_page(track: Track) -> str:
    return url_for("programme.list_tracks", event_id=track.event_id)


@bp.route("/events/<int:event_id>/tracks", methods=["GET", "POST"])
@guard(organises_any_event)
def list_tracks(event_id: int):
    event = _managed_event(event_id)
    filters = TrackFiltersForm(event, formdata=request.args)
    if other := filters.other_event(event):
        return redirect(url_for("programme.list_tracks", **other))
    form = TrackForm()
    return submit(
        form,
        lambda: event_services.create_track(event=event, name=form.name.data, colour=form.colour.data, actor=current_user),
        _("Track added."), _tracks_page,
    ) or render_template(
        "manage/tracks.html", event=event, form=form, filters=filters, tracks=queries.tracks(event, **filters.criteria())
    )


@bp.route("/tracks/<int:track_id>/edit", methods=["GET", "POST"])
@guard(organises_any_event)
def edit_track(track_id: int):
    track = get_or_404(Track, track_id)
    require(can_manage_event(current_user, track.event))
    form = TrackForm(obj=track)
    return submit(
        form,
        lambda: event_services.update_track(track=track, name=form.name.data, colour=form.colour.data, actor=current_user),
        _("Track saved."), _tracks_page,
    ) or render_template(
        "manage/track_form.html", form=form, track=track, event=track.event
    )


@bp.route("/tracks/<int:track_id>/delete", methods=["POST"])
@guard(organises_any_event)
def delete_track(track_id: int):
    track = get_or_404(Track, track_id)
    require(can_manage_event(current_user, track.event))
    return perform(
        lambda: event_services.delete_track(track=track, actor=current_user),
        _("Track deleted."), url_for("programme.list_tracks", event_id=track.event_id),
    )


# --- sessions -----------------------------------------------------------------------------------

@bp.route("/events/<int:event_id>/sessions")
@guard(organises_any_event)
def list_sessions(event_id: int):
    event = _managed_event(event_id)

    def build() -> dict[str, Any]:
        filters_form = SessionFiltersForm(event, queries.venue_choices(), formdata=request.args)
        table = services.sessions_table()
        page = table.page(services.session_list(event, filters_form.filters()), table.state(request.args))
        pending_count, pending_ids = staging.pending_session_ids(event)
        return dict(page=page, filters=filters_form, pending_count=pending_count, pending_ids=pending_ids,
                    interest=interest_counts(s.id for s in page.rows))

    return table_page("manage/sessions.html", context={"event": event}, build=build, reads=(
        "events", "programme_sessions", "session_roles", "users", "rooms", "venues", "tracks", "networks",
        "pending_session_changes", "session_interests"))


@bp.route("/events/<int:event_id>/sessions.<any(csv, xlsx):fmt>")
@guard(organises_any_event)
def export_sessions(event_id: int, fmt: str):
    """Every session the filters match, as a download."""
    event = _managed_event(event_id)
    filters_form = SessionFiltersForm(event, queries.venue_choices(), formdata=request.args)
    table = services.sessions_table()
    rows = table.all_rows(services.session_list(event, filters_form.filters()), table.state(request.args))
    header, body = services.session_rows(rows, event.timezone)
    return download(fmt, header, body, filename=f"{event.slug}-sessions", title=event.name)


def _save_session(form: SessionForm, save: Any) -> tuple[bool, list[Any]]:
    """Run the save; (True, []) once saved, else (False, warnings to confirm)."""
    if not form.validate_on_submit():
        return False, []
    try:
        save(form.session_data(), form.confirm.data, form.warnings_digest.data or "")
    except NeedsConfirmation as error:
        db.session.rollback()
        form.ask_again(error.digest)
        return False, error.warnings
    except ExpoError as error:
        form_refused(form, error)
        return False, []
    db.session.commit()
    return True, []


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
@guard(organises_any_event)
def new_session(event_id: int):
    event = _managed_event(event_id)
    form = SessionForm(event)
    saved, warnings = _save_session(
        form,
        lambda data, confirm, digest: services.create_session(
            event=event, data=data, actor=current_user, confirm=confirm, confirmed_warnings=digest
        ),
    )
    if saved and staging.is_staged(event):
        flash(_("Session “%(title)s” added to the pending changes: release them to publish it.",
                title=form.title.data.strip()), "success")
        return redirect(url_for("programme.pending_changes", event_id=event.id))
    if saved:
        flash(_("Session “%(title)s” added.", title=form.title.data.strip()), "success")
        return redirect(url_for("programme.list_sessions", event_id=event.id))
    return render_template("manage/session_form.html", form=form, event=event, session=None, warnings=warnings)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@guard(organises_any_event)
def edit_session(session_id: int):
    session = _edited_session(session_id)
    form = SessionForm(session.event) if request.method == "POST" else SessionForm.for_session(session)
    saved, warnings = _save_session(
        form,
        lambda data, confirm, digest: services.update_session(
            session=session, data=data, actor=current_user, confirm=confirm, confirmed_warnings=digest
        ),
    )
    if saved:
        flash(_("Saved. The change waits for the next release.") if staging.is_staged(session.event)
              else _("Session saved."), "success")
        return redirect(url_for("programme.edit_session", session_id=session.id))
    return render_template(
        "manage/session_form.html", form=form, event=session.event, session=session, warnings=warnings,
        changes=queries.change_history(session), pending_count=staging.pending_count(session.event),
        interest=interest_counts([session.id]).get(session.id, 0), **queries.pending_of(session),
    )


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@guard(organises_any_event)
def cancel_session(session_id: int):
    """Asks first, with the seats and waiting places it ends; the answer's POST cancels."""
    session = _edited_session(session_id)
    return _ask_first(
        lambda proceed: services.cancel_session(session=session, actor=current_user, confirm=proceed),
        title=_("Cancel “%(title)s”?", title=session.title), button=_("Cancel session"),
        action=url_for("programme.cancel_session", session_id=session_id),
        back=url_for("programme.edit_session", session_id=session_id),
        done=_("The cancellation waits for the next release.") if staging.is_staged(session.event)
        else _("The session is cancelled. It stays in the programme, marked as cancelled."),
    )


@bp.route("/sessions/<int:session_id>/restore", methods=["POST"])
@guard(organises_any_event)
def restore_session(session_id: int):
    session = _edited_session(session_id)
    form = ConfirmForm()
    try:
        services.restore_session(
            session=session, actor=current_user, confirm=form.confirm.data,
            confirmed_warnings=form.warnings_digest.data or "",
            give_back=form.give_back.data if form.answered.data else None,
        )
    except NeedsConfirmation as error:
        db.session.rollback()
        form.ask_again(error.digest)
        seats, waiting = services.ended_by_cancellation(session)
        if seats or waiting:
            form.give_back.data, form.answered.data = True, "yes"
        return render_template("manage/restore_confirm.html", session=session, form=form, warnings=error.warnings,
                               seats=seats, waiting=waiting)
    except ExpoError as error:
        refused(error)
    else:
        db.session.commit()
        flash(_("Its return waits for the next release.") if staging.is_staged(session.event)
              else _("The session is back in the programme."), "success")
    return redirect(url_for("programme.edit_session", session_id=session_id))


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@guard(organises_any_event)
def delete_session(session_id: int):
    session = _edited_session(session_id)
    return perform(
        lambda: services.delete_session(session=session, actor=current_user), _("Session deleted."),
        url_for("programme.list_sessions", event_id=session.event_id),
        url_for("programme.edit_session", session_id=session_id),
    )


# --- releases of a published programme ----------------------------------------------------------

def _releasing(event: Event) -> Event:
    require(can_release_changes(current_user, event))
    return event


@bp.route("/events/<int:event_id>/pending")
@guard(organises_any_event)
def pending_changes(event_id: int):
    """The diff between the public programme and the organisers' unreleased changes."""
    event = _releasing(get_or_404(Event, event_id))
    return render_template("manage/pending.html", event=event, form=ReleaseForm(),
                           changes=queries.pending_diff(event))


@bp.route("/events/<int:event_id>/release", methods=["POST"])
@guard(organises_any_event)
def release_changes(event_id: int):
    event = _releasing(get_or_404(Event, event_id))
    form = ReleaseForm()
    return perform(
        lambda: releases.release_changes(event=event, actor=current_user, note=form.note.data),
        _("The changes are released: calendars, public pages and booked delegates follow."),
        url_for("programme.pending_changes", event_id=event_id),
    ) if form.validate_on_submit() else redirect(url_for("programme.pending_changes", event_id=event_id))


def _pending_change(change_id: int) -> PendingChange:
    change = get_or_404(PendingChange, change_id)
    _releasing(change.event)
    return change


@bp.route("/pending/<int:change_id>/release", methods=["POST"])
@guard(organises_any_event)
def release_one(change_id: int):
    """An urgent fix: release one session's pending change on its own."""
    change = _pending_change(change_id)
    return perform(
        lambda: releases.release_changes(event=change.event, actor=current_user, only=change),
        _("This change is released on its own."), url_for("programme.pending_changes", event_id=change.event_id),
    )


@bp.route("/pending/<int:change_id>/edit", methods=["GET", "POST"])
@guard(organises_any_event)
def edit_staged_addition(change_id: int):
    """A session added to a published programme, edited before its release."""
    change = _pending_change(change_id)
    if change.session_id is not None:
        return redirect(url_for("programme.edit_session", session_id=change.session_id))
    event = change.event
    form = SessionForm(event) if request.method == "POST" else SessionForm.for_data(
        event, services.SessionData.from_json(change.data))
    saved, warnings = _save_session(
        form,
        lambda data, confirm, digest: services.update_staged_addition(
            change=change, data=data, actor=current_user, confirm=confirm, confirmed_warnings=digest
        ),
    )
    if saved:
        flash(_("Saved. The new session waits for the next release."), "success")
        return redirect(url_for("programme.pending_changes", event_id=event.id))
    return render_template("manage/session_form.html", form=form, event=event, session=None, warnings=warnings,
                           staged_addition=change)


@bp.route("/pending/<int:change_id>/discard", methods=["POST"])
@guard(organises_any_event)
def discard_change(change_id: int):
    change = _pending_change(change_id)
    return perform(
        lambda: releases.discard_change(change=change, actor=current_user),
        _("The pending change is discarded."), url_for("programme.pending_changes", event_id=change.event_id),
    )


# --- conflicts and the people picker -------------------------------------------------------------

@bp.route("/conflicts")
@guard(can_view_conflicts)
def conflicts():
    items = services.conflict_report()
    return render_template("manage/conflicts.html", items=items, events=queries.event_names())


def _people_query() -> tuple[str, list[Any]]:
    q = request.args.get("q", "").strip()[:100]
    return q, services.search_people(q) if len(q) >= 2 else []


@bp.route("/people/search")
@guard(can_find_people)
def search_people():
    """JSON for the people picker: [{id, label}] for names or e-mails containing ``q``."""
    _q, people = _people_query()
    return jsonify(results=[{"id": p.id, "label": services.person_label(p)} for p in people])


@bp.route("/people/find")
@guard(can_find_people)
def find_people():
    """The people search as a page, for adding people by e-mail without JavaScript."""
    q, people = _people_query()
    return render_template("manage/people_search.html", q=q, people=people)
