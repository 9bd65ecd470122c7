from datetime import datetime

import icalendar

from expo.calendar.invitations import booking_invitation
from expo.programme.models import SessionKind
from expo.registration.models import BookingStatus
from expo.calendar.ical import session_uid
from tests.calendar.helpers import assert_read_alike, icaljs, parse, unfolded
from tests.factories import make_booking, make_event, make_session, make_user, utc


def test_invitation_is_a_request_with_organizer_and_attendee(app):
    event = make_event(name="H22 Summit", timezone="Europe/Stockholm")
    session = make_session(event=event, title="Mobility", starts_at=utc(2022, 6, 1, 8), ends_at=utc(2022, 6, 1, 9),
                           revision=3)
    delegate = make_user(name="Ada Lovelace", email="ada@example.org")
    booking = make_booking(session=session, user=delegate)

    attachment = booking_invitation(booking)

    assert attachment.filename == "invite.ics"
    assert attachment.mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    calendar = parse(attachment.content)
    assert calendar["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{session.uid}@expo.test"
    assert vevent["SEQUENCE"] == 3
    assert str(vevent["ORGANIZER"]).startswith("mailto:")
    assert str(vevent["ATTENDEE"]) == "mailto:ada@example.org"
    assert vevent["ATTENDEE"].params["CN"] == "Ada Lovelace"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert vevent.decoded("DTSTART") == datetime.fromisoformat("2022-06-01T10:00:00+02:00")
    assert str(vevent["DTSTART"].params["TZID"]) == "Europe/Stockholm"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    seen = icaljs(attachment.content)
    assert seen["method"] == "REQUEST"
    assert seen["events"][0]["start"] == "2022-06-01T08:00:00.000Z"
    assert seen["events"][0]["end"] == "2022-06-01T09:00:00.000Z"


def test_invitation_shows_meeting_url_only_with_a_seat(app):
    session = make_session(kind=SessionKind.DIGITAL, meeting_url="https://meet.example.org/secret")
    confirmed = booking_invitation(make_booking(session=session))
    waiting = booking_invitation(make_booking(session=session, status=BookingStatus.WAITLISTED,
                                              waitlist_position=1))

    assert "meet.example.org/secret" in unfolded(confirmed.content)
    assert "meet.example.org/secret" not in unfolded(waiting.content)
    [vevent] = parse(waiting.content).walk("VEVENT")
    assert vevent["STATUS"] == "TENTATIVE"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"


def test_cancellation_removes_the_invited_event(app):
    from expo.calendar.invitations import booking_cancellation

    session = make_session(kind=SessionKind.DIGITAL, meeting_url="https://meet.example.org/secret", revision=2)
    booking = make_booking(session=session, status=BookingStatus.CANCELLED)
    attachment = booking_cancellation(booking)
    assert attachment.mimetype == "text/calendar; method=CANCEL; charset=utf-8"
    calendar = parse(attachment.content)
    assert calendar["METHOD"] == "CANCEL"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{session.uid}@expo.test"
    assert vevent["SEQUENCE"] == 2
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert "meet.example.org" not in unfolded(attachment.content)
    assert icaljs(attachment.content)["events"][0]["status"] == "CANCELLED"


def test_invitations_read_alike_in_ical_js_and_vobject(app):
    from expo.calendar.invitations import booking_cancellation

    event = make_event(timezone="America/New_York")
    # 01:30 EDT, the first of the two 01:30s on 6 November 2022, to 01:30 EST.
    session = make_session(event=event, starts_at=utc(2022, 11, 6, 5, 30), ends_at=utc(2022, 11, 6, 6, 30), revision=2)
    confirmed, waiting = make_booking(session=session), make_booking(
        session=session, status=BookingStatus.WAITLISTED, waitlist_position=1)
    instants = (session.starts_at, session.ends_at)
    assert_read_alike(booking_invitation(confirmed).content, {session_uid(session): (2, "CONFIRMED", *instants)})
    assert_read_alike(booking_invitation(waiting).content, {session_uid(session): (2, "TENTATIVE", *instants)})
    assert_read_alike(booking_cancellation(confirmed).content, {session_uid(session): (2, "CANCELLED", *instants)})


def test_invitation_writes_the_session_as_the_library_does(app, monkeypatch):
    """The invitation is written straight to bytes; it must hold what icalendar writes for the
    same session (session_vevent) and the same calendar frame, plus ORGANIZER and ATTENDEE."""
    from expo.calendar.ical import BookingMark, FeedEntry, build_calendar, written_in
    from expo.calendar.invitations import booking_cancellation
    from tests.factories import add_person, make_network

    sent = utc(2022, 5, 28, 14, 30, 5)
    monkeypatch.setattr("expo.calendar.invitations.utcnow", lambda: sent)
    session = make_session(kind=SessionKind.HYBRID, meeting_url="https://meet.example.org/h", revision=4,
                           title="Ports, logistics; and the city, a long title that needs folding at 75 octets",
                           description="Åtta frågor\nom hamnen, \\ och staden;")
    add_person(session, make_user(name="Märta Ödegaard"))
    session.networks.append(make_network(name="Cleantech Scandinavia"))
    delegate = make_user(name="Ada, \"the\" Countess", email="ada@example.org", locale="sv")

    for booking, method, invite in (
        (make_booking(session=session, user=delegate), "REQUEST", booking_invitation),
        (make_booking(session=session, status=BookingStatus.WAITLISTED, waitlist_position=1), "REQUEST",
         booking_invitation),
        (make_booking(session=session, status=BookingStatus.CANCELLED), "CANCEL", booking_cancellation),
    ):
        mark = None if method == "CANCEL" else (
            BookingMark.CONFIRMED if booking.status is BookingStatus.CONFIRMED else BookingMark.WAITLISTED)
        with written_in(booking.user.locale):
            expected = build_calendar([FeedEntry(session, booking=mark, booking_changed_at=booking.updated_at)],
                                      name=session.event.name, timezone_name=session.event.timezone,
                                      method=method, stamp=sent)
        [wanted] = expected.walk("VEVENT")
        if method == "CANCEL":
            wanted["STATUS"] = icalendar.vText("CANCELLED")
        got = parse(invite(booking).content)
        [vevent] = got.walk("VEVENT")

        assert {k: v.to_ical() for k, v in got.items()} == {k: v.to_ical() for k, v in expected.items()}
        assert [tz.to_ical() for tz in got.walk("VTIMEZONE")] == [tz.to_ical() for tz in expected.walk("VTIMEZONE")]
        assert sorted(k for k in vevent if k not in ("ORGANIZER", "ATTENDEE")) == sorted(wanted)
        for key in wanted:
            assert vevent[key].to_ical() == wanted[key].to_ical(), key
        assert vevent.decoded("DTSTAMP") == sent
        assert str(vevent["ATTENDEE"]) == f"mailto:{booking.user.email}"
        assert vevent["ATTENDEE"].params["CN"] == booking.user.name


def test_the_delegates_sequence_adds_their_bookings_revision_in_every_reader(app):
    """A seat given up and taken again outranks the CANCEL sent in between: SEQUENCE is the
    session's revision plus the booking's, read alike by icalendar, ical.js and vobject."""
    from expo.calendar.invitations import booking_cancellation

    session = make_session(starts_at=utc(2022, 6, 1, 8), ends_at=utc(2022, 6, 1, 9), revision=3)
    booking = make_booking(session=session, revision=2)
    instants = (session.starts_at, session.ends_at)
    request = booking_invitation(booking).content
    [vevent] = parse(request).walk("VEVENT")
    assert vevent["SEQUENCE"] == 5
    assert_read_alike(request, {session_uid(session): (5, "CONFIRMED", *instants)})
    booking.revision = 3
    assert_read_alike(booking_cancellation(booking).content, {session_uid(session): (6, "CANCELLED", *instants)})
