"""Settings → Branding (administrators), and the look's stylesheet and logo every page links to."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from expo.core import branding as look
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.events import queries
from expo.events.branding import MAX_LOGO_BYTES, update_look
from expo.events.forms import BrandingForm
from expo.permissions import can_manage_branding
from expo.programme.pages import form_refused, guard

bp = Blueprint("branding", __name__)
UPLOAD_ALLOWANCE = 64 * 1024  # the form's other fields and the multipart framing
YEAR = 365 * 86400
# An SVG logo opened on its own runs nothing and loads nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.url_value_preprocessor
def limit_uploads(endpoint: str | None, values: dict | None) -> None:
    """Refuse a huge upload before anything reads its body (the CSRF check reads the form)."""
    if endpoint == "branding.edit_branding":
        request.max_content_length = MAX_LOGO_BYTES + UPLOAD_ALLOWANCE


@bp.errorhandler(RequestEntityTooLarge)
def logo_too_large(error: RequestEntityTooLarge):
    if not can_manage_branding(current_user):
        return render_template("errors.html", code=413, error=error), 413
    form = _form(formdata=None)
    form.logo.errors = [_("The logo is larger than %(limit)d KB. Save it smaller.", limit=MAX_LOGO_BYTES // 1024)]
    return render_template("settings/branding.html", form=form, look=look.current_look()), 413


def _form(**kwargs) -> BrandingForm:
    current = look.current_look()
    return BrandingForm(data={"name": current.name or "", "primary_colour": current.primary,
                              "accent_colour": current.accent}, **kwargs)


@bp.route("/manage/settings/branding", methods=["GET", "POST"])
@guard(can_manage_branding)
def edit_branding():
    form = _form()
    if form.validate_on_submit():
        upload = form.logo.data
        content = upload.read(MAX_LOGO_BYTES + 1) if upload and getattr(upload, "filename", "") else None
        try:
            update_look(name=form.name.data, primary=form.primary_colour.data, accent=form.accent_colour.data,
                        logo=content, remove_logo=form.remove_logo.data, actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            look.forget()
            flash(_("The expo's look is saved."), "success")
            return redirect(url_for("branding.edit_branding"))
    return render_template("settings/branding.html", form=form, look=look.current_look())


@bp.route("/look.css")
def stylesheet():
    """Public: the look's colours as CSS custom properties (cached for good under its version)."""
    current = look.current_look()
    response = Response(look.stylesheet(current), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = YEAR if request.args.get("v") == current.version else 60
    return response


@bp.route("/logo")
def logo():
    """Public: the expo's logo, SVG served under a policy that runs no script."""
    found = queries.expo_logo()
    if found is None:
        abort(404)
    content, content_type, version = found
    response = Response(content, mimetype=content_type)
    response.headers["Content-Security-Policy"] = SVG_POLICY
    response.headers["Content-Disposition"] = "inline"
    response.cache_control.public = True
    response.cache_control.max_age = YEAR if request.args.get("v") == version else 60
    return response
