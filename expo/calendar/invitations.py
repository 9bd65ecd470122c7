"""Calendar invitations (iTIP, RFC 5546) attached to booking e-mails.

The invitation uses the UID of every feed and the SEQUENCE of the delegate's own feed (the
session's revision plus the booking's), so a mail client that adds it and a subscribed personal
feed agree on one event, and each later invitation or cancellation outranks the one before."""
from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

import icalendar
from flask import current_app

from expo.calendar.ical import BookingMark, FeedEntry, message_bytes, written_in
from expo.core import mail
from expo.core.timeutil import utcnow
from expo.registration.models import Booking, BookingStatus

MIMETYPE = "text/calendar; method=REQUEST; charset=utf-8"
FILENAME = "invite.ics"
CANCEL_MIMETYPE = "text/calendar; method=CANCEL; charset=utf-8"
CANCEL_FILENAME = "cancel.ics"


def _organizer() -> icalendar.vCalAddress:
    name, address = parseaddr(mail.sender_for(current_app.config["MAIL_DEFAULT_SENDER"]))
    organizer = icalendar.vCalAddress(f"mailto:{address or 'noreply@localhost'}")
    organizer.params["CN"] = name or "Expo"
    return organizer


def _attendee(booking: Booking) -> icalendar.vCalAddress:
    user = booking.user
    attendee = icalendar.vCalAddress(f"mailto:{user.email}")
    attendee.params["CN"] = user.name
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = (
        "ACCEPTED" if booking.status is BookingStatus.CONFIRMED else "TENTATIVE"
    )
    attendee.params["RSVP"] = "FALSE"
    return attendee


def invitation_bytes(booking: Booking, *, method: str = "REQUEST", stamp: datetime | None = None) -> bytes:
    """A METHOD:REQUEST (or CANCEL) VCALENDAR for the booked session, the delegate as ATTENDEE,
    made at ``stamp`` (now by default). ``booking`` may be the facts of a booking kept for an
    e-mail written later (registration.mailfacts): they are read the same way."""
    if booking.user is None:
        raise ValueError("a booking without a delegate has no one to invite")
    mark = BookingMark.CONFIRMED if booking.status is BookingStatus.CONFIRMED else BookingMark.WAITLISTED
    session = booking.session
    entry = FeedEntry(session, booking=mark if method == "REQUEST" else None, booking_changed_at=booking.updated_at,
                      booking_revision=booking.revision)
    with written_in(booking.user.locale):
        return message_bytes(
            entry,
            name=session.event.name,
            timezone_name=session.event.timezone,
            method=method,
            stamp=stamp or utcnow(),  # with METHOD, DTSTAMP is when this message was made
            status="CANCELLED" if method == "CANCEL" else None,
            extra=(("organizer", _organizer()), ("attendee", _attendee(booking))),
        )


def booking_invitation(booking: Booking, *, stamp: datetime | None = None) -> mail.Attachment:
    """The ``invite.ics`` attachment of a booking confirmation."""
    return mail.Attachment(
        filename=FILENAME,
        content=invitation_bytes(booking, stamp=stamp),
        mimetype=MIMETYPE,
    )


def booking_cancellation(booking: Booking, *, stamp: datetime | None = None) -> mail.Attachment:
    """A METHOD:CANCEL for a booking that was cancelled (or a session that was), so a
    calendar that added ``invite.ics`` removes the event."""
    return mail.Attachment(
        filename=CANCEL_FILENAME,
        content=invitation_bytes(booking, method="CANCEL", stamp=stamp),
        mimetype=CANCEL_MIMETYPE,
    )
