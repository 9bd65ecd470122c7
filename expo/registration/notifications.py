"""E-mails to delegates about their registrations and bookings, in each delegate's language.

Services queue messages on the database session; they are stored with the change and sent by a
job once the transaction commits (see expo/core/mailqueue.py), so a request that fails and rolls
back never tells anyone about a seat they do not have, and a slow or failing mail server never
holds up or breaks the request. A booking's e-mails are stored as facts (mailfacts) and written
by that job, from the facts of the change, so the request that books spends nothing on them."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from expo.accounts.models import User
from expo.calendar.invitations import booking_cancellation, booking_invitation
from expo.core import mail, mailqueue
from expo.core.timeutil import utcnow
from expo.registration import mailfacts
from expo.registration.models import Booking, BookingStatus, Registration

# The kind of the outgoing rows of booking e-mails (their writer: write_booking_mail).
BOOKING_MAIL = "booking"


def queue(message: mail.Message | mailqueue.Deferred) -> None:
    """Send ``message`` when the current transaction commits; drop it if it rolls back."""
    mailqueue.send_after_commit(message)


def pending() -> list[mail.Message]:
    """Messages waiting for the current transaction to commit."""
    return mailqueue.pending()


def _compose(user: Any, template: str, subject: str, **context: Any) -> mail.Message:
    return mail.Message(
        to=user.email,
        subject=subject,
        body=render_template(f"mail/{template}.txt", user=user, **context),
    )


@contextmanager
def written_for(user: Any) -> Iterator[None]:
    """Write in the delegate's language; links need a request, so lend one (at BASE_URL)
    when the change happens outside any (a command, a background job)."""
    with request_lent(), force_locale(user.locale or "en"):
        yield


def request_lent() -> Any:
    """A request at BASE_URL for the links of e-mails written outside any (a command, a
    background job), or nothing when there is one: open it once around many e-mails."""
    return nullcontext() if has_request_context() else current_app.test_request_context(
        base_url=current_app.config["BASE_URL"]
    )


def _registration_mail(registration: Registration, template: str, subject: Callable[[str], str]) -> None:
    """``subject(event_name)`` is called in the delegate's language."""
    user, event = registration.user, registration.event
    if user is None:
        return
    with written_for(user):
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


def _invites(user: User) -> bool:
    """Whether the delegate's booking e-mails carry calendar invitations (their choice)."""
    return user.wants_invitations is not False


# What a release did to each delegate's bookings, while it runs: user id -> session id ->
# (booking, template, method). None outside a release.
_release_digest: ContextVar[dict[int, dict[int, tuple[Booking, str, str | None]]] | None] = ContextVar(
    "release_digest", default=None)
# The mails a release gathers into one per delegate; the last word on a session wins, except
# that a cancellation is not overruled by a move written after it.
_RELEASED = ("session_moved", "session_cancelled", "session_restored")


@contextmanager
def one_mail_per_delegate(*, event: Any, version: str, note: str | None) -> Iterator[None]:
    """While a release applies its changes, gather what each booked delegate would be told
    session by session; afterwards queue one e-mail each, listing all their sessions, with
    one calendar invitation (REQUEST) or cancellation (CANCEL) per session."""
    token = _release_digest.set({})
    try:
        yield
        gathered = _release_digest.get() or {}
    finally:
        _release_digest.reset(token)
    for items in gathered.values():
        _release_mail(event, version, note, list(items.values()))


def _release_mail(event: Any, version: str, note: str | None, items: list[tuple[Booking, str, str | None]]) -> None:
    user = items[0][0].user
    items.sort(key=lambda item: (item[0].session.starts_at, item[0].session.id))
    with written_for(user):
        message = _compose(user, "release", _("Programme changed: %(event)s (%(version)s)", event=event.name,
                                                  version=version),
                           event=event, version=version, note=note, items=items)
        if _invites(user):
            for number, (booking, _template, method) in enumerate(items, start=1):
                if method is not None:
                    attachment = booking_invitation(booking) if method == "REQUEST" else booking_cancellation(booking)
                    attachment.filename = f"{method.lower()}-{number}.ics"
                    message.attachments.append(attachment)
    queue(message)


def _gathered(booking: Booking, template: str, method: str | None) -> bool:
    """Keep the booking's news for the release's one e-mail, if a release is running."""
    digest = _release_digest.get()
    if digest is None or template not in _RELEASED or booking.user is None:
        return False
    items = digest.setdefault(booking.user.id, {})
    earlier = items.get(booking.session_id)
    if not (earlier and earlier[1] == "session_cancelled" and template == "session_moved"):
        items[booking.session_id] = (booking, template, method)
    return True


def _confirmed_subject(title: str, *, promoted: bool = False, **_context: Any) -> str:
    if promoted:
        return _("A seat is yours: %(title)s", title=title)
    return _("Booking confirmed: %(title)s", title=title)


# Each booking e-mail's subject, called with the session's title (and the e-mail's context) in
# the delegate's language.
_SUBJECTS: dict[str, Callable[..., str]] = {
    "booking_confirmed": _confirmed_subject,
    "session_moved": lambda title, **_c: _("Session changed: %(title)s", title=title),
    "session_cancelled": lambda title, **_c: _("Session cancelled: %(title)s", title=title),
    "session_restored": lambda title, **_c: _("Session back in the programme: %(title)s", title=title),
    "booking_removed": lambda title, **_c: _("Your place was withdrawn: %(title)s", title=title),
    "seat_ended": lambda title, **_c: _("Removed from your calendar: %(title)s", title=title),
    "event_withdrawn": lambda title, **_c: _("Taken out of the programme for now: %(title)s", title=title),
    "event_republished": lambda title, **_c: _("Back in the programme: %(title)s", title=title),
}


def booking_message(booking: Any, template: str, *, method: str | None, stamp: datetime,
                    **context: Any) -> mail.Message:
    """The e-mail ``template`` about the booking's session, with its invitation (``method``
    "REQUEST") or cancellation ("CANCEL") made at ``stamp``, in the delegate's language.
    ``booking`` is a Booking or the BookingFacts an e-mail was queued with: both write the
    same e-mail."""
    user, session = booking.user, booking.session
    with written_for(user):
        message = _compose(user, template, _SUBJECTS[template](session.title, **context), session=session,
                           event=session.event, booking=booking, **context)
        if method == "REQUEST":
            message.attachments.append(booking_invitation(booking, stamp=stamp))
        elif method == "CANCEL":
            message.attachments.append(booking_cancellation(booking, stamp=stamp))
    return message


@mailqueue.writer(BOOKING_MAIL)
def write_booking_mail(facts: dict[str, Any]) -> mail.Message:
    """The job's side: a booking e-mail written from the facts it was queued with."""
    return booking_message(mailfacts.booking_from(facts), facts["template"], method=facts["method"],
                           stamp=mailfacts.stamp_of(facts), **facts["context"])


def _booking_mail(booking: Booking, template: str, *, method: str | None, **context: Any) -> None:
    """Queue ``template`` about the booking's session, with its invitation (``method``
    "REQUEST") or cancellation ("CANCEL") when the delegate wants invitations, as facts the
    job writes it from (see booking_message). During a release the news waits for the
    release's one e-mail to the delegate."""
    user = booking.user
    if user is None or _gathered(booking, template, method):
        return
    facts = mailfacts.booking_facts(booking, template=template, method=method if _invites(user) else None,
                                    stamp=utcnow(), context=context)
    queue(mailqueue.Deferred(BOOKING_MAIL, user.email, facts))


def booking_confirmed(booking: Booking, *, promoted: bool = False) -> None:
    _booking_mail(booking, "booking_confirmed", method="REQUEST", promoted=promoted)


def session_moved(booking: Booking, changes: dict[str, Any]) -> None:
    # The same UID with a higher SEQUENCE moves the event the delegate accepted earlier; a
    # place on the waiting list was never invited.
    seat = booking.status is BookingStatus.CONFIRMED
    _booking_mail(booking, "session_moved", method="REQUEST" if seat else None, changes=_json_safe(changes))


def session_cancelled(booking: Booking) -> None:
    _booking_mail(booking, "session_cancelled", method="CANCEL")


def session_restored(booking: Booking) -> None:
    """The session is back, and with it the delegate's seat (with the calendar invitation) or place in line."""
    seat = booking.status is BookingStatus.CONFIRMED
    _booking_mail(booking, "session_restored", method="REQUEST" if seat else None)


def booking_removed(booking: Booking) -> None:
    _booking_mail(booking, "booking_removed", method="CANCEL")


def seat_ended(booking: Booking) -> None:
    """A seat ended otherwise than by the session's cancellation or an organiser taking it
    away (the delegate gave it up, their registration or account ended): the calendar that
    accepted its invitation is sent the cancellation. Without invitations there is nothing
    to remove, and the delegate knows what they did: no e-mail."""
    if booking.user is not None and _invites(booking.user):
        _booking_mail(booking, "seat_ended", method="CANCEL")


def event_withdrawn(booking: Booking) -> None:
    """The session's event was taken out of the published programme: its invited event is
    cancelled; the seat is kept."""
    _booking_mail(booking, "event_withdrawn", method="CANCEL")


def event_republished(booking: Booking) -> None:
    """The session's event is published again: the kept seat is invited again."""
    _booking_mail(booking, "event_republished", method="REQUEST")


def _json_safe(value: Any) -> Any:
    """``value`` as JSON keeps it (a change log's old and new values: text, numbers, instants)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
