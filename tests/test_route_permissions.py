"""Every route of the application is classified here by who may use it, and each class is
checked against every route, by GET and by POST where the route takes it: anonymous visitors are
sent to log in, a role below the one a route needs gets 403, and the database is left exactly as
it was. A new route fails this test until it is classified."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from expo.accounts.models import Role
from expo.registration.models import BookingStatus
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
}
SIGNED_IN = {
    "accounts.change_password",
    "accounts.profile",
    "accounts.export_data",
    "accounts.delete_account",
    "registration.agenda",
    "registration.book_session",
    "registration.cancel_booking",
    "registration.cancel_registration",
    "registration.register_event",
    "registration.show_event_registration",
    "badges.my_code",
    "calendar.reset_feed_token",
}
STAFF = {"attendance."}
ORGANISER = {"programme.", "people.", "venues.", "stats.", "badges.", "registration_manage.", "imports."}


def required_role(endpoint: str) -> str:
    if endpoint in PUBLIC:
        return "public"
    if endpoint in SIGNED_IN:
        return "signed-in"
    if any(endpoint.startswith(prefix) for prefix in STAFF):
        return "staff"
    if any(endpoint.startswith(prefix) for prefix in ORGANISER):
        return "organiser"
    return "unclassified"


@dataclass
class World:
    values: dict


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
    from expo.imports.models import ImportBatch, ImportFormat

    batch = ImportBatch(event=event, format=ImportFormat.SPREADSHEET, filename="sessions.csv",
                        content=b"Title,Date,Starts,Ends\r\nImported,2022-06-01,09:00,10:00\r\n")
    db.session.add(batch)
    db.session.commit()
    return World(
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
            "user_id": delegate.id,
            "code": "SE",
            "token": delegate.feed_token,
            "table": "countries",
            "fmt": "csv",
            "kind": "sessions",
            "identifier": "ics",
            "day": "2022-06-01",
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


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [(Role.DELEGATE, {"staff", "organiser"}), (Role.STAFF, {"organiser"})],
)
def test_a_role_below_the_one_a_route_needs_gets_403(app, client, world, role, forbidden):
    user = make_user(role=role)
    from expo.core.extensions import db

    db.session.commit()
    log_in(client, user)
    before = database_digest()
    wrong = []
    for rule, method in _routes(app):
        if required_role(rule.endpoint) not in forbidden:
            continue
        response, url = _request(client, app, rule, method, world)
        if response.status_code != 403:
            wrong.append(f"{method} {url} → {response.status_code}")
    assert wrong == []
    assert database_digest() == before
