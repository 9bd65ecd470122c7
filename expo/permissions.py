"""Every permission rule of Expo, in one place.

Views call ``require(can_…(current_user, obj))``; templates use the same predicates (they are
Jinja globals) and tests check them directly. Role checks appear nowhere else."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import abort

from expo.accounts.models import Role

if TYPE_CHECKING:
    from expo.events.models import Event
    from expo.programme.models import ProgrammeSession


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def is_organiser(user: Any) -> bool:
    return _role(user) is Role.ORGANISER


def is_staff(user: Any) -> bool:
    """Staff at the door; organisers can do everything staff can."""
    return _role(user) in (Role.STAFF, Role.ORGANISER)


def is_signed_in(user: Any) -> bool:
    return _role(user) is not None


def is_anyone(user: Any) -> bool:
    """Deliberately public pages (venues, networks, countries): everyone, signed in or not."""
    return True


# --- the schedule -------------------------------------------------------------------------

def can_manage_expo(user: Any) -> bool:
    """Create, edit and delete events, venues, rooms, networks, organisations and sessions."""
    return is_organiser(user)


def can_view_event(user: Any, event: Event) -> bool:
    """Published events are public; drafts are seen by organisers only."""
    return event.is_published or is_organiser(user)


def can_view_session(user: Any, session: ProgrammeSession) -> bool:
    return can_view_event(user, session.event)


def can_edit_session(user: Any, session: ProgrammeSession | None = None) -> bool:
    return is_organiser(user)


def can_publish_event(user: Any, event: Event | None = None) -> bool:
    return is_organiser(user)


def can_view_conflicts(user: Any) -> bool:
    return is_organiser(user)


# --- registrations and bookings -------------------------------------------------------------

def can_register(user: Any, event: Event) -> bool:
    """Any signed-in person may ask to take part in a published event."""
    return is_signed_in(user) and event.is_published


def can_book(user: Any, session: ProgrammeSession) -> bool:
    return is_signed_in(user) and session.event.is_published


def can_manage_registrations(user: Any, event: Event | None = None) -> bool:
    """Approve, decline, add and remove delegates; see their bookings and export them."""
    return is_organiser(user)


def can_resend_mail(user: Any) -> bool:
    """See the e-mails that could not be delivered (addresses, subjects, texts) and send them again."""
    return is_organiser(user)


def can_view_private_needs(user: Any) -> bool:
    """Accessibility and dietary needs are shown to organisers only."""
    return is_organiser(user)


def owns(user: Any, obj: Any) -> bool:
    """The object belongs to the signed-in user (a registration, a booking …)."""
    return is_signed_in(user) and getattr(obj, "user_id", None) == user.id


# --- at the door ----------------------------------------------------------------------------

def can_view_attendance(user: Any, session: ProgrammeSession | None = None) -> bool:
    return is_staff(user)


def can_check_in(user: Any, session: ProgrammeSession | None = None) -> bool:
    return is_staff(user)


def can_print_badges(user: Any, event: Event | None = None) -> bool:
    return is_organiser(user)


def can_reset_badge(user: Any) -> bool:
    """Issue a delegate a new badge token and code (a lost badge); the old one stops working."""
    return is_organiser(user)


def can_view_statistics(user: Any) -> bool:
    return is_organiser(user)


def can_export_schedule(user: Any, event: Event) -> bool:
    """Spreadsheet exports of a schedule are for organisers; public feeds follow can_view_event."""
    return is_organiser(user)


def can_subscribe_personal_feed(user: Any) -> bool:
    """Anyone signed in has a personal calendar feed of their own bookings."""
    return is_signed_in(user)


def can_reset_feed_token(user: Any, owner: Any) -> bool:
    """Only the owner of a personal feed may give it a new secret address."""
    return is_signed_in(user) and getattr(owner, "id", None) == user.id


def require(allowed: bool, *, hide: bool = False) -> None:
    """Stop the request with 403 unless the predicate allowed it (404 with ``hide``, for
    things whose very existence is not to be revealed, such as draft events)."""
    if not allowed:
        abort(404 if hide else 403)


JINJA_GLOBALS = {
    name: value
    for name, value in dict(globals()).items()
    if name.startswith(("can_", "is_")) or name == "owns"
}
