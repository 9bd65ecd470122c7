"""Organisers manage venues and rooms."""
from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core import signals
from expo.venues.models import Room, Venue
from tests.factories import make_room, make_session, make_venue
from tests.programme.helpers import assert_organisers_only
from tests.querycount import page_query_count


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


def html(response) -> str:
    return response.get_data(as_text=True)


def venue_form(**overrides) -> dict:
    data = {"name": "Dunkers Kulturhus", "slug": "", "address": "Kungsgatan 11", "latitude": "56.0487",
            "longitude": "12.6907", "opens_at": "08:00", "closes_at": "22:00", "accessibility_notes": "",
            "description": ""}
    data.update(overrides)
    return data


def test_venue_pages_are_for_organisers_only(client, db):
    room = make_room()
    db.session.commit()
    for method, url in [
        ("GET", "/manage/venues/"),
        ("GET", "/manage/venues/new"),
        ("POST", "/manage/venues/new"),
        ("GET", f"/manage/venues/{room.venue_id}/edit"),
        ("POST", f"/manage/venues/{room.venue_id}/edit"),
        ("POST", f"/manage/venues/{room.venue_id}/delete"),
        ("POST", f"/manage/venues/{room.venue_id}/rooms"),
        ("GET", f"/manage/venues/rooms/{room.id}/edit"),
        ("POST", f"/manage/venues/rooms/{room.id}/edit"),
        ("POST", f"/manage/venues/rooms/{room.id}/delete"),
    ]:
        assert_organisers_only(client, db, method, url)
    assert db.session.get(Room, room.id) is not None


def test_organiser_creates_a_venue_with_rooms(client, db, organiser):
    response = client.post("/manage/venues/new", data=venue_form())
    assert response.status_code == 302
    venue = db.session.scalar(sa.select(Venue))
    assert (venue.slug, venue.opens_at, venue.closes_at) == ("dunkers-kulturhus", time(8), time(22))
    assert client.post(f"/manage/venues/{venue.id}/rooms", data={"room-name": "Hall A", "room-capacity": "120"}).status_code == 302
    assert client.post(f"/manage/venues/{venue.id}/rooms", data={"room-name": "Studio", "room-capacity": "30"}).status_code == 302
    db.session.refresh(venue)
    assert [(r.name, r.capacity) for r in venue.rooms] == [("Hall A", 120), ("Studio", 30)]
    listing = html(client.get("/manage/venues/"))
    assert "Dunkers Kulturhus" in listing and "Hall A (120)" in listing and "08:00–22:00" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"opens_at": "18:00", "closes_at": "09:00"}, "The venue must close after it opens."),
        ({"latitude": "91"}, "Between -90 and 90."),
        ({"longitude": "east"}, "Not a valid float value."),
        ({"opens_at": "8 o'clock"}, "Not a valid time value."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_venue_form_messages(client, db, organiser, overrides, message):
    response = client.post("/manage/venues/new", data=venue_form(**overrides))
    assert response.status_code == 200 and message in html(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Venue)) == 0


def test_duplicate_names_are_refused(client, db, organiser):
    room = make_room(name="Hall A", venue=make_venue(name="Dunkers Kulturhus"))
    db.session.commit()
    assert "A venue with this name already exists." in html(client.post("/manage/venues/new", data=venue_form()))
    response = client.post(f"/manage/venues/{room.venue_id}/rooms", data={"room-name": "hall a", "room-capacity": "10"})
    assert "already has a room with this name" in html(response)
    response = client.post(f"/manage/venues/{room.venue_id}/rooms", data={"room-name": "Tiny", "room-capacity": "0"})
    assert "Must be a positive number" in html(response)


def test_editing_a_room_tells_schedules_that_use_it(client, db, organiser):
    session = make_session()
    room = session.room
    db.session.commit()
    before = session.event.updated_at
    seen: list = []
    with signals.schedule_changed.connected_to(lambda sender, event, **kw: seen.append(event.id)):
        response = client.post(f"/manage/venues/rooms/{room.id}/edit", data={"room-name": "Main hall", "room-capacity": "300"})
    assert response.status_code == 302
    db.session.refresh(room)
    assert (room.name, room.capacity) == ("Main hall", 300)
    assert seen == [session.event_id]
    db.session.refresh(session.event)
    assert session.event.updated_at > before


def test_delete_refusals_and_success(client, db, organiser):
    session = make_session()
    room, venue = session.room, session.room.venue
    empty_room = make_room(venue=venue, name="Unused")
    db.session.commit()
    empty_room_id = empty_room.id
    response = client.post(f"/manage/venues/{venue.id}/delete", follow_redirects=True)
    assert "This venue still has rooms" in html(response)
    response = client.post(f"/manage/venues/rooms/{room.id}/delete", follow_redirects=True)
    assert "Sessions take place in this room" in html(response)
    assert client.post(f"/manage/venues/rooms/{empty_room_id}/delete").status_code == 302
    assert db.session.get(Room, empty_room_id) is None

    lonely = make_venue()
    db.session.commit()
    lonely_id = lonely.id
    assert client.post(f"/manage/venues/{lonely_id}/delete").status_code == 302
    assert db.session.get(Venue, lonely_id) is None


def test_venue_list_search_and_query_count(client, db, organiser):
    for i in range(3):
        make_room(venue=make_venue(name=f"Small {i}"))
    db.session.commit()
    small = page_query_count(client, "/manage/venues/")
    for i in range(27):
        make_room(venue=make_venue(name=f"Large {i}"))
    db.session.commit()
    assert page_query_count(client, "/manage/venues/") == small
    page = html(client.get("/manage/venues/?q=small"))
    assert "Small 1" in page and "Large 1" not in page


def test_organiser_edits_a_venue(client, db, organiser):
    venue = make_venue(name="Dunkers", slug="dunkers")
    db.session.commit()
    page = html(client.get(f"/manage/venues/{venue.id}/edit"))
    assert 'value="Dunkers"' in page and "No rooms yet." in page
    response = client.post(
        f"/manage/venues/{venue.id}/edit",
        data=venue_form(name="Dunkers Kulturhus", slug="dunkers", opens_at="09:00", closes_at="17:30"),
    )
    assert response.status_code == 302
    db.session.refresh(venue)
    assert (venue.name, venue.slug, venue.opens_at, venue.closes_at) == ("Dunkers Kulturhus", "dunkers", time(9), time(17, 30))


def test_venue_list_filters_by_accessibility_notes_and_rooms(client, db, organiser):
    ramp = make_venue(name="Dunkers", accessibility_notes="Step-free entrance, hearing loop")
    make_room(venue=ramp)
    make_venue(name="Maritiman")  # no notes, no rooms
    make_room(venue=make_venue(name="Tropical Garden"))
    db.session.commit()

    def names(query: str) -> list[str]:
        page = html(client.get(f"/manage/venues/?{query}"))
        return [n for n in ("Dunkers", "Maritiman", "Tropical Garden") if f">{n}</a>" in page]

    assert names("accessibility=with") == ["Dunkers"]
    assert names("accessibility=without") == ["Maritiman", "Tropical Garden"]
    assert names("rooms=without") == ["Maritiman"]
    assert names("rooms=with&accessibility=without") == ["Tropical Garden"]
    assert names("rooms=with&q=dunk") == ["Dunkers"]
    assert names("rooms=sometimes&accessibility=nonsense") == ["Dunkers", "Maritiman", "Tropical Garden"]
    assert client.get("/manage/venues/?accessibility=%00").status_code == 400
    assert "Not a valid choice" in html(client.get("/manage/venues/?rooms=sometimes"))


def test_venue_search_takes_percent_and_underscore_literally(client, db, organiser):
    make_venue(name="Hall 100%", address="Kungsgatan 1")
    make_venue(name="Hall_B", address="Kungsgatan 2")
    make_venue(name="Hall 1000", address="Kungsgatan 3")
    db.session.commit()
    percent = html(client.get("/manage/venues/", query_string={"q": "100%"}))
    assert "Hall 100%" in percent and "Hall 1000" not in percent
    underscore = html(client.get("/manage/venues/", query_string={"q": "l_b"}))
    assert "Hall_B" in underscore and "Hall 100%" not in underscore


def test_venue_list_filters_keep_a_fixed_number_of_queries(client, db, organiser):
    make_room(venue=make_venue(accessibility_notes="Lift"))
    db.session.commit()
    url = "/manage/venues/?accessibility=with&rooms=with&q=venue"
    small = page_query_count(client, url)
    for _ in range(20):
        make_room(venue=make_venue(accessibility_notes="Lift"))
    db.session.commit()
    assert page_query_count(client, url) == small


def test_a_room_is_indoors_unless_marked_as_an_outdoor_or_off_site_meeting_point(client, db, organiser):
    from expo.venues.models import RoomKind

    venue = make_venue()
    db.session.commit()
    client.post(f"/manage/venues/{venue.id}/rooms", data={"room-name": "Hall", "room-capacity": "120"})
    client.post(f"/manage/venues/{venue.id}/rooms",
                data={"room-name": "Quay", "room-capacity": "40", "room-kind": "outdoor"})
    db.session.refresh(venue)
    assert [(r.name, r.kind) for r in venue.rooms] == [("Hall", RoomKind.INDOOR), ("Quay", RoomKind.OUTDOOR)]
    hall = venue.rooms[0]
    client.post(f"/manage/venues/rooms/{hall.id}/edit",
                data={"room-name": "Hall", "room-capacity": "120", "room-kind": "outdoor"})
    db.session.refresh(hall)
    assert hall.kind is RoomKind.OUTDOOR
    assert "Outdoors or off-site meeting point" in html(client.get(f"/manage/venues/{venue.id}/edit"))
