"""Venue, network and country pages: public, counts only where people are concerned."""
from __future__ import annotations

import re

import pytest

from expo.accounts.models import Role
from expo.registration.models import RegistrationStatus
from tests.factories import (
    make_event,
    make_network,
    make_registration,
    make_room,
    make_session,
    make_user,
    make_venue,
    utc,
)


@pytest.fixture
def places(db):
    published = make_event(slug="h22", name="H22 Summit")
    later = make_event(slug="later", name="Later Forum", starts_on=utc(2022, 9, 1).date(), ends_on=utc(2022, 9, 1).date())
    draft = make_event(slug="draft", name="Draft Days", is_published=False)
    dunkers = make_venue(name="Dunkers", slug="dunkers", address="Kungsgatan 11", latitude=56.0, longitude=12.7,
                         accessibility_notes="Step-free entrance")
    hall = make_room(venue=dunkers, name="Hall", capacity=80)
    make_room(venue=dunkers, name="Studio", capacity=20)
    elsewhere = make_room(venue=make_venue(name="Elsewhere", slug="elsewhere"))
    unece = make_network(name="UNECE", slug="unece", description="Sustainable cities")
    make_network(name="Quiet Network", slug="quiet")
    make_session(event=published, title="Summit talk", room=hall, networks=[unece])
    make_session(event=later, title="Autumn talk", room=hall, starts_at=utc(2022, 9, 1, 8), ends_at=utc(2022, 9, 1, 9))
    make_session(event=draft, title="Draft talk", room=hall, networks=[unece])
    make_session(event=published, title="Other venue talk", room=elsewhere)
    for n, code in enumerate(["SE", "SE", "SE", "DK", "FI"]):
        person = make_user(name=f"Private Person {n}", email=f"private{n}@example.org", country_code=code)
        person.networks.append(unece)
        make_registration(event=published, user=person)
        if n == 0:
            make_registration(event=later, user=person)
    # not counted: pending, declined, a draft event's registration, a person without a country
    make_registration(event=published, user=make_user(country_code="NO"), status=RegistrationStatus.PENDING)
    make_registration(event=published, user=make_user(country_code="NO"), status=RegistrationStatus.DECLINED)
    make_registration(event=draft, user=make_user(country_code="IS"))
    make_registration(event=published, user=make_user())
    db.session.commit()
    return published


def test_venue_list_shows_rooms_and_public_session_counts(client, places):
    html = client.get("/venues/").get_data(as_text=True)
    assert html.index("Dunkers") < html.index("Elsewhere")
    assert "2 rooms · 2 sessions" in html  # the draft's session is not counted
    assert "1 room · 1 session" in html


def test_venue_page_shows_place_and_sessions_by_event(client, places):
    html = client.get("/venues/dunkers").get_data(as_text=True)
    assert "Kungsgatan 11" in html and "openstreetmap.org" in html and "Step-free entrance" in html
    assert "Hall" in html and "80 seats" in html and "20 seats" in html
    assert html.index("H22 Summit") < html.index("Summit talk") < html.index("Later Forum") < html.index("Autumn talk")
    assert "Draft talk" not in html and "Other venue talk" not in html
    assert "Thursday, September 1, 2022" in html and ">10:00</time>" in html


def test_organisers_also_see_draft_sessions_on_venue_and_network_pages(client, places, login_as):
    login_as(Role.ORGANISER)
    for url in ("/venues/dunkers", "/networks/unece"):
        html = client.get(url).get_data(as_text=True)
        assert "Draft talk" in html and "status-draft\">Draft</span>" in html


def test_network_list_and_page_show_counts_never_names(client, places):
    html = client.get("/networks/").get_data(as_text=True)
    assert "UNECE" in html and "5 members · 1 session" in html
    assert "Quiet Network" in html and "0 members · 0 sessions" in html
    page = client.get("/networks/unece").get_data(as_text=True)
    assert "5 members use Expo." in page
    assert "Summit talk" in page and "Draft talk" not in page and "Sustainable cities" in page
    for text in (html, page):
        assert "Private Person" not in text and "private0@example.org" not in text


def test_country_list_counts_approved_delegates_of_published_events(client, places):
    html = client.get("/countries/").get_data(as_text=True)
    rows = re.findall(r'<a href="/countries/(\w\w)">([^<]+)</a></th>\s*<td>(\d+)</td>', html)
    assert rows == [("se", "Sweden", "3"), ("dk", "Denmark", "1"), ("fi", "Finland", "1")]
    assert "3 countries." in html
    assert "Private Person" not in html and "@example.org" not in html


def test_country_page_counts_per_event(client, places):
    html = client.get("/countries/se").get_data(as_text=True)
    assert "3 delegates come from Sweden." in html
    rows = re.findall(r'<a href="/events/([\w-]+)">[^<]+</a></th>\s*<td>(\d+)</td>', html)
    assert rows == [("h22", "3"), ("later", "1")]
    assert "Private Person" not in html and "@example.org" not in html
    assert client.get("/countries/SE").status_code == 200


def test_country_without_delegates_shows_zero(client, places):
    html = client.get("/countries/no").get_data(as_text=True)
    assert "0 delegates come from Norway." in html


@pytest.mark.parametrize("url", ["/countries/xx", "/countries/swe", "/countries/1", "/venues/nowhere", "/networks/nobody"])
def test_unknown_places_are_404(client, places, url):
    assert client.get(url).status_code == 404


def test_public_pages_are_open_to_every_role(client, places, login_as):
    urls = ["/venues/", "/venues/dunkers", "/networks/", "/networks/unece", "/countries/", "/countries/se"]
    for url in urls:
        assert client.get(url).status_code == 200
    login_as(Role.DELEGATE)
    for url in urls:
        assert client.get(url).status_code == 200


def test_navigation_links_the_public_pages(client, places):
    html = client.get("/").get_data(as_text=True)
    for href in ('href="/venues/"', 'href="/networks/"', 'href="/countries/"'):
        assert href in html
