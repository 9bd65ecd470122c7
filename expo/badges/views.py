"""Badges: a delegate's own QR code, printable badge sheets and lost-badge resets."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from expo.accounts.models import User
from expo.accounts.services import find_user_by_email
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.badges import builders, queries, services
from expo.badges.forms import ResetBadgeForm
from expo.core.db import database_id, get_or_404
from expo.core.extensions import db
from expo.core.pdf import FONT_PACKAGES, FontsMissing
from expo.events.models import Event
from expo.core.branding import current_look
from expo.events.queries import current_expo, expo_logo
from expo.permissions import can_print_badges, can_reset_badge, require

bp = Blueprint("badges", __name__, url_prefix="/badges")

PRIVATE = "private, no-store"


@bp.route("/my-code.svg")
@login_required
def my_code():
    """The signed-in person's check-in QR code; never cached, as it is their key at the door."""
    svg = builders.qr_svg(current_user.badge_token, title=_("Check-in code for %(name)s", name=current_user.name))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": PRIVATE})


@bp.route("/")
@login_required
def index():
    require(can_print_badges(current_user))
    reissued = request.args.get("reissued", type=database_id)
    return render_template(
        "badges/index.html",
        events=queries.events_with_registrants(current_user),
        form=ResetBadgeForm(),
        reissued=db.session.get(User, reissued) if reissued else None,
    )


@bp.route("/events/<int:event_id>/badges.pdf")
@login_required
def print_badges(event_id: int):
    event = get_or_404(Event, event_id)
    require(can_print_badges(current_user, event))
    badges = queries.badges_for_event(event)
    if not badges:
        flash(_("%(event)s has no approved registrants yet: no badges to print.", event=event.name), "warning")
        return redirect(url_for("badges.index"))
    try:
        pdf = builders.badges_pdf(badges, event_name=event.name, title=_("Badges – %(event)s", event=event.name),
                                  look=_badge_look())
    except FontsMissing as error:
        return _fonts_missing(error)
    return _pdf_response(pdf, f"badges-{event.slug}.pdf", target=event.name)


@bp.route("/people/<int:user_id>/badge.pdf")
@login_required
def print_badge(user_id: int):
    """One person's badge, to replace a lost one."""
    require(can_reset_badge(current_user))
    user = queries.person_with_details(user_id) or abort(404)
    expo = current_expo()
    try:
        pdf = builders.badges_pdf(
            [queries.badge_data(user)], event_name=expo.name if expo else "", title=_("Badge – %(name)s", name=user.name),
            look=_badge_look(),
        )
    except FontsMissing as error:
        return _fonts_missing(error)
    return _pdf_response(pdf, f"badge-{user.id}.pdf", subject=user)


def _badge_look() -> builders.BadgeLook:
    """The expo's look as badges print it (the logo's bytes are read only when it has one)."""
    look = current_look()
    logo = expo_logo() if look.logo_type else None
    return builders.BadgeLook(expo_name=look.display_name, colour=look.primary_rgb, logo=logo[0] if logo else None)


def _fonts_missing(error: FontsMissing) -> Response:
    # The server's set-up, not the organiser, is at fault: the log says how to put it right.
    current_app.logger.error("%s", error)
    flash(
        _("Badges cannot be printed: this server lacks the fonts %(fonts)s. Install Debian's %(packages)s packages.",
          fonts=", ".join(error.missing), packages=FONT_PACKAGES),
        "error",
    )
    return redirect(url_for("badges.index"))


def _pdf_response(pdf: bytes, filename: str, *, target: str | None = None, subject: User | None = None) -> Response:
    audit.record(actor=current_user._get_current_object(), action=AuditAction.EXPORT_BADGES,
                 subject=subject, target=target, detail=filename)
    db.session.commit()
    # Badges carry check-in tokens: never kept in a shared or browser cache.
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Cache-Control": PRIVATE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/reset", methods=["POST"])
@login_required
def reset_badge():
    require(can_reset_badge(current_user))
    form = ResetBadgeForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None:
            services.reset_badge(user=user, actor=current_user)
            db.session.commit()
            flash(
                _("%(name)s has a new badge; the new check-in code is %(code)s.", name=user.name, code=user.badge_code),
                "success",
            )
            return redirect(url_for("badges.index", reissued=user.id))
        form.email.errors.append(_("No account has this e-mail address."))
    return render_template(
        "badges/index.html", events=queries.events_with_registrants(current_user), form=form, reissued=None
    ), 400
