"""Every route of the application is classified here by who may use it, and each class is
checked against every route, by GET and by POST where the route takes it: anonymous visitors are
sent to log in, a role below the one a route needs gets 403, and the database is left exactly as
it was. A new route fails this test until it is classified."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from expo.accounts.models import Role
from expo.registration.models import BookingStatus
from expo.events.models import TeamMember, TeamRole
from tests.conftest import log_in
from tests.factories import (
    make_booking,
    make_event,
    make_network,
    make_organisation,
    make_registration,
    make_room,
    make_session,
    make_user,
)
from tests.snapshot import database_digest

PUBLIC = {
    "static",
    "core.health",
    "accounts.set_language",
    "events.home",
    "events.show_event",
    "accounts.login",
    "accounts.signup",
    "accounts.logout",  # signing out when not signed in does no harm
    "accounts.forgot_password",
    "accounts.reset_password",  # the signed link from the e-mail is the credential
    "accounts.check_email",
    "accounts.verify_email",  # the signed link from the e-mail is the credential
    "schedule.grid_css",
    "schedule.list_changes",
    "schedule.list_countries",
    "schedule.list_networks",
    "schedule.list_venues",
    "schedule.show_country",
    "schedule.show_grid",
    "schedule.show_network",
    "schedule.show_session",
    "schedule.show_venue",
    "calendar.expo_feed",
    "calendar.network_feed",
    "calendar.session_feed",
    "calendar.track_feed",
    "calendar.venue_feed",
    "calendar.export_schedule",  # public exports; organiser-only ones are checked in tests/calendar
    "calendar.personal_feed",  # the unguessable token is the credential
    "invitations.accept_invitation",  # the signed, single-use link is the credential
    "branding.stylesheet",  # the expo's colours, on every page
    "branding.logo",  # the expo's logo, on every page
}
SIGNED_IN = {
    "accounts.change_password",
    "accounts.profile",
    "accounts.export_data",
    "accounts.delete_account",
    "accounts.set_invitations",
    "accounts.resend_verification",
    "registration.agenda",
    "registration.book_session",
    "registration.cancel_booking",
    "registration.cancel_registration",
    "registration.register_event",
    "registration.show_event_registration",
    "badges.my_code",
    "calendar.reset_feed_token",
    "assistant.toggle_interest",
    "twinning.my_twinning",
    "twinning.apply",  # a signed-in person sees and edits only their own application
    # The programme's cities only (can_meet_one_to_one, can_answer_one_to_one): tested in tests/twinning.
    "twinning.one_to_ones",
    "twinning.answer_one_to_one",
    # A city's own claims, receipts and plan (can_read_city_document): tested in tests/twinning.
    "twinning.city_claims",
    "twinning.upload_plan",
    "twinning.show_receipt",
    "twinning.show_plan",
}
# Who may use each route beyond signing in, by the predicate in expo/permissions.py it follows.
DOOR = "door"  # anyone who works at a door: expo staff, administrators, any event team member
EVENT_STAFF = "event staff"  # the world's event: its team (either role), expo staff, administrators
EVENT_ORGANISER = "event organiser"  # the world's event: its organisers and administrators
ANY_ORGANISER = "any organiser"  # organisers of any event (pages that list what each may act on)
ADMIN = "admin"  # expo administrators only

RULES = {
    "attendance.today": DOOR,
    **dict.fromkeys((
        "attendance.check_in", "attendance.check_in_code", "attendance.export_list", "attendance.session_counts",
        "attendance.show_row", "attendance.show_session", "attendance.undo_check_in", "attendance.walk_in",
    ), EVENT_STAFF),
    **dict.fromkeys((
        "programme.edit_event", "programme.publish_event", "programme.unpublish_event", "programme.list_tracks",
        "programme.edit_track", "programme.delete_track", "programme.list_sessions", "programme.new_session",
        "programme.edit_session", "programme.cancel_session", "programme.restore_session",
        "programme.delete_session", "registration_manage.add_booking", "registration_manage.add_registration",
        "registration_manage.confirm_booking", "registration_manage.decide_registrations",
        "registration_manage.export_event_bookings", "registration_manage.export_registrations",
        "registration_manage.export_session_bookings", "registration_manage.manage_bookings",
        "registration_manage.manage_registrations", "registration_manage.remove_booking",
        "registration_manage.remove_registration", "registration_manage.bulk_registrations",
        "registration_manage.bulk_bookings", "programme.export_sessions", "badges.print_badges",
        "programme.pending_changes", "programme.release_changes", "programme.release_one",
        "programme.discard_change", "programme.edit_staged_addition",
        "assistant.new_run", "assistant.show_run", "assistant.run_progress", "assistant.apply_run",
        "assistant.cancel_run",
        # Also the person themself where they speak (can_edit_time_preference): tested in tests/assistant.
        "assistant.time_preference",
    ), EVENT_ORGANISER),
    **dict.fromkeys((
        "programme.manage_index", "programme.list_events", "programme.search_people", "programme.find_people",
        "badges.index", "stats.index", "stats.export_csv", "stats.show_table",
    ), ANY_ORGANISER),
    **dict.fromkeys((
        "programme.new_event", "programme.delete_event", "programme.conflicts", "badges.print_badge",
        "badges.reset_badge", "teams.show_team", "teams.remove_team_member", "audit.show_log",
        "people_admin.list_people", "people_admin.show_person", "people_admin.invite_person",
        "people_admin.change_role", "people_admin.deactivate_person", "people_admin.reactivate_person",
        "people_admin.bulk_people", "people_admin.export_people", "people.export_networks",
        "people.export_organisations", "people.list_networks", "people.new_network", "people.edit_network", "people.delete_network",
        "people.list_organisations", "people.new_organisation", "people.edit_organisation",
        "people.delete_organisation", "venues.list_venues", "venues.new_venue", "venues.edit_venue",
        "venues.delete_venue", "venues.new_room", "venues.edit_room", "venues.delete_room",
        "imports.new_import", "imports.download_template", "imports.show_import", "imports.map_rooms",
        "imports.confirm_import", "imports.add_schedule_url", "imports.fetch_schedule", "imports.import_people",
        "imports.people_template", "imports.import_progress", "imports.start_again", "registration_manage.failed_mail", "registration_manage.send_mail_again",
        "registration_manage.send_waiting_mail", "assistant.new_expo_run",
        "twinning.list_programmes", "twinning.new_programme",
        "twinning.edit_programme", "twinning.show_programme", "twinning.new_pilot", "twinning.edit_pilot",
        "twinning.show_application", "twinning.show_matching", "twinning.run_matching", "twinning.set_pair_rule",
        "twinning.publish_pairs", "twinning.list_meetings", "twinning.list_claims", "twinning.decide_claim",
        "twinning.show_reports", "twinning.export_report",
        "branding.edit_branding",
    ), ADMIN),
}

# The people the routes are tried as, and the rules that let each of them in.
ALLOWED = {
    "delegate": set(),
    "expo staff": {DOOR, EVENT_STAFF},
    "event staff": {DOOR, EVENT_STAFF},
    "event organiser": {DOOR, EVENT_STAFF, EVENT_ORGANISER, ANY_ORGANISER},
    "organiser of another event": {DOOR, ANY_ORGANISER},
    "admin": {DOOR, EVENT_STAFF, EVENT_ORGANISER, ANY_ORGANISER, ADMIN},
}


def required_role(endpoint: str) -> str:
    if endpoint in PUBLIC:
        return "public"
    if endpoint in SIGNED_IN:
        return "signed-in"
    return RULES.get(endpoint, "unclassified")


@dataclass
class World:
    values: dict
    people: dict


@pytest.fixture
def world(db) -> World:
    event = make_event(slug="h22-50")
    room = make_room()
    session = make_session(event=event, room=room)
    network = make_network(slug="unece")
    organisation = make_organisation()
    delegate = make_user(role=Role.DELEGATE)
    registration = make_registration(event=event, user=delegate)
    booking = make_booking(session=session, user=delegate, status=BookingStatus.CONFIRMED)
    from expo.events.models import Track

    track = Track(event=event, name="Localising the SDGs")
    db.session.add(track)
    other_event = make_event(slug="eit-day")
    people = {
        "delegate": make_user(role=Role.DELEGATE),
        "expo staff": make_user(role=Role.STAFF),
        "event staff": make_user(role=Role.DELEGATE),
        "event organiser": make_user(role=Role.DELEGATE),
        "organiser of another event": make_user(role=Role.DELEGATE),
        "admin": make_user(role=Role.ADMIN),
    }
    member = TeamMember(event=event, user=people["event staff"], role=TeamRole.STAFF)
    db.session.add_all([
        member,
        TeamMember(event=event, user=people["event organiser"], role=TeamRole.ORGANISER),
        TeamMember(event=other_event, user=people["organiser of another event"], role=TeamRole.ORGANISER),
    ])

    from expo.imports.models import ImportBatch, ImportFormat, ScheduleUrl
    from expo.programme.models import PendingChange
    from expo.programme.services import SessionData

    pending = PendingChange(event=event, session=session, data=SessionData.from_session(session).to_json(),
                            changes={"title": {"old": "a", "new": "b"}})
    db.session.add(pending)

    batch = ImportBatch(event=event, format=ImportFormat.SPREADSHEET, filename="sessions.csv")
    schedule_url = ScheduleUrl(event=event, url="https://pretalx.example.org/h22/schedule/export/schedule.xml")
    db.session.add_all([batch, schedule_url])
    db.session.flush()
    from expo.imports.services import store_file

    store_file(batch, b"Title,Date,Starts,Ends\r\nImported,2022-06-01,09:00,10:00\r\n")
    from expo.assistant.models import AssistantRun

    run = AssistantRun(event=event, params={"session_ids": [session.id]}, progress=[])
    db.session.add(run)
    from tests.factories import make_application, make_pilot, make_programme

    programme = make_programme()
    pilot = make_pilot(programme=programme)
    application = make_application(programme=programme, user=delegate)
    from expo.twinning.models import OneToOne

    one_to_one = OneToOne(programme_id=programme.id, requester_id=delegate.id, invitee_id=people["delegate"].id,
                          starts_at=session.starts_at, ends_at=session.ends_at)
    db.session.add(one_to_one)
    from datetime import date

    from expo.twinning.models import ReplicationPlan, TravelClaim, TravelMode, TwinningMeeting, TwinningModule

    module = TwinningModule(programme=programme, name="Getting started", starts_on=date(2022, 6, 1),
                            ends_on=date(2022, 6, 2))
    meeting = TwinningMeeting(programme_id=programme.id, module=module, pilot=pilot, application=application,
                              session=session)
    claim = TravelClaim(programme_id=programme.id, application_id=application.id, meeting=meeting,
                        travelled_on=date(2022, 6, 1), mode=TravelMode.TRAIN, amount_cents=12000,
                        receipt_name="ticket.pdf", receipt_type="application/pdf", receipt=b"%PDF-1.4")
    plan = ReplicationPlan(programme_id=programme.id, application_id=application.id, filename="plan.pdf",
                           content_type="application/pdf", content=b"%PDF-1.4")
    db.session.add_all([module, meeting, claim, plan])
    db.session.commit()
    return World(
        people={role: user.id for role, user in people.items()},
        values={
            "event_id": event.id,
            "event_slug": event.slug,
            "venue_slug": room.venue.slug,
            "network_slug": network.slug,
            "session_id": session.id,
            "track_id": track.id,
            "venue_id": room.venue_id,
            "room_id": room.id,
            "network_id": network.id,
            "organisation_id": organisation.id,
            "registration_id": registration.id,
            "booking_id": booking.id,
            "batch_id": batch.id,
            "url_id": schedule_url.id,
            "run_id": run.id,
            "user_id": delegate.id,
            "code": "SE",
            "token": delegate.feed_token,
            "table": "countries",
            "fmt": "csv",
            "kind": "sessions",
            "identifier": "ics",
            "day": "2022-06-01",
            "member_id": member.id,
            "change_id": pending.id,
            "programme_id": programme.id,
            "pilot_id": pilot.id,
            "application_id": application.id,
            "meeting_id": one_to_one.id,
            "claim_id": claim.id,
            "report": "pairs",
            "plan_id": plan.id,
        }
    )


def _arguments(rule, world: World) -> dict:
    values = dict(world.values)
    path = rule.rule
    if "slug" in rule.arguments:
        if path.startswith(("/venues", "/manage/venues")):
            values["slug"] = values["venue_slug"]
        elif path.startswith("/networks"):
            values["slug"] = values["network_slug"]
        else:
            values["slug"] = values["event_slug"]
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.endpoint}: teach this test a value for {missing}"
    return {name: values[name] for name in rule.arguments}


def _routes(app):
    """Every route with each method it serves: GET and, where it changes things, POST too."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in ("GET", "POST"):
            if method in rule.methods:
                yield rule, method


def _request(client, app, rule, method, world):
    with app.test_request_context():
        from flask import url_for

        url = url_for(rule.endpoint, **_arguments(rule, world))
    return client.open(url, method=method), url


def test_every_route_is_classified(app):
    unclassified = sorted({rule.endpoint for rule, _ in _routes(app) if required_role(rule.endpoint) == "unclassified"})
    assert unclassified == []


def test_every_form_route_is_also_checked_on_post(app):
    """A route that shows a form on GET must refuse a POST just as firmly."""
    checked = {(rule.endpoint, method) for rule, method in _routes(app)}
    both = {rule.endpoint for rule in app.url_map.iter_rules() if {"GET", "POST"} <= rule.methods}
    assert both, "the application has forms"
    assert all((endpoint, "POST") in checked for endpoint in both)


def test_anonymous_visitors_are_sent_to_log_in(app, client, world):
    before = database_digest()
    wrong = []
    for rule, method in _routes(app):
        if required_role(rule.endpoint) == "public":
            continue
        response, url = _request(client, app, rule, method, world)
        sent_to_login = response.status_code == 302 and "/account/login" in response.headers["Location"]
        if not (sent_to_login or response.status_code in (401, 403)):
            wrong.append(f"{method} {url} → {response.status_code}")
    assert wrong == []
    assert database_digest() == before


@pytest.mark.parametrize("person", list(ALLOWED))
def test_each_person_reaches_exactly_the_routes_their_rules_allow(app, client, world, person):
    """Forbidden: 403 on GET and POST, the database untouched. Allowed: the page is served
    (GET; changes are tested where they are made)."""
    from expo.accounts.models import User
    from expo.core.extensions import db

    log_in(client, db.session.get(User, world.people[person]))
    before = database_digest()
    wrong = []
    for rule, method in _routes(app):
        needed = required_role(rule.endpoint)
        if needed in ("public", "signed-in"):
            continue
        allowed = needed in ALLOWED[person]
        if allowed and method == "POST":
            continue
        response, url = _request(client, app, rule, method, world)
        refused = response.status_code in (401, 403) or "/account/login" in response.headers.get("Location", "")
        if refused == allowed:
            wrong.append(f"{method} {url} ({needed}) → {response.status_code}")
    assert wrong == []
    # Allowed exports are written to the audit log, and the first page read writes the schedule's
    # cache generation; nothing else changes.
    unchanged = {"audit_entries": None, "cache_generations": None}
    assert {**database_digest(), **unchanged} == {**before, **unchanged}
