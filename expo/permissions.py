"""Every permission rule of Expo, in one place.

Views call ``require(can_…(current_user, obj))``; templates use the same predicates (they are
Jinja globals) and tests check them directly. Role checks appear nowhere else."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import abort

from expo.accounts.models import Role
from expo.events.models import Event, TeamRole

if TYPE_CHECKING:
    from expo.programme.models import ProgrammeSession


def _role(user: Any) -> Role | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.role


def is_admin(user: Any) -> bool:
    """An expo administrator: manages everything, venues, rooms, networks and teams included."""
    return _role(user) is Role.ADMIN


def table_scope(user: Any) -> tuple[Any, ...]:
    """What decides which rows and actions organisers' tables show ``user``: every administrator
    sees them alike; anyone else by their own role and event teams."""
    if is_admin(user):
        return ("admin",)
    return ("person", user.id, _role(user), tuple(sorted((e, r.value) for e, r in team_roles(user).items())))


def is_signed_in(user: Any) -> bool:
    return _role(user) is not None


def is_verified(user: Any) -> bool:
    """Signed in, and the account's e-mail address is confirmed through its link."""
    return is_signed_in(user) and user.email_verified_at is not None


def is_anyone(user: Any) -> bool:
    """Deliberately public pages (venues, networks, countries): everyone, signed in or not."""
    return True


# --- event teams ------------------------------------------------------------------------------

def team_roles(user: Any) -> dict[int, TeamRole]:
    """The person's role in each event whose team they are on, by event id (one query, the
    first time it is asked in a request)."""
    if not is_signed_in(user):
        return {}
    return {member.event_id: member.role for member in user.team_roles}


def organised_event_ids(user: Any) -> set[int]:
    """Events the person organises as a team member (administrators organise every event)."""
    return {event_id for event_id, role in team_roles(user).items() if role is TeamRole.ORGANISER}


def team_event_ids(user: Any) -> set[int]:
    """Events on whose team the person is, in any role."""
    return set(team_roles(user))


def is_event_organiser(user: Any, event: Event | None) -> bool:
    """Manages this event: its sessions, tracks, registrations, bookings, badges, figures."""
    return is_admin(user) or (event is not None and event.id in organised_event_ids(user))


def is_event_staff(user: Any, event: Event | None) -> bool:
    """At the door of this event: its team (either role), expo staff and administrators."""
    return _role(user) in (Role.ADMIN, Role.STAFF) or (event is not None and event.id in team_event_ids(user))


def organises_any_event(user: Any) -> bool:
    """Administrators and every event organiser reach the management pages."""
    return is_admin(user) or bool(organised_event_ids(user))


def is_staff(user: Any) -> bool:
    """Works at some door: expo staff, administrators and anyone on an event's team."""
    return _role(user) in (Role.ADMIN, Role.STAFF) or bool(team_roles(user))


def can_manage_team(user: Any, event: Event | None = None) -> bool:
    """Add people to an event's team and take them off it."""
    return is_admin(user)


# --- the schedule -------------------------------------------------------------------------

def can_manage_expo(user: Any) -> bool:
    """Create and delete events; venues, rooms, networks and organisations."""
    return is_admin(user)


def can_manage_branding(user: Any) -> bool:
    """Change the expo's name, colours and logo (Settings → Branding)."""
    return is_admin(user)


def can_manage_event(user: Any, event: Event) -> bool:
    """Edit the event, its tracks and its sessions (which may use any of the expo's rooms)."""
    return is_event_organiser(user, event)


def can_view_event(user: Any, event: Event) -> bool:
    """Published events are public; drafts are seen by their team and administrators."""
    return event.is_published or is_admin(user) or event.id in team_event_ids(user)


def visible_events_clause(user: Any) -> sa.ColumnElement[bool]:
    """``can_view_event`` as a condition on the events table, for lists."""
    if is_admin(user):
        return sa.true()
    drafts = team_event_ids(user)
    published = Event.is_published.is_(True)
    return sa.or_(published, Event.id.in_(drafts)) if drafts else published


def managed_events_clause(user: Any) -> sa.ColumnElement[bool]:
    """``can_manage_event`` as a condition on the events table, for lists and menus."""
    return sa.true() if is_admin(user) else Event.id.in_(organised_event_ids(user))


def can_view_session(user: Any, session: ProgrammeSession) -> bool:
    return can_view_event(user, session.event)


def can_edit_session(user: Any, session: ProgrammeSession) -> bool:
    return can_manage_event(user, session.event)


def can_publish_event(user: Any, event: Event) -> bool:
    return can_manage_event(user, event)


def can_release_changes(user: Any, event: Event) -> bool:
    """See, release and discard the unreleased changes of the event's published programme."""
    return can_manage_event(user, event)


def can_view_conflicts(user: Any) -> bool:
    """The room conflicts of the whole expo (rooms are shared by every event)."""
    return is_admin(user)


def can_find_people(user: Any) -> bool:
    """Look people up by name or e-mail, to name them as speakers or add them to an event."""
    return organises_any_event(user)


def can_import_programme(user: Any) -> bool:
    """Upload spreadsheets and schedules into an event's programme (and the expo's venues and
    rooms), preview and confirm them: expo administrators."""
    return is_admin(user)


# --- registrations and bookings -------------------------------------------------------------

def can_register(user: Any, event: Event) -> bool:
    """Anyone signed in with a confirmed e-mail address may ask to take part in a published
    event (unconfirmed accounts sign in and fill their profile, nothing more)."""
    return is_verified(user) and event.is_published


def can_book(user: Any, session: ProgrammeSession) -> bool:
    return is_signed_in(user) and session.event.is_published


def can_star_session(user: Any, session: ProgrammeSession) -> bool:
    """Mark a session one would like to attend (for oneself only): anyone signed in who can see it."""
    return is_signed_in(user) and can_view_session(user, session)


def can_see_interest(user: Any, event: Event) -> bool:
    """How many delegates starred each session of an event: its organisers."""
    return is_event_organiser(user, event)


def can_run_assistant(user: Any, event: Event | None) -> bool:
    """Run the scheduling assistant over an event (its organisers) or the whole expo (administrators),
    see its proposals and apply them."""
    return is_admin(user) if event is None else is_event_organiser(user, event)


def can_edit_time_preference(user: Any, event: Event, person: Any) -> bool:
    """State when a person would rather speak at an event: the event's organisers, or the person
    themself where they speak, moderate or host one of its sessions."""
    if is_event_organiser(user, event):
        return True
    if not is_signed_in(user) or user.id != person.id:
        return False
    from expo.core.extensions import db
    from expo.programme.models import ProgrammeSession, SessionRole

    return db.session.scalar(sa.select(sa.exists().where(
        SessionRole.user_id == person.id, SessionRole.session_id == ProgrammeSession.id,
        ProgrammeSession.event_id == event.id))) is True


def can_run_expo_assistant(user: Any) -> bool:
    """The scheduling assistant over every event of the expo at once."""
    return can_run_assistant(user, None)


def can_manage_registrations(user: Any, event: Event) -> bool:
    """Approve, decline, add and remove delegates; see their bookings and export them."""
    return is_event_organiser(user, event)


def can_resend_mail(user: Any) -> bool:
    """See the e-mails that could not be delivered (addresses, subjects, texts) and send them
    again: expo administrators."""
    return is_admin(user)


def can_view_private_needs(user: Any, event: Event) -> bool:
    """Accessibility and dietary needs are shown to the event's organisers only."""
    return is_event_organiser(user, event)


def owns(user: Any, obj: Any) -> bool:
    """The object belongs to the signed-in user (a registration, a booking …)."""
    return is_signed_in(user) and getattr(obj, "user_id", None) == user.id


# --- at the door ----------------------------------------------------------------------------

def can_view_attendance(user: Any, session: ProgrammeSession) -> bool:
    return is_event_staff(user, session.event)


def can_check_in(user: Any, session: ProgrammeSession) -> bool:
    return is_event_staff(user, session.event)


def can_print_badges(user: Any, event: Event | None = None) -> bool:
    """An event's badges: its organisers; without an event, the badges page (any organiser)."""
    return organises_any_event(user) if event is None else is_event_organiser(user, event)


def can_reset_badge(user: Any) -> bool:
    """Issue a delegate a new badge token and code (a lost badge); the old one stops working.
    A badge serves at every event, so this and one person's badge are for administrators."""
    return is_admin(user)


def can_view_statistics(user: Any, event: Event | None = None) -> bool:
    """An event's figures: its organisers; the whole expo's: administrators."""
    return organises_any_event(user) if event is None else is_event_organiser(user, event)


def can_view_expo_statistics(user: Any) -> bool:
    return is_admin(user)


def can_export_schedule(user: Any, event: Event) -> bool:
    """Spreadsheet exports of a schedule are for its organisers; public feeds follow can_view_event."""
    return is_event_organiser(user, event)


def can_subscribe_personal_feed(user: Any) -> bool:
    """Anyone signed in has a personal calendar feed of their own bookings."""
    return is_signed_in(user)


def can_reset_feed_token(user: Any, owner: Any) -> bool:
    """Only the owner of a personal feed may give it a new secret address."""
    return is_signed_in(user) and getattr(owner, "id", None) == user.id


# --- people and the audit log ---------------------------------------------------------------

def can_manage_people(user: Any) -> bool:
    """Search every account, see a person's activity, invite, change roles, deactivate."""
    return is_admin(user)


def can_administer_account(user: Any, person: Any) -> bool:
    """Change the role of, deactivate or reactivate an account: never one's own (an organiser
    cannot lock themselves out or step down by mistake)."""
    return can_manage_people(user) and getattr(person, "id", None) != user.id


def can_read_audit_log(user: Any) -> bool:
    return is_admin(user)


# --- twinning programmes ------------------------------------------------------------------------

def can_manage_twinning(user: Any) -> bool:
    """Create twinning programmes, record pilot cities, decide on applications, run the
    matching and publish its pairs: expo administrators."""
    return is_admin(user)


def can_apply_twinning(user: Any) -> bool:
    """Anyone signed in may apply to an open call on behalf of their city."""
    return is_signed_in(user)


def can_view_application(user: Any, application: Any) -> bool:
    """A city's application (and what follows from it) is seen by the person who made it, its
    contact people and the programme's organisers; never by another city."""
    if can_manage_twinning(user):
        return True
    return is_signed_in(user) and (
        application.user_id == user.id or any(contact.id == user.id for contact in application.contacts)
    )


def can_meet_one_to_one(user: Any, programme: Any) -> bool:
    """The people of the programme's cities book one-to-ones with each other."""
    return is_signed_in(user) and user.id in programme.member_ids()


def can_answer_one_to_one(user: Any, meeting: Any) -> bool:
    """Only the person asked accepts or declines a one-to-one."""
    return is_signed_in(user) and meeting.invitee_id == user.id


def can_read_city_document(user: Any, document: Any) -> bool:
    """A travel claim (and its receipt) or a replication plan: its own city's people and the
    organisers; never another city."""
    if can_manage_twinning(user):
        return True
    if not is_signed_in(user):
        return False
    if document.pilot_id is not None:
        return any(contact.id == user.id for contact in document.pilot.contacts)
    return can_view_application(user, document.application)


# Who speaks for a city of any twinning programme, as user ids, kept in the cache so that the
# menu's "Twinning" link costs no query on every page; twinning services drop it when it changes.
TWINNING_PEOPLE_KEY = "expo:twinning:people"
TWINNING_PEOPLE_TIMEOUT = 600


def twinning_people() -> set[int]:
    """Applicants, their contact people and pilot cities' contacts, of every programme."""
    from expo.core.extensions import cache, db
    from expo.twinning.models import TwinningApplication, application_contacts, pilot_contacts

    people = cache.get(TWINNING_PEOPLE_KEY)
    if people is None:
        people = sorted(set(db.session.scalars(sa.union(
            sa.select(TwinningApplication.user_id), sa.select(application_contacts.c.user_id),
            sa.select(pilot_contacts.c.user_id)))))
        cache.set(TWINNING_PEOPLE_KEY, people, timeout=TWINNING_PEOPLE_TIMEOUT)
    return set(people)


def has_twinning_application(user: Any) -> bool:
    """The person applied to a twinning programme, or speaks for one of its cities (the
    "Twinning" link of their menu)."""
    return is_signed_in(user) and user.id in twinning_people()


def require(allowed: bool, *, hide: bool = False) -> None:
    """Stop the request with 403 unless the predicate allowed it (404 with ``hide``, for
    things whose very existence is not to be revealed, such as draft events)."""
    if not allowed:
        abort(404 if hide else 403)


JINJA_GLOBALS = {
    name: value
    for name, value in dict(globals()).items()
    if name.startswith(("can_", "is_", "organises_")) or name == "owns"
}
