"""Builders of the subscription feeds other than an event's whole schedule: a track, a venue,
a network, one session and a delegate's own bookings."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

from expo.accounts.models import User
from expo.calendar.ical import BookingMark, FeedEntry, feed_bytes, one_to_one_vevent_bytes, written_in
from expo.programme.models import ProgrammeSession
from expo.registration.models import Booking, BookingStatus


def _single_timezone(sessions: Sequence[ProgrammeSession]) -> str | None:
    zones = {s.event.timezone for s in sessions}
    return zones.pop() if len(zones) == 1 else None


def public_feed(sessions: Sequence[ProgrammeSession], *, name: str, description: str | None = None,
                timezone_name: str | None = None) -> bytes:
    """Sessions as anyone may see them: never a meeting link. The calendar's time zone is
    ``timezone_name``, else the one zone all the sessions share."""
    with written_in():
        return feed_bytes(
            [FeedEntry(s) for s in sessions],
            name=name,
            description=description,
            timezone_name=timezone_name or _single_timezone(sessions),
        )


# A booking let go by its session's cancellation shows as the public (cancelled) session.
_MARKS = {BookingStatus.CONFIRMED: BookingMark.CONFIRMED, BookingStatus.WAITLISTED: BookingMark.WAITLISTED}


def personal_feed(user: User, bookings: Sequence[Booking], meetings: Sequence[Any] = ()) -> bytes:
    """A delegate's bookings: seats as CONFIRMED with the meeting link, waiting as TENTATIVE,
    sessions cancelled under them as CANCELLED; and their twinning one-to-ones (``meetings``)."""
    entries = [FeedEntry(b.session, booking=_MARKS.get(b.status), booking_changed_at=b.updated_at,
                         booking_revision=b.revision)
               for b in bookings if b.user_id == user.id]
    with written_in(user.locale):
        return feed_bytes(
            entries,
            name=_("My agenda: %(name)s", name=user.name),
            timezone_name=_single_timezone([e.session for e in entries]),
            others=[one_to_one_vevent_bytes(m, user.id) for m in meetings
                    if user.id in (m.requester_id, m.invitee_id)],
        )
