"""Organisers' import pages: upload, preview (with a schedule's room mapping), confirm."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge

from expo.core.db import get_or_404
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.core.spreadsheets import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE
from expo.events.models import Event
from expo.imports import people, registrations, services, spreadsheet, tasks, venues
from expo.imports.forms import ConfirmImportForm, PeopleUploadForm, ScheduleUrlForm, UploadForm, room_mapping_form
from expo.imports.models import ImportBatch, ImportStatus, ScheduleUrl
from expo.imports.readers import MAX_IMPORT_BYTES
from expo.permissions import can_import_programme, can_manage_people
from expo.programme.pages import guard, perform, refused
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
    if endpoint in ("imports.new_import", "imports.import_people"):
        request.max_content_length = MAX_IMPORT_BYTES + UPLOAD_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge):
    message = _("The file is larger than %(limit)s MB. Split it into smaller files.", limit=MAX_IMPORT_BYTES // 2**20)
    if request.endpoint == "imports.import_people" and can_manage_people(current_user):
        people_form = PeopleUploadForm(formdata=None)
        people_form.file.errors = [message]
        return render_template("imports/people_upload.html", form=people_form), 413
    event = db.session.get(Event, (request.view_args or {}).get("event_id", 0))
    if event is None or not can_import_programme(current_user):
        return render_template("errors.html", code=413, error=error), 413
    form = UploadForm(formdata=None)
    form.file.errors = [message]
    return _upload_page(event, form, 413)


def _upload_page(event: Event, form: UploadForm, status: int = 200, url_form: ScheduleUrlForm | None = None):
    return render_template("imports/upload.html", event=event, form=form, url_form=url_form or ScheduleUrlForm(formdata=None),
                           schedule_urls=services.schedule_urls(event)), status


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@guard(can_import_programme)
def new_import(event_id: int):
    event = get_or_404(Event, event_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = services.start_import(
                event=event, filename=upload.filename or "", content=upload.stream, actor=current_user
            )
        except ExpoError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
        else:
            return _kept(batch)
    return _upload_page(event, form, 400 if any(f.errors for f in form) else 200)


def _kept(batch: ImportBatch):
    """A file kept for its preview: read by a job when it is large, then shown."""
    if tasks.runs_as_job(batch) and not services.unmapped_rooms(batch):  # rooms first, then the preview
        tasks.start(batch=batch, step=tasks.PREVIEW, actor=current_user)
    db.session.commit()
    return redirect(url_for("imports.show_import", batch_id=batch.id))


@bp.route("/events/<int:event_id>/import/schedule-url", methods=["POST"])
@guard(can_import_programme)
def add_schedule_url(event_id: int):
    """Remember a frab / pretalx schedule's address and preview it."""
    event = get_or_404(Event, event_id)
    form = ScheduleUrlForm()
    if form.validate_on_submit():
        try:
            batch = services.add_schedule_url(event=event, url=form.url.data, actor=current_user)
        except ExpoError as error:
            db.session.rollback()
            form.url.errors = [*form.url.errors, error.message]
        else:
            return _kept(batch)
    return _upload_page(event, UploadForm(formdata=None), 400, url_form=form)


@bp.route("/schedule-urls/<int:url_id>/fetch", methods=["POST"])
@guard(can_import_programme)
def fetch_schedule(url_id: int):
    """Fetch a remembered schedule again and preview what changed."""
    schedule_url = get_or_404(ScheduleUrl, url_id)
    if not FlaskForm().validate_on_submit():  # the CSRF token
        flash(_("The form expired. Please send it again."), "error")
    else:
        try:
            batch = services.fetch_schedule_again(schedule_url=schedule_url, actor=current_user)
        except ExpoError as error:
            refused(error)
        else:
            return _kept(batch)
    return redirect(url_for("imports.new_import", event_id=schedule_url.event_id))


@bp.route("/people/import", methods=["GET", "POST"])
@guard(can_manage_people)
def import_people():
    form = PeopleUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = services.start_people_import(filename=upload.filename or "", content=upload.stream,
                                                 actor=current_user)
        except ExpoError as error:
            db.session.rollback()
            form.file.errors = [*form.file.errors, error.message]
        else:
            return _kept(batch)
    return render_template("imports/people_upload.html", form=form), 400 if any(f.errors for f in form) else 200


@bp.route("/people/import/template.<fmt>")
@guard(can_manage_people)
def people_template(fmt: str):
    """An empty people sheet, in the reader's language."""
    if fmt not in TEMPLATE_TYPES:
        abort(404)
    return Response(people.template(fmt), content_type=TEMPLATE_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="people-template.{fmt}"'})


@bp.route("/imports/<int:batch_id>/progress.json")
@guard(can_import_programme)
def import_progress(batch_id: int):
    """How far the import's job is, for the progress bar."""
    batch = get_or_404(ImportBatch, batch_id)
    if tasks.settle(batch):
        db.session.commit()
    return jsonify(state=batch.job_state, step=batch.job_step, done=batch.rows_done, total=batch.rows_total,
                   percent=batch.percent_done, applied=batch.status is ImportStatus.APPLIED)


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
    if tasks.settle(batch):  # its job stopped without a word: shown as failed, to be started again
        db.session.commit()
    if batch.job_state is not None:
        return render_template("imports/job.html", batch=batch, event=batch.event,
                               form=ConfirmImportForm(digest=(batch.result or {}).get("digest", "")))
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
            if tasks.runs_as_job(batch):
                tasks.start(batch=batch, step=tasks.PREVIEW, actor=current_user)
        except ExpoError as error:
            refused(error)
        else:
            db.session.commit()
            flash(_("Rooms mapped. They will be used for this schedule's later imports too."), "success")
    else:
        flash(_("Choose an expo room for every room of the schedule."), "error")
    return redirect(url_for("imports.show_import", batch_id=batch_id))


@bp.route("/imports/<int:batch_id>/again", methods=["POST"])
@guard(can_import_programme)
def start_again(batch_id: int):
    """Read the file again after its job failed or stopped."""
    batch = get_or_404(ImportBatch, batch_id)
    if not FlaskForm().validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("imports.show_import", batch_id=batch_id))
    return perform(lambda: tasks.start_again(batch=batch, actor=current_user), _("The file is being read again."),
                   url_for("imports.show_import", batch_id=batch_id))


@bp.route("/imports/<int:batch_id>/confirm", methods=["POST"])
@guard(can_import_programme)
def confirm_import(batch_id: int):
    batch = get_or_404(ImportBatch, batch_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please send it again."), "error")
        return redirect(url_for("imports.show_import", batch_id=batch_id))
    if batch.job_state is not None:
        return perform(lambda: tasks.start(batch=batch, step=tasks.CONFIRM, actor=current_user, digest=form.digest.data),
                       _("The import is running."), url_for("imports.show_import", batch_id=batch_id))
    try:
        summary = services.confirm_import(batch=batch, digest=form.digest.data, actor=current_user)
    except ExpoError as error:
        refused(error)
        return redirect(url_for("imports.show_import", batch_id=batch_id))
    db.session.commit()
    flash(_("Imported: %(new)s new, %(update)s updated, %(unchanged)s unchanged, %(cancel)s cancelled.", **summary),
          "success")
    return redirect(url_for("programme.list_sessions", event_id=batch.event_id))
