"""Delegates register for events, book sessions, join waiting lists and keep an agenda."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from expo.core.db import get_or_404
from expo.core.errors import ExpoError, NeedsConfirmation
from expo.core.extensions import db
from expo.core.pagecache import own_page
from expo.core.security import no_store, safe_next
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.events.queries import expo_timezone
from expo.permissions import (
    has_twinning_application,
    can_book,
    can_register,
    can_view_event,
    is_signed_in,
    owns,
    require,
)
from expo.registration import queries, receivers, services  # noqa: F401  (receivers connect signals)
from expo.registration.forms import BookForm, end_reason_label, status_badge, status_label
from expo.registration.models import BookingStatus, Registration
from expo.twinning import one_to_one

bp = Blueprint("registration", __name__)
bp.add_app_template_global(queries.booking_state, "booking_state")
bp.add_app_template_global(queries.reader_registration, "reader_registration")
bp.add_app_template_global(status_label, "status_label")
bp.add_app_template_global(status_badge, "status_badge")
bp.add_app_template_global(end_reason_label, "end_reason_label")


def _event_or_404(slug: str) -> Event:
    event = db.session.scalar(db.select(Event).where(Event.slug == slug)) or abort(404)
    require(can_view_event(current_user, event), hide=True)
    return event


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


@bp.route("/agenda")
@login_required
@no_store
@own_page("schedule")
def agenda():
    """The signed-in user's sessions by day, clashes marked, and their registrations."""
    require(is_signed_in(current_user))
    # Only people of a twinning programme have one-to-ones (known without a query).
    meetings = one_to_one.calendar_meetings(current_user.id, live=True) if has_twinning_application(current_user) else []
    return render_template(
        "registration/agenda.html",
        days=queries.agenda(current_user),
        registrations=queries.my_registrations(current_user),
        open_events=queries.open_events(current_user),
        meetings=meetings,
        default_zone=expo_timezone() if meetings else None,
        now=utcnow(),
    )


@bp.route("/events/<slug>/registration")
@login_required
def show_event_registration(slug: str):
    """Where a delegate registers for an event and sees how their registration stands."""
    event = _event_or_404(slug)
    require(is_signed_in(current_user))
    return render_template(
        "registration/event.html", event=event, registration=services.registration_for(current_user, event),
        places_taken=services.places_taken(event),
    )


@bp.route("/events/<slug>/register", methods=["POST"])
@login_required
def register_event(slug: str):
    event = _event_or_404(slug)
    require(can_register(current_user, event))
    try:
        registration = services.register(delegate=current_user, event=event, actor=current_user)
    except ExpoError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Registration: %(status)s.", status=status_label(registration.status)), "success")
    return redirect(_back(url_for("registration.show_event_registration", slug=event.slug)))


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@login_required
def cancel_registration(registration_id: int):
    registration = get_or_404(Registration, registration_id)
    require(owns(current_user, registration), hide=True)
    try:
        services.cancel_registration(registration=registration, actor=current_user)
    except ExpoError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Your registration is cancelled and your seats are released."), "success")
    return redirect(_back(url_for("registration.agenda")))


@bp.route("/sessions/<int:session_id>/book", methods=["POST"])
@login_required
def book_session(session_id: int):
    # Read once, with its event, under the locks the booking takes.
    session = services.lock_for_booking(current_user, session_id) or abort(404)
    require(can_view_event(current_user, session.event), hide=True)
    require(can_book(current_user, session))
    form = BookForm()
    back = _back(url_for("registration.agenda"))
    if not form.validate_on_submit():
        abort(400)
    try:
        booking = services.book_session(
            delegate=current_user, session=session, actor=current_user,
            confirm_overlap=form.confirm_overlap.data, join_waitlist=form.waitlist.data,
        )
    except NeedsConfirmation as question:
        return render_template("registration/confirm_booking.html", session=session, question=question,
                               form=form, back=back)
    except ExpoError as error:
        flash(error.message, "error")
        return redirect(back)
    # Worded before the commit, which would make both rows load again.
    if booking.status is BookingStatus.WAITLISTED:
        message = _("You are number %(n)s on the waiting list.", n=booking.waitlist_position)
    else:
        message = _("Your seat is booked: %(title)s.", title=session.title)
    db.session.commit()
    flash(message, "success")
    return redirect(back)


@bp.route("/sessions/<int:session_id>/cancel-booking", methods=["POST"])
@login_required
def cancel_booking(session_id: int):
    """Cancels the signed-in user's own booking of this session (there is no booking id to guess)."""
    session = services.lock_for_change(session_id) or abort(404)
    require(can_view_event(current_user, session.event), hide=True)
    try:
        booking = services.cancel_own_booking(session=session, delegate=current_user)
    except ExpoError as error:
        flash(error.message, "error")
    else:
        if booking is None:
            abort(404)
        message = _("Your booking of %(title)s is cancelled.", title=session.title)
        db.session.commit()
        flash(message, "success")
    return redirect(_back(url_for("registration.agenda")))


