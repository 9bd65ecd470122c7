"""Events and tracks: create, change, publish and delete them."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core import signals
from expo.accounts.models import User
from expo.core.errors import Conflict, InvalidState, NeedsConfirmation
from expo.events.models import MAX_EVENT_DAYS, Event, Expo, RegistrationMode, Track
from expo.core.extensions import db
from expo.programme.models import ProgrammeSession, SessionRole, SessionStatus
from expo.registration.models import Booking, BookingStatus, Registration
from expo.core.timeutil import EARLIEST_DAY, LATEST_DAY, in_planning_range, is_valid_timezone, local_day_bounds, utcnow

DATE_RANGE_MESSAGE = _l(
    "Choose a date between %(first)s and %(last)s.", first=EARLIEST_DAY.isoformat(), last=LATEST_DAY.isoformat()
)
EVENT_LENGTH_MESSAGE = _l("An event lasts at most %(days)s days.", days=MAX_EVENT_DAYS)


def slugify(text: str, max_length: int = 80, *, fallback: str = "item") -> str:
    """A lowercase ASCII slug: "Göteborg – H22!" → "goteborg-h22"; ``fallback`` when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or fallback


def unique_slug(model: Any, wanted: str | None, name: str, *, exclude_id: int | None = None) -> str:
    """The organiser's slug if free (else Conflict), or one made from the name and numbered."""
    def taken(slug: str) -> bool:
        query = sa.select(model.id).where(model.slug == slug)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        return db.session.scalar(query) is not None

    if wanted:
        slug = slugify(wanted)
        if taken(slug):
            raise Conflict(_l("This web address is already used; choose another."), field="slug")
        return slug
    base = slugify(name, 74)
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


def current_expo() -> Expo:
    """The expo (one row), created with the configured time zone the first time it is needed."""
    expo = db.session.scalar(sa.select(Expo).order_by(Expo.id).limit(1))
    if expo is None:
        expo = Expo(name="City Expo", city="", timezone=current_app.config["TIMEZONE"])
        db.session.add(expo)
        db.session.flush()
    return expo


@dataclass
class EventData:
    name: str
    starts_on: date
    ends_on: date
    timezone: str
    slug: str | None = None
    description: str | None = None
    registration_mode: RegistrationMode = RegistrationMode.OPEN
    capacity: int | None = None
    registration_deadline: datetime | None = None
    transfer_minutes: int = 15


def event_too_long(starts_on: date, ends_on: date) -> bool:
    """More than MAX_EVENT_DAYS days from the first to the last day, both included."""
    return (ends_on - starts_on).days >= MAX_EVENT_DAYS


def _check_event(data: EventData) -> None:
    if not is_valid_timezone(data.timezone):
        raise InvalidState(_l("Choose a time zone from the list."), field="timezone")
    for name in ("starts_on", "ends_on", "registration_deadline"):
        value = getattr(data, name)
        if value is not None and not in_planning_range(value):
            raise InvalidState(DATE_RANGE_MESSAGE, field=name)
    if data.ends_on < data.starts_on:
        raise InvalidState(_l("The last day cannot be before the first day."), field="ends_on")
    if event_too_long(data.starts_on, data.ends_on):
        raise InvalidState(EVENT_LENGTH_MESSAGE, field="ends_on")
    if data.capacity is not None and data.capacity <= 0:
        raise InvalidState(_l("Capacity must be a positive number."), field="capacity")
    if data.transfer_minutes < 0:
        raise InvalidState(_l("Transfer time cannot be negative."), field="transfer_minutes")


def _apply(event: Event, data: EventData) -> None:
    event.name = data.name.strip()
    event.description = (data.description or "").strip() or None
    event.starts_on = data.starts_on
    event.ends_on = data.ends_on
    event.timezone = data.timezone
    event.registration_mode = data.registration_mode
    event.capacity = data.capacity
    event.registration_deadline = data.registration_deadline
    event.transfer_minutes = data.transfer_minutes
    event.updated_at = utcnow()


def _schedule_changed(event: Event) -> None:
    signals.schedule_changed.send(current_app._get_current_object(), event=event)


def touch_schedules_of(
    session_ids: sa.Select, *, place: dict[str, Any] | None = None, revise: bool = True
) -> None:
    """These sessions show new details of something with no timestamp of its own (a renamed
    venue, room, track, network or person): each one's revision (the iCalendar SEQUENCE) and
    ``updated_at`` (LAST-MODIFIED) rise, since calendars such as ICSx⁵ update an event only
    when those do; their events are marked changed, so feeds, exports and their validators
    move, and the caches are told. ``place`` ({"room": {"old": …, "new": …}}) says that where
    the sessions take place reads differently: the booked delegates of those still to come
    are sent the new place, as after a move. Without ``revise`` (a detail only pages show,
    such as a room's capacity) only the events are marked changed."""
    now = utcnow()
    chosen = ProgrammeSession.id.in_(session_ids.scalar_subquery())
    if revise:
        db.session.execute(
            sa.update(ProgrammeSession)
            .where(chosen)
            .values(revision=ProgrammeSession.revision + 1, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
    events = db.session.scalars(
        sa.select(Event).where(Event.id.in_(sa.select(ProgrammeSession.event_id).where(chosen)))
    ).all()
    for event in events:
        event.updated_at = now
    db.session.flush()
    if place:
        upcoming = db.session.scalars(
            sa.select(ProgrammeSession)
            .join(Event, ProgrammeSession.event_id == Event.id)
            .where(chosen, ProgrammeSession.ends_at > now, Event.is_published.is_(True),
                   ProgrammeSession.status != SessionStatus.CANCELLED)
            .order_by(ProgrammeSession.id)
        ).all()
        for session in upcoming:
            signals.session_changed.send(current_app._get_current_object(), session=session, changes=place,
                                         actor=None)
    for event in events:
        _schedule_changed(event)


def sessions_of_event(event: Event) -> sa.Select:
    """The ids of an event's sessions, for ``touch_schedules_of``."""
    return sa.select(ProgrammeSession.id).where(ProgrammeSession.event_id == event.id)


def person_renamed(*, user: User) -> None:
    """A person's new name shows in the sessions they speak at, moderate or host, and names
    their own calendar feed."""
    people_renamed(users=[user])


def people_renamed(*, users: Sequence[User]) -> None:
    """``person_renamed`` for many people at once (one update of all their sessions)."""
    touch_schedules_of(sa.select(SessionRole.session_id).where(SessionRole.user_id.in_([u.id for u in users])))
    for user in users:
        signals.person_renamed.send(current_app._get_current_object(), user=user)


def create_event(*, data: EventData, actor: User) -> Event:
    """A new event, as a draft until an organiser publishes it."""
    _check_event(data)
    event = Event(expo=current_expo(), slug=unique_slug(Event, data.slug, data.name), is_published=False)
    _apply(event, data)
    db.session.add(event)
    db.session.flush()
    return event


def update_event(*, event: Event, data: EventData, actor: User) -> Event:
    """Change an event; its sessions must still fall within its (local) days."""
    _check_event(data)
    first, _ = local_day_bounds(data.starts_on, data.timezone)
    _, last = local_day_bounds(data.ends_on, data.timezone)
    earliest, latest = db.session.execute(
        sa.select(sa.func.min(ProgrammeSession.starts_at), sa.func.max(ProgrammeSession.ends_at)).where(
            ProgrammeSession.event_id == event.id
        )
    ).one()
    if earliest is not None and (_aware(earliest) < first or _aware(latest) > last):
        raise InvalidState(
            _l("Some sessions would fall outside these dates: move them first."), field="starts_on"
        )
    if data.slug and slugify(data.slug) != event.slug:  # a blank slug keeps the address people know
        event.slug = unique_slug(Event, data.slug, data.name, exclude_id=event.id)
    rezoned = data.timezone != event.timezone
    _apply(event, data)
    db.session.flush()
    if rezoned:  # every session is written with the new TZID
        touch_schedules_of(sessions_of_event(event))
    _schedule_changed(event)
    return event


def _aware(value: datetime) -> datetime:
    """Aggregates skip the column type: SQLite hands back naive UTC (or even text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def delete_event(*, event: Event, actor: User) -> None:
    """Delete an event that has neither registrations nor sessions."""
    if db.session.scalar(sa.select(sa.func.count()).where(Registration.event_id == event.id)):
        raise InvalidState(_l("People have registered for this event, so it cannot be deleted."))
    if db.session.scalar(sa.select(sa.func.count()).where(ProgrammeSession.event_id == event.id)):
        raise InvalidState(_l("This event still has sessions: delete or move them first."))
    audit.record(actor=actor, action=AuditAction.EVENT_DELETED, target=event.name)
    db.session.delete(event)
    db.session.flush()


def publish_event(*, event: Event, actor: User) -> None:
    """Make the event and its schedule public; seats kept while it was withdrawn are invited again."""
    if event.is_published:
        raise InvalidState(_l("This event is already published."))
    now = utcnow()
    event.is_published = True
    event.published_at = now
    if event.first_published_at is None:
        event.first_published_at = now
    event.updated_at = now
    audit.record(actor=actor, action=AuditAction.EVENT_PUBLISHED, target=event.name)
    db.session.flush()
    signals.event_visibility_changed.send(current_app._get_current_object(), event=event, published=True)
    _schedule_changed(event)


def _event_booking_counts(event: Event) -> tuple[int, int]:
    """Seats held and waiting places in the event's sessions."""
    rows = dict(db.session.execute(
        sa.select(Booking.status, sa.func.count())
        .join(Booking.session)
        .where(ProgrammeSession.event_id == event.id,
               Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))
        .group_by(Booking.status)
    ).all())
    return rows.get(BookingStatus.CONFIRMED, 0), rows.get(BookingStatus.WAITLISTED, 0)


def unpublish_event(*, event: Event, actor: User, confirm: bool = False) -> None:
    """Turn the event back into a draft that only organisers see; asks first, saying how many
    seats and waiting places its sessions hold. Booked delegates' calendars drop its sessions
    (their seats are kept)."""
    if not event.is_published:
        raise InvalidState(_l("This event is not published."))
    seats, waiting = _event_booking_counts(event)
    if not confirm:
        raise NeedsConfirmation(
            _l("Unpublish this event? Delegates will no longer see it or its sessions."),
            [_ln("%(num)s seat is booked in its sessions.", "%(num)s seats are booked in its sessions.", seats),
             _ln("%(num)s place on a waiting list.", "%(num)s places on waiting lists.", waiting),
             _l("The bookings are kept and count again when the event is published again; until then booked delegates' calendars drop its sessions.")],
        )
    event.is_published = False
    event.published_at = None
    event.updated_at = utcnow()
    audit.record(actor=actor, action=AuditAction.EVENT_UNPUBLISHED, target=event.name)
    db.session.flush()
    signals.event_visibility_changed.send(current_app._get_current_object(), event=event, published=False)
    _schedule_changed(event)


# --- tracks -----------------------------------------------------------------------------------

def _check_track_name(event: Event, name: str, exclude_id: int | None = None) -> None:
    query = sa.select(Track.id).where(Track.event_id == event.id, sa.func.lower(Track.name) == name.lower())
    if exclude_id is not None:
        query = query.where(Track.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise Conflict(_l("This event already has a track with this name."), field="name")


def create_track(*, event: Event, name: str, colour: str, actor: User) -> Track:
    """A new track (theme) in an event's programme."""
    name = name.strip()
    _check_track_name(event, name)
    track = Track(event=event, name=name, colour=colour.lower())
    db.session.add(track)
    event.updated_at = utcnow()
    db.session.flush()
    _schedule_changed(event)
    return track


def update_track(*, track: Track, name: str, colour: str, actor: User) -> Track:
    name = name.strip()
    _check_track_name(track.event, name, exclude_id=track.id)
    renamed = name != track.name
    track.name = name
    track.colour = colour.lower()
    track.event.updated_at = utcnow()
    db.session.flush()
    if renamed:  # calendars show the track's name with each of its sessions
        touch_schedules_of(sa.select(ProgrammeSession.id).where(ProgrammeSession.track_id == track.id))
    _schedule_changed(track.event)
    return track


def delete_track(*, track: Track, actor: User) -> None:
    """Delete a track that no session uses."""
    if db.session.scalar(sa.select(sa.func.count()).where(ProgrammeSession.track_id == track.id)):
        raise InvalidState(_l("Sessions belong to this track: move them to another track first."))
    event = track.event
    audit.record(actor=actor, action=AuditAction.TRACK_DELETED, target=f"{track.name} ({event.name})")
    db.session.delete(track)
    event.updated_at = utcnow()
    db.session.flush()
    _schedule_changed(event)
