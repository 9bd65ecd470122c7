"""Delegates' stars on sessions, and the organisers' scheduling assistant."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from expo.assistant import queries, services
from expo.core.db import get_or_404
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.core.security import safe_next
from expo.permissions import can_star_session, require
from expo.programme.models import ProgrammeSession

bp = Blueprint("assistant", __name__)
bp.add_app_template_global(queries.is_starred, "is_starred")


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
