"""A delegate's own data: everything Expo holds about them, and deleting their account.

Deleting keeps the rows that make up the expo's figures (registrations, bookings, check-ins)
but without the person: their user_id becomes NULL (the foreign keys are ON DELETE SET NULL)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from expo.accounts.models import User
from expo.attendance.models import CheckIn
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.errors import NotAllowed
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.programme.models import SessionRole
from expo.registration import services
from expo.registration.models import Booking, Registration, RegistrationStatus


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_user_data(user: User) -> dict[str, Any]:
    """Everything held about ``user``, as plain JSON-ready data (the password only as a hash
    is held and is left out)."""
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.user_id == user.id).order_by(Registration.id)
    ).all()
    bookings = db.session.scalars(
        sa.select(Booking).where(Booking.user_id == user.id).order_by(Booking.id)
    ).all()
    check_ins = db.session.scalars(
        sa.select(CheckIn).where(CheckIn.user_id == user.id).order_by(CheckIn.id)
    ).all()
    roles = db.session.scalars(
        sa.select(SessionRole).where(SessionRole.user_id == user.id).order_by(SessionRole.id)
    ).all()
    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "id": user.id,
            "name": user.name,
            "email": user.email,
            "role": user.role.value,
            "locale": user.locale,
            "active": user.active,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "calendar_feed_token": user.feed_token,
            "badge_code": user.badge_code,
        },
        "organisation": (
            {"name": user.organisation.name, "kind": user.organisation.kind.value,
             "country": user.organisation.country_code}
            if user.organisation else None
        ),
        "country": user.country_code,
        "networks": [n.name for n in user.networks],
        "needs": {
            "accessibility": user.accessibility_needs,
            "dietary": user.dietary_needs,
            "consent_given_at": _iso(user.needs_consent_at),
        },
        "registrations": [
            {"event": r.event.name, "event_slug": r.event.slug, "status": r.status.value,
             "created_at": _iso(r.created_at), "decided_at": _iso(r.decided_at)}
            for r in registrations
        ],
        "bookings": [
            {"session": b.session.title, "session_uid": b.session.uid, "starts_at": _iso(b.session.starts_at),
             "status": b.status.value, "waitlist_position": b.waitlist_position,
             "created_at": _iso(b.created_at), "confirmed_at": _iso(b.confirmed_at),
             "cancelled_at": _iso(b.cancelled_at)}
            for b in bookings
        ],
        "check_ins": [
            {"session": c.session.title, "session_uid": c.session.uid, "checked_in_at": _iso(c.checked_in_at),
             "walk_in": c.is_walk_in}
            for c in check_ins
        ],
        "session_roles": [
            {"session": r.session.title, "session_uid": r.session.uid, "role": r.role.value} for r in roles
        ],
    }


def exported_user_data(*, user: User, actor: User) -> dict[str, Any]:
    """``export_user_data`` for the person themselves, written to the audit log."""
    if actor.id != user.id:
        raise NotAllowed(_("Only the account's owner can download its data."))
    audit.record(actor=actor, action=AuditAction.EXPORT_OWN_DATA, subject=user)
    return export_user_data(user)


def release_places(*, user: User, now: datetime | None = None) -> None:
    """Give up the person's places: seats in sessions to come are released (waiting lists move
    up) and registrations for events still to come are cancelled; the past stays as it was."""
    now = now or utcnow()
    services.lock_registrations(user)  # before any session, in the order booking takes them
    services.release_bookings(user=user, now=now)
    upcoming = sa.select(Event.id).where(Event.ends_on >= now.date())
    db.session.execute(
        sa.update(Registration)
        .where(Registration.user_id == user.id, Registration.event_id.in_(upcoming),
               Registration.status.in_(services.HOLDS_PLACE))
        .values(status=RegistrationStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def delete_account(*, user: User, actor: User, now: datetime | None = None) -> None:
    """Delete the account: its places are released (``release_places``) and every remaining
    row that counts for the figures is kept without the person."""
    if actor.id != user.id:
        raise NotAllowed(_("Only the account's owner can delete it."))
    release_places(user=user, now=now)
    audit.record(actor=actor, action=AuditAction.ACCOUNT_DELETED, subject=user)
    user_id = user.id
    audit.forget_person(user_id=user_id)
    db.session.expunge(user)
    db.session.execute(sa.delete(User).where(User.id == user_id))
    db.session.expire_all()
