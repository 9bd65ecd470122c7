"""What the benchmark measures, found in the data set itself (slugs, ids, tokens): nothing is
hard-coded except the demo accounts' e-mail addresses, which both data sets share.

Runs inside an application context bound to the data set's database."""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask, url_for

# Pages must answer within this (p95); cached feeds and 304s within this many times the baseline.
PAGE_P95_MS = 150.0
FEED_FACTOR = 2.0
REBUILD_S = 1.0
# Booking (a write under its row locks) must answer within this (p95) in every one of its runs.
BOOKING_P95_MS = 100.0
BOOKING_RUNS = 3
# A 5,000-row sessions file or a 50,000-row people file: previewed and confirmed within this.
IMPORT_TARGET_S = 60.0
BOOKING_EVENT_SLUG = "load-test-bookings"
BOOKING_SESSIONS = 8
BOOKING_DELEGATES = 32
# Log-ins are bound to the browser (Flask-Login's strong session protection hashes the user agent),
# so the log-in client and wrk send the same one.
USER_AGENT = "expo-bench/1"


@dataclass
class Target:
    """One endpoint to measure."""

    key: str
    label: str
    kind: str  # "page", "feed", "conditional", "write", "baseline"
    endpoint: str
    values: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    login: str | None = None  # "delegate", "staff", "organiser"
    conditional: bool = False
    missing: str | None = None  # why it cannot be measured (endpoint or data absent)
    path: str = ""
    detail: str = ""  # what this data set's instance of it is (sizes differ between data sets)


@dataclass
class Discovery:
    targets: list[Target]
    logins: dict[str, str]  # role → e-mail
    password: str
    facts: dict[str, Any]
    booking: dict[str, Any]


# --- discovery ---------------------------------------------------------------------------------

def _one(stmt: sa.Select) -> Any:
    from expo.core.extensions import db

    return db.session.execute(stmt.limit(1)).first()


def discover(app: Flask) -> Discovery:
    """The busiest event, day, session, venue, track, network, delegate … of this data set."""
    from expo.accounts.models import Role, User
    from expo.calendar.exporters import EXPORTERS
    from expo.demo.h22 import DEMO_LOGINS
    from expo.events.models import Event, Track
    from expo.core.extensions import db
    from expo.people.models import Country, Network
    from expo.programme.models import ProgrammeSession, session_networks
    from expo.registration.models import Booking, BookingStatus
    from expo.core.timeutil import to_local
    from expo.venues.models import Room, Venue

    published = sa.and_(Event.is_published.is_(True), Event.slug != BOOKING_EVENT_SLUG)
    n = sa.func.count(ProgrammeSession.id).label("n")
    event_row = _one(sa.select(Event, n).join(ProgrammeSession, ProgrammeSession.event_id == Event.id).where(published)
                     .group_by(Event.id).order_by(n.desc(), Event.id))
    if event_row is None:
        raise SystemExit("The data set has no published event with sessions.")
    event, event_sessions = event_row
    starts = db.session.scalars(sa.select(ProgrammeSession.starts_at).where(ProgrammeSession.event_id == event.id))
    busiest_day, day_sessions = Counter(to_local(s, event.timezone).date() for s in starts).most_common(1)[0]
    # The search term: the commonest longer word in the event's session titles.
    titles = db.session.scalars(sa.select(ProgrammeSession.title).where(ProgrammeSession.event_id == event.id))
    words = Counter(w for title in titles for w in re.findall(r"[^\W\d_]{5,}", title.lower()))
    term = words.most_common(1)[0][0] if words else "city"

    confirmed = sa.func.count(Booking.id).label("n")
    session_row = _one(sa.select(ProgrammeSession, confirmed).join(Booking, Booking.session_id == ProgrammeSession.id)
        .join(Event, ProgrammeSession.event_id == Event.id).where(
        published, Booking.status == BookingStatus.CONFIRMED).group_by(ProgrammeSession.id)
        .order_by(confirmed.desc(), ProgrammeSession.id))
    session, session_seats = session_row

    venue_row = _one(sa.select(Venue, n).join(Room, Room.venue_id == Venue.id)
                     .join(ProgrammeSession, ProgrammeSession.room_id == Room.id)
                     .join(Event, ProgrammeSession.event_id == Event.id).where(published)
                     .group_by(Venue.id).order_by(n.desc(), Venue.id))
    track_row = _one(sa.select(Track, n).join(ProgrammeSession, ProgrammeSession.track_id == Track.id)
                     .join(Event, Track.event_id == Event.id).where(published)
                     .group_by(Track.id).order_by(n.desc(), Track.id))
    network_row = _one(sa.select(Network, n).join(session_networks, session_networks.c.network_id == Network.id)
                       .join(ProgrammeSession, ProgrammeSession.id == session_networks.c.session_id)
                       .join(Event, ProgrammeSession.event_id == Event.id).where(published)
                       .group_by(Network.id).order_by(n.desc(), Network.id))
    people = sa.func.count(User.id).label("n")
    country_row = _one(sa.select(Country, people).join(User, User.country_code == Country.code)
                       .group_by(Country.code).order_by(people.desc(), Country.code))
    live = sa.func.count(Booking.id).label("n")
    delegate_row = _one(sa.select(User, live).join(Booking, Booking.user_id == User.id)
                        .join(ProgrammeSession, Booking.session_id == ProgrammeSession.id)
                        .join(Event, ProgrammeSession.event_id == Event.id)
                        .where(User.role == Role.DELEGATE, User.active.is_(True), published,
                               Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))
                        .group_by(User.id).order_by(live.desc(), User.id))
    delegate, delegate_bookings = delegate_row

    logins = {"delegate": delegate.email,
              "staff": DEMO_LOGINS["accounts"]["staff"],
              "organiser": DEMO_LOGINS["accounts"]["organiser"]}
    exporters = {e.identifier: e for e in EXPORTERS.values()}

    def exporter(kind: str) -> tuple[str | None, bool]:
        for ident, e in exporters.items():
            if e.extension == kind or ident.endswith(kind):
                if "frab" in ident or "frab" in str(getattr(e, "label", "")).lower() or ident == kind:
                    return ident, e.public
        return None, True

    from expo.people.models import Organisation
    from expo.registration.models import Registration

    event_registrations = db.session.scalar(sa.select(sa.func.count(Registration.id))
                                            .where(Registration.event_id == event.id))
    people_count = db.session.scalar(sa.select(sa.func.count(User.id)))
    organisation_count = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    frab_xml, xml_public = exporter("xml")
    frab_json, json_public = exporter("json")
    ev = {"slug": event.slug}
    T = Target
    targets = [
        T("health", "/health (baseline)", "baseline", "core.health"),
        T("home", "Home page", "page", "events.home"),
        T("event", "Event page: largest event, every session", "page", "events.show_event", ev,
          detail=f"{event_sessions} sessions"),
        T("grid", "Schedule grid: busiest day", "page", "schedule.show_grid",
          {**ev, "day": busiest_day.isoformat()}, detail=f"{day_sessions} sessions"),
        T("list", "Schedule list: largest event, searched", "page", "events.show_event", ev, {"q": term},
          detail=f"q={term}"),
        T("session", "Session page: most booked session", "page", "schedule.show_session",
          {"session_id": session.id}, detail=f"{session_seats} seats booked"),
        T("venue_page", "Venue page: busiest venue", "page", "schedule.show_venue",
          {"slug": venue_row[0].slug}, detail=f"{venue_row[1]} sessions"),
        T("network_page", "Network page: busiest network", "page", "schedule.show_network",
          {"slug": network_row[0].slug}, detail=f"{network_row[1]} sessions"),
        T("country_page", "Country page: most delegates", "page", "schedule.show_country",
          {"code": country_row[0].code}, detail=f"{country_row[1]} people"),
        T("changes", "Changes page", "page", "schedule.list_changes", ev),
        T("agenda", "Personal agenda: busiest delegate", "page", "registration.agenda",
          login="delegate", detail=f"{delegate_bookings} bookings"),
        T("attendance", "Attendance list: most booked session", "page",
          "attendance.show_session", {"session_id": session.id}, login="staff",
          detail=f"{session_seats} seats booked"),
        T("stats", "Statistics (organiser)", "page", "stats.index", login="organiser"),
        # The organisers' tables: one page of a long list, sorted, with its count.
        T("manage_registrations", "Registrations table: largest event, by name, page 3", "page",
          "registration_manage.manage_registrations", ev, {"sort": "name", "page": "3"}, login="organiser",
          detail=f"{event_registrations} registrations"),
        T("manage_registrations_filtered", "Registrations table: searched, by organisation", "page",
          "registration_manage.manage_registrations", ev, {"q": "a", "sort": "-organisation"}, login="organiser",
          detail=f"{event_registrations} registrations"),
        T("manage_bookings", "Bookings table: most booked session", "page", "registration_manage.manage_bookings",
          {"session_id": session.id}, {"sort": "name"}, login="organiser", detail=f"{session_seats} seats booked"),
        T("manage_sessions", "Sessions table: largest event, by title, page 2", "page", "programme.list_sessions",
          {"event_id": event.id}, {"sort": "title", "page": "2"}, login="organiser",
          detail=f"{event_sessions} sessions"),
        T("manage_people", "People table: everyone, by organisation, page 10", "page", "people_admin.list_people",
          query={"sort": "organisation", "page": "10"}, login="organiser", detail=f"{people_count} people"),
        T("manage_organisations", "Organisations table: by members", "page", "people.list_organisations",
          query={"sort": "-members"}, login="organiser", detail=f"{organisation_count} organisations"),
        T("manage_networks", "Networks table: by members", "page", "people.list_networks",
          query={"sort": "-members"}, login="organiser"),
        T("feed_event", "iCal: largest event", "feed", "calendar.export_schedule",
          {**ev, "identifier": "ical"}, detail=f"{event_sessions} sessions"),
        T("feed_venue", "iCal: busiest venue", "feed", "calendar.venue_feed",
          {"slug": venue_row[0].slug}, detail=f"{venue_row[1]} sessions"),
        T("feed_track", "iCal: busiest track", "feed",
          "calendar.track_feed", {**ev, "track_id": track_row[0].id} if track_row else {},
          missing=None if track_row else "no track with sessions",
          detail=f"{track_row[1]} sessions" if track_row else ""),
        T("feed_network", "iCal: busiest network", "feed", "calendar.network_feed",
          {"slug": network_row[0].slug}, detail=f"{network_row[1]} sessions"),
        T("feed_session", "iCal: one session", "feed", "calendar.session_feed", {"session_id": session.id}),
        T("feed_personal", "iCal: personal feed via token", "feed",
          "calendar.personal_feed", {"token": delegate.feed_token}, detail=f"{delegate_bookings} bookings"),
        T("frab_xml", "frab XML export: largest event", "feed", "calendar.export_schedule", {**ev, "identifier": frab_xml},
          login=None if xml_public else "organiser", missing=None if frab_xml else "no frab XML exporter"),
        T("frab_json", "frab JSON export: largest event", "feed", "calendar.export_schedule", {**ev, "identifier": frab_json},
          login=None if json_public else "organiser", missing=None if frab_json else "no frab JSON exporter"),
        T("not_modified", "iCal event feed, If-None-Match → 304", "conditional", "calendar.export_schedule",
          {**ev, "identifier": "ical"}, conditional=True),
        T("book", "Book / cancel a seat (POST, CSRF)", "write", "registration.book_session",
          {"session_id": 0}, login="delegate"),
    ]
    with app.test_request_context():
        for target in targets:
            if target.missing:
                continue
            if target.endpoint not in app.view_functions:
                target.missing = f"no endpoint {target.endpoint}"
                continue
            if target.key != "book":
                target.path = url_for(target.endpoint, **target.values)
                if target.query:
                    target.path += "?" + urllib.parse.urlencode(target.query)
    facts = {
        "events_published": db.session.scalar(sa.select(sa.func.count(Event.id)).where(published)),
        "sessions": db.session.scalar(sa.select(sa.func.count(ProgrammeSession.id))),
        "delegates": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.role == Role.DELEGATE)),
        "bookings": db.session.scalar(sa.select(sa.func.count(Booking.id))),
        "largest_event": event.slug,
        "largest_event_sessions": event_sessions,
        "busiest_day": busiest_day.isoformat(),
    }
    return Discovery(targets, logins, DEMO_LOGINS["password"], facts, {})


# --- the booking fixture -----------------------------------------------------------------------

def ensure_booking_fixture(app: Flask) -> dict[str, Any]:
    """A small published event a year ahead, with digital sessions and registered delegates.

    Both data sets are set in 2022, and a session that has started can no longer be booked, so
    the booking benchmark needs sessions in the future. They are made through the services, like
    an organiser would, and live only in the benchmark's own databases."""
    from expo.accounts.models import Role, User
    from expo.events.models import Event, RegistrationMode
    from expo.events.services import EventData, create_event, publish_event
    from expo.core.extensions import db
    from expo.programme.models import ProgrammeSession, SessionKind
    from expo.programme.services import SessionData, create_session
    from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
    from expo.core.errors import InvalidState
    from expo.registration.services import cancel_booking, register
    from expo.core.timeutil import from_local

    event = db.session.scalar(sa.select(Event).where(Event.slug == BOOKING_EVENT_SLUG))
    today = datetime.now(timezone.utc).date()
    organiser = db.session.scalar(sa.select(User).where(User.role == Role.ORGANISER).order_by(User.id))
    if event is not None and event.starts_on <= today + timedelta(days=2):
        # A year has passed: move the old fixture out of the way and make a new one.
        event.slug = f"{BOOKING_EVENT_SLUG}-{event.starts_on.isoformat()}"
        db.session.flush()
        event = None
    if event is None:
        day = today + timedelta(days=365)
        event = create_event(data=EventData(
            name="Load test: bookings", starts_on=day, ends_on=day, timezone="Europe/Stockholm",
            slug=BOOKING_EVENT_SLUG, description="Sessions the load benchmark books and cancels.",
            registration_mode=RegistrationMode.OPEN), actor=organiser)
        for i in range(BOOKING_SESSIONS):
            starts = from_local(datetime.combine(day, datetime.min.time()).replace(hour=9 + i), event.timezone)
            create_session(event=event, actor=organiser, data=SessionData(
                title=f"Load test session {i + 1}", kind=SessionKind.DIGITAL, starts_at=starts,
                ends_at=starts + timedelta(minutes=45), capacity=1000,
                meeting_url=f"https://meet.example.org/load-test-{i + 1}"))
        publish_event(event=event, actor=organiser)
    delegates = db.session.scalars(
        sa.select(User).where(User.role == Role.DELEGATE, User.active.is_(True), ~User.email.like("%@h22.example"))
        .order_by(User.id).limit(BOOKING_DELEGATES)).all()
    registered = set(db.session.scalars(sa.select(Registration.user_id).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.APPROVED)))
    for delegate in delegates:
        if delegate.id not in registered:
            register(delegate=delegate, event=event, actor=delegate)
    # Every delegate starts without a seat, so the benchmark's first request books.
    for booking in db.session.scalars(sa.select(Booking).join(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id,
            Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))).all():
        try:
            cancel_booking(booking=booking, actor=booking.user)
        except InvalidState:  # a request of the load that was still on its way cancelled it first
            pass
    db.session.commit()
    sessions = db.session.scalars(sa.select(ProgrammeSession.id).where(ProgrammeSession.event_id == event.id)
                                  .order_by(ProgrammeSession.starts_at)).all()
    with app.test_request_context():
        slots = [{"email": d.email,
                  "session_id": sessions[i % len(sessions)],
                  "book": url_for("registration.book_session", session_id=sessions[i % len(sessions)]),
                  "cancel": url_for("registration.cancel_booking", session_id=sessions[i % len(sessions)]),
                  "page": url_for("schedule.show_session", session_id=sessions[i % len(sessions)])}
                 for i, d in enumerate(delegates)]
    return {"event_id": event.id, "sessions": list(sessions), "slots": slots}


def booking_states(event_id: int, since: datetime | None = None) -> Counter:
    """How many bookings of the fixture's sessions are in each state, and (``touched``) how
    many changed since ``since``; read fresh from the database."""
    from expo.core.extensions import db
    from expo.programme.models import ProgrammeSession
    from expo.registration.models import Booking

    db.session.remove()
    in_fixture = sa.select(ProgrammeSession.id).where(ProgrammeSession.event_id == event_id)
    rows = db.session.execute(sa.select(Booking.status, sa.func.count(Booking.id))
                              .where(Booking.session_id.in_(in_fixture)).group_by(Booking.status)).all()
    states = Counter({str(status): count for status, count in rows})
    if since is not None:
        states["touched"] = db.session.scalar(sa.select(sa.func.count(Booking.id)).where(
            Booking.session_id.in_(in_fixture), Booking.updated_at >= since)) or 0
    db.session.remove()
    return states


# --- HTTP: logging in, CSRF tokens -------------------------------------------------------------

class _TokenFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token" and self.token is None:
            self.token = values.get("value")


def csrf_token(html: str) -> str | None:
    finder = _TokenFinder()
    finder.feed(html)
    if finder.token:
        return finder.token
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    return match.group(1) if match else None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """A browser-like client with its own cookies (the standard library only)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, float]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                content = response.read()
                return response.status, dict(response.headers), content, time.perf_counter() - started
        except urllib.error.HTTPError as error:
            content = error.read()
            return error.code, dict(error.headers), content, time.perf_counter() - started

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def log_in(self, email: str, password: str) -> None:
        status, _, html, _ = self.request("/account/login")
        token = csrf_token(html.decode())
        if status != 200 or not token:
            raise RuntimeError(f"the log-in page answered {status} without a CSRF token")
        status, headers, _, _ = self.request("/account/login", {"csrf_token": token, "email": email,
                                                                "password": password, "next": ""})
        if status != 302:
            raise RuntimeError(f"logging in as {email} answered {status}, not a redirect")
        # Follow the redirect as a browser does: the welcome message is shown there, once, and
        # the session cookie wrk then sends no longer carries it.
        location = urllib.parse.urlsplit(headers.get("Location", "/"))
        self.request(location.path + (f"?{location.query}" if location.query else ""))

    def token_from(self, path: str) -> str:
        status, _, html, _ = self.request(path)
        token = csrf_token(html.decode())
        if status != 200 or not token:
            raise RuntimeError(f"{path} answered {status} without a CSRF token")
        return token
