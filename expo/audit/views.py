"""Organisers read the audit log."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from expo.audit import services
from expo.audit.forms import AuditFilterForm
from expo.permissions import can_read_audit_log
from expo.programme.pages import guard, page_number

bp = Blueprint("audit", __name__, url_prefix="/manage/audit")


@bp.route("/")
@guard(can_read_audit_log)
def show_log():
    filters = AuditFilterForm(formdata=request.args)
    page = page_number()
    timezone = current_app.config["TIMEZONE"]
    result = services.entries(filters.criteria(), timezone=timezone, page=page)
    return render_template("audit/log.html", filters=filters, page=result, timezone=timezone)
