"""Feeds over HTTP: who may fetch what, validators and 304s, caching and the secret token."""
import secrets
from datetime import timedelta

import pytest

from expo.core import signals
from expo.accounts.models import Role
from expo.calendar import exporters, feeds
from expo.calendar.ical import session_uid
from expo.core.extensions import db
from expo.programme.models import SessionKind, SessionStatus
from expo.registration.models import BookingStatus
from tests.calendar.helpers import assert_read_alike, by_uid, icaljs, parse, unfolded
from expo.core.timeutil import utcnow
from tests.factories import (
    add_person, make_booking, make_event, make_network, make_room, make_session, make_user, make_venue, utc,
)


@pytest.fixture
def published(app):
    event = make_event(slug="h22", name="H22 Summit")
    session = make_session(event=event, kind=SessionKind.HYBRID, meeting_url="https://meet.example.org/secret")
    db.session.commit()
    return event, session


def test_event_feed_headers_and_content(client, published):
    event, session = published
    response = client.get("/events/h22/calendar.ics")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'inline; filename="h22.ics"'
    assert response.headers["ETag"]
    assert response.last_modified is not None
    assert "public" in response.headers["Cache-Control"]
    calendar = parse(response.data)
    assert list(by_uid(calendar)) == [session_uid(session)]
    assert "meet.example.org" not in unfolded(response.data)
    assert icaljs(response.data)["name"] == "H22 Summit"


def test_export_ical_address_redirects_to_the_feed(client, published):
    response = client.get("/events/h22/export/ical")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/events/h22/calendar.ics")


def test_304_is_answered_without_building_the_feed(client, published, monkeypatch):
    first = client.get("/events/h22/calendar.ics")

    def refuse(*args, **kwargs):
        raise AssertionError("the feed was built for a 304")

    monkeypatch.setattr(exporters.ICalExporter, "render", refuse)
    by_etag = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get("/events/h22/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == first.headers["ETag"]
    assert by_date.status_code == 304


@pytest.mark.parametrize("signal", ["schedule_changed", "session_changed", "session_cancelled"])
def test_built_feed_is_cached_until_a_schedule_signal(app, client, published, monkeypatch, signal):
    event, session = published
    calls = []
    original = exporters.ICalExporter.render

    def counting(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(exporters.ICalExporter, "render", counting)
    first = client.get("/events/h22/calendar.ics")
    client.get("/events/h22/calendar.ics")
    assert len(calls) == 1
    # A rename leaves no timestamp behind; the signal alone must drop the cached feed.
    session.room.venue.name = "Dunkers kulturhus"
    db.session.commit()
    with app.test_request_context():
        getattr(signals, signal).send(app, event=event, session=session, changes={}, actor=None)
    again = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert len(calls) == 2
    assert "Dunkers kulturhus" in unfolded(again.data)


def test_a_move_raises_sequence_and_changes_the_etag(client, published):
    event, session = published
    first = client.get("/events/h22/calendar.ics")
    session.starts_at += timedelta(hours=2)
    session.ends_at += timedelta(hours=2)
    session.revision += 1
    session.updated_at = session.updated_at + timedelta(minutes=5)
    db.session.commit()
    moved = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200
    assert moved.headers["ETag"] != first.headers["ETag"]
    vevent = by_uid(parse(moved.data))[session_uid(session)]
    assert vevent["SEQUENCE"] == 1
    assert icaljs(moved.data)["events"][0]["start"] == "2022-06-01T10:00:00.000Z"


def test_cancelled_session_stays_in_the_feed(client, published):
    event, session = published
    session.status = SessionStatus.CANCELLED
    session.revision = 1
    db.session.commit()
    vevent = by_uid(parse(client.get("/events/h22/calendar.ics").data))[session_uid(session)]
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_drafts_answer_404_to_everyone(client, login_as):
    draft = make_event(slug="draft", is_published=False)
    session = make_session(event=draft)
    venue = session.room.venue
    network = make_network(slug="net")
    session.networks.append(network)
    db.session.commit()
    login_as(Role.ORGANISER)
    for url in ("/events/draft/calendar.ics", "/events/draft/export/frab-xml",
                "/events/draft/export/frab-json", f"/sessions/{session.id}/calendar.ics"):
        assert client.get(url).status_code == 404, url
    for url in (f"/venues/{venue.slug}/calendar.ics", "/networks/net/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 200 and session.uid not in unfolded(response.data), url


def test_unknown_things_answer_404(client, published):
    for url in ("/events/nope/calendar.ics", "/events/h22/export/pdf", "/venues/nope/calendar.ics",
                "/networks/nope/calendar.ics", "/sessions/999/calendar.ics", "/events/h22/tracks/999/calendar.ics"):
        assert client.get(url).status_code == 404, url


def test_venue_track_network_and_session_feeds(client):
    from expo.events.models import Track

    event = make_event(slug="h22")
    other = make_event(slug="other")
    track = Track(event=event, name="Mobility")
    db.session.add(track)
    venue = make_venue(slug="dunkers")
    network = make_network(slug="unece")
    here = make_session(event=event, room=make_room(venue=venue), track=track, networks=[network])
    elsewhere = make_session(event=other, room=make_room(venue=venue))
    unrelated = make_session(event=event)
    db.session.commit()

    def uids(url):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content_type == "text/calendar; charset=utf-8"
        return set(by_uid(parse(response.data)))

    assert uids("/venues/dunkers/calendar.ics") == {session_uid(here), session_uid(elsewhere)}
    assert uids(f"/events/h22/tracks/{track.id}/calendar.ics") == {session_uid(here)}
    assert uids("/networks/unece/calendar.ics") == {session_uid(here)}
    assert uids(f"/sessions/{unrelated.id}/calendar.ics") == {session_uid(unrelated)}
    assert client.get(f"/events/other/tracks/{track.id}/calendar.ics").status_code == 404


def test_personal_feed_shows_only_the_owners_bookings(client):
    owner, stranger = make_user(name="Ada"), make_user(name="Bo")
    event = make_event()
    seated = make_session(event=event, kind=SessionKind.DIGITAL, meeting_url="https://meet.example.org/a")
    waiting = make_session(event=event, kind=SessionKind.HYBRID, meeting_url="https://meet.example.org/b")
    dropped = make_session(event=event)
    strangers = make_session(event=event, kind=SessionKind.DIGITAL, meeting_url="https://meet.example.org/c")
    draft_session = make_session(event=make_event(is_published=False))
    make_booking(session=seated, user=owner)
    make_booking(session=waiting, user=owner, status=BookingStatus.WAITLISTED, waitlist_position=1)
    make_booking(session=dropped, user=owner, status=BookingStatus.CANCELLED)
    make_booking(session=draft_session, user=owner)
    make_booking(session=strangers, user=stranger)
    db.session.commit()

    response = client.get(f"/calendar/{owner.feed_token}.ics")
    assert response.status_code == 200
    assert "private" in response.headers["Cache-Control"]
    events = by_uid(parse(response.data))
    assert set(events) == {session_uid(seated), session_uid(waiting)}
    assert str(events[session_uid(waiting)]["STATUS"]) == "TENTATIVE"
    text = unfolded(response.data)
    assert "meet.example.org/a" in text
    assert "meet.example.org/b" not in text and "meet.example.org/c" not in text
    assert "Bo" not in text


def test_personal_feed_changes_when_a_booking_does(client):
    owner = make_user()
    booking = make_booking(user=owner, status=BookingStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    first = client.get(f"/calendar/{owner.feed_token}.ics")
    booking.status, booking.waitlist_position, booking.confirmed_at = BookingStatus.CONFIRMED, None, utc(2022, 6, 1)
    db.session.commit()
    second = client.get(f"/calendar/{owner.feed_token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    [vevent] = parse(second.data).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CONFIRMED"


def test_a_seat_after_waiting_moves_last_modified_dtstamp_and_sequence(app, client):
    from expo.registration import services as registration

    session = make_session(capacity=1, revision=3, updated_at=utc(2022, 5, 1))
    seated_user, waiting_user = make_user(), make_user()
    seated = make_booking(session=session, user=seated_user, updated_at=utc(2022, 5, 2))
    make_booking(session=session, user=waiting_user, status=BookingStatus.WAITLISTED, waitlist_position=1,
                 updated_at=utc(2022, 5, 3))
    db.session.commit()
    url = f"/calendar/{waiting_user.feed_token}.ics"
    first = client.get(url)
    [waiting] = parse(first.data).walk("VEVENT")
    assert (str(waiting["STATUS"]), waiting.decoded("LAST-MODIFIED")) == ("TENTATIVE", utc(2022, 5, 3))

    with app.test_request_context():
        registration.cancel_booking(booking=seated, actor=seated_user, now=utc(2022, 5, 20, 9))
        db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    [seat] = parse(again.data).walk("VEVENT")
    assert str(seat["STATUS"]) == "CONFIRMED"
    assert seat.decoded("LAST-MODIFIED") == seat.decoded("DTSTAMP") == utc(2022, 5, 20, 9)
    # The booking's own revision counts: the seat outranks the tentative place it replaces.
    assert (waiting["SEQUENCE"], seat["SEQUENCE"]) == (3, 4)
    # The public feeds know nothing of the booking.
    [public] = parse(client.get(f"/sessions/{session.id}/calendar.ics").data).walk("VEVENT")
    assert public.decoded("LAST-MODIFIED") == utc(2022, 5, 1)


def test_wrong_token_is_404_and_leaks_nothing(client):
    make_booking(user=make_user())
    db.session.commit()
    for token in ("nope", "x" * 43, "x" * 300, ""):
        response = client.get(f"/calendar/{token}.ics")
        assert response.status_code == 404, token
        assert b"VCALENDAR" not in response.data


def test_reset_token_retires_the_old_address(client, login_as):
    user = login_as(Role.DELEGATE)
    old = user.feed_token
    response = client.post("/calendar/reset")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.feed_token != old and len(user.feed_token) >= 43
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{user.feed_token}.ics").status_code == 200


def test_reset_needs_a_signed_in_user_and_post(client):
    response = client.post("/calendar/reset")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.get("/calendar/reset").status_code == 405


def test_reset_token_service_refuses_someone_else(app):
    from expo.calendar.services import reset_feed_token
    from expo.core.errors import NotAllowed

    owner, other = make_user(), make_user(role=Role.ORGANISER)
    with pytest.raises(NotAllowed):
        reset_feed_token(user=owner, actor=other)


@pytest.mark.parametrize("identifier", ["csv", "xlsx"])
def test_spreadsheet_exports_are_for_organisers(client, login_as, published, identifier):
    assert "/account/login" in client.get(f"/events/h22/export/{identifier}").headers["Location"]
    login_as(Role.DELEGATE)
    assert client.get(f"/events/h22/export/{identifier}").status_code == 403


def test_spreadsheet_export_for_staff_is_forbidden(client, login_as, published):
    login_as(Role.STAFF)
    assert client.get("/events/h22/export/csv").status_code == 403


def test_feeds_are_public_without_login(client, published):
    for identifier in ("ical", "frab-xml", "frab-json"):
        response = client.get(f"/events/h22/export/{identifier}", follow_redirects=True)
        assert response.status_code == 200, identifier
        assert response.headers["Content-Disposition"].startswith("inline; filename=")


def test_personal_feed_builder_not_called_for_304(client, monkeypatch):
    owner = make_user()
    make_booking(user=owner)
    db.session.commit()
    first = client.get(f"/calendar/{owner.feed_token}.ics")

    def refuse(*args, **kwargs):
        raise AssertionError("built for a 304")

    monkeypatch.setattr(feeds, "personal_feed", refuse)
    again = client.get(f"/calendar/{owner.feed_token}.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_new_schedule_generation_moves_last_modified_too(app, client, published):
    import sqlalchemy as sa

    from expo.core.generations import CacheGeneration

    first = client.get("/events/h22/calendar.ics")
    # A change an hour later that leaves no timestamp of its own (a renamed room, say).
    db.session.merge(CacheGeneration(name="schedule", token=secrets.token_hex(8),
                                     changed_at=first.last_modified + timedelta(hours=1)))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CacheGeneration)) == 1
    again = client.get("/events/h22/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200
    assert again.last_modified > first.last_modified


def test_expo_feed_has_every_published_event_and_no_draft(client):
    from expo.events.models import Event

    first = make_session(event=make_event(slug="a"))
    second = make_session(event=make_event(slug="b", timezone="Europe/Helsinki"))
    hidden = make_session(event=make_event(slug="c", is_published=False))
    db.session.commit()
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    calendar = parse(response.data)
    assert set(by_uid(calendar)) == {session_uid(first), session_uid(second)}
    assert sorted(str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")) == ["Europe/Helsinki", "Europe/Stockholm"]
    assert "X-WR-TIMEZONE" not in calendar
    assert session_uid(hidden) not in unfolded(response.data)
    etag = response.headers["ETag"]
    db.session.get(Event, hidden.event_id).is_published = True
    db.session.commit()
    assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 200


def test_a_deactivated_account_has_no_feed(client):
    user = make_user()
    make_booking(user=user)
    db.session.commit()
    url = f"/calendar/{user.feed_token}.ics"
    assert client.get(url).status_code == 200
    user.active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_renaming_oneself_renames_the_personal_calendar(client):
    user = make_user(name="Ada")
    db.session.commit()
    url = f"/calendar/{user.feed_token}.ics"
    first = client.get(url)
    user.name = "Ada Lovelace"
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert parse(again.data)["X-WR-CALNAME"] == "My agenda: Ada Lovelace"


def test_renaming_oneself_moves_last_modified_of_the_personal_feed(app, client, monkeypatch):
    from expo.accounts import services as accounts
    from expo.core import generations

    user = make_user(name="Ada")
    make_booking(user=user)
    db.session.commit()
    url = f"/calendar/{user.feed_token}.ics"
    first = client.get(url)
    later = first.last_modified + timedelta(hours=1)
    monkeypatch.setattr(generations, "utcnow", lambda: later)
    with app.test_request_context():
        accounts.update_profile(user=user, actor=user, name="Ada Lovelace", email=user.email, organisation=None,
                                country_code=None, networks=[], locale=user.locale)
        db.session.commit()
    again = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 200
    assert again.last_modified == later
    assert parse(again.data)["X-WR-CALNAME"] == "My agenda: Ada Lovelace"


def test_cached_feeds_and_304s_cost_one_query(client):
    """The scope's fingerprint is remembered under the schedule's generation: a cached feed or
    a 304 is answered from the cache and one look at the generation (a primary key)."""
    from tests.querycount import count_queries

    session = make_session(event=make_event(slug="h22"))
    make_session(event=session.event)
    db.session.commit()
    for url in ("/events/h22/calendar.ics", f"/sessions/{session.id}/calendar.ics",
                "/events/h22/export/frab-json"):
        first = client.get(url)
        assert first.status_code == 200
        with count_queries() as cached:
            assert client.get(url).data == first.data
        with count_queries() as revalidated:
            assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        for log in (cached, revalidated):
            assert log.count == 1 and "FROM cache_generations" in log.statements[0], str(log)


def test_a_remembered_fingerprint_gives_way_to_a_committed_move(client):
    session = make_session(event=make_event(slug="h22"), title="Harbour walk")
    db.session.commit()
    first = client.get("/events/h22/calendar.ics")
    session.title = "Harbour walk, new route"
    session.updated_at = utcnow()  # as the programme's services stamp every change
    db.session.commit()
    again = client.get("/events/h22/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert b"Harbour walk\\, new route" in again.data


def test_a_session_on_the_night_of_the_october_switch_through_the_event_feed(client):
    event = make_event(slug="h22", timezone="Europe/Stockholm", starts_on=utc(2022, 10, 29).date(),
                       ends_on=utc(2022, 10, 30).date())
    # 02:15 CEST, the first of that night's two 02:15s, to 03:15 CET: two hours.
    session = make_session(event=event, starts_at=utc(2022, 10, 30, 0, 15), ends_at=utc(2022, 10, 30, 2, 15))
    db.session.commit()
    response = client.get("/events/h22/calendar.ics")
    assert response.status_code == 200
    seen = icaljs(response.data)
    assert seen["timezones"] == ["Europe/Stockholm"]
    event_seen = seen["by_uid"][session_uid(session)]
    assert (event_seen["start"], event_seen["end"]) == ("2022-10-30T00:15:00.000Z", "2022-10-30T02:15:00.000Z")
    assert "BEGIN:STANDARD\r\nDTSTART:20211031T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZNAME:CET\r\nTZOFFSETFROM:+0200\r\n" in response.get_data(
        as_text=True)


@pytest.fixture
def every_kind_of_session(app):
    """Two published events in two zones sharing a venue and a network: sessions on both switch
    nights (one in the repeated hour), a moved one, a cancelled one; a delegate's bookings."""
    from expo.events.models import Track

    stockholm = make_event(slug="h22", timezone="Europe/Stockholm", starts_on=utc(2022, 3, 27).date(),
                           ends_on=utc(2022, 10, 30).date())
    new_york = make_event(slug="nyc", timezone="America/New_York", starts_on=utc(2022, 3, 13).date(),
                          ends_on=utc(2022, 11, 6).date())
    track = Track(event=stockholm, name="Mobility")
    db.session.add(track)
    venue, network = make_venue(slug="dunkers"), make_network(slug="unece")
    room = make_room(venue=venue)
    common = dict(room=room, track=track, networks=[network])
    sessions = [
        make_session(event=stockholm, starts_at=utc(2022, 3, 27, 1, 15), ends_at=utc(2022, 3, 27, 2), **common),
        make_session(event=stockholm, starts_at=utc(2022, 10, 30, 0, 15), ends_at=utc(2022, 10, 30, 1, 45),
                     revision=1, **common),
        make_session(event=stockholm, starts_at=utc(2022, 10, 29, 23), ends_at=utc(2022, 10, 30, 3),
                     status=SessionStatus.CANCELLED, revision=2, **common),
        make_session(event=new_york, starts_at=utc(2022, 11, 6, 5, 30), ends_at=utc(2022, 11, 6, 7), room=room,
                     networks=[network]),
        make_session(event=new_york, starts_at=utc(2022, 3, 13, 7), ends_at=utc(2022, 3, 13, 8), room=room),
    ]
    add_person(sessions[0], make_user(name="Ada Speaker"))
    delegate = make_user()
    make_booking(session=sessions[0], user=delegate)
    make_booking(session=sessions[3], user=delegate, status=BookingStatus.WAITLISTED, waitlist_position=1)
    db.session.commit()
    return sessions, track, delegate


def _as_read(sessions, status=None):
    """What every reader must find: UID → (SEQUENCE, STATUS, start, end), from the database."""
    return {session_uid(s): (s.revision, "CANCELLED" if s.is_cancelled else (status or {}).get(s.id, "CONFIRMED"),
                             s.starts_at, s.ends_at) for s in sessions}


@pytest.mark.parametrize("kind", ["event", "venue", "track", "network", "session", "personal", "expo"])
def test_every_feed_reads_alike_in_ical_js_and_vobject(client, every_kind_of_session, kind):
    sessions, track, delegate = every_kind_of_session
    in_stockholm, with_network = sessions[:3], [s for s in sessions if s.networks]
    url, expected = {
        "event": ("/events/h22/calendar.ics", _as_read(in_stockholm)),
        "venue": ("/venues/dunkers/calendar.ics", _as_read(sessions)),
        "track": (f"/events/h22/tracks/{track.id}/calendar.ics", _as_read(in_stockholm)),
        "network": ("/networks/unece/calendar.ics", _as_read(with_network)),
        "session": (f"/sessions/{sessions[1].id}/calendar.ics", _as_read(sessions[1:2])),
        "personal": (f"/calendar/{delegate.feed_token}.ics",
                     _as_read([sessions[0], sessions[3]], {sessions[3].id: "TENTATIVE"})),
        "expo": ("/calendar.ics", _as_read(sessions)),
    }[kind]
    response = client.get(url)
    assert response.status_code == 200
    assert_read_alike(response.data, expected)


def test_calendar_apps_that_accept_gzip_get_the_feed_compressed_with_an_etag_of_its_own(client):
    import gzip

    make_session(event=make_event(slug="h22"), title="Harbour walk")
    db.session.commit()
    plain = client.get("/events/h22/calendar.ics")
    packed = client.get("/events/h22/calendar.ics", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get("/events/h22/calendar.ics",
                       headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.headers["ETag"] == packed.headers["ETag"]


def test_a_personal_feed_follows_its_owners_new_booking_and_a_reset_at_once(client, db):
    from expo.calendar import services as calendar_services
    from tests.factories import make_booking, make_user

    delegate = make_user(name="Maja Delegate")
    talk = make_session(event=make_event(slug="h22"), title="Harbour walk")
    db.session.commit()
    url = f"/calendar/{delegate.feed_token}.ics"
    first = client.get(url)
    assert b"Harbour walk" not in first.data
    make_booking(session=talk, user=delegate)
    db.session.commit()
    assert b"Harbour walk" in client.get(url, headers={"If-None-Match": first.headers["ETag"]}).data
    calendar_services.reset_feed_token(user=delegate, actor=delegate)
    db.session.commit()
    assert client.get(url).status_code == 404


def test_a_remembered_feed_owner_closed_since_answers_404(client, db):
    from tests.factories import make_user

    delegate = make_user(name="Maja Delegate")
    db.session.commit()
    url = f"/calendar/{delegate.feed_token}.ics"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # from what is remembered
    delegate.active = False
    db.session.commit()
    assert client.get(url).status_code == 404
