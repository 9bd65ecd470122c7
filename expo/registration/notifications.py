"""E-mails to delegates about their registrations and bookings, in each delegate's language.

Services queue messages on the database session; they are stored with the change and sent by a
job once the transaction commits (see expo/core/mailqueue.py), so a request that fails and rolls
back never tells anyone about a seat they do not have, and a slow or failing mail server never
holds up or breaks the request."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from expo.accounts.models import User
from expo.calendar.invitations import booking_cancellation, booking_invitation
from expo.core import mail, mailqueue
from expo.registration.models import Booking, BookingStatus, Registration


def queue(message: mail.Message) -> None:
    """Send ``message`` when the current transaction commits; drop it if it rolls back."""
    mailqueue.send_after_commit(message)


def pending() -> list[mail.Message]:
    """Messages waiting for the current transaction to commit."""
    return mailqueue.pending()


def _compose(user: User, template: str, subject: str, **context: Any) -> mail.Message:
    return mail.Message(
        to=user.email,
        subject=subject,
        body=render_template(f"mail/{template}.txt", user=user, **context),
    )


@contextmanager
def _in_language(user: User) -> Iterator[None]:
    """Write in the delegate's language; links need a request, so lend one (at BASE_URL)
    when the change happens outside any (a command, a background job)."""
    outer = nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["BASE_URL"]
    )
    with outer, force_locale(user.locale or "en"):
        yield


def _registration_mail(registration: Registration, template: str, subject: Callable[[str], str]) -> None:
    """``subject(event_name)`` is called in the delegate's language."""
    user, event = registration.user, registration.event
    if user is None:
        return
    with _in_language(user):
        queue(_compose(user, template, subject(event.name), event=event, registration=registration))


def registration_received(registration: Registration) -> None:
    _registration_mail(registration, "registration_received",
                       lambda event: _("Registration received: %(event)s", event=event))


def registration_approved(registration: Registration) -> None:
    _registration_mail(registration, "registration_approved",
                       lambda event: _("You are registered: %(event)s", event=event))


def registration_declined(registration: Registration) -> None:
    _registration_mail(registration, "registration_declined",
                       lambda event: _("Your registration was not accepted: %(event)s", event=event))


def registration_removed(registration: Registration) -> None:
    _registration_mail(registration, "registration_removed",
                       lambda event: _("You are no longer registered: %(event)s", event=event))


def booking_confirmed(booking: Booking, *, promoted: bool = False) -> None:
    user, session = booking.user, booking.session
    if user is None:
        return
    with _in_language(user):
        if promoted:
            subject = _("A seat is yours: %(title)s", title=session.title)
        else:
            subject = _("Booking confirmed: %(title)s", title=session.title)
        message = _compose(user, "booking_confirmed", subject, session=session, event=session.event,
                           promoted=promoted)
        message.attachments.append(booking_invitation(booking))
    queue(message)


def session_moved(booking: Booking, changes: dict[str, Any]) -> None:
    user, session = booking.user, booking.session
    if user is None:
        return
    with _in_language(user):
        message = _compose(user, "session_moved", _("Session changed: %(title)s", title=session.title),
                           session=session, event=session.event, booking=booking, changes=changes)
        if booking.status is BookingStatus.CONFIRMED:
            # The same UID with a higher SEQUENCE moves the event the delegate accepted earlier.
            message.attachments.append(booking_invitation(booking))
    queue(message)


def session_cancelled(booking: Booking) -> None:
    user, session = booking.user, booking.session
    if user is None:
        return
    with _in_language(user):
        message = _compose(user, "session_cancelled", _("Session cancelled: %(title)s", title=session.title),
                           session=session, event=session.event)
        message.attachments.append(booking_cancellation(booking))
    queue(message)


def session_restored(booking: Booking) -> None:
    """The session is back, and with it the delegate's seat (with the calendar invitation) or place in line."""
    user, session = booking.user, booking.session
    if user is None:
        return
    with _in_language(user):
        message = _compose(user, "session_restored", _("Session back in the programme: %(title)s", title=session.title),
                           session=session, event=session.event, booking=booking)
        if booking.status is BookingStatus.CONFIRMED:
            message.attachments.append(booking_invitation(booking))
    queue(message)


def booking_removed(booking: Booking) -> None:
    user, session = booking.user, booking.session
    if user is None:
        return
    with _in_language(user):
        message = _compose(user, "booking_removed",
                           _("Your place was withdrawn: %(title)s", title=session.title),
                           session=session, event=session.event)
        message.attachments.append(booking_cancellation(booking))
    queue(message)
