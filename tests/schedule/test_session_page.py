"""One session's public page."""
from __future__ import annotations

import pytest

from expo.accounts.models import Role
from expo.programme.models import SessionKind, SessionRoleKind, SessionStatus
from expo.registration.models import BookingStatus
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
from tests.schedule.conftest import assert_only_organisers_see, make_track


@pytest.fixture
def talk(db):
    event = make_event(slug="h22", name="H22 City Expo")
    venue = make_venue(name="Dunkers Kulturhus", slug="dunkers", address="Kungsgatan 11, Helsingborg",
                       latitude=56.046, longitude=12.694)
    s = make_session(
        event=event,
        title="Cities and the SDGs",
        description="How cities report on the goals.",
        room=make_room(venue=venue, name="Hall A", capacity=40),
        starts_at=utc(2022, 6, 1, 7, 30),
        ends_at=utc(2022, 6, 1, 9),
        track=make_track(event, "Sustainability"),
        kind=SessionKind.HYBRID,
        meeting_url="https://meet.example.org/secret-room",
        language="sv",
        networks=[make_network(name="United Nations Economic Commission for Europe", acronym="UNECE", slug="unece")],
    )
    add_person(s, make_user(name="Sara Speaker", organisation=make_organisation(name="City of Helsingborg")))
    add_person(s, make_user(name="Mo Moderator"), SessionRoleKind.MODERATOR)
    add_person(s, make_user(name="Hana Host"), SessionRoleKind.HOST)
    for status in (BookingStatus.CONFIRMED, BookingStatus.CONFIRMED, BookingStatus.CANCELLED):
        make_booking(session=s, status=status)
    make_booking(session=s, status=BookingStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    return s


def test_session_page_shows_everything_public(client, talk):
    html = client.get(f"/sessions/{talk.id}").get_data(as_text=True)
    assert "<h1>Cities and the SDGs</h1>" in html
    assert "Wednesday, June 1, 2022" in html
    assert ">09:30</time>–<time datetime=\"2022-06-01T09:00:00+00:00\">11:00</time>" in html
    assert "CEST (Europe/Stockholm)" in html
    assert 'href="/venues/dunkers">Dunkers Kulturhus</a>, Hall A' in html
    assert "Kungsgatan 11, Helsingborg" in html
    assert 'href="https://www.openstreetmap.org/?mlat=56.046000&amp;mlon=12.694000' in html
    assert "Hybrid meeting" in html and "Swedish" in html and "Sustainability" in html
    assert "Sara Speaker" in html and "City of Helsingborg" in html
    assert "Mo Moderator" in html and "Hana Host" in html
    assert html.index("Speakers") < html.index("Sara Speaker") < html.index("Moderators") < html.index("Mo Moderator")
    assert html.index("Hosts") < html.index("Hana Host")
    assert 'href="/networks/unece">United Nations Economic Commission for Europe (UNECE)</a>' in html
    assert "How cities report on the goals." in html
    # 40 seats, two confirmed bookings (cancelled and waiting ones do not take a seat)
    assert "38 of 40 seats left" in html


def test_meeting_url_is_never_on_the_public_page(client, talk, login_as):
    assert "secret-room" not in client.get(f"/sessions/{talk.id}").get_data(as_text=True)
    login_as(Role.DELEGATE)
    assert "secret-room" not in client.get(f"/sessions/{talk.id}").get_data(as_text=True)


def test_online_session_without_capacity_has_unlimited_seats(client, db):
    s = make_session(kind=SessionKind.DIGITAL, title="Webinar")
    db.session.commit()
    html = client.get(f"/sessions/{s.id}").get_data(as_text=True)
    assert "Online: booked delegates get the link." in html
    assert '<dd class="seats-left">\n          Unlimited' in html
    assert "meet.example.org" not in html


def test_full_session_says_full(client, db):
    s = make_session(capacity=1)
    make_booking(session=s)
    db.session.commit()
    assert "Full (1 seats)" in client.get(f"/sessions/{s.id}").get_data(as_text=True)


def test_session_capacity_overrides_the_room(client, db):
    s = make_session(capacity=5, room=make_room(capacity=300))
    db.session.commit()
    assert "5 of 5 seats left" in client.get(f"/sessions/{s.id}").get_data(as_text=True)


def test_cancelled_session_is_marked(client, db, talk):
    talk.status = SessionStatus.CANCELLED
    db.session.commit()
    html = client.get(f"/sessions/{talk.id}").get_data(as_text=True)
    assert "This session has been cancelled." in html
    assert 'class="session-page is-cancelled"' in html
    assert "seats left" not in html.split("</dl>")[0]


def test_session_in_a_winter_event_shows_cet(client, db):
    s = make_session(event=make_event(starts_on=utc(2022, 12, 1).date(), ends_on=utc(2022, 12, 1).date()),
                     starts_at=utc(2022, 12, 1, 9), ends_at=utc(2022, 12, 1, 10))
    db.session.commit()
    html = client.get(f"/sessions/{s.id}").get_data(as_text=True)
    assert ">10:00</time>" in html and "CET (Europe/Stockholm)" in html


def test_session_of_a_draft_is_404_for_all_but_organisers(client, db, login_as):
    s = make_session(event=make_event(is_published=False), title="Secret talk")
    db.session.commit()
    assert "Secret talk" in assert_only_organisers_see(client, login_as, f"/sessions/{s.id}")


def test_unknown_session_is_404(client):
    assert client.get("/sessions/12345").status_code == 404
