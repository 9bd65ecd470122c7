"""Build a whole expo in bulk: the H22 demo at its real size, or a large data set for load tests.

Everything comes from one seeded ``random.Random`` and fixed dates, so a plan always gives the
same expo. Rows are written with bulk INSERTs (see expo/demo/bulk.py) and keep every rule the
services keep: rooms never double-booked, speakers and delegates never in two places at once,
bookings unique, confirmed seats within capacity, waiting lists numbered 1..n, approvals within
an event's capacity. The caller commits."""
from __future__ import annotations

import math
import re
import unicodedata
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from expo.accounts.models import Role, User, user_networks
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.core.timeutil import from_local
from expo.demo import catalogue as cat
from expo.demo.bulk import Progress, RoomPlanner, UserRows, ensure_rows, insert_rows
from expo.demo.generate_attendance import book, check_in_at_the_door, register
from expo.demo.interest import star_sessions
from expo.demo.twinning import build_twinning
from expo.demo.plan import TRANSFER_MINUTES, BuildState, Plan, PlannedSession, Summary
from expo.events.models import Event, Expo, RegistrationMode, TeamMember, TeamRole, Track
from expo.people.models import Network, Organisation
from expo.people.services import sync_countries
from expo.programme.models import (
    ProgrammeSession,
    SessionChange,
    SessionKind,
    SessionRole,
    SessionRoleKind,
    SessionStatus,
    session_networks,
)
from expo.venues.models import Room, RoomKind, Venue

TZ = cat.EXPO_TIMEZONE
# In-person sessions start on the quarter hour between 09:00 and 16:30 local time.
START_TIMES = tuple(time(h, m) for h in range(9, 17) for m in (0, 15, 30, 45) if (h, m) <= (16, 30))
SESSIONS_PER_VENUE = 300
PLACEMENT_TRIES = 40


def demo_password_hash() -> str:
    """The demo password hashed once, with the configured method; every generated account shares it."""
    return generate_password_hash(cat.DEMO_PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"])


def generate_expo(*, sessions: int, delegates: int, bookings: int, seed: int = 22,
                  progress: Progress | None = None) -> Summary:
    """A large H22-like expo for load tests, into a database that has no events yet."""
    if db.session.scalar(sa.select(Event.id).limit(1)) is not None:
        raise ExpoError("The database already has events: generate fills a database without any.")
    if sessions < len(cat.EVENTS) or delegates < len(cat.PEOPLE) + 1 or bookings < 0:
        raise ExpoError(
            f"Ask for at least {len(cat.EVENTS)} sessions and {len(cat.PEOPLE) + 1} delegates."
        )
    plan = Plan(
        seed=seed, sessions=sessions, delegates=delegates, bookings=bookings,
        cancelled_sessions=max(1, sessions // 60), check_in_days=max(3, sessions // 400),
        organisers=max(3, delegates // 5000), staff=max(8, delegates // 1000),
    )
    return build_expo(plan, password_hash=demo_password_hash(), progress=progress)


def build_expo(plan: Plan, *, password_hash: str, progress: Progress | None = None,
               twinning: bool = False) -> Summary:
    """Write the whole expo of ``plan`` (with ``twinning``, the Twin Cities programme of the H22
    demo too); flushes, never commits."""
    builder = ExpoBuilder(plan, password_hash, progress)
    summary = builder.build()
    if twinning:
        build_twinning(builder, password_hash=password_hash)
    return summary


class ExpoBuilder(BuildState):
    """Builds the expo of a plan step by step; each step keeps what later steps need."""

    def __init__(self, plan: Plan, password_hash: str, progress: Progress | None) -> None:
        super().__init__(plan, progress)
        self.password_hash = password_hash
        self.planner = RoomPlanner(TZ)

    def build(self) -> Summary:
        sync_countries()
        self._expo()
        self._venues()
        self._networks_and_organisations()
        self._users()
        self._events()
        self._sessions()
        register(self)
        book(self)
        star_sessions(self)
        check_in_at_the_door(self)
        return self.summary

    # --- places, networks, organisations --------------------------------------------------

    def _expo(self) -> None:
        expo = db.session.scalar(sa.select(Expo).where(Expo.name == cat.EXPO_NAME).order_by(Expo.id).limit(1))
        if expo is None:
            expo = Expo(name=cat.EXPO_NAME, city=cat.EXPO_CITY, timezone=TZ, description=cat.EXPO_DESCRIPTION)
            db.session.add(expo)
            db.session.flush()
        self.expo_id = expo.id

    def _venues(self) -> None:
        specs = list(cat.VENUES)
        extra = max(0, math.ceil(self.plan.sessions / SESSIONS_PER_VENUE) - len(specs))
        for n in range(1, extra + 1):
            specs.append(cat.VenueSpec(
                f"expo-pavilion-{n}", f"Expo Pavilion {n}", f"Oceanhamnen, pavilion {n}, 252 21 Helsingborg",
                round(56.0515 + 0.0004 * (n % 10), 6), round(12.6860 + 0.0006 * (n // 10), 6),
                time(8, 0), time(20, 0), "Temporary pavilion with a ramp and an accessible toilet.",
                "A temporary pavilion of the expo area.",
                (("Hall", 300), ("Room A", 80), ("Room B", 60), ("Room C", 30)),
            ))
        venue_ids = ensure_rows(Venue, ("slug",), [
            {"slug": v.slug, "name": v.name, "address": v.address, "latitude": v.latitude,
             "longitude": v.longitude, "opens_at": v.opens, "closes_at": v.closes,
             "accessibility_notes": v.accessibility, "description": v.description}
            for v in specs
        ])[0]
        room_rows = [
            {"venue_id": venue_ids[(v.slug,)], "name": name, "capacity": capacity,
             "kind": RoomKind.OUTDOOR if name in cat.OUTDOOR_ROOMS else RoomKind.INDOOR}
            for v in specs for name, capacity in v.rooms
        ]
        room_ids = ensure_rows(Room, ("venue_id", "name"), room_rows)[0]
        ids = list(room_ids.values())
        capacities = dict(db.session.execute(sa.select(Room.id, Room.capacity).where(Room.id.in_(ids))).all())
        hours = {venue_ids[(v.slug,)]: (v.opens, v.closes) for v in specs}
        self.rooms = []  # (room id, venue id, seats, opening hours)
        for row in room_rows:
            room_id = room_ids[(row["venue_id"], row["name"])]
            self.rooms.append((room_id, row["venue_id"], capacities[room_id], hours[row["venue_id"]]))
        # Rooms are shared by every event: sessions already held in them stay where they are.
        for room_id, starts_at, ends_at in db.session.execute(
            sa.select(ProgrammeSession.room_id, ProgrammeSession.starts_at, ProgrammeSession.ends_at).where(
                ProgrammeSession.room_id.in_(ids), ProgrammeSession.status != SessionStatus.CANCELLED
            )
        ):
            self.planner.occupy(room_id, starts_at, ends_at)
        self.summary.venues = len(specs)
        self.summary.rooms = len(room_rows)

    def _networks_and_organisations(self) -> None:
        ids = ensure_rows(Network, ("slug",), [
            {"slug": n.slug, "name": n.name, "acronym": n.acronym, "website": n.website,
             "description": n.description}
            for n in cat.NETWORKS
        ])[0]
        self.network_ids = {slug: ids[(slug,)] for slug in (n.slug for n in cat.NETWORKS)}
        org_ids = ensure_rows(Organisation, ("name", "country_code"), [
            {"name": name, "kind": kind, "country_code": country} for name, kind, country in cat.ORGANISATIONS
        ])[0]
        self.org_ids = {name: org_ids[(name, country)] for name, _kind, country in cat.ORGANISATIONS}
        self.orgs_by_country: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for name, _kind, country in cat.ORGANISATIONS:
            self.orgs_by_country[country].append((name, self.org_ids[name]))

    # --- people -----------------------------------------------------------------------------

    def _users(self) -> None:
        rng, plan = self.rng, self.plan
        users = UserRows(self.password_hash)
        taken = {e for (e,) in db.session.execute(sa.select(User.email))}
        rows: list[dict[str, Any]] = []
        memberships: list[tuple[int, str]] = []  # (row index, network slug)

        def add(role: Role, email: str, name: str, country: str, organisation: str | None, **extra: Any) -> int:
            taken.add(email)
            rows.append(users.row(
                email=email, name=name, role=role, country_code=country,
                organisation_id=self.org_ids.get(organisation) if organisation else None,
                locale=extra.pop("locale", "sv" if country == "SE" else "en"),
                created_at=cat.CREATED_AT + timedelta(minutes=len(rows)), **extra,
            ))
            return len(rows) - 1

        # The accounts a newcomer signs in with have chosen no language: they speak the browser's
        # (English unless it asks for Swedish; the language switch is in the footer).
        accounts = {role: add(Role(role), email, name, country, org, locale=None)
                    for role, email, name, org, country in cat.DEMO_ACCOUNTS}
        organisers = [accounts["organiser"]]
        staff = [accounts["staff"]]
        for _ in range(plan.organisers - 1):
            organisers.append(self._generated(add, Role.ORGANISER, "SE", "Helsingborgs stad", taken))
        for _ in range(plan.staff - 1):
            staff.append(self._generated(add, Role.STAFF, "SE", "Helsingborgs stad", taken))
        team = [add(Role.DELEGATE, email, name, country, org, locale=None)
                for _r, email, name, org, country, _e in cat.DEMO_TEAM_ACCOUNTS]
        people = {p.name: add(Role.DELEGATE, p.email, p.name, p.country, p.organisation) for p in cat.PEOPLE}
        memberships += [(people[p.name], slug) for p in cat.PEOPLE for slug in p.networks]
        delegates = [accounts["delegate"], *people.values()]
        memberships.append((accounts["delegate"], "eit-urban-mobility"))
        countries = list(cat.COUNTRY_POOLS)
        weights = [cat.COUNTRY_WEIGHTS.get(c, 1.0) for c in countries]
        network_slugs = [n.slug for n in cat.NETWORKS]
        for n in range(plan.delegates - len(delegates)):
            # Every country first, so even a small expo is international; then by weight.
            country = countries[n] if n < len(countries) else rng.choices(countries, weights)[0]
            organisation = rng.choice(self.orgs_by_country[country])[0]
            extra: dict[str, Any] = {}
            if rng.random() < 0.1:
                extra["dietary_needs"] = rng.choice(cat.DIETARY_NEEDS)
                if rng.random() < 0.3:
                    extra["accessibility_needs"] = rng.choice(cat.ACCESSIBILITY_NEEDS)
                extra["needs_consent_at"] = cat.CREATED_AT + timedelta(days=40 + rng.randrange(30))
            index = self._generated(add, Role.DELEGATE, country, organisation, taken, **extra)
            delegates.append(index)
            if rng.random() < 0.2:
                for slug in rng.sample(network_slugs, rng.choice((1, 1, 2))):
                    memberships.append((index, slug))

        ids, inserted = ensure_rows(User, ("email",), rows, progress=self.progress)
        user_id = [ids[(row["email"],)] for row in rows]
        insert_rows(user_networks, [
            {"user_id": user_id[i], "network_id": self.network_ids[slug]}
            for i, slug in memberships if (rows[i]["email"],) in inserted
        ])
        self.organisers = [user_id[i] for i in organisers]
        self.staff = [user_id[i] for i in staff]
        self.people = {name: user_id[i] for name, i in people.items()}
        self.demo_delegate = user_id[accounts["delegate"]]
        self.team_members = [user_id[i] for i in team]
        self.delegates = [user_id[i] for i in delegates]
        generated = self.delegates[len(cat.PEOPLE) + 1:] or self.delegates
        self.speaker_pool = generated[: max(60, len(generated) // 8)]
        self.summary.delegates = len(self.delegates)
        self.summary.countries = len({rows[i]["country_code"] for i in delegates})

    def _generated(self, add: Any, role: Role, country: str, organisation: str, taken: set[str],
                   **extra: Any) -> int:
        pool = cat.NAME_POOLS[cat.COUNTRY_POOLS[country]]
        female = self.rng.random() < 0.5
        first = self.rng.choice(pool[0] if female else pool[1])
        surnames = pool[3] if len(pool) > 3 and not female else pool[2]
        last = self.rng.choice(surnames)
        base = f"{_slug(first)}.{_slug(last)}"
        domain = f"{_slug(organisation)[:40]}.example"
        email, n = f"{base}@{domain}", 1
        while email in taken:
            n += 1
            email = f"{base}{n}@{domain}"
        return add(role, email, f"{first} {last}", country, organisation, **extra)

    # --- events and the programme -------------------------------------------------------------

    def _events(self) -> None:
        slugs = [e.slug for e in cat.EVENTS]
        clash = db.session.scalars(sa.select(Event.slug).where(Event.slug.in_(slugs))).all()
        if clash:
            raise ExpoError(f"Events with these addresses exist already: {', '.join(sorted(clash))}.")
        scale = max(1.0, self.plan.delegates / cat.DELEGATES)
        rows = []
        for spec in cat.EVENTS:
            mode = RegistrationMode(spec.registration_mode)
            rows.append({
                "expo_id": self.expo_id, "name": spec.name, "slug": spec.slug, "description": spec.description,
                "starts_on": spec.starts_on, "ends_on": spec.ends_on, "timezone": TZ,
                "is_published": spec.published, "published_at": cat.PUBLISHED_AT if spec.published else None,
                "first_published_at": cat.PUBLISHED_AT if spec.published else None,
                "registration_mode": mode,
                "capacity": round(spec.capacity * scale) if spec.capacity else None,
                "registration_deadline": (
                    from_local(datetime.combine(spec.starts_on - timedelta(days=7), time(23, 59)), TZ)
                    if mode is RegistrationMode.APPROVAL else None
                ),
                "transfer_minutes": TRANSFER_MINUTES, "created_at": cat.CREATED_AT, "updated_at": cat.PROGRAMME_UPDATED_AT,
            })
        self.event_rows = rows
        self.event_ids = insert_rows(Event, rows, returning_ids=True)
        event_id = dict(zip((spec.slug for spec in cat.EVENTS), self.event_ids))
        insert_rows(TeamMember, [
            {"event_id": event_id[slug], "user_id": user, "role": TeamRole(role), "created_at": cat.CREATED_AT}
            for (role, *_rest, slug), user in zip(cat.DEMO_TEAM_ACCOUNTS, self.team_members)
        ])
        track_rows = [
            {"event_id": event_id, "name": name, "colour": colour}
            for event_id, spec in zip(self.event_ids, cat.EVENTS) for name, colour in spec.tracks
        ]
        track_ids = insert_rows(Track, track_rows, returning_ids=True)
        self.tracks: dict[int, list[int]] = defaultdict(list)
        for row, track_id in zip(track_rows, track_ids):
            self.tracks[row["event_id"]].append(track_id)
        self.summary.events = len(rows)

    def _sessions(self) -> None:
        rng, plan = self.rng, self.plan
        counts = _apportion(plan.sessions, [spec.share for spec in cat.EVENTS])
        planned: list[PlannedSession] = []
        serial = 0
        for index, (spec, count) in enumerate(zip(cat.EVENTS, counts)):
            days = [spec.starts_on + timedelta(days=d) for d in range((spec.ends_on - spec.starts_on).days + 1)]
            for i in range(count):
                serial += 1
                featured = spec.featured[i] if i < len(spec.featured) else None
                planned.append(self._plan_session(index, spec, days, i, featured, serial))
        cancellable = [s for s in planned if cat.EVENTS[s.event].published and not s.people]
        for session in rng.sample(cancellable, min(plan.cancelled_sessions, len(cancellable))):
            session.cancelled_at = session.starts_at - timedelta(days=2)
            session.row.update(status=SessionStatus.CANCELLED, revision=1, updated_at=session.cancelled_at)
        for session in planned:
            self._cast(session)

        ids = insert_rows(ProgrammeSession, [s.row for s in planned], returning_ids=True, progress=self.progress)
        for session, session_id in zip(planned, ids):
            session.id = session_id
        insert_rows(SessionRole, [
            {"session_id": s.id, "user_id": user_id, "role": role} for s in planned for user_id, role in s.people
        ])
        link_rows = []
        for s in planned:
            slugs = cat.EVENTS[s.event].networks
            for slug in rng.sample(slugs, min(len(slugs), rng.choice((0, 1, 1, 2)))):
                link_rows.append({"session_id": s.id, "network_id": self.network_ids[slug]})
        insert_rows(session_networks, link_rows)
        insert_rows(SessionChange, [
            {"session_id": s.id, "event_id": self.event_ids[s.event], "changed_by_id": self.organisers[0],
             "created_at": s.cancelled_at, "revision": 1,
             "changes": {"status": {"old": SessionStatus.SCHEDULED.value, "new": SessionStatus.CANCELLED.value}}}
            for s in planned if s.cancelled_at is not None
        ])
        latest: dict[int, datetime] = {}
        for s in planned:
            if s.cancelled_at is not None:
                event_id = self.event_ids[s.event]
                latest[event_id] = max(latest.get(event_id, s.cancelled_at), s.cancelled_at)
        for event_id, changed_at in latest.items():  # feeds and caches follow the event's clock
            db.session.execute(sa.update(Event).where(Event.id == event_id).values(updated_at=changed_at))
        self.sessions = planned
        self.summary.sessions = len(planned)

    def _plan_session(self, index: int, spec: cat.EventSpec, days: list[date], i: int,
                      featured: cat.Featured | None, serial: int) -> PlannedSession:
        rng = self.rng
        kinds, weights = zip(*spec.kinds)
        kind = featured.kind if featured else rng.choices(kinds, weights)[0]
        named = [self.people[name] for name in featured.speakers] if featured else []
        minutes = rng.choice(cat.DURATIONS[kind])
        slot = None
        if kind.needs_room:
            for attempt in range(PLACEMENT_TRIES):
                day = days[(i + attempt) % len(days)] if attempt < len(days) else rng.choice(days)
                room_id, venue_id, capacity, (opens, closes) = rng.choice(self.rooms)
                if kind in (SessionKind.WORKSHOP, SessionKind.SITE_VISIT) and capacity > 150 and attempt < 20:
                    continue
                wished = rng.choice(START_TIMES)
                found = self.planner.place(room_id, day, minutes, wished, opens=opens, closes=closes)
                if found is None:
                    continue
                if named and not all(self.agendas.is_free(p, *found, venue_id) for p in named):
                    self.planner.release(room_id, *found)
                    continue
                slot = (room_id, venue_id, capacity, found)
                break
            if slot is None:  # the rooms are full on these days: the session moves online
                kind = SessionKind.DIGITAL
        if slot is None:
            day = days[i % len(days)]
            start = from_local(datetime.combine(day, rng.choice(START_TIMES)), TZ)
            found = (start, start + timedelta(minutes=minutes))
            room_id, venue_id, room_capacity = None, None, None
        else:
            room_id, venue_id, room_capacity, found = slot
        for person in named:
            self.agendas.take(person, *found, venue_id)
        language = featured.language if featured else ("sv" if rng.random() < 0.15 else "en")
        topic = rng.choice(spec.topics)
        if featured:
            title = featured.title
        elif language == "sv":
            title = cat.SWEDISH_PREFIXES[kind] + rng.choice(cat.SWEDISH_TOPICS)
        else:
            pattern = rng.choice(cat.TITLE_PATTERNS[kind])
            city = rng.choice(cat.PATTERN_CITIES)
            title = pattern.format(topic=topic, Topic=topic[0].upper() + topic[1:], city=city)
        description = (featured.description if featured and featured.description else
                       cat.DESCRIPTIONS[kind].format(topic=topic, city=rng.choice(cat.PATTERN_CITIES)))
        capacity: int | None = None
        if kind is SessionKind.WORKSHOP:
            capacity = min(room_capacity, rng.choice((16, 20, 24, 30, 40)))
        elif kind is SessionKind.SITE_VISIT:
            capacity = min(room_capacity, rng.choice((12, 15, 20, 25, 30)))
        elif kind is SessionKind.DIGITAL:
            capacity = rng.choice((None, 100, 300, 500))
        event_id = self.event_ids[index]
        tracks = self.tracks[event_id]
        row = {
            "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_id": event_id, "track_id": rng.choice(tracks) if tracks else None,
            "title": title[:300], "description": description, "kind": kind,
            "starts_at": found[0], "ends_at": found[1], "room_id": room_id,
            "meeting_url": f"https://meet.h22.example/{spec.slug}/{serial}" if kind.needs_meeting_url else None,
            "capacity": capacity, "language": language, "status": SessionStatus.SCHEDULED, "revision": 0,
            "created_at": cat.CREATED_AT + timedelta(days=30), "updated_at": cat.PROGRAMME_UPDATED_AT,
        }
        effective = capacity if capacity is not None else room_capacity
        # Big rooms draw big audiences; small workshops and site visits still fill up.
        hands_on = 1.6 if kind in (SessionKind.WORKSHOP, SessionKind.SITE_VISIT) else 1.0
        popularity = rng.lognormvariate(0, 0.7) * math.sqrt(effective or 200) * hands_on
        session = PlannedSession(index, kind, found[0], found[1], room_id, venue_id, effective, popularity, row)
        session.people = [(p, SessionRoleKind.SPEAKER) for p in named]
        return session

    def _cast(self, session: PlannedSession) -> None:
        """Speakers, moderators and hosts, none of them busy elsewhere at the time."""
        rng = self.rng
        wanted = {
            SessionKind.TALK: [SessionRoleKind.SPEAKER] * rng.choice((1, 1, 1, 2)),
            SessionKind.PANEL: [SessionRoleKind.SPEAKER] * rng.choice((3, 4)) + [SessionRoleKind.MODERATOR],
            SessionKind.WORKSHOP: [SessionRoleKind.HOST] + [SessionRoleKind.SPEAKER] * rng.choice((0, 1)),
            SessionKind.SITE_VISIT: [SessionRoleKind.HOST],
            SessionKind.DIGITAL: [SessionRoleKind.SPEAKER] * rng.choice((1, 2)) + [SessionRoleKind.HOST],
            SessionKind.HYBRID: [SessionRoleKind.SPEAKER] * 2 + [SessionRoleKind.MODERATOR],
        }[session.kind]
        have = sum(1 for _, role in session.people if role is SessionRoleKind.SPEAKER)
        chosen = {user_id for user_id, _ in session.people}
        for role in wanted:
            if role is SessionRoleKind.SPEAKER and have > 0:
                have -= 1
                continue
            for _ in range(20):
                candidate = rng.choice(self.speaker_pool)
                free = self.agendas.is_free(candidate, session.starts_at, session.ends_at, session.venue_id)
                if candidate not in chosen and free:
                    chosen.add(candidate)
                    session.people.append((candidate, role))
                    if session.cancelled_at is None:
                        self.agendas.take(candidate, session.starts_at, session.ends_at, session.venue_id)
                    break


def _apportion(total: int, shares: list[int]) -> list[int]:
    """``total`` split in proportion to ``shares`` (largest remainders), at least one each when it can."""
    exact = [total * share / sum(shares) for share in shares]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    for i, count in enumerate(counts):
        if count == 0 and total >= len(shares):
            counts[i] = 1
            counts[counts.index(max(counts))] -= 1
    return counts


_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ð": "d", "Ð": "D", "þ": "th",
                          "ł": "l", "Ł": "L", "ß": "ss", "ı": "i"})


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(_LETTERS)).encode("ascii", "ignore").decode()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text).lower()).strip("-")
