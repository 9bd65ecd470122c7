"""A realistic programme of any size for the public schedule's tests."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from expo.accounts.models import Role
from expo.events.models import Event, Track
from expo.core.extensions import db
from expo.people.models import Network
from expo.programme.models import ProgrammeSession, SessionChange, SessionKind, SessionRoleKind
from expo.venues.models import Room, Venue
from tests.factories import (
    add_person,
    make_booking,
    make_event,
    make_network,
    make_organisation,
    make_room,
    make_session,
    make_user,
    make_venue,
    utc,
)

KINDS = (SessionKind.TALK, SessionKind.PANEL, SessionKind.WORKSHOP, SessionKind.DIGITAL, SessionKind.HYBRID)


def assert_only_organisers_see(client, login_as, url: str) -> str:
    """A draft's page answers 404 to visitors, delegates and staff; returns what an organiser
    sees, which must carry the draft banner."""
    assert client.get(url).status_code == 404
    for role in (Role.DELEGATE, Role.STAFF):
        login_as(role)
        assert client.get(url).status_code == 404
        client.post("/account/logout")
    login_as(Role.ORGANISER)
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Draft: this schedule is not published. Only organisers can see it." in html
    return html


def make_track(event: Event, name: str) -> Track:
    track = Track(event=event, name=name)
    db.session.add(track)
    db.session.flush()
    return track


@dataclass
class Programme:
    event: Event
    venue: Venue
    rooms: list[Room]
    tracks: list[Track]
    network: Network
    sessions: list[ProgrammeSession] = field(default_factory=list)


def build_programme(size: int, *, slug: str, **event_fields) -> Programme:
    """``size`` sessions over the event's two days in two rooms and online, each with a track,
    a speaker from an organisation, a hosting network, a booking and one logged change."""
    event = make_event(slug=slug, name=f"Programme {slug}", **event_fields)
    venue = make_venue(name=f"Dunkers {slug}", slug=f"dunkers-{slug}", latitude=56.04, longitude=12.69)
    rooms = [make_room(venue=venue, name=f"Hall {n}", capacity=50) for n in (1, 2)]
    tracks = [make_track(event, name) for name in ("Mobility", "Energy")]
    network = make_network(name=f"Viable Cities {slug}", slug=f"viable-{slug}", acronym=f"VC-{slug}")
    organisation = make_organisation(name=f"City of {slug}")
    programme = Programme(event, venue, rooms, tracks, network)
    first = utc(event.starts_on.year, event.starts_on.month, event.starts_on.day, 7, 0)
    for n in range(size):
        kind = KINDS[n % len(KINDS)]
        start = first + timedelta(days=n % 2, minutes=30 * (n // 2))
        fields = {"room": rooms[(n // 2) % 2]} if kind is not SessionKind.DIGITAL else {}
        s = make_session(
            event=event,
            title=f"{slug} session {n}",
            kind=kind,
            starts_at=start,
            ends_at=start + timedelta(minutes=45),
            track=tracks[n % 2],
            networks=[network],
            language="sv" if n % 3 == 0 else "en",
            **fields,
        )
        add_person(s, make_user(name=f"Speaker {slug} {n}", organisation=organisation))
        add_person(s, make_user(name=f"Moderator {slug} {n}"), SessionRoleKind.MODERATOR)
        make_booking(session=s)
        db.session.add(
            SessionChange(
                session=s,
                event_id=event.id,
                revision=1,
                changes={
                    "starts_at": {"old": (start - timedelta(hours=1)).isoformat(), "new": start.isoformat()},
                    "ends_at": {"old": (start - timedelta(minutes=15)).isoformat(), "new": (start + timedelta(minutes=45)).isoformat()},
                    "room_id": {"old": rooms[(n // 2 + 1) % 2].id, "new": s.room_id},
                },
            )
        )
        programme.sessions.append(s)
    db.session.flush()
    return programme
