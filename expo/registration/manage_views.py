"""Organisers handle registrations and bookings: filter, approve, add, remove, export."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from expo.accounts.models import User
from expo.accounts.services import find_user_by_email
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core import mailqueue
from expo.core.db import get_or_404
from expo.core.errors import ExpoError, NeedsConfirmation
from expo.core.extensions import db
from expo.core.forms import BulkForm
from expo.core.fragments import table_page
from expo.core.tables import BulkAction, download, run_bulk
from expo.events.models import Event
from expo.permissions import can_manage_registrations, can_resend_mail, can_view_private_needs, require
from expo.programme.models import ProgrammeSession
from expo.registration import exports, queries, services
from expo.registration.forms import (
    AddPersonForm,
    ConfirmForm,
    DecideForm,
    PeopleFilterForm,
    SendAgainForm,
)
from expo.registration.models import (
    Booking,
    BookingStatus,
    Registration,
    RegistrationStatus,
)

bp = Blueprint("registration_manage", __name__, url_prefix="/manage")


def _managed_event(slug: str) -> Event:
    event = db.session.scalar(db.select(Event).where(Event.slug == slug)) or abort(404)
    require(can_manage_registrations(current_user, event))
    return event


def _managed_session(session_id: int) -> ProgrammeSession:
    session = get_or_404(ProgrammeSession, session_id)
    require(can_manage_registrations(current_user, session.event))
    return session


def _filters(statuses) -> tuple[PeopleFilterForm, queries.PeopleFilter]:
    form = PeopleFilterForm(request.args)
    form.fill(queries.filter_choices(), statuses)
    if not form.validate():
        abort(400)
    return form, queries.PeopleFilter(
        status=form.status.data or None,
        country=form.country.data or None,
        network_id=int(form.network.data) if form.network.data else None,
        organisation_id=int(form.organisation.data) if form.organisation.data else None,
        q=form.q.data or None,
    )


# What the lists of registrations and bookings show and filter by besides their own rows: the
# event, and the people with their organisations, countries and networks.
_PEOPLE_TABLES = ("events", "users", "organisations", "countries", "networks", "user_networks")


def _download(fmt: str, rows: tuple[list[str], Any], filename: str, action: AuditAction, target: str):
    """The whole filtered list as a download, written to the audit log first."""
    audit.record(actor=current_user._get_current_object(), action=action, target=target,
                 detail=f"{filename}.{fmt}")
    db.session.commit()
    header, body = rows
    return download(fmt, header, body, filename=filename, title=target)


def _registration_actions(event: Event) -> list[BulkAction]:
    actor = current_user._get_current_object()

    def decide(approve: bool):
        return lambda ids: len(services.decide_registrations(event=event, registration_ids=ids, approve=approve,
                                                             actor=actor))

    return [
        BulkAction("approve", _l("Approve"), decide(True)),
        BulkAction("decline", _l("Decline"), decide(False)),
        BulkAction("remove", _l("Remove from the event"),
                   lambda ids: len(services.remove_registrations(event=event, registration_ids=ids, actor=actor))),
    ]


@bp.route("/events/<slug>/registrations")
@login_required
def manage_registrations(slug: str):
    event = _managed_event(slug)

    def build() -> dict[str, Any]:
        form, filters = _filters(RegistrationStatus)
        table = queries.registrations_table()
        return dict(
            filter_form=form, page=table.page(queries.event_registrations(event, filters), table.state(request.args)),
            counts=queries.registration_counts(event),
            bulk_form=BulkForm(_registration_actions(event)), add_form=AddPersonForm(),
            show_needs=can_view_private_needs(current_user, event), statuses=list(RegistrationStatus),
        )

    return table_page("registration/manage_registrations.html", reads=_PEOPLE_TABLES + ("registrations",),
                      context={"event": event}, build=build)


@bp.route("/events/<slug>/registrations/bulk", methods=["POST"])
@login_required
def bulk_registrations(slug: str):
    """Approve, decline or remove the ticked registrations, or every one the filters match."""
    event = _managed_event(slug)
    _form, filters = _filters(RegistrationStatus)
    return run_bulk(table=queries.registrations_table(), query=queries.event_registrations(event, filters),
                    actions=_registration_actions(event), what=_("Registrations of %(event)s", event=event.name),
                    back=url_for("registration_manage.manage_registrations", slug=slug, **request.args))


@bp.route("/events/<slug>/registrations.<any(csv, xlsx):fmt>")
@login_required
def export_registrations(slug: str, fmt: str):
    event = _managed_event(slug)
    _form, filters = _filters(RegistrationStatus)
    table = queries.registrations_table()
    rows = table.all_rows(queries.event_registrations(event, filters), table.state(request.args))
    return _download(fmt, exports.registration_rows(rows, timezone=event.timezone,
                                                    with_needs=can_view_private_needs(current_user, event)),
                     f"{event.slug}-registrations", AuditAction.EXPORT_REGISTRATIONS, event.name)


@bp.route("/events/<slug>/bookings.<any(csv, xlsx):fmt>")
@login_required
def export_event_bookings(slug: str, fmt: str):
    event = _managed_event(slug)
    _form, filters = _filters(BookingStatus)
    table = queries.bookings_table(with_session=True)
    rows = table.all_rows(queries.event_bookings(event, filters), table.state({}))
    return _download(fmt, exports.booking_rows(rows, timezone=event.timezone,
                                               with_needs=can_view_private_needs(current_user, event)),
                     f"{event.slug}-bookings", AuditAction.EXPORT_BOOKINGS, event.name)


@bp.route("/events/<slug>/registrations/decide", methods=["POST"])
@login_required
def decide_registrations(slug: str):
    event = _managed_event(slug)
    form = DecideForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("registration_manage.manage_registrations", slug=slug))
    try:
        decided = services.decide_registrations(event=event, registration_ids=form.ids.data,
                                                approve=form.decision.data == "approve", actor=current_user)
    except ExpoError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(ngettext("%(num)d registration updated.", "%(num)d registrations updated.", len(decided)),
              "success")
    return redirect(url_for("registration_manage.manage_registrations", slug=slug))


@bp.route("/registrations/<int:registration_id>/remove", methods=["POST"])
@login_required
def remove_registration(registration_id: int):
    """Takes a delegate out of the event: registration cancelled, seats released, delegate told."""
    registration = get_or_404(Registration, registration_id)
    require(can_manage_registrations(current_user, registration.event))
    _commit_or_explain(lambda: services.remove_registration(registration=registration, actor=current_user),
                       _("The delegate is no longer registered; their seats went to the waiting lists."))
    return redirect(url_for("registration_manage.manage_registrations", slug=registration.event.slug))


def _commit_or_explain(change: Callable[[], object], done: str) -> None:
    """Make one change and commit it with ``done`` as the message, or show why it was refused."""
    try:
        change()
    except ExpoError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(done, "success")


def _add_person(back: str, add: Callable[[User, bool], object], done: str):
    """Shared steps of adding a delegate by e-mail: validate, find them, add (asking before
    going over capacity), commit and report."""
    form = AddPersonForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(back)
    delegate = find_user_by_email(form.email.data)
    if delegate is None:
        flash(_("No account has this e-mail address."), "error")
        return redirect(back)
    try:
        add(delegate, form.confirm.data)
    except NeedsConfirmation as question:
        return render_template("registration/confirm_manage.html", question=question, form=form,
                               action=request.path, back=back)
    except ExpoError as error:
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(done % {"name": delegate.name}, "success")
    return redirect(back)


@bp.route("/events/<slug>/registrations/add", methods=["POST"])
@login_required
def add_registration(slug: str):
    event = _managed_event(slug)
    return _add_person(
        url_for("registration_manage.manage_registrations", slug=slug),
        lambda delegate, over: services.add_registration(
            event=event, delegate=delegate, actor=current_user, allow_over_capacity=over),
        _("%(name)s is registered."),
    )


def _booking_actions(session: ProgrammeSession) -> list[BulkAction]:
    actor = current_user._get_current_object()
    return [
        BulkAction("seat", _l("Give a seat (from the waiting list)"),
                   lambda ids: len(services.confirm_waitlisted_bookings(session=session, booking_ids=ids, actor=actor))),
        BulkAction("remove", _l("Remove from the session"),
                   lambda ids: len(services.remove_bookings(session=session, booking_ids=ids, actor=actor))),
    ]


@bp.route("/sessions/<int:session_id>/bookings")
@login_required
def manage_bookings(session_id: int):
    session = _managed_session(session_id)

    def build() -> dict[str, Any]:
        form, filters = _filters(BookingStatus)
        table = queries.bookings_table()
        return dict(
            filter_form=form, page=table.page(queries.session_bookings(session, filters), table.state(request.args)),
            confirmed=services.confirmed_count(session), add_form=AddPersonForm(),
            bulk_form=BulkForm(_booking_actions(session)),
            show_needs=can_view_private_needs(current_user, session.event),
        )

    return table_page("registration/manage_bookings.html",
                      reads=_PEOPLE_TABLES + ("bookings", "programme_sessions", "rooms"),
                      context={"session": session, "event": session.event}, build=build)


@bp.route("/sessions/<int:session_id>/bookings/bulk", methods=["POST"])
@login_required
def bulk_bookings(session_id: int):
    """Seat or remove the ticked bookings, or every one the filters match."""
    session = _managed_session(session_id)
    _form, filters = _filters(BookingStatus)
    return run_bulk(table=queries.bookings_table(), query=queries.session_bookings(session, filters),
                    actions=_booking_actions(session), what=_("Bookings of %(session)s", session=session.title),
                    back=url_for("registration_manage.manage_bookings", session_id=session_id, **request.args))


@bp.route("/sessions/<int:session_id>/bookings.<any(csv, xlsx):fmt>")
@login_required
def export_session_bookings(session_id: int, fmt: str):
    session = _managed_session(session_id)
    _form, filters = _filters(BookingStatus)
    table = queries.bookings_table()
    rows = table.all_rows(queries.session_bookings(session, filters), table.state(request.args))
    return _download(fmt, exports.booking_rows(rows, timezone=session.event.timezone,
                                               with_needs=can_view_private_needs(current_user, session.event)),
                     f"session-{session.id}-bookings", AuditAction.EXPORT_BOOKINGS, session.title)


@bp.route("/sessions/<int:session_id>/bookings/add", methods=["POST"])
@login_required
def add_booking(session_id: int):
    session = _managed_session(session_id)
    return _add_person(
        url_for("registration_manage.manage_bookings", session_id=session.id),
        lambda delegate, over: services.add_to_session(
            session=session, delegate=delegate, actor=current_user, allow_over_capacity=over),
        _("%(name)s has a seat."),
    )


def _managed_booking(booking_id: int) -> Booking:
    booking = get_or_404(Booking, booking_id)
    require(can_manage_registrations(current_user, booking.session.event))
    return booking


@bp.route("/bookings/<int:booking_id>/remove", methods=["POST"])
@login_required
def remove_booking(booking_id: int):
    booking = _managed_booking(booking_id)
    _commit_or_explain(lambda: services.remove_booking(booking=booking, actor=current_user),
                       _("The delegate is removed; the waiting list moved up."))
    return redirect(url_for("registration_manage.manage_bookings", session_id=booking.session_id))


@bp.route("/bookings/<int:booking_id>/confirm", methods=["POST"])
@login_required
def confirm_booking(booking_id: int):
    booking = _managed_booking(booking_id)
    form = ConfirmForm()
    back = url_for("registration_manage.manage_bookings", session_id=booking.session_id)
    if not form.validate_on_submit():
        abort(400)
    try:
        services.confirm_waitlisted(booking=booking, actor=current_user, allow_over_capacity=form.confirm.data)
    except NeedsConfirmation as question:
        return render_template("registration/confirm_manage.html", question=question, form=form,
                               action=request.path, back=back)
    except ExpoError as error:
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(_("The delegate now has a seat."), "success")
    return redirect(back)


@bp.route("/mail")
@login_required
def failed_mail():
    """The e-mails given up after every try, with what went wrong, to send again."""
    require(can_resend_mail(current_user))
    return render_template("registration/failed_mail.html", mails=mailqueue.failed_mails(),
                           counts=mailqueue.count_by_status(), stale=mailqueue.count_stale_waiting(),
                           form=SendAgainForm())


@bp.route("/mail/send-again", methods=["POST"])
@login_required
def send_mail_again():
    require(can_resend_mail(current_user))
    form = SendAgainForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("registration_manage.failed_mail"))
    queued = mailqueue.send_again(form.ids.data)
    db.session.commit()
    flash(ngettext("%(num)d e-mail is on its way again.", "%(num)d e-mails are on their way again.", queued),
          "success")
    return redirect(url_for("registration_manage.failed_mail"))


@bp.route("/mail/send-waiting", methods=["POST"])
@login_required
def send_waiting_mail():
    """E-mails waiting too long (their job was lost with a restart) are queued again."""
    require(can_resend_mail(current_user))
    queued = mailqueue.requeue_waiting()
    db.session.commit()
    flash(ngettext("%(num)d e-mail is on its way again.", "%(num)d e-mails are on their way again.", queued),
          "success")
    return redirect(url_for("registration_manage.failed_mail"))
