from __future__ import annotations

import re

from tests.factories import make_event, make_session
from expo.accounts.models import Role


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_language_switch_to_swedish_and_back(client):
    response = client.post("/account/language", data={"lang": "sv", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="sv">' in client.get("/").get_data(as_text=True)
    client.post("/account/language", data={"lang": "en"})
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_unsafe_targets(client):
    response = client.post("/account/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_signed_in_user_keeps_the_language(client, db, login_as):
    user = login_as(Role.DELEGATE)
    client.post("/account/language", data={"lang": "sv"})
    db.session.refresh(user)
    assert user.locale == "sv"


def test_accept_language_is_honoured(client):
    html = client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9"}).get_data(as_text=True)
    assert '<html lang="sv">' in html


def test_error_pages_use_the_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Not found" in html and 'class="site-header"' in html


def test_home_lists_published_events_only(client, db):
    make_event(name="H22 +50 Sessions")
    make_event(name="Secret draft", is_published=False)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "H22 +50 Sessions" in html
    assert "Secret draft" not in html


def test_organisers_see_drafts_on_the_home_page(client, db, login_as):
    make_event(name="Secret draft", is_published=False)
    db.session.commit()
    login_as(Role.ORGANISER)
    assert "Secret draft" in client.get("/").get_data(as_text=True)


def test_event_page_lists_sessions_by_local_day(client, db):
    from tests.factories import utc

    event = make_event(slug="h22-50")
    make_session(event=event, title="Opening", starts_at=utc(2022, 6, 1, 7, 0), ends_at=utc(2022, 6, 1, 8, 0))
    make_session(event=event, title="Late", starts_at=utc(2022, 6, 1, 22, 30), ends_at=utc(2022, 6, 1, 23, 30))
    db.session.commit()
    html = client.get("/events/h22-50").get_data(as_text=True)
    # 22:30 UTC is already 00:30 on 2 June in Stockholm (UTC+2 in summer)
    assert "09:00" in html and "00:30" in html
    assert html.index("Opening") < html.index("Late")
    assert "Thursday, June 2, 2022" in html


def test_draft_event_page_is_hidden_from_everyone_but_organisers(client, db, login_as):
    make_event(slug="draft", is_published=False)
    db.session.commit()
    assert client.get("/events/draft").status_code == 404
    login_as(Role.DELEGATE)
    assert client.get("/events/draft").status_code == 404
    client.post("/account/logout")
    login_as(Role.STAFF)
    assert client.get("/events/draft").status_code == 404
    client.post("/account/logout")
    login_as(Role.ORGANISER)
    response = client.get("/events/draft")
    assert response.status_code == 200
    assert "Draft: this schedule is not published." in response.get_data(as_text=True)


def test_ids_beyond_the_integer_range_are_not_found(client, login_as):
    from expo.accounts.models import Role

    login_as(Role.ORGANISER)
    for url in ("/manage/events/99999999999999999999/edit", "/manage/events/0/edit"):
        assert client.get(url).status_code == 404


def test_texts_outside_a_request_use_the_default_language(app):
    from flask_babel import gettext

    with app.app_context():
        assert gettext("Events") == "Events"


def test_event_page_leads_to_registration(client, db, login_as):
    make_event(slug="h22-50")
    db.session.commit()
    html = client.get("/events/h22-50").get_data(as_text=True)
    assert "Sign in to register" in html
    login_as(Role.DELEGATE)
    html = client.get("/events/h22-50").get_data(as_text=True)
    assert 'href="/events/h22-50/registration"' in html
    assert 'href="/account/profile"' in html


def test_feed_links_on_the_home_venue_and_network_pages(client, db):
    from tests.factories import make_network, make_room

    event = make_event(slug="h22-50")
    room = make_room()
    network = make_network(slug="unece")
    session = make_session(event=event, room=room)
    session.networks.append(network)
    db.session.commit()
    assert "webcal://" in client.get("/").get_data(as_text=True)
    assert f"/venues/{room.venue.slug}/calendar.ics" in client.get(f"/venues/{room.venue.slug}").get_data(as_text=True)
    assert "/networks/unece/calendar.ics" in client.get("/networks/unece").get_data(as_text=True)


def test_language_switch_needs_the_forms_csrf_token(make_app):
    protected = make_app(WTF_CSRF_ENABLED=True)
    client = protected.test_client()

    refused = client.post("/account/language", data={"lang": "sv", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post("/account/language", data={"lang": "sv", "next": "/events/h22", "csrf_token": token})

    assert refused.status_code == 400 and '<html lang="en">' in page
    assert accepted.headers["Location"] == "/events/h22"
    assert '<html lang="sv">' in client.get("/").get_data(as_text=True)


def test_language_switch_without_a_language_changes_nothing(client):
    response = client.post("/account/language", data={"next": "/events/h22"})

    assert response.headers["Location"] == "/events/h22"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_every_page_has_a_favicon(client):
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)

    with client.get(href) as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
        assert icon.data.startswith(b"<svg")
