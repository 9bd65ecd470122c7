"""The iCalendar builders, read back by icalendar and by Mozilla's ical.js (Thunderbird)."""
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

from expo.calendar import feeds, ical
from expo.calendar.ical import BookingMark, FeedEntry, build_calendar, local_instant, session_uid, written_in
from expo.events.models import Track
from expo.core.extensions import db
from expo.programme.models import ProgrammeSession, SessionKind, SessionRoleKind, SessionStatus
from tests.calendar.helpers import assert_read_alike, by_uid, icaljs, js_instant, parse, unfolded, vobject_read
from tests.factories import add_person, make_event, make_network, make_room, make_session, make_user, make_venue, utc


def _feed(sessions, **kwargs) -> bytes:
    with written_in():
        return build_calendar([FeedEntry(s) for s in sessions], name="Feed", **kwargs).to_ical()


# Each zone's switches in 2022 as UTC instants, and the observances RFC 5545 3.6.5 asks for:
# each onset in local time of the offset in force before it (02:00 for both spring switches),
# repeated by the zone's yearly rule; winter time begins at the switch of the year before.
DST_ZONES = {
    "Europe/Stockholm": (utc(2022, 3, 27, 1), utc(2022, 10, 30, 1), (
        "BEGIN:DAYLIGHT\r\nDTSTART:20220327T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZNAME:CEST\r\n"
        "TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n",
        "BEGIN:STANDARD\r\nDTSTART:20211031T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZNAME:CET\r\n"
        "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n",
    )),
    "America/New_York": (utc(2022, 3, 13, 7), utc(2022, 11, 6, 6), (
        "BEGIN:DAYLIGHT\r\nDTSTART:20220313T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\nTZNAME:EDT\r\n"
        "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\n",
        "BEGIN:STANDARD\r\nDTSTART:20211107T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\nTZNAME:EST\r\n"
        "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n",
    )),
}


def dst_sessions(event, spring, autumn):
    """Sessions across, and just after, the spring switch and in and across the autumn one."""
    spans = {  # minutes from the switch
        "across spring": (spring, -30, 30),  # the skipped hour: one hour long
        "hour after spring": (spring, 15, 45),
        "across autumn": (autumn, -150, 90),  # the repeated hour: four hours long
        "first repeated hour": (autumn, -45, -15),
        "second repeated hour": (autumn, 15, 45),
    }
    return {label: make_session(event=event, title=label, starts_at=switch + timedelta(minutes=start),
                                ends_at=switch + timedelta(minutes=end))
            for label, (switch, start, end) in spans.items()}


def expected_instants(sessions):
    return {session_uid(s): (js_instant(s.starts_at), js_instant(s.ends_at)) for s in sessions.values()}


@pytest.mark.parametrize("tzid", sorted(DST_ZONES))
def test_daylight_saving_switches_land_on_the_right_instants(app, tzid):
    spring, autumn, observances = DST_ZONES[tzid]
    event = make_event(timezone=tzid, starts_on=spring.date(), ends_on=autumn.date())
    sessions = dst_sessions(event, spring, autumn)

    data = _feed(sessions.values(), timezone_name=tzid)

    [vtimezone] = re.findall(r"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", data.decode(), re.S)
    assert f"TZID:{tzid}\r\n" in vtimezone
    for observance in observances:
        assert observance in vtimezone
    expected = expected_instants(sessions)
    seen = icaljs(data)
    assert {uid: (e["start"], e["end"]) for uid, e in seen["by_uid"].items()} == expected
    assert seen["timezones"] == [tzid]
    parsed = by_uid(parse(data))
    for uid, (start, end) in expected.items():
        vevent = parsed[uid]
        assert vevent.decoded("DTSTART").astimezone(timezone.utc) == datetime.fromisoformat(start)
        assert vevent.decoded("DTEND").astimezone(timezone.utc) == datetime.fromisoformat(end)
    # Wall-clock times with the zone wherever they are unambiguous, UTC in the repeated hour.
    text = unfolded(data)
    for label in ("across spring", "hour after spring", "across autumn"):
        assert local_instant(sessions[label].starts_at, tzid).tzinfo == ZoneInfo(tzid), label
    for label in ("first repeated hour", "second repeated hour"):
        assert f"DTSTART:{sessions[label].starts_at:%Y%m%dT%H%M%S}Z" in text, label
    assert f"DTSTART;TZID={tzid}:{sessions['hour after spring'].starts_at.astimezone(ZoneInfo(tzid)):%Y%m%dT%H%M%S}" in text


def test_stockholm_wall_clock_lines_on_the_switch_nights(app):
    spring, autumn, _observances = DST_ZONES["Europe/Stockholm"]
    event = make_event(timezone="Europe/Stockholm", starts_on=spring.date(), ends_on=autumn.date())
    dst_sessions(event, spring, autumn)
    text = unfolded(_feed(event.sessions, timezone_name="Europe/Stockholm"))
    for line in ("DTSTART;TZID=Europe/Stockholm:20220327T013000", "DTEND;TZID=Europe/Stockholm:20220327T033000",
                 "DTSTART;TZID=Europe/Stockholm:20220327T031500", "DTSTART;TZID=Europe/Stockholm:20221030T003000",
                 "DTEND;TZID=Europe/Stockholm:20221030T033000", "DTSTART:20221030T001500Z",
                 "DTSTART:20221030T011500Z"):
        assert line in text


def test_local_instant_keeps_tzid_except_in_the_repeated_hour(app):
    before = local_instant(utc(2022, 10, 29, 23, 59), "Europe/Stockholm")  # 01:59 CEST
    first = local_instant(utc(2022, 10, 30, 0, 15), "Europe/Stockholm")  # 02:15 CEST
    second = local_instant(utc(2022, 10, 30, 1, 15), "Europe/Stockholm")  # 02:15 CET
    after = local_instant(utc(2022, 10, 30, 2, 0), "Europe/Stockholm")  # 03:00 CET
    assert (before.hour, before.minute, str(before.tzinfo)) == (1, 59, "Europe/Stockholm")
    assert first == utc(2022, 10, 30, 0, 15) and first.tzinfo is timezone.utc
    assert second == utc(2022, 10, 30, 1, 15) and second.tzinfo is timezone.utc
    assert (after.hour, after.minute, str(after.tzinfo)) == (3, 0, "Europe/Stockholm")


def test_a_vtimezone_begins_with_the_local_year_of_its_first_session(app):
    event = make_event(timezone="Europe/Stockholm", starts_on=datetime(2022, 12, 31).date(),
                       ends_on=datetime(2024, 1, 1).date())
    # 23:30 on New Year's Eve in Stockholm is still 2022; 00:30 on 1 January 2023 is 2023.
    eve = make_session(event=event, starts_at=utc(2022, 12, 31, 22, 30), ends_at=utc(2022, 12, 31, 23))
    new_year = make_session(event=event, starts_at=utc(2022, 12, 31, 23, 30), ends_at=utc(2023, 1, 1))

    def starts(sessions):
        [vtimezone] = parse(_feed(sessions)).walk("VTIMEZONE")
        return sorted(sub.decoded("DTSTART") for sub in vtimezone.subcomponents)

    assert starts([eve, new_year]) == [datetime(2021, 10, 31, 3), datetime(2022, 3, 27, 2)]
    assert starts([new_year]) == [datetime(2022, 10, 30, 3), datetime(2023, 3, 26, 2)]


def test_a_feed_across_five_years_reads_alike_in_ical_js_and_vobject(app):
    """Two years and more used to write later switches as RDATE, which put every summer session
    after the first year an hour late in Thunderbird (ical.js)."""
    events = {tzid: make_event(timezone=tzid, starts_on=datetime(2026, 1, 1).date(), ends_on=datetime(2030, 12, 31).date())
              for tzid in ("Europe/Stockholm", "Australia/Sydney", "Asia/Kolkata")}
    sessions = [make_session(event=event, starts_at=start, ends_at=start + timedelta(hours=1))
                for event in events.values() for year in range(2026, 2031) for month in (1, 4, 7, 10)
                for start in [datetime(year, month, 15, 10, tzinfo=ZoneInfo(event.timezone)).astimezone(timezone.utc)]]
    data = _feed(sessions)
    assert_read_alike(data, {session_uid(s): (0, "CONFIRMED", s.starts_at, s.ends_at) for s in sessions})


def test_every_field_of_a_session(app):
    event = make_event(name="H22 Summit", timezone="Europe/Stockholm")
    track = Track(event=event, name="Mobility", colour="#aa3300")
    db.session.add(track)
    venue = make_venue(name="Dunkers", address="Kungsgatan 11, Helsingborg", latitude=56.0465, longitude=12.6945)
    room = make_room(venue=venue, name="Hall A")
    network = make_network(name="EIT Urban Mobility")
    session = make_session(event=event, title="Streets for people", room=room, track=track,
                           kind=SessionKind.PANEL, description="How cities share streets.",
                           starts_at=utc(2022, 6, 1, 8), ends_at=utc(2022, 6, 1, 9, 30), revision=4,
                           created_at=utc(2022, 5, 1, 12), updated_at=utc(2022, 5, 20, 9, 15),
                           networks=[network])
    add_person(session, make_user(name="Ada Speaker"), SessionRoleKind.SPEAKER)
    add_person(session, make_user(name="Bo Moderator"), SessionRoleKind.MODERATOR)

    data = _feed([session], timezone_name=event.timezone, description="H22 City Expo")
    calendar = parse(data)

    assert calendar["VERSION"] == "2.0"
    assert "METHOD" not in calendar
    assert calendar["X-WR-CALNAME"] == "Feed" and calendar["NAME"] == "Feed"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Stockholm"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in unfolded(data)
    assert "X-PUBLISHED-TTL:PT1H" in unfolded(data)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"{session.uid}@expo.test"
    assert vevent["SEQUENCE"] == 4
    assert vevent.decoded("LAST-MODIFIED") == utc(2022, 5, 20, 9, 15)
    assert vevent.decoded("DTSTAMP") == utc(2022, 5, 20, 9, 15)
    assert vevent.decoded("CREATED") == utc(2022, 5, 1, 12)
    assert vevent.decoded("DTSTART") == datetime.fromisoformat("2022-06-01T10:00:00+02:00")
    assert vevent.decoded("DTEND") == datetime.fromisoformat("2022-06-01T11:30:00+02:00")
    assert str(vevent["SUMMARY"]) == "Streets for people"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["LOCATION"]) == "Dunkers, Hall A, Kungsgatan 11, Helsingborg"
    assert (vevent["GEO"].latitude, vevent["GEO"].longitude) == (56.0465, 12.6945)
    assert str(vevent["URL"]) == f"http://expo.test/sessions/{session.id}"
    assert vevent["CATEGORIES"].cats == ["Panel", "Mobility"]
    assert str(vevent["DESCRIPTION"]) == (
        "Kind: Panel\nTrack: Mobility\nSpeakers: Ada Speaker\nModerators: Bo Moderator\n"
        "Networks: EIT Urban Mobility\n\nHow cities share streets."
    )
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    assert icaljs(data)["events"][0]["start"] == "2022-06-01T08:00:00.000Z"


def test_cancelled_sessions_stay_with_status_cancelled(app):
    session = make_session(status=SessionStatus.CANCELLED, revision=2, title="Harbour walk")
    [vevent] = parse(_feed([session])).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["SEQUENCE"] == 2
    assert str(vevent["SUMMARY"]) == "Cancelled: Harbour walk"
    assert str(vevent["TRANSP"]) == "TRANSPARENT"
    assert icaljs(_feed([session]))["events"][0]["status"] == "CANCELLED"


def test_uid_stays_the_same_in_every_feed_and_domain_can_be_pinned(app):
    session = make_session()
    assert session_uid(session) == f"{session.uid}@expo.test"
    app.config["CALENDAR_UID_DOMAIN"] = "expo.helsingborg.se"
    try:
        assert session_uid(session) == f"{session.uid}@expo.helsingborg.se"
    finally:
        del app.config["CALENDAR_UID_DOMAIN"]


def test_the_uid_domain_is_set_from_the_environment_and_documented(tmp_path, monkeypatch):
    from pathlib import Path

    from expo.config import load

    monkeypatch.setenv("EXPO_CALENDAR_UID_DOMAIN", "expo.helsingborg.se")
    assert load(str(tmp_path), {"SECRET_KEY": "x"})["CALENDAR_UID_DOMAIN"] == "expo.helsingborg.se"
    production = (Path(__file__).resolve().parents[2] / "docs" / "production.md").read_text()
    assert "export EXPO_CALENDAR_UID_DOMAIN=" in production
    assert "once anyone has subscribed, the UIDs must never change" in " ".join(production.split())


def test_personal_feed_marks_waiting_and_shows_the_link_only_with_a_seat(app):
    from tests.factories import make_booking
    from expo.registration.models import BookingStatus

    user = make_user(name="Ada")
    seated = make_session(kind=SessionKind.HYBRID, meeting_url="https://meet.example.org/seated")
    waiting = make_session(kind=SessionKind.DIGITAL, meeting_url="https://meet.example.org/waiting")
    bookings = [
        make_booking(session=seated, user=user),
        make_booking(session=waiting, user=user, status=BookingStatus.WAITLISTED, waitlist_position=1),
    ]
    data = feeds.personal_feed(user, bookings)
    events = by_uid(parse(data))
    assert str(events[session_uid(seated)]["STATUS"]) == "CONFIRMED"
    assert str(events[session_uid(waiting)]["STATUS"]) == "TENTATIVE"
    assert str(events[session_uid(waiting)]["SUMMARY"]).startswith("Waiting list: ")
    text = unfolded(data)
    assert "https://meet.example.org/seated" in text
    assert "https://meet.example.org/waiting" not in text
    assert str(events[session_uid(waiting)]["LOCATION"]) == "Online"
    # A place on a waiting list keeps the time free; a seat blocks it.
    assert str(events[session_uid(waiting)]["TRANSP"]) == "TRANSPARENT"
    assert str(events[session_uid(seated)]["TRANSP"]) == "OPAQUE"


def test_a_personal_feed_without_bookings_is_still_a_valid_calendar(app):
    data = feeds.personal_feed(make_user(name="Ada"), [])
    calendar = parse(data)
    # RFC 5545 3.6: a calendar holds at least one component.
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert str(calendar.subcomponents[0]["TZID"]) == "Europe/Stockholm"
    seen = icaljs(data)
    assert (seen["events"], seen["timezones"]) == ([], ["Europe/Stockholm"])
    assert vobject_read(data) == {}


def test_dtstamp_is_now_only_with_a_method(app, monkeypatch):
    from expo.calendar.invitations import booking_invitation
    from tests.factories import make_booking

    session = make_session(updated_at=utc(2022, 5, 20, 9))
    booking = make_booking(session=session, updated_at=utc(2022, 5, 1))
    sent = utc(2022, 5, 28, 14, 30, 5)
    monkeypatch.setattr("expo.calendar.invitations.utcnow", lambda: sent)

    [invited] = parse(booking_invitation(booking).content).walk("VEVENT")
    [subscribed] = parse(_feed([session])).walk("VEVENT")

    # An invitation (METHOD:REQUEST) is stamped when it is made; a feed when the session last changed.
    assert invited.decoded("DTSTAMP") == sent
    assert subscribed.decoded("DTSTAMP") == utc(2022, 5, 20, 9)
    assert invited.decoded("LAST-MODIFIED") == subscribed.decoded("LAST-MODIFIED") == utc(2022, 5, 20, 9)


def test_feed_bytes_equal_the_whole_calendar_and_reuse_unchanged_events(app, monkeypatch):
    from expo.calendar import ical

    event = make_event(timezone="Europe/Stockholm")
    sessions = [make_session(event=event, starts_at=utc(2022, 6, 1, 8 + n), ends_at=utc(2022, 6, 1, 9 + n))
                for n in range(3)]
    helsinki = make_session(event=make_event(timezone="Europe/Helsinki"))
    entries = [FeedEntry(s) for s in [*sessions, helsinki]]
    with written_in():
        whole = build_calendar(entries, name="All").to_ical()
        assert ical.feed_bytes(entries, name="All") == whole
        built = []
        original = ical.vevent_bytes
        monkeypatch.setattr(ical, "vevent_bytes", lambda entry, *a: built.append(entry) or original(entry, *a))
        sessions[1].title = "Moved"
        again = ical.feed_bytes(entries, name="All")
    assert [e.session for e in built] == [sessions[1]]
    assert by_uid(parse(again))[session_uid(sessions[1])]["SUMMARY"] == "Moved"
    assert again.count(b"BEGIN:VEVENT") == 4
    assert [str(tz["TZID"]) for tz in parse(again).walk("VTIMEZONE")] == ["Europe/Helsinki", "Europe/Stockholm"]


def test_the_fast_feed_writer_writes_what_icalendar_writes(app):
    """Feeds write VEVENTs directly; they must be byte for byte icalendar's, whatever the text."""
    from expo.calendar import ical

    event = make_event(timezone="Europe/Stockholm", starts_on=datetime(2022, 10, 29).date(),
                       ends_on=datetime(2022, 10, 30).date())
    track = Track(event=event, name="Mobilitet, logistik; \\ och ^ mer")
    db.session.add(track)
    venue = make_venue(name="Dunkers kulturhus", address="Kungsgatan 11, 252 21 Helsingborg", latitude=56.0489,
                       longitude=12.6879)
    long_text = "Å" * 40 + "\\" * 3 + "x;y,z\r\n" + "ö^" * 60 + " Ω " * 30 + "\\N" + "a" * 73 + "\\" + "b" * 200
    sessions = [
        make_session(event=event, track=track, room=make_room(venue=venue, name="Konsertsalen, stora"),
                     title=long_text[:190], description=long_text, meeting_url="https://meet.example/x;y,z?a=1",
                     kind=SessionKind.HYBRID),
        make_session(event=event, room=None, kind=SessionKind.DIGITAL, meeting_url="https://meet.example/" + "q" * 90,
                     title="Online only " + "é" * 70),
        # In the repeated hour of the autumn switch: written in UTC.
        make_session(event=event, starts_at=utc(2022, 10, 30, 1, 15), ends_at=utc(2022, 10, 30, 1, 45),
                     status=SessionStatus.CANCELLED, title="x" * 66 + "\\" * 10),
        # An escape or a caret exactly where an ASCII line folds.
        make_session(event=event, title="t" * 65 + "\\" + "u" * 100, description="d" * 61 + "^" * 30),
    ]
    speaker = make_user(name="Zoë O'Neill, PhD")
    add_person(sessions[0], speaker, SessionRoleKind.SPEAKER)
    add_person(sessions[0], make_user(name="Åsa; Moderator"), SessionRoleKind.MODERATOR)
    sessions[0].networks.append(make_network(name="UNECE, Geneva"))
    db.session.flush()
    for locale in ("en", "sv"):
        with written_in(locale):
            for session in sessions:
                for booking in (None, BookingMark.CONFIRMED, BookingMark.WAITLISTED):
                    for changed in (None, utc(2021, 1, 1), utc(2030, 1, 1)):
                        entry = FeedEntry(session, booking, changed)
                        assert ical.vevent_bytes(entry) == ical.session_vevent(entry).to_ical()


def test_control_characters_never_reach_the_calendar(app):
    session = make_session(title="Bell \x07 here", description="Line one\nline\ttwo \x1b end")
    session.__dict__["title"] = "Bell \x07 here"  # as stored before titles were kept on one line
    data = _feed([session])
    [vevent] = parse(data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Bell  here"
    assert str(vevent["DESCRIPTION"]).endswith("Line one\nline\ttwo  end")
    assert icaljs(data)["events"][0]["summary"] == "Bell  here"


def test_titles_and_names_are_stored_on_one_line(app):
    venue = make_venue(name="Dunkers\r\nkulturhus", address="Kungsgatan 11\n\x00Helsingborg")
    room = make_room(venue=venue, name="Hall\tA\x1b")
    session = make_session(room=room, title=" Streets\r\nSTATUS:CANCELLED ", kind=SessionKind.HYBRID,
                           meeting_url="https://meet.example.org/1\r\nATTENDEE:mailto:x@example.org")
    db.session.flush()
    assert (venue.name, venue.address, room.name) == ("Dunkers kulturhus", "Kungsgatan 11 Helsingborg", "Hall A")
    assert session.title == "Streets STATUS:CANCELLED"
    assert session.meeting_url == "https://meet.example.org/1 ATTENDEE:mailto:x@example.org"


def test_the_writer_leaves_out_a_link_with_control_characters_whatever_is_stored(app):
    from tests.factories import make_booking

    user = make_user()
    session = make_session(kind=SessionKind.HYBRID, title="Harbour walk")
    booking = make_booking(session=session, user=user)
    db.session.flush()
    # Stored behind the models' back, as an older release or a direct import would.
    db.session.execute(sa.update(ProgrammeSession).where(ProgrammeSession.id == session.id).values(
        meeting_url="https://meet.example.org/1\r\nATTENDEE:mailto:x@example.org"))
    db.session.expire(session)

    data = feeds.personal_feed(user, [booking])
    text = data.decode()
    assert "ATTENDEE" not in text and "CONFERENCE" not in text and "meet.example.org" not in text
    [vevent] = parse(data).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Harbour walk"
    assert icaljs(data)["events"][0]["summary"] == "Harbour walk"
    for entry in (FeedEntry(session, BookingMark.CONFIRMED),):
        with written_in():
            assert ical.vevent_bytes(entry) == ical.session_vevent(entry).to_ical()


def test_the_writer_refuses_a_line_it_cannot_make_safe(app):
    session = make_session()
    db.session.flush()
    with written_in():
        words = ical._Words()
        words.session_url = lambda _id: "https://expo.test/\r\nATTENDEE:mailto:x@example.org"
        with pytest.raises(ValueError, match="control character"):
            ical.vevent_bytes(FeedEntry(session), words)


def test_calendar_text_is_written_at_the_base_url_in_the_language_asked(app):
    """A request at another address gets one of its own at BASE_URL for the calendar's links; a
    request at BASE_URL (a job's, writing many invitations) is used as it is. Either way the
    language is the one asked for, and the request's own comes back afterwards."""
    from flask import request, url_for
    from flask_babel import force_locale, get_locale

    for base_url, reused in (("http://localhost:8080", False), ("http://expo.test", True)):
        with app.test_request_context("/", base_url=base_url), force_locale("en"):
            outer = request._get_current_object()
            with ical.written_in("sv"):
                assert (request._get_current_object() is outer) is reused
                assert str(get_locale()) == "sv"
                assert url_for("events.home", _external=True) == "http://expo.test/"
                assert ical.feed_words().cancelled == "Programpunkten är inställd."
            assert request._get_current_object() is outer and str(get_locale()) == "en"
            assert ical.feed_words().cancelled == "This session is cancelled."
