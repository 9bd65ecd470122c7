"""Country names in the reader's language: on pages, in choices and in exports."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from flask_babel import refresh

from expo.accounts.models import Role
from expo.badges.queries import badge_data
from expo.people.countries import country_name
from expo.people.models import Country
from expo.people.services import country_choices
from expo.registration.models import BookingStatus
from tests.factories import make_booking, make_event, make_organisation, make_registration, make_session, make_user

SWEDISH = {"Accept-Language": "sv"}


def html(response) -> str:
    return response.get_data(as_text=True)


@contextmanager
def reading(app, headers=None):
    """A request from a browser asking for the languages in ``headers``."""
    with app.test_request_context(headers=headers or {}):
        refresh()  # the test's application context outlives one request's choice of language
        yield


@pytest.fixture
def booking(db):
    """A delegate from Germany in a Norwegian organisation, booked into a session of h22."""
    event = make_event(slug="h22")
    person = make_user(name="Greta Gross", country_code="DE",
                       organisation=make_organisation(name="Oslo kommune", country_code="NO"))
    make_registration(event=event, user=person)
    booking = make_booking(session=make_session(event=event), user=person, status=BookingStatus.CONFIRMED)
    db.session.commit()
    return booking


def test_a_country_is_named_in_the_readers_language(app, db):
    germany = db.session.get(Country, "DE")
    with reading(app, SWEDISH):
        assert (country_name(germany), country_name("RU", "Russian Federation")) == ("Tyskland", "Ryssland")
    with reading(app):
        # English is the language the names are stored in.
        assert (country_name(germany), country_name("RU", "Russian Federation")) == ("Germany", "Russian Federation")
        assert (country_name(None), country_name("XX", None)) == ("", "XX")


@pytest.mark.parametrize(
    ("headers", "in_order"),
    [
        ({}, ["Afghanistan", "Åland Islands", "Albania", "Côte d'Ivoire", "Croatia", "Zimbabwe"]),
        (SWEDISH, ["Afghanistan", "Albanien", "Elfenbenskusten", "Zimbabwe", "Åland", "Österrike"]),
    ],
)
def test_country_choices_follow_the_readers_alphabet(app, db, headers, in_order):
    with reading(app, headers):
        names = [name for _code, name in country_choices()]

    assert len(names) == db.session.query(Country).count()
    assert sorted(in_order, key=names.index) == in_order


def test_the_signup_form_offers_countries_in_the_readers_language(client, db):
    swedish = html(client.get("/account/signup", headers=SWEDISH))
    english = html(client.get("/account/signup"))

    assert '<option value="DE">Tyskland</option>' in swedish
    assert swedish.index(">Sverige<") < swedish.index(">Tyskland<") < swedish.index(">Österrike<")
    assert '<option value="DE">Germany</option>' in english


def test_the_country_page_is_named_in_the_readers_language(client, booking):
    swedish = html(client.get("/countries/de", headers=SWEDISH))
    english = html(client.get("/countries/de"))

    assert "<h1>Tyskland</h1>" in swedish and "1 delegat kommer från Tyskland." in swedish
    assert "<h1>Germany</h1>" in english
    assert "Tyskland" in html(client.get("/countries/", headers=SWEDISH))


def test_the_door_list_names_countries_in_the_readers_language(client, login_as, booking):
    login_as(Role.STAFF, locale="sv")
    page = html(client.get(f"/door/sessions/{booking.session_id}"))

    assert "Greta Gross" in page
    assert '<td class="door-country">Tyskland</td>' in page


def test_statistics_name_countries_in_the_readers_language(client, login_as, booking):
    login_as(Role.ORGANISER, locale="sv")

    page = html(client.get("/stats/"))
    table = client.get("/stats/export/countries.csv").get_data(as_text=True)

    assert "Tyskland" in page and "Germany" not in page
    assert "Tyskland" in table and "Germany" not in table


def test_registration_exports_and_lists_name_countries_in_the_readers_language(client, login_as, booking):
    login_as(Role.ORGANISER, locale="sv")

    export = client.get("/manage/events/h22/registrations.csv").get_data(as_text=True)
    organisations = html(client.get("/manage/organisations"))

    assert "Greta Gross" in export and "Tyskland" in export
    assert "Oslo kommune" in organisations and "Norge" in organisations


def test_badges_name_the_country_in_the_readers_language(app, booking):
    with reading(app, SWEDISH):
        assert badge_data(booking.user).country == "Tyskland"
    with reading(app):
        assert badge_data(booking.user).country == "Germany"
