"""Host-header poisoning: absolute links come from BASE_URL only, and requests naming a host
that is not allowed are refused before any view runs."""
from __future__ import annotations

from expo.core.security import allowed_hosts
from tests.factories import make_network


def _network_page(client, host: str | None = None) -> tuple[int, str]:
    headers = {"Host": host} if host else {}
    response = client.get("/networks/unece", headers=headers)
    return response.status_code, response.get_data(as_text=True)


def test_a_request_to_another_host_cannot_poison_the_cached_page(make_app, db):
    make_network(slug="unece")
    db.session.commit()
    # Even where a site allows several names, every link points at BASE_URL.
    app = make_app(ALLOWED_HOSTS=("expo.test", "evil.example"), PAGE_CACHE_TIMEOUT=60)
    client = app.test_client()
    status, poisoned = _network_page(client, "evil.example")
    assert status == 200
    assert "webcal://expo.test/networks/unece/calendar.ics" in poisoned
    assert "evil.example" not in poisoned
    status, seen_by_others = _network_page(client, "expo.test")
    assert "evil.example" not in seen_by_others
    assert "webcal://expo.test/networks/unece/calendar.ics" in seen_by_others


def test_a_host_not_allowed_is_refused_with_the_error_page(make_app, db):
    make_network(slug="unece")
    db.session.commit()
    client = make_app(BASE_URL="https://expo.example.org").test_client()
    for host in ("evil.example", "expo.example.org.evil.example", "evil.example:443"):
        status, body = _network_page(client, host)
        assert status == 400, host
        assert "This site does not answer to the host name in the address." in body
        assert 'href="/"' in body and "evil.example" not in body
    assert _network_page(client, "expo.example.org")[0] == 200
    assert _network_page(client, "localhost:5000")[0] == 200


def test_allowed_hosts_default_to_the_base_urls_and_this_machines():
    assert allowed_hosts((), "https://expo.example.org/") == ["expo.example.org", "localhost", "127.0.0.1"]
    assert allowed_hosts((".example.org",), "https://expo.example.org/") == [".example.org"]


def test_subdomains_are_allowed_by_a_leading_dot(make_app, db):
    make_network(slug="unece")
    db.session.commit()
    client = make_app(ALLOWED_HOSTS=(".example.org",), BASE_URL="https://expo.example.org").test_client()
    assert _network_page(client, "www.example.org")[0] == 200
    assert _network_page(client, "localhost")[0] == 400


def test_links_made_outside_a_request_and_in_feeds_use_the_base_url(app, client, db):
    from expo.calendar.links import google_event_url
    from tests.factories import make_session

    session = make_session()
    db.session.commit()
    with app.test_request_context("/", base_url="http://localhost:8080"):
        from flask import url_for

        assert url_for("events.home", _external=True) == "http://expo.test/"
        assert url_for("events.home", _external=True, _scheme="webcal") == "webcal://expo.test/"
        assert url_for("events.home") == "/"
        assert f"expo.test%2Fsessions%2F{session.id}" in google_event_url(session)
