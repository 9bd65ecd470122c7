"""Delegates' stars on sessions, and the organisers' scheduling assistant."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from expo.assistant import planning, queries, services
from expo.assistant.forms import ApplyForm, RunForm, TimePreferenceForm
from expo.assistant.models import AssistantRun
from expo.core.db import get_or_404
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.core.i18n import local_date, local_datetime
from expo.core.security import safe_next
from expo.events.models import Event
from expo.accounts.models import User
from expo.permissions import (
    can_edit_time_preference, can_run_assistant, can_star_session, organises_any_event, require,
)
from expo.programme.models import ProgrammeSession
from expo.programme.pages import form_refused, guard

bp = Blueprint("assistant", __name__)
bp.add_app_template_global(queries.is_starred, "is_starred")
bp.add_app_template_global(queries.speaking_events, "speaking_events")
bp.add_app_template_global(planning.describe_unplaced, "describe_unplaced")


@bp.app_template_filter("iso_local")
def _iso_local(value: str, tz: str) -> str:
    """An instant the proposal keeps as ISO 8601, in the event's zone."""
    return local_datetime(datetime.fromisoformat(value), tz, "short")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/sessions/<int:session_id>/interest", methods=["POST"])
@login_required
def toggle_interest(session_id: int):
    """Star or unstar a session for the signed-in delegate; back to the page (or JSON for scripts)."""
    session = get_or_404(ProgrammeSession, session_id)
    require(can_star_session(current_user, session))
    try:
        starred = services.toggle_interest(user=current_user, session=session, actor=current_user)
    except ExpoError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify(error=str(error.message)), 409
        flash(str(error.message), "error")
        starred = None
    else:
        db.session.commit()
    if _wants_json():
        return jsonify(starred=starred)
    back = safe_next(request.form.get("next")) or url_for("schedule.show_session", session_id=session_id)
    return redirect(back)


# --- the scheduling assistant ---------------------------------------------------------------

def _run_or_403(run_id: int) -> AssistantRun:
    run = get_or_404(AssistantRun, run_id)
    require(can_run_assistant(current_user, run.event))
    if services.settle(run):
        db.session.commit()
    return run


@bp.route("/manage/events/<int:event_id>/assistant", methods=["GET", "POST"])
@guard(organises_any_event)
def new_run(event_id: int):
    """Choose the sessions to place, the weights and a time limit; the run starts in the background."""
    event = get_or_404(Event, event_id)
    require(can_run_assistant(current_user, event))
    return _new_run(event, queries.session_choices(event.id))


def _new_run(event: Event | None, choices: list[tuple[int, str]]):
    form = RunForm(choices)
    if form.validate_on_submit():
        try:
            run = services.start_run(
                event=event, session_ids=form.session_ids.data, weights=form.weights(),
                time_limit=form.time_limit.data, move_published=form.move_published.data, actor=current_user,
                same_day=form.same_day.data,
            )
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            return redirect(url_for("assistant.show_run", run_id=run.id))
    return render_template("assistant/new.html", event=event, form=form,
                           runs=queries.latest_runs(event.id if event else None),
                           people=queries.event_people(event.id) if event else [])


@bp.route("/manage/assistant", methods=["GET", "POST"])
@guard(organises_any_event)
def new_expo_run():
    """The assistant over the whole expo: every event's sessions, every room (administrators)."""
    require(can_run_assistant(current_user, None))
    return _new_run(None, queries.session_choices(None))


@bp.route("/manage/assistant/runs/<int:run_id>")
@guard(organises_any_event)
def show_run(run_id: int):
    """The run's progress and, once done, its proposal beside the schedule as it stands."""
    run = _run_or_403(run_id)
    placements = (run.result or {}).get("placements", [])
    return render_template(
        "assistant/run.html", run=run, event=run.event, form=ApplyForm(), rooms=queries.room_labels(),
        days=queries.proposal_days(run.event, placements) if run.event and run.result else [],
        moves=[p for p in placements if p["moved"]],
    )


@bp.route("/manage/assistant/runs/<int:run_id>/progress")
@guard(organises_any_event)
def run_progress(run_id: int):
    """JSON for the run page's script: status, and the solver's (seconds, objective, bound) points."""
    run = _run_or_403(run_id)
    return jsonify(status=run.status.value, finished=run.status.finished, progress=run.progress or [])


@bp.route("/manage/assistant/runs/<int:run_id>/cancel", methods=["POST"])
@guard(organises_any_event)
def cancel_run(run_id: int):
    """Stop a run that is waiting or searching."""
    run = _run_or_403(run_id)
    if ApplyForm().validate_on_submit():
        try:
            services.cancel_run(run=run, actor=current_user)
        except ExpoError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The run is cancelled."), "success")
    return redirect(url_for("assistant.show_run", run_id=run_id))


@bp.route("/manage/assistant/runs/<int:run_id>/apply", methods=["POST"])
@guard(organises_any_event)
def apply_run(run_id: int):
    run = _run_or_403(run_id)
    form = ApplyForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("assistant.show_run", run_id=run_id))
    try:
        result = services.apply_run(run=run, session_ids=form.chosen(), actor=current_user)
    except ExpoError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(ngettext("%(num)s session moved.", "%(num)s sessions moved.", len(result.applied)), "success")
        for session_id, reason in result.refused:
            flash(_("Not moved: session %(id)s: %(reason)s", id=session_id, reason=reason), "error")
    return redirect(url_for("assistant.show_run", run_id=run_id))


@bp.route("/events/<int:event_id>/people/<int:user_id>/times", methods=["GET", "POST"])
@login_required
def time_preference(event_id: int, user_id: int):
    """When a speaker, moderator or host would rather be on stage: set by the person or the organisers."""
    event, person = get_or_404(Event, event_id), get_or_404(User, user_id)
    require(can_edit_time_preference(current_user, event, person))
    stated = queries.preferences(event.id, [person.id]).get(person.id)
    form = TimePreferenceForm(
        [(d.isoformat(), local_date(d)) for d in (event.starts_on + timedelta(days=n)
                                                  for n in range((event.ends_on - event.starts_on).days + 1))],
        data={"part_of_day": stated.part_of_day.value if stated and stated.part_of_day else "",
              "unavailable_dates": list(stated.unavailable_dates) if stated else []},
    )
    if form.validate_on_submit():
        try:
            services.set_time_preference(event=event, person=person, part_of_day=form.part(),
                                         unavailable=form.dates(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("assistant.time_preference", event_id=event.id, user_id=person.id))
    return render_template("assistant/time_preference.html", event=event, person=person, form=form)
