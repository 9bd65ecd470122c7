"""Organisers' import pages: upload, preview (with a schedule's room mapping), confirm."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from expo.core.db import get_or_404
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from expo.events.models import Event
from expo.imports import registrations, services, spreadsheet, venues
from expo.imports.forms import ConfirmImportForm, UploadForm, room_mapping_form
from expo.imports.models import ImportBatch, ImportStatus
from expo.imports.readers import MAX_IMPORT_BYTES
from expo.permissions import can_import_programme
from expo.programme.pages import guard, refused
from expo.programme.services import room_choices

bp = Blueprint("imports", __name__, url_prefix="/manage")
TEMPLATE_TYPES = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
TEMPLATES = {
    "sessions": spreadsheet.template,
    "venues": lambda fmt, event: venues.template(fmt),
    "registrations": registrations.template,
}
UPLOAD_ALLOWANCE = 64 * 1024  # the form's other fields and the multipart framing


@bp.url_value_preprocessor
def limit_uploads(endpoint: str | None, values: dict | None) -> None:
    """Refuse an upload above the limit before anything reads its body: this runs before
    every before-request hook, some of which read the form."""
    if endpoint == "imports.new_import":
        request.max_content_length = MAX_IMPORT_BYTES + UPLOAD_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    event = db.session.get(Event, (request.view_args or {}).get("event_id", 0))
    if event is None or not can_import_programme(current_user):
        return render_template("errors.html", code=413, error=error), 413
    form = UploadForm(formdata=None)
    form.file.errors = [_("The file is larger than %(limit)s MB. Split it into smaller files.",
                          limit=MAX_IMPORT_BYTES // 2**20)]
    return render_template("imports/upload.html", event=event, form=form), 413


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@guard(can_import_programme)
def new_import(event_id: int):
    event = get_or_404(Event, event_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = services.start_import(
                event=event, filename=upload.filename or "", content=upload.read(MAX_IMPORT_BYTES + 1), actor=current_user
            )
        except ExpoError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
        else:
            db.session.commit()
            return redirect(url_for("imports.show_import", batch_id=batch.id))
    refused_upload = any(f.errors for f in form)
    return render_template("imports/upload.html", event=event, form=form), 400 if refused_upload else 200


@bp.route("/events/<int:event_id>/import/<kind>-template.<fmt>")
@guard(can_import_programme)
def download_template(event_id: int, kind: str, fmt: str):
    """An empty sheet with the columns of one kind of import, in the reader's language."""
    event = get_or_404(Event, event_id)
    if fmt not in TEMPLATE_TYPES or kind not in TEMPLATES:
        abort(404)
    return Response(
        TEMPLATES[kind](fmt, event), content_type=TEMPLATE_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{event.slug}-{kind}-template.{fmt}"'},
    )


@bp.route("/imports/<int:batch_id>")
@guard(can_import_programme)
def show_import(batch_id: int):
    batch = get_or_404(ImportBatch, batch_id)
    if batch.status is ImportStatus.APPLIED:
        return render_template("imports/applied.html", batch=batch, event=batch.event)
    unmapped = services.unmapped_rooms(batch)
    if unmapped:
        mapping = room_mapping_form(services.schedule_rooms(batch), room_choices(),
                                    services.room_mappings(batch.event, batch.source))
        return render_template("imports/rooms.html", batch=batch, event=batch.event, form=mapping, unmapped=unmapped)
    plan, problem = services.safe_preview(batch)
    form = ConfirmImportForm(digest=plan.digest if plan else "")
    return render_template("imports/preview.html", batch=batch, event=batch.event, plan=plan, problem=problem, form=form)


@bp.route("/imports/<int:batch_id>/rooms", methods=["POST"])
@guard(can_import_programme)
def map_rooms(batch_id: int):
    batch = get_or_404(ImportBatch, batch_id)
    form = room_mapping_form(services.schedule_rooms(batch), room_choices(), {})
    if form.validate_on_submit():
        try:
            services.map_rooms(batch=batch, mapping=form.mapping(), actor=current_user)
        except ExpoError as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("Rooms mapped. They will be used for this schedule's later imports too."), "success")
    else:
        flash(_("Choose an expo room for every room of the schedule."), "error")
    return redirect(url_for("imports.show_import", batch_id=batch_id))


@bp.route("/imports/<int:batch_id>/confirm", methods=["POST"])
@guard(can_import_programme)
def confirm_import(batch_id: int):
    batch = get_or_404(ImportBatch, batch_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("imports.show_import", batch_id=batch_id))
    try:
        summary = services.confirm_import(batch=batch, digest=form.digest.data, actor=current_user)
    except ExpoError as error:
        refused(error)
        return redirect(url_for("imports.show_import", batch_id=batch_id))
    db.session.commit()
    flash(_("Imported: %(new)s new, %(update)s updated, %(unchanged)s unchanged, %(cancel)s cancelled.", **summary),
          "success")
    return redirect(url_for("programme.list_sessions", event_id=batch.event_id))
