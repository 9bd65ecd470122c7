"""Staff at the door: the day's sessions, each session's list, check-in, walk-ins, exports.

Every action answers JSON to the door script (``Accept: application/json``) and
redirects back to the list otherwise, so the page works without JavaScript."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from expo.accounts.models import User
from expo.attendance import receivers, services  # noqa: F401  (receivers connect signals)
from expo.attendance.exports import EXPORTERS
from expo.attendance.forms import CodeForm, DayForm, DoorActionForm, is_door_day
from expo.attendance.services import CheckInRefused, CheckInResult
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.db import database_id, get_or_404
from expo.core.pdf import FONT_PACKAGES, FontsMissing
from expo.core.errors import ExpoError
from expo.events.queries import expo_timezone
from expo.core.extensions import db
from expo.core.i18n import local_date, local_time
from expo.core.pagecache import own_page
from expo.permissions import can_check_in, can_view_attendance, can_view_event, is_staff, require
from expo.programme.models import ProgrammeSession
from expo.core.timeutil import to_local, utcnow

bp = Blueprint("attendance", __name__, url_prefix="/door")

# People shown per section of a door list; staff find anyone else by searching (as they type,
# or with ?q=), and ?all=1 shows the whole list (for printing).
DOOR_LIST_LIMIT = 50
# People a search finds among the event's registrants who are not on the list (walk-ins).
CANDIDATE_LIMIT = 20


def _session_or_404(session_id: int) -> ProgrammeSession:
    session = services.load_session(session_id) or abort(404)
    require(can_view_event(current_user, session.event), hide=True)
    return session


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.route("/")
@login_required
def today():
    """Staff and organisers: the sessions of a day (today in the expo's time zone)."""
    require(is_staff(current_user))
    tz = expo_timezone()
    form = DayForm(formdata=request.args)
    day = form.day.data if form.validate() and form.day.data else to_local(utcnow(), tz).date()
    if not form.day.errors:
        form.day.data = day
    door = services.door_day(day=day, tz=tz, actor=current_user)
    return render_template(
        "attendance/today.html", door=door, form=form, tz=tz,
        previous_day=_door_day(day, -1), next_day=_door_day(day, 1),
        is_today=day == to_local(utcnow(), tz).date(),
    )


def _door_day(day: date, days: int) -> date | None:
    """The day ``days`` away, if the door can show it."""
    other = day + timedelta(days=days)
    return other if is_door_day(other) else None


@bp.route("/sessions/<int:session_id>")
@login_required
@own_page("schedule", "registrations", door="session_id", args=("q", "all", "print", "walk_in"))
def show_session(session_id: int):
    """Staff and organisers: a session's door list with check-in. ``?q=`` filters it and
    finds registered delegates not on it (to walk in); long lists show their first people
    per section unless ``?all=1``; ``?print=1`` shows everyone and opens the print dialog."""
    session = _session_or_404(session_id)
    require(can_view_attendance(current_user, session))
    q = (request.args.get("q") or "").strip()[:100]
    # The print view is the whole list: paper cannot search for the people left out.
    printing = request.args.get("print") == "1"
    show_all = printing or request.args.get("all") == "1"
    candidate = _walk_in_candidate(session)
    door = services.door_list(session, q=q, limit=None if show_all else DOOR_LIST_LIMIT)
    candidates, more_candidates = services.walk_in_candidates(session, q=q, limit=CANDIDATE_LIMIT)
    return render_template(
        "attendance/session.html", s=session, q=q, candidate=candidate, door=door,
        candidates=candidates, more_candidates=more_candidates,
        show_all=show_all, printing=printing, off_day=_off_day_warning(session),
        day=to_local(session.starts_at, expo_timezone()).date(),
        rows=door.rows,
        counts=services.attendance_counts(session),
        code_form=CodeForm(formdata=None), action_form=DoorActionForm(formdata=None),
    )


def _off_day_warning(session: ProgrammeSession) -> str | None:
    """What the door says on a session that is not held today (None when it is)."""
    if services.is_held_today(session, now=utcnow()):
        return None
    return _("Not today: this session is on %(day)s. Check-ins made now still count.",
             day=local_date(session.starts_at, session.event.timezone))


def _walk_in_candidate(session: ProgrammeSession) -> User | None:
    """The person a refused code belonged to, offered as a walk-in (pages without JS)."""
    user_id = request.args.get("walk_in", type=database_id)
    return services.walk_in_candidate(session, user_id) if user_id is not None else None


@bp.route("/sessions/<int:session_id>/counts.json")
@login_required
def session_counts(session_id: int):
    """Staff and organisers: the live counts and who is in, polled by the door script."""
    session = _session_or_404(session_id)
    require(can_view_attendance(current_user, session))
    response = jsonify(
        counts=services.attendance_counts(session).as_dict(),
        checked_in=services.checked_in_user_ids(session),
    )
    response.headers["Cache-Control"] = "no-store"
    response.add_etag()
    return response.make_conditional(request)


def _row_payload(session: ProgrammeSession, user: User) -> dict[str, Any]:
    """One person's line as the door script inserts it (``row_html`` None: not on the list)."""
    row = services.row_for(session, user)
    return {
        "user_id": user.id,
        "checked_in": bool(row and row.is_checked_in),
        "section": row.section if row else None,
        "row_html": render_template(
            "attendance/_row.html", row=row, s=session, action_form=DoorActionForm(formdata=None)
        ) if row else None,
    }


@bp.route("/sessions/<int:session_id>/rows/<int:user_id>")
@login_required
def show_row(session_id: int, user_id: int):
    """Staff and organisers: one line of the list, when another phone changed it."""
    session = _session_or_404(session_id)
    require(can_view_attendance(current_user, session))
    return jsonify(_row_payload(session, get_or_404(User, user_id)))


def _answer(session: ProgrammeSession, *, ok: bool, message: str, user: User | None = None,
            status: int = 200, walk_in: bool = False) -> Any:
    """JSON for the door script, else a flash and a redirect back to the list."""
    if not _wants_json():
        flash(message, "success" if ok else "error")
        args: dict[str, Any] = {"session_id": session.id}
        if walk_in and user is not None:
            args["walk_in"] = user.id
        return redirect(url_for("attendance.show_session", **args))
    payload: dict[str, Any] = {
        "ok": ok,
        "message": message,
        "counts": services.attendance_counts(session).as_dict(),
    }
    if user is not None:
        payload.update(_row_payload(session, user))
        if walk_in:
            payload["walk_in_url"] = url_for(
                "attendance.walk_in", session_id=session.id, user_id=user.id
            )
    return jsonify(payload), status


def _result_message(session: ProgrammeSession, result: CheckInResult) -> str:
    ci = result.check_in
    name = ci.user.name if ci.user else ""
    if not result.created:
        return _("%(name)s was already checked in at %(time)s.", name=name,
                 time=local_time(ci.checked_in_at, session.event.timezone))
    if ci.is_standing:
        return _("%(name)s is in, standing: no seat was free.", name=name)
    if ci.booking is not None and services.seat_taken_at_door(ci):
        return _("%(name)s is in and took a free seat.", name=name)
    return _("%(name)s is checked in.", name=name)


def _act(session: ProgrammeSession, action: Any, **kwargs: Any) -> Any:
    """Run one door action, commit once and answer; refusals are shown, never a 500."""
    require(can_check_in(current_user, session))
    if not DoorActionForm().validate_on_submit():
        abort(400)
    try:
        result = action(session=session, actor=current_user, **kwargs)
    except CheckInRefused as refused:
        db.session.rollback()
        return _answer(session, ok=False, message=refused.message, user=refused.user,
                       status=409, walk_in=refused.walk_in)
    except ExpoError as error:
        db.session.rollback()
        return _answer(session, ok=False, message=error.message, user=kwargs.get("user"),
                       status=409)
    db.session.commit()
    return _answer(session, ok=True, message=_result_message(session, result),
                   user=result.check_in.user)


@bp.route("/sessions/<int:session_id>/check-in/<int:user_id>", methods=["POST"])
@login_required
def check_in(session_id: int, user_id: int):
    """Staff and organisers: check a booked delegate in with one tap."""
    session = _session_or_404(session_id)
    return _act(session, services.check_in, user=get_or_404(User, user_id))


@bp.route("/sessions/<int:session_id>/walk-in/<int:user_id>", methods=["POST"])
@login_required
def walk_in(session_id: int, user_id: int):
    """Staff and organisers: let a registered delegate in without a booking."""
    session = _session_or_404(session_id)
    return _act(session, services.walk_in, user=get_or_404(User, user_id))


@bp.route("/sessions/<int:session_id>/code", methods=["POST"])
@login_required
def check_in_code(session_id: int):
    """Staff and organisers: check in by a scanned QR code or a typed badge code."""
    session = _session_or_404(session_id)
    require(can_check_in(current_user, session))
    form = CodeForm()
    if not form.validate_on_submit():
        message = " ".join(form.code.errors) or _("The form expired. Please send it again.")
        return _answer(session, ok=False, message=_("Badge code: %(error)s", error=message),
                       status=400)
    return _act(session, services.check_in_by_code, code=form.code.data)


@bp.route("/sessions/<int:session_id>/undo/<int:user_id>", methods=["POST"])
@login_required
def undo_check_in(session_id: int, user_id: int):
    """Staff and organisers: take a check-in back (a walk-in's seat is freed too)."""
    session = _session_or_404(session_id)
    require(can_check_in(current_user, session))
    user = get_or_404(User, user_id)
    if not DoorActionForm().validate_on_submit():
        abort(400)
    removed = services.undo_check_in(session=session, user=user, actor=current_user)
    db.session.commit()
    message = (_("Check-in of %(name)s undone.", name=user.name) if removed
               else _("%(name)s was not checked in.", name=user.name))
    return _answer(session, ok=True, message=message, user=user)


@bp.route("/sessions/<int:session_id>/attendance.<fmt>")
@login_required
def export_list(session_id: int, fmt: str):
    """Staff and organisers: the door list as CSV, Excel or PDF (never public: it names people)."""
    session = _session_or_404(session_id)
    require(can_view_attendance(current_user, session))
    exporter = EXPORTERS.get(fmt) or abort(404)
    try:
        body = exporter.render(session, services.attendance_rows(session))
    except FontsMissing as error:
        # The server's set-up is at fault: the log says which packages to install.
        current_app.logger.error("%s", error)
        flash(_("The list cannot be printed as a PDF: this server lacks the fonts %(fonts)s. Install Debian's "
                "%(packages)s packages.", fonts=", ".join(error.missing), packages=FONT_PACKAGES), "error")
        return redirect(url_for("attendance.show_session", session_id=session.id))
    stamp = to_local(session.starts_at, session.event.timezone).strftime("%Y%m%d-%H%M")
    filename = f"attendance-{session.id}-{stamp}.{exporter.extension}"
    audit.record(actor=current_user._get_current_object(), action=AuditAction.EXPORT_ATTENDANCE,
                 target=session.title, detail=filename)
    db.session.commit()
    response = Response(body, content_type=exporter.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The people on a door list: kept by no browser or proxy.
    response.headers["Cache-Control"] = "no-store"
    response.add_etag()
    return response.make_conditional(request)


def day_url(day: date) -> str:
    return url_for("attendance.today", day=day.isoformat())


bp.add_app_template_global(day_url, "door_day_url")
