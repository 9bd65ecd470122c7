"""Every feed and export can be found where a user would look for it."""
from urllib.parse import parse_qs, unquote, urlsplit

from flask import render_template

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.events.models import Track
from tests.factories import make_booking, make_event, make_network, make_session


def test_event_page_links_feeds_and_public_exports(client):
    event = make_event(slug="h22", name="H22 Summit")
    db.session.add(Track(event=event, name="Mobility"))
    make_session(event=event)
    db.session.commit()
    html = client.get("/events/h22").get_data(as_text=True)
    assert "webcal://expo.test/events/h22/calendar.ics" in html
    assert "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fexpo.test%2Fevents%2Fh22%2Fcalendar.ics" in html
    assert "https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Fexpo.test%2Fevents%2Fh22%2Fcalendar.ics" in html
    assert "/events/h22/export/frab-xml" in html and "/events/h22/export/frab-json" in html
    track = event.tracks[0]
    assert f"webcal://expo.test/events/h22/tracks/{track.id}/calendar.ics" in html
    assert (f"https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Fexpo.test%2Fevents%2Fh22%2Ftracks%2F"
            f"{track.id}%2Fcalendar.ics&amp;name=H22%20Summit%3A%20Mobility") in html
    # Work and school accounts (Microsoft 365) live at outlook.office.com.
    assert ("https://outlook.office.com/calendar/0/addfromweb?url=http%3A%2F%2Fexpo.test%2Fevents%2Fh22%2F"
            "calendar.ics&amp;name=H22%20Summit") in html
    assert (f"https://outlook.office.com/calendar/0/addfromweb?url=http%3A%2F%2Fexpo.test%2Fevents%2Fh22%2Ftracks%2F"
            f"{track.id}%2Fcalendar.ics&amp;name=H22%20Summit%3A%20Mobility") in html
    assert "/export/csv" not in html


def test_home_page_links_the_whole_expo_feed(client):
    make_session(event=make_event(slug="h22"))
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="webcal://expo.test/calendar.ics"' in html
    assert 'href="https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fexpo.test%2Fcalendar.ics"' in html
    assert ('href="https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Fexpo.test%2Fcalendar.ics'
            '&amp;name=Expo%20programme"') in html
    feed = client.get("/calendar.ics")
    assert feed.status_code == 200 and feed.content_type == "text/calendar; charset=utf-8"


def test_event_page_offers_organisers_the_spreadsheets(client, login_as):
    make_session(event=make_event(slug="h22"))
    db.session.commit()
    login_as(Role.ORGANISER)
    html = client.get("/events/h22").get_data(as_text=True)
    assert "/events/h22/export/csv" in html and "/events/h22/export/xlsx" in html


def test_session_page_has_add_to_calendar(client):
    session = make_session(title="Streets")
    db.session.commit()
    html = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert f"/sessions/{session.id}/calendar.ics" in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "dates=20220601T080000Z%2F20220601T090000Z" in html
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in html
    assert "https://outlook.office.com/calendar/0/deeplink/compose?" in html


def test_agenda_shows_the_personal_feed_links(client, login_as):
    user = login_as(Role.DELEGATE)
    make_booking(user=user)
    db.session.commit()
    response = client.get("/agenda")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"webcal://expo.test/calendar/{user.feed_token}.ics" in html
    assert f'<a href="http://expo.test/calendar/{user.feed_token}.ics" rel="nofollow">' in html
    assert 'action="/calendar/reset"' in html
    assert 'name="csrf_token"' in html


def test_partials_for_the_personal_feed_and_venues(app):
    from flask_login import login_user

    from tests.factories import make_user, make_venue

    user = make_user()
    venue = make_venue(slug="dunkers", name="Dunkers")
    network = make_network(slug="unece", name="UNECE")
    with app.test_request_context("/"):
        login_user(user)
        from flask_login import current_user

        feed_html = render_template("calendar/_feed_links.html", current_user=current_user)
        venue_html = render_template("calendar/_venue_links.html", venue=venue)
        network_html = render_template("calendar/_network_links.html", network=network)
    google = [a for a in feed_html.split('"') if a.startswith("https://calendar.google.com")][0]
    assert unquote(parse_qs(urlsplit(google.replace("&amp;", "&")).query)["cid"][0]) == (
        f"webcal://expo.test/calendar/{user.feed_token}.ics"
    )
    assert f"http://expo.test/calendar/{user.feed_token}.ics" in feed_html
    assert "webcal://expo.test/venues/dunkers/calendar.ics" in venue_html
    assert "webcal://expo.test/networks/unece/calendar.ics" in network_html


def test_no_calendar_links_for_a_draft_session(client, login_as):
    session = make_session(event=make_event(is_published=False))
    db.session.commit()
    login_as(Role.ORGANISER)
    html = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert "calendar.ics" not in html


def test_link_builders(app):
    from expo.calendar import links

    feed = "https://expo.example.org/calendar/abc.ics"
    assert links.webcal_url(feed) == "webcal://expo.example.org/calendar/abc.ics"
    assert links.google_subscribe_url(feed) == (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fexpo.example.org%2Fcalendar%2Fabc.ics"
    )
    assert links.outlook_subscribe_url(feed, "My agenda") == (
        "https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fexpo.example.org%2Fcalendar%2Fabc.ics"
        "&name=My%20agenda"
    )


def test_calendar_partials_are_included_without_ignore_missing(app):
    """A renamed or lost partial must fail loudly, not quietly drop every calendar link."""
    from pathlib import Path

    templates = Path(app.root_path) / "templates"
    includes = [(path.relative_to(templates), line) for path in templates.rglob("*.html")
                for line in path.read_text().splitlines() if '{% include "calendar/' in line]
    assert len(includes) >= 6
    assert [(str(path), line.strip()) for path, line in includes if "ignore missing" in line] == []


def test_outlook_links_write_spaces_as_percent_20(app):
    from expo.calendar import links

    session = make_session(title="Streets for people")
    db.session.commit()
    with app.test_request_context():
        for account, host in (("personal", "outlook.live.com"), ("work", "outlook.office.com")):
            url = links.outlook_event_url(session, account)
            assert url.startswith(f"https://{host}/calendar/0/deeplink/compose?")
            assert "+" not in url and "subject=Streets%20for%20people" in url
            assert parse_qs(urlsplit(url).query)["subject"] == ["Streets for people"]
            feed = links.outlook_subscribe_url("https://expo.example/a b.ics", "My agenda", account)
            assert feed == f"https://{host}/calendar/0/addfromweb?url=https%3A%2F%2Fexpo.example%2Fa%20b.ics&name=My%20agenda"


def test_the_calendar_guide_says_how_expo_meets_every_app():
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "calendars.md").read_text()
    rows = [line for line in guide.splitlines() if line.startswith("| **")]
    assert [row.split("**")[1] for row in rows] == [
        "Google Calendar", "Outlook.com", "Outlook for work or school", "Apple Calendar", "Thunderbird", "ICSx⁵"]
    assert all(row.count(" | ") == 3 for row in rows)  # what it fetches, what it applies, how Expo meets it
