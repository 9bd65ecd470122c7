"""Input no one should send answers 4xx (or is ignored), never a server error: NUL in a path
segment, a line break in a redirect target, a malformed decision, a pattern that would accept a
trailing line break."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from expo.accounts.models import Role
from expo.core.security import safe_next
from expo.events.models import Track
from expo.registration.models import Booking, RegistrationStatus
from tests.conftest import PASSWORD
from tests.factories import make_event, make_network, make_registration, make_user
from tests.registration.conftest import future_session, registered


def _variable_rules(app):
    """Every route with a text variable in its address (slugs, codes, tokens, names)."""
    for rule in app.url_map.iter_rules():
        names = [name for name, converter in rule._converters.items() if converter.regex.startswith("[^/")]
        if names and "GET" in rule.methods:
            yield rule, names


def test_no_address_with_nul_in_a_segment_reaches_a_view(app):
    adapter = app.url_map.bind("expo.test")
    for url in ("/networks/\x00", "/calendar/\x00.ics", "/events/h22\x00/grid", "/venues/a\x00b"):
        with pytest.raises(NotFound):
            adapter.match(url)


def test_nul_in_any_path_segment_is_not_found(app, client, db, login_as):
    make_event(slug="h22")
    make_network(slug="unece")
    db.session.commit()
    login_as(Role.ORGANISER)
    answers = {}
    for rule, names in _variable_rules(app):
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", "%00").replace(f"<int:{name}>", "1").replace(f"<path:{name}>", "%00")
        answers[url] = client.get(url).status_code
    assert "/networks/%00" in answers and "/calendar/%00.ics" in answers
    assert {url: code for url, code in answers.items() if code != 404} == {}


@pytest.mark.parametrize("target", ["/events/h22\n", "/events/h22\r\nSet-Cookie: a=b", "/a\x00b", "/a\tb"])
def test_safe_next_refuses_control_characters(target):
    assert safe_next(target) is None


def test_a_line_break_in_next_after_log_in_goes_home(client, db):
    user = make_user()
    db.session.commit()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD,
                                                   "next": "/account/password\nX-Evil: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Evil" not in response.headers


def test_a_line_break_in_next_of_the_language_switch_goes_home(client):
    response = client.post("/account/language", data={"language": "sv", "next": "/venues\r\n"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_line_break_in_next_of_booking_books_and_goes_to_the_session(client, db, login_as):
    session = future_session(capacity=5)
    user = login_as(Role.DELEGATE)
    registered(session.event, user)
    db.session.commit()
    response = client.post(f"/sessions/{session.id}/book", data={"next": "/agenda\n"})
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"]
    assert [b.session_id for b in db.session.scalars(sa.select(Booking).where(Booking.user_id == user.id))] == [session.id]


def test_a_malformed_decision_is_refused_with_a_message(client, db, login_as):
    event = make_event(slug="h22")
    registration = make_registration(event=event, status=RegistrationStatus.PENDING)
    db.session.commit()
    login_as(Role.ORGANISER)
    for one in ("abc:approve", ":approve", "1:maybe", f"{registration.id}:approve\n", "99999999999:approve"):
        response = client.post("/manage/events/h22/registrations/decide", data={"one": one, "decision": "approve"})
        assert response.status_code == 302, one
        db.session.refresh(registration)
        assert registration.status is RegistrationStatus.PENDING, one
    response = client.post("/manage/events/h22/registrations/decide",
                           data={"one": f"{registration.id}:approve", "decision": "decline"})
    db.session.refresh(registration)
    assert registration.status is RegistrationStatus.APPROVED


def test_a_colour_with_a_trailing_line_break_is_refused(client, db, login_as):
    event = make_event(slug="h22")
    db.session.commit()
    login_as(Role.ORGANISER)
    response = client.post(f"/manage/events/{event.id}/tracks", data={"name": "Mobility", "colour": "#1d5b79\n"})
    assert response.status_code == 200
    assert "Choose a colour such as #1d5b79." in response.get_data(as_text=True)
    assert db.session.query(Track).count() == 0


def test_no_form_uses_a_pattern_that_accepts_a_trailing_line_break():
    """Every pattern validator matches the whole value (``FullMatch``), never WTForms' ``Regexp``."""
    import pathlib

    sources = {path: path.read_text() for path in pathlib.Path("expo").rglob("*.py")}
    assert {str(path) for path, text in sources.items() if "Regexp(" in text} == set()


def test_a_blank_filter_choice_lists_every_session(client, db, login_as):
    event = make_event(slug="h22")
    db.session.commit()
    login_as(Role.ORGANISER)
    for query in ({"kind": "\n"}, {"status": " "}, {"kind": "\r\n", "status": "\t"}):
        response = client.get(f"/manage/events/{event.id}/sessions", query_string=query)
        assert response.status_code == 200, query
