"""What organisers do through the programme services shows up in subscribed calendars."""
from datetime import timedelta

from expo.accounts.models import Role
from expo.calendar.ical import session_uid
from expo.core.extensions import db
from expo.programme import services as programme
from tests.calendar.helpers import by_uid, icaljs, parse, unfolded
from tests.factories import add_person, make_booking, make_event, make_network, make_session, make_user


def _data(session, **changes):
    values = dict(title=session.title, kind=session.kind, starts_at=session.starts_at, ends_at=session.ends_at,
                  room_id=session.room_id, language=session.language)
    values.update(changes)
    return programme.SessionData(**values)


def test_a_move_and_a_cancellation_reach_every_feed(app, client):
    organiser = make_user(role=Role.ORGANISER)
    delegate = make_user()
    session = make_session(event=make_event(slug="h22"))
    make_booking(session=session, user=delegate)
    db.session.commit()
    feeds = ["/events/h22/calendar.ics", f"/calendar/{delegate.feed_token}.ics", f"/sessions/{session.id}/calendar.ics"]
    etags = {url: client.get(url).headers["ETag"] for url in feeds}

    with app.test_request_context():
        programme.update_session(session=session, actor=organiser, confirm=True, data=_data(
            session, starts_at=session.starts_at + timedelta(hours=3), ends_at=session.ends_at + timedelta(hours=3)))
        db.session.commit()
    for url in feeds:
        response = client.get(url, headers={"If-None-Match": etags[url]})
        assert response.status_code == 200, url
        etags[url] = response.headers["ETag"]
        vevent = by_uid(parse(response.data))[session_uid(session)]
        assert vevent["SEQUENCE"] == 1, url
        assert icaljs(response.data)["by_uid"][session_uid(session)]["start"] == "2022-06-01T11:00:00.000Z"

    with app.test_request_context():
        programme.cancel_session(session=db.session.merge(session), actor=organiser, confirm=True)
        db.session.commit()
    for url in feeds:
        response = client.get(url, headers={"If-None-Match": etags[url]})
        assert response.status_code == 200, url
        vevent = by_uid(parse(response.data))[session_uid(session)]
        assert str(vevent["STATUS"]) == "CANCELLED", url
        # The delegate's own feed counts the booking let go as well (a revision of its own).
        assert vevent["SEQUENCE"] == (3 if url == feeds[1] else 2), url


def test_a_booking_dropped_before_the_cancellation_stays_out_of_the_feed(app, client):
    from expo.registration.models import BookingStatus
    from tests.factories import utc

    organiser = make_user(role=Role.ORGANISER)
    dropped_early, released = make_user(), make_user()
    session = make_session(event=make_event(slug="h22"))
    make_booking(session=session, user=dropped_early, status=BookingStatus.CANCELLED, cancelled_at=utc(2022, 1, 1))
    make_booking(session=session, user=released)
    db.session.commit()
    with app.test_request_context():
        programme.cancel_session(session=session, actor=organiser, confirm=True)
        db.session.commit()

    early = parse(client.get(f"/calendar/{dropped_early.feed_token}.ics").data)
    kept = by_uid(parse(client.get(f"/calendar/{released.feed_token}.ics").data))
    assert early.walk("VEVENT") == []
    assert str(kept[session_uid(session)]["STATUS"]) == "CANCELLED"


def _every_feed_of(session, *extra):
    """Every public feed and export that shows ``session``."""
    return [f"/events/{session.event.slug}/calendar.ics", f"/events/{session.event.slug}/export/frab-xml",
            f"/events/{session.event.slug}/export/frab-json", f"/venues/{session.room.venue.slug}/calendar.ics",
            f"/sessions/{session.id}/calendar.ics", "/calendar.ics", *extra]


def _assert_all_show(client, etags, text):
    for url, etag in etags.items():
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, url
        assert response.headers["ETag"] != etag, url
        assert text in unfolded(response.data), url


def test_renaming_a_network_reaches_every_feed_and_export(app, client):
    from expo.people import services as people

    organiser = make_user(role=Role.ORGANISER)
    network = make_network(name="UNECE", slug="unece")
    session = make_session(event=make_event(slug="h22"), networks=[network])
    db.session.commit()
    etags = {url: client.get(url).headers["ETag"] for url in _every_feed_of(session, "/networks/unece/calendar.ics")}

    with app.test_request_context():
        people.update_network(network=network, actor=organiser, data=people.NetworkData(
            name="UN Economic Commission for Europe", slug="unece"))
        db.session.commit()
    _assert_all_show(client, etags, "UN Economic Commission for Europe")


def test_a_speaker_who_renames_themselves_is_renamed_in_every_feed_and_export(app, client):
    from expo.accounts import services as accounts

    speaker, delegate = make_user(name="Ada Speaker"), make_user()
    session = make_session(event=make_event(slug="h22"))
    add_person(session, speaker)
    make_booking(session=session, user=delegate)
    db.session.commit()
    etags = {url: client.get(url).headers["ETag"] for url in _every_feed_of(session, f"/calendar/{delegate.feed_token}.ics")}

    with app.test_request_context():
        accounts.update_profile(user=speaker, actor=speaker, name="Ada Lovelace", email=speaker.email,
                                organisation=None, country_code=None, networks=[], locale="en")
        db.session.commit()
    _assert_all_show(client, etags, "Ada Lovelace")


def test_a_profile_saved_without_a_new_name_leaves_the_feeds_alone(app, client):
    from expo.accounts import services as accounts

    speaker = make_user(name="Ada Speaker")
    session = make_session(event=make_event(slug="h22"))
    add_person(session, speaker)
    db.session.commit()
    etag = client.get("/events/h22/calendar.ics").headers["ETag"]
    with app.test_request_context():
        accounts.update_profile(user=speaker, actor=speaker, name="Ada Speaker ", email=speaker.email,
                                organisation=None, country_code=None, networks=[], locale="sv")
        db.session.commit()
    assert client.get("/events/h22/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
