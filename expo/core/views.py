"""Site-wide endpoints: the language switch and the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, session, url_for
from flask_login import current_user

from expo.accounts.services import set_locale
from expo.accounts.views import safe_next
from expo.core.forms import LanguageForm
from expo.extensions import db
from expo.permissions import is_signed_in

bp = Blueprint("core", __name__)


@bp.route("/language", methods=["POST"])
def set_language():
    """Anyone may switch the interface language; a signed-in user keeps the choice."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if is_signed_in(current_user):
            set_locale(user=current_user, locale=form.lang.data)
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("events.home"))


@bp.route("/health")
def health():
    """Public: the load balancer's probe. Checks the database answers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")
