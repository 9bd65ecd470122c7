"""The organisers' programme pages: sessions, tracks, conflicts and the people picker."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.programme.models import ProgrammeSession, SessionChange, SessionKind, SessionRoleKind, SessionStatus
from tests.factories import (
    add_person,
    make_booking,
    make_event,
    make_network,
    make_room,
    make_session,
    make_user,
    make_venue,
    utc,
)
from tests.programme.helpers import assert_organisers_only
from tests.querycount import page_query_count


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER, name="Olivia Organiser")


def form(room=None, **overrides) -> dict:
    """A valid session form for the factories' default event (1–2 June 2022, Stockholm)."""
    data = {
        "title": "Green mobility",
        "kind": "talk",
        "starts_at": "2022-06-01T10:00",
        "ends_at": "2022-06-01T11:00",
        "room_id": str(room.id) if room else "",
        "language": "en",
        "meeting_url": "",
        "capacity": "",
        "track_id": "",
        "description": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def html(response) -> str:
    return response.get_data(as_text=True)


def shown_digest(page: str) -> str:
    """The digest of the warnings a page asks to confirm (its hidden field)."""
    match = re.search(r'name="warnings_digest" type="hidden" value="([0-9a-f]*)"', page)
    assert match, "no warnings digest on the page"
    return match.group(1)


# --- permissions ----------------------------------------------------------------------------

def test_every_programme_page_is_for_organisers_only(client, db):
    event = make_event()
    session = make_session(event=event)
    from expo.events.models import Track

    track = Track(event=event, name="Mobility")
    db.session.add(track)
    db.session.commit()
    pages = [
        ("GET", "/manage/"),
        ("GET", "/manage/events"),
        ("GET", "/manage/events/new"),
        ("POST", "/manage/events/new"),
        ("GET", f"/manage/events/{event.id}/edit"),
        ("POST", f"/manage/events/{event.id}/edit"),
        ("POST", f"/manage/events/{event.id}/delete"),
        ("POST", f"/manage/events/{event.id}/publish"),
        ("POST", f"/manage/events/{event.id}/unpublish"),
        ("GET", f"/manage/events/{event.id}/tracks"),
        ("POST", f"/manage/events/{event.id}/tracks"),
        ("GET", f"/manage/tracks/{track.id}/edit"),
        ("POST", f"/manage/tracks/{track.id}/delete"),
        ("GET", f"/manage/events/{event.id}/sessions"),
        ("GET", f"/manage/events/{event.id}/sessions/new"),
        ("POST", f"/manage/events/{event.id}/sessions/new"),
        ("GET", f"/manage/sessions/{session.id}/edit"),
        ("POST", f"/manage/sessions/{session.id}/edit"),
        ("POST", f"/manage/sessions/{session.id}/cancel"),
        ("POST", f"/manage/sessions/{session.id}/restore"),
        ("POST", f"/manage/sessions/{session.id}/delete"),
        ("GET", "/manage/conflicts"),
        ("GET", "/manage/people/search?q=pe"),
        ("GET", "/manage/people/find?q=pe"),
    ]
    for method, url in pages:
        assert_organisers_only(client, db, method, url)
    assert db.session.get(ProgrammeSession, session.id).status is SessionStatus.SCHEDULED


def test_unknown_objects_answer_404(client, organiser):
    assert client.get("/manage/events/999/edit").status_code == 404
    assert client.get("/manage/sessions/999/edit").status_code == 404
    assert client.post("/manage/sessions/999/cancel").status_code == 404
    assert client.get("/manage/tracks/999/edit").status_code == 404


# --- dashboard ------------------------------------------------------------------------------

def test_dashboard_lists_events_with_drafts_and_counts(client, db, organiser):
    event = make_event(name="H22 +50 Sessions")
    make_session(event=event)
    make_event(name="Secret draft", is_published=False)
    db.session.commit()
    page = html(client.get("/manage/"))
    assert "H22 +50 Sessions" in page and "Secret draft" in page
    assert "Draft" in page
    assert "/manage/venues/" in page and "/manage/conflicts" in page


def test_navigation_shows_the_workspace_with_its_conflicts_to_organisers(client, organiser):
    page = html(client.get("/"))
    assert '<a href="/manage/" class="workspace-link">Workspace</a>' in page
    workspace = html(client.get("/manage/"))
    assert '<a href="/manage/conflicts">Conflicts</a>' in workspace


# --- tracks ---------------------------------------------------------------------------------

def test_organiser_adds_edits_and_deletes_a_track(client, db, organiser):
    event = make_event()
    db.session.commit()
    response = client.post(f"/manage/events/{event.id}/tracks", data={"name": "Mobility", "colour": "#AA3300"})
    assert response.status_code == 302
    track = event.tracks[0]
    assert (track.name, track.colour) == ("Mobility", "#aa3300")

    duplicate = client.post(f"/manage/events/{event.id}/tracks", data={"name": "mobility", "colour": "#aa3300"})
    assert "already has a track with this name" in html(duplicate)
    bad = client.post(f"/manage/events/{event.id}/tracks", data={"name": "Energy", "colour": "red"})
    assert "Choose a colour such as #1d5b79." in html(bad)

    client.post(f"/manage/tracks/{track.id}/edit", data={"name": "Smart mobility", "colour": "#aa3300"})
    db.session.refresh(track)
    assert track.name == "Smart mobility"

    make_session(event=event, track=track)
    db.session.commit()
    refused = client.post(f"/manage/tracks/{track.id}/delete", follow_redirects=True)
    assert "Sessions belong to this track" in html(refused)
    db.session.execute(sa.delete(ProgrammeSession))
    db.session.commit()
    client.post(f"/manage/tracks/{track.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(type(track))) == 0


def test_track_list_search_and_sessions_filter(client, db, organiser):
    from expo.events.models import Track

    event = make_event()
    mobility, energy, water = (Track(event=event, name=n) for n in ("Smart mobility", "Energy_2030", "Water"))
    db.session.add_all([mobility, energy, water])
    make_session(event=event, track=mobility)
    db.session.commit()
    url = f"/manage/events/{event.id}/tracks"

    def names(**args) -> list[str]:
        page = html(client.get(url, query_string=args))
        return sorted(n for n in ("Smart mobility", "Energy_2030", "Water") if f"<td>{n}</td>" in page)

    assert names() == ["Energy_2030", "Smart mobility", "Water"]
    assert names(q="MOBIL") == ["Smart mobility"]
    assert names(q="y_2") == ["Energy_2030"] and names(q="_") == ["Energy_2030"]
    assert names(sessions="with") == ["Smart mobility"]
    assert names(sessions="without", q="er") == ["Energy_2030", "Water"]
    assert names(sessions="nonsense", event="x") == ["Energy_2030", "Smart mobility", "Water"]
    assert "No tracks match these filters." in html(client.get(url, query_string={"q": "zzz"}))


def test_track_list_switches_to_another_events_tracks(client, db, organiser):
    from expo.events.models import Track

    first, second = make_event(name="H22 Summit"), make_event(name="Smart City Forum")
    db.session.add(Track(event=second, name="Harbours"))
    db.session.commit()
    response = client.get(f"/manage/events/{first.id}/tracks", query_string={"event": second.id, "q": "harb"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/manage/events/{second.id}/tracks?q=harb"
    page = html(client.get(response.headers["Location"]))
    assert "<td>Harbours</td>" in page and f'<option selected value="{second.id}">Smart City Forum</option>' in page
    assert client.get(f"/manage/events/{first.id}/tracks?event=999999").status_code == 200


def test_track_list_query_count_does_not_grow(client, db, organiser):
    from expo.events.models import Track

    event = make_event()
    db.session.add(Track(event=event, name="Track 0"))
    db.session.commit()
    url = f"/manage/events/{event.id}/tracks?q=track&sessions=without"
    small = page_query_count(client, url)
    db.session.add_all([Track(event=event, name=f"Track {n}") for n in range(1, 25)])
    db.session.commit()
    assert page_query_count(client, url) == small


# --- creating sessions ----------------------------------------------------------------------

def test_organiser_creates_a_session_in_the_event_time_zone(client, db, organiser):
    event = make_event(name="H22 +50 Sessions")
    room = make_room(capacity=80)
    speaker = make_user(name="Sam Speaker")
    host = make_user(name="Hedda Host")
    network = make_network(name="Viable Cities")
    db.session.commit()

    response = client.post(
        f"/manage/events/{event.id}/sessions/new",
        data=form(room, capacity="60", speaker_ids=[str(speaker.id)], host_ids=[str(host.id)],
                  network_ids=[str(network.id)], description="Bikes and buses."),
    )
    assert response.status_code == 302
    session = db.session.scalar(sa.select(ProgrammeSession))
    assert session.starts_at == utc(2022, 6, 1, 8, 0)  # 10:00 in Stockholm, summer time
    assert session.ends_at == utc(2022, 6, 1, 9, 0)
    assert (session.room_id, session.capacity, session.revision) == (room.id, 60, 0)
    assert [u.name for u in session.people(SessionRoleKind.SPEAKER)] == ["Sam Speaker"]
    assert [u.name for u in session.people(SessionRoleKind.HOST)] == ["Hedda Host"]
    assert [n.name for n in session.networks] == ["Viable Cities"]

    page = html(client.get(f"/manage/sessions/{session.id}/edit"))
    assert 'value="2022-06-01T10:00"' in page  # shown back in local time
    listing = html(client.get(f"/manage/events/{event.id}/sessions"))
    assert "Green mobility" in listing and "Sam Speaker" in listing


def test_digital_session_needs_no_room(client, db, organiser):
    event = make_event()
    db.session.commit()
    response = client.post(
        f"/manage/events/{event.id}/sessions/new",
        data=form(kind="digital", meeting_url="https://meet.example.org/h22"),
    )
    assert response.status_code == 302
    session = db.session.scalar(sa.select(ProgrammeSession))
    assert (session.kind, session.room_id, session.meeting_url) == (
        SessionKind.DIGITAL, None, "https://meet.example.org/h22"
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "2022-06-01T10:00"}, "The end must be after the start."),
        ({"ends_at": "2022-06-01T09:00"}, "The end must be after the start."),
        ({"starts_at": "2022-05-31T10:00", "ends_at": "2022-05-31T11:00"}, "must take place during the event"),
        ({"starts_at": "2022-06-03T00:30", "ends_at": "2022-06-03T01:00"}, "must take place during the event"),
        ({"starts_at": "2022-06-02T23:00", "ends_at": "2022-06-03T00:30"}, "must end by the end of the event"),
        ({"kind": "digital", "meeting_url": "https://meet.example.org/1"}, "leave the room empty"),
        ({"kind": "digital", "room_id": ""}, "needs a meeting URL"),
        ({"kind": "hybrid", "meeting_url": "https://meet.example.org/1", "room_id": ""}, "needs a room as well"),
        ({"kind": "hybrid"}, "needs a meeting URL"),
        ({"room_id": ""}, "Choose a room for a session held in person."),
        ({"capacity": "0"}, "Must be a positive number"),
        ({"capacity": "-5"}, "Must be a positive number"),
        ({"capacity": "99999999999999999999"}, "at most a million"),
        ({"capacity": "many"}, "Not a valid integer value."),
        ({"kind": "hybrid", "meeting_url": "ftp://files.example.org/x"}, "starting with http:// or https://"),
        ({"kind": "hybrid", "meeting_url": "javascript:alert(1)"}, "starting with http:// or https://"),
        # urlsplit drops line breaks and tabs: the raw address must not be stored with them.
        ({"kind": "hybrid", "meeting_url": "https://meet.example.org/1\r\nATTENDEE:mailto:x@example.org"},
         "starting with http:// or https://"),
        ({"kind": "hybrid", "meeting_url": "https://meet.example.org/\t1"}, "starting with http:// or https://"),
        ({"starts_at": "tomorrow"}, "Not a valid datetime value."),
        ({"starts_at": "0001-01-01T00:00"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T01:00"}, "Choose a date between 2000-01-01"),
        ({"ends_at": "9999-12-31T23:59"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"starts_at": ""}, "Enter a date and time."),
        ({"title": ""}, "This field is required."),
        ({"kind": "karaoke"}, "Not a valid choice."),
        ({"room_id": "abc"}, "Invalid Choice"),
        ({"room_id": "999999"}, "Not a valid choice"),
        ({"speaker_ids": ["999999"]}, "Nobody has the id 999999: choose people through the search."),
        ({"host_ids": ["99999999999999999999"]}, "Nobody has the id 99999999999999999999"),
        ({"moderator_ids": ["abc"]}, "could not be coerced"),
        ({"speaker_emails": "nobody@example.org"}, "No active account has the e-mail address nobody@example.org."),
    ],
)
def test_session_form_shows_field_messages_and_saves_nothing(client, db, organiser, overrides, message):
    event = make_event()
    room = make_room()
    db.session.commit()
    response = client.post(f"/manage/events/{event.id}/sessions/new", data=form(room, **overrides))
    assert response.status_code == 200
    assert message in html(response)
    assert 'class="field-error"' in html(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 0


def test_a_time_the_clocks_skip_is_refused_with_the_switch_named(client, db, organiser):
    event = make_event(starts_on=date(2022, 3, 26), ends_on=date(2022, 3, 27))
    room = make_room()
    db.session.commit()
    response = client.post(f"/manage/events/{event.id}/sessions/new",
                           data=form(room, starts_at="2022-03-27T02:30", ends_at="2022-03-27T04:00"))
    assert response.status_code == 200
    assert ("02:30 does not exist on 2022-03-27 in Europe/Stockholm: the clocks go forward from 02:00 to 03:00. "
            "Choose a time before 02:00 or from 03:00.") in html(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 0


@pytest.mark.parametrize(("occurrence", "starts_at"), [("first", utc(2022, 10, 30, 0, 15)),
                                                       ("second", utc(2022, 10, 30, 1, 15))])
def test_a_time_the_clocks_repeat_asks_which_and_keeps_the_choice(client, db, organiser, occurrence, starts_at):
    event = make_event(starts_on=date(2022, 10, 29), ends_on=date(2022, 10, 30))
    room = make_room()
    db.session.commit()
    data = form(room, starts_at="2022-10-30T02:15", ends_at="2022-10-30T03:30")
    asked = client.post(f"/manage/events/{event.id}/sessions/new", data=data)
    assert asked.status_code == 200
    page = html(asked)
    assert "02:15 happens twice on 2022-10-30 in Europe/Stockholm, as the clocks go back." in page
    assert "The first 02:15 (UTC+02:00)" in page and "The second 02:15 (UTC+01:00)" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 0

    saved = client.post(f"/manage/events/{event.id}/sessions/new", data={**data, "starts_at-occurrence": occurrence})
    assert saved.status_code == 302
    session = db.session.scalar(sa.select(ProgrammeSession))
    assert (session.starts_at, session.ends_at) == (starts_at, utc(2022, 10, 30, 2, 30))
    # Edited again without touching the times, the session stays where it was.
    edit = html(client.get(f"/manage/sessions/{session.id}/edit"))
    assert f'name="starts_at-occurrence" value="{occurrence}" checked' in edit
    again = {**data, "title": "Renamed", "starts_at-occurrence": occurrence}
    assert client.post(f"/manage/sessions/{session.id}/edit", data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(ProgrammeSession, session.id).starts_at == starts_at


def test_session_times_follow_the_event_time_zone(client, db, organiser):
    event = make_event(timezone="America/New_York", starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 1))
    room = make_room()
    db.session.commit()
    client.post(f"/manage/events/{event.id}/sessions/new", data=form(room, starts_at="2022-06-01T21:00", ends_at="2022-06-01T22:00"))
    session = db.session.scalar(sa.select(ProgrammeSession))
    assert session.starts_at == utc(2022, 6, 2, 1, 0)  # still 1 June in New York


# --- conflicts when saving ------------------------------------------------------------------

def test_room_double_booking_is_refused_through_the_form(client, db, organiser):
    room = make_room(name="Hall A")
    other_event = make_event(name="Another event")
    make_session(event=other_event, room=room, title="Cities and the SDGs",
                 starts_at=utc(2022, 6, 1, 8, 30), ends_at=utc(2022, 6, 1, 9, 30))
    event = make_event()
    db.session.commit()
    response = client.post(f"/manage/events/{event.id}/sessions/new", data=form(room, confirm="y"))
    assert response.status_code == 200
    page = html(response)
    assert "is double-booked" in page and "Cities and the SDGs" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 1


def test_back_to_back_in_one_room_is_accepted(client, db, organiser):
    room = make_room()
    event = make_event()
    make_session(event=event, room=room, starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    db.session.commit()
    response = client.post(f"/manage/events/{event.id}/sessions/new", data=form(room))
    assert response.status_code == 302


def test_cancelled_sessions_do_not_hold_their_room(client, db, organiser):
    room = make_room()
    event = make_event()
    make_session(event=event, room=room, status=SessionStatus.CANCELLED)
    db.session.commit()
    assert client.post(f"/manage/events/{event.id}/sessions/new", data=form(room)).status_code == 302


def test_speaker_clash_is_saved_only_after_confirmation(client, db, organiser):
    event = make_event()
    speaker = make_user(name="Sam Speaker")
    first = make_session(event=event, title="Morning keynote")
    add_person(first, speaker)
    room = make_room()
    db.session.commit()
    data = form(room, speaker_ids=[str(speaker.id)])

    warned = client.post(f"/manage/events/{event.id}/sessions/new", data=data)
    page = html(warned)
    assert warned.status_code == 200
    assert "Sam Speaker is in two sessions at once" in page and "Morning keynote" in page
    assert 'name="confirm"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 1

    saved = client.post(f"/manage/events/{event.id}/sessions/new",
                        data={**data, "confirm": "y", "warnings_digest": shown_digest(page)})
    assert saved.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 2


def test_a_tick_confirms_only_the_warnings_it_was_shown_with(client, db, organiser):
    event = make_event()
    speaker = make_user(name="Sam Speaker")
    add_person(make_session(event=event, title="Morning keynote"), speaker)
    room = make_room(capacity=40)
    db.session.commit()
    data = form(room, speaker_ids=[str(speaker.id)])
    first = html(client.post(f"/manage/events/{event.id}/sessions/new", data=data))
    confirmed = shown_digest(first)

    # The organiser ticks the box, but also raises the seats above the room's: a new warning.
    stale = client.post(f"/manage/events/{event.id}/sessions/new",
                        data={**data, "capacity": "50", "confirm": "y", "warnings_digest": confirmed})
    page = html(stale)
    assert stale.status_code == 200
    assert "offers 50 seats but" in page and "Sam Speaker is in two sessions at once" in page
    assert shown_digest(page) not in ("", confirmed)
    assert 'id="confirm" name="confirm"' in page and "<input checked" not in page  # unticked again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 1

    no_digest = client.post(f"/manage/events/{event.id}/sessions/new", data={**data, "confirm": "y"})
    assert no_digest.status_code == 200 and "Please check before saving" in html(no_digest)

    saved = client.post(f"/manage/events/{event.id}/sessions/new",
                        data={**data, "capacity": "50", "confirm": "y", "warnings_digest": shown_digest(page)})
    assert saved.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 2


def test_an_edit_with_new_warnings_cannot_reuse_an_earlier_confirmation(client, db, organiser):
    event = make_event()
    sam, greta = make_user(name="Sam Speaker"), make_user(name="Greta Grön")
    add_person(make_session(event=event, title="Sam's keynote"), sam)
    add_person(make_session(event=event, title="Greta's keynote"), greta)
    session = make_session(event=event, title="Panel", room=make_room())
    db.session.commit()
    data = form(session.room, title="Panel", speaker_ids=[str(sam.id)])
    warned = html(client.post(f"/manage/sessions/{session.id}/edit", data=data))
    assert "Sam Speaker is in two sessions at once" in warned
    sam_only = shown_digest(warned)
    saved = client.post(f"/manage/sessions/{session.id}/edit",
                        data={**data, "confirm": "y", "warnings_digest": sam_only})
    assert saved.status_code == 302

    # Later: Greta joins. The old digest, sent again with a tick, confirms nothing new.
    later = client.post(f"/manage/sessions/{session.id}/edit", data={
        **data, "speaker_ids": [str(sam.id), str(greta.id)], "confirm": "y", "warnings_digest": sam_only})
    assert later.status_code == 200 and "Greta Grön is in two sessions at once" in html(later)
    db.session.refresh(session)
    assert [u.name for u in session.people(SessionRoleKind.SPEAKER)] == ["Sam Speaker"]


def test_capacity_and_opening_hours_warnings(client, db, organiser):
    venue = make_venue(opens_at=time(9), closes_at=time(17))
    room = make_room(venue=venue, capacity=40)
    event = make_event()
    db.session.commit()
    response = client.post(
        f"/manage/events/{event.id}/sessions/new",
        data=form(room, capacity="50", starts_at="2022-06-01T16:30", ends_at="2022-06-01T17:30"),
    )
    page = html(response)
    assert "offers 50 seats but" in page and "holds only 40" in page
    assert "outside the opening hours" in page and "09:00–17:00" in page


def test_transfer_warning_between_venues(client, db, organiser):
    event = make_event(transfer_minutes=20)
    speaker = make_user(name="Sam Speaker")
    first = make_session(event=event, starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    add_person(first, speaker)
    room = make_room()  # in another venue
    db.session.commit()
    response = client.post(
        f"/manage/events/{event.id}/sessions/new",
        data=form(room, starts_at="2022-06-01T10:10", ends_at="2022-06-01T11:00", speaker_ids=[str(speaker.id)]),
    )
    assert "has 10 minutes to get from" in html(response)
    response = client.post(
        f"/manage/events/{event.id}/sessions/new",
        data=form(room, starts_at="2022-06-01T10:20", ends_at="2022-06-01T11:00", speaker_ids=[str(speaker.id)]),
    )
    assert response.status_code == 302


# --- moving, cancelling, restoring ----------------------------------------------------------

def test_moving_a_session_raises_its_revision_and_logs_the_change(client, db, organiser):
    event = make_event(is_published=True)
    session = make_session(event=event)
    room = session.room
    db.session.commit()
    before = event.updated_at

    response = client.post(
        f"/manage/sessions/{session.id}/edit",
        data=form(room, title=session.title, starts_at="2022-06-01T14:00", ends_at="2022-06-01T15:30"),
    )
    assert response.status_code == 302
    db.session.refresh(session)
    db.session.refresh(event)
    assert session.revision == 1
    assert session.starts_at == utc(2022, 6, 1, 12, 0)
    assert event.updated_at > before
    change = db.session.scalar(sa.select(SessionChange))
    assert change.revision == 1 and change.changed_by_id == organiser.id and change.event_id == event.id
    assert change.changes == {
        "starts_at": {"old": "2022-06-01T08:00:00Z", "new": "2022-06-01T12:00:00Z"},
        "ends_at": {"old": "2022-06-01T09:00:00Z", "new": "2022-06-01T13:30:00Z"},
    }
    page = html(client.get(f"/manage/sessions/{session.id}/edit"))
    assert "Revision 1" in page and "Olivia Organiser" in page


def test_the_change_log_reads_like_the_public_changes_page(client, db, organiser):
    event = make_event(timezone="Europe/Stockholm")
    session = make_session(event=event, capacity=30)
    sam = make_user(name="Sam Speaker")
    new_room = make_room(name="Hall B")
    db.session.commit()
    old_place = session.room.label
    client.post(f"/manage/sessions/{session.id}/edit", data=form(
        new_room, title=session.title, kind="panel", capacity="40", speaker_ids=[str(sam.id)],
        starts_at="2022-06-01T14:00", ends_at="2022-06-01T15:30"))
    page = html(client.get(f"/manage/sessions/{session.id}/edit"))
    log = page[page.index('id="changes-heading"'):]
    # Local times in the event's zone, as on the public page, never the stored UTC strings.
    assert "Wed 1 Jun 10:00</time>–<time datetime=\"2022-06-01T09:00:00+00:00\">11:00</time></del>" in log
    assert "Wed 1 Jun 14:00</time>–<time datetime=\"2022-06-01T13:30:00+00:00\">15:30</time></ins>" in log
    assert "2022-06-01T08:00:00Z" not in log and "<code>" not in log
    assert f"<dt>Place</dt>\n      <dd><del>{old_place}</del>" in log and f"<ins>{new_room.label}</ins>" in log
    assert "<dt>Kind</dt>" in log and "<del>Talk</del>" in log and "<ins>Panel</ins>" in log
    assert "<dt>Capacity</dt>" in log and "<del>30</del>" in log and "<ins>40</ins>" in log
    assert "<dt>Speakers</dt>" in log and "<del>—</del>" in log and "<ins>Sam Speaker</ins>" in log


def test_the_change_log_speaks_the_organisers_language(client, db, login_as):
    login_as(Role.ORGANISER, locale="sv")
    session = make_session()
    db.session.commit()
    client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"})
    page = html(client.get(f"/manage/sessions/{session.id}/edit"))
    log = page[page.index('id="changes-heading"'):]
    assert "<dt>Status</dt>" in log and "<del>Planerad</del>" in log and "<ins>Inställd</ins>" in log
    assert "scheduled" not in log


def test_moving_to_another_room_is_a_revision(client, db, organiser):
    session = make_session()
    new_room = make_room(name="Hall B")
    db.session.commit()
    old_label = session.room.label
    client.post(f"/manage/sessions/{session.id}/edit", data=form(new_room, title=session.title))
    db.session.refresh(session)
    assert session.revision == 1
    change = db.session.scalar(sa.select(SessionChange))
    assert change.changes == {"room": {"old": old_label, "new": new_room.label}}


def test_editing_only_the_title_raises_the_revision_and_moves_updated_at(client, db, organiser):
    session = make_session(title="Old title")
    db.session.commit()
    before_session, before_event = session.updated_at, session.event.updated_at
    response = client.post(
        f"/manage/sessions/{session.id}/edit", data=form(session.room, title="New title", description="More words")
    )
    assert response.status_code == 302
    db.session.refresh(session)
    assert (session.title, session.revision) == ("New title", 1)
    assert session.updated_at > before_session
    assert session.event.updated_at > before_event
    [change] = db.session.scalars(sa.select(SessionChange)).all()
    assert change.changes == {"title": {"old": "Old title", "new": "New title"},
                              "description": {"old": None, "new": "More words"}}


def test_cancel_and_restore_raise_the_revision_each_time(client, db, organiser):
    session = make_session()
    db.session.commit()
    response = client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"}, follow_redirects=True)
    assert "The session is cancelled" in html(response)
    db.session.refresh(session)
    assert (session.status, session.revision) == (SessionStatus.CANCELLED, 1)
    assert "Restore session" in html(client.get(f"/manage/sessions/{session.id}/edit"))

    again = client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"}, follow_redirects=True)
    assert "already cancelled" in html(again)

    client.post(f"/manage/sessions/{session.id}/restore")
    db.session.refresh(session)
    assert (session.status, session.revision) == (SessionStatus.SCHEDULED, 2)
    log = db.session.scalars(sa.select(SessionChange).order_by(SessionChange.revision)).all()
    assert [(c.revision, c.changes) for c in log] == [
        (1, {"status": {"old": "scheduled", "new": "cancelled"}}),
        (2, {"status": {"old": "cancelled", "new": "scheduled"}}),
    ]


def test_restore_is_refused_when_the_room_was_taken_meanwhile(client, db, organiser):
    session = make_session(status=SessionStatus.CANCELLED, title="Cancelled talk")
    make_session(event=session.event, room=session.room, title="Replacement talk")
    db.session.commit()
    response = client.post(f"/manage/sessions/{session.id}/restore", follow_redirects=True)
    assert "is double-booked" in html(response)
    db.session.refresh(session)
    assert session.status is SessionStatus.CANCELLED and session.revision == 0


def test_restore_with_a_warning_asks_for_confirmation(client, db, organiser):
    speaker = make_user(name="Sam Speaker")
    session = make_session(status=SessionStatus.CANCELLED)
    add_person(session, speaker)
    other = make_session(event=session.event)
    add_person(other, speaker)
    db.session.commit()
    response = client.post(f"/manage/sessions/{session.id}/restore")
    assert response.status_code == 200 and "Sam Speaker is in two sessions at once" in html(response)
    db.session.refresh(session)
    assert session.is_cancelled
    blind = client.post(f"/manage/sessions/{session.id}/restore", data={"confirm": "y", "warnings_digest": "0" * 32})
    assert blind.status_code == 200 and "Sam Speaker is in two sessions at once" in html(blind)
    db.session.refresh(session)
    assert session.is_cancelled
    client.post(f"/manage/sessions/{session.id}/restore",
                data={"confirm": "y", "warnings_digest": shown_digest(html(response))})
    db.session.refresh(session)
    assert not session.is_cancelled and session.revision == 1


def test_delete_session_is_refused_with_bookings_or_when_published(client, db, organiser):
    booked = make_booking().session
    published = make_session(event=make_event(is_published=True))
    draft = make_session(event=make_event(is_published=False))
    db.session.commit()
    draft_id = draft.id
    response = client.post(f"/manage/sessions/{booked.id}/delete", follow_redirects=True)
    assert "cancel it instead" in html(response)
    response = client.post(f"/manage/sessions/{published.id}/delete", follow_redirects=True)
    assert "The programme is published: cancel the session instead" in html(response)
    response = client.post(f"/manage/sessions/{draft_id}/delete")
    assert response.status_code == 302
    assert db.session.get(ProgrammeSession, draft_id) is None
    assert db.session.get(ProgrammeSession, booked.id) is not None
    assert db.session.get(ProgrammeSession, published.id) is not None


# --- lists and the conflicts report ---------------------------------------------------------

def test_session_list_filters(client, db, organiser):
    event = make_event()
    speaker = make_user(name="Sam Speaker")
    a = make_session(event=event, title="Green mobility")
    add_person(a, speaker)
    make_session(event=event, title="Water in cities", status=SessionStatus.CANCELLED,
                 starts_at=utc(2022, 6, 1, 11), ends_at=utc(2022, 6, 1, 12))
    make_session(event=event, title="Online round", kind=SessionKind.DIGITAL)
    db.session.commit()
    url = f"/manage/events/{event.id}/sessions"
    assert "Green mobility" in html(client.get(url, query_string={"q": "sam"}))
    assert "Water in cities" not in html(client.get(url, query_string={"q": "sam"}))
    cancelled = html(client.get(url, query_string={"status": "cancelled"}))
    assert "Water in cities" in cancelled and "Green mobility" not in cancelled
    digital = html(client.get(url, query_string={"kind": "digital"}))
    assert "Online round" in digital and "Green mobility" not in digital
    assert client.get(url, query_string={"track": "x", "kind": "nope"}).status_code == 200


def test_session_list_and_people_search_take_percent_and_underscore_literally(client, db, organiser):
    event = make_event()
    make_session(event=event, title="100% renewable")
    make_session(event=event, title="1000 trees")
    make_user(name="Anna_Berg", email="anna@example.org")
    make_user(name="Annabel Berg", email="annabel@example.org")
    db.session.commit()
    listing = html(client.get(f"/manage/events/{event.id}/sessions", query_string={"q": "100%"}))
    assert "100% renewable" in listing and "1000 trees" not in listing
    found = client.get("/manage/people/search", query_string={"q": "a_b"}).get_json()["results"]
    assert [p["label"] for p in found] == ["Anna_Berg <anna@example.org>"]
    assert client.get("/manage/people/search", query_string={"q": "%%"}).get_json() == {"results": []}


def _fill_programme(n: int) -> object:
    event = make_event()
    room = make_room()
    for i in range(n):
        s = make_session(event=event, room=room, starts_at=utc(2022, 6, 1, 6) + timedelta(minutes=20 * i),
                         ends_at=utc(2022, 6, 1, 6) + timedelta(minutes=20 * i + 30))
        add_person(s, make_user())
    db_session().commit()
    return event


def db_session():
    from expo.core.extensions import db

    return db.session


def test_list_pages_use_a_fixed_number_of_queries(client, db, organiser):
    small = _fill_programme(3)
    large = _fill_programme(30)
    for url in ("/manage/events/{}/sessions", "/manage/"):
        counts = [page_query_count(client, url.format(e.id)) for e in (small, large)]
        assert counts[0] == counts[1], (url, counts)
    assert page_query_count(client, "/manage/events") == page_query_count(client, "/manage/events?q=event")


def test_conflicts_report_lists_every_conflict_with_links(client, db, organiser):
    event = make_event()
    room = make_room(name="Hall A")
    speaker = make_user(name="Sam Speaker")
    a = make_session(event=event, room=room, title="First")
    b = make_session(event=event, room=room, title="Second")
    c = make_session(event=event, title="Third")
    add_person(c, speaker)
    d = make_session(event=event, title="Fourth")
    add_person(d, speaker)
    db.session.commit()
    page = html(client.get("/manage/conflicts"))
    assert "Hall A is double-booked" in page
    assert "Sam Speaker is in two sessions at once" in page
    for s in (a, b, c, d):
        assert f"/manage/sessions/{s.id}/edit" in page


def test_conflicts_report_query_count_does_not_grow(client, db, organiser):
    small = _fill_programme(3)
    first = page_query_count(client, "/manage/conflicts")
    _fill_programme(30)
    assert page_query_count(client, "/manage/conflicts") == first
    assert small is not None


def test_conflicts_report_without_conflicts(client, organiser):
    assert "No conflicts" in html(client.get("/manage/conflicts"))


def test_people_search_returns_matching_people(client, db, organiser):
    make_user(name="Sam Speaker", email="sam@example.org")
    make_user(name="Hedda Host", email="hedda@example.org")
    make_user(name="Inactive Sam", email="old@example.org", active=False)
    db.session.commit()
    data = client.get("/manage/people/search?q=SAM").get_json()
    assert data == {"results": [{"id": data["results"][0]["id"], "label": "Sam Speaker <sam@example.org>"}]}
    assert client.get("/manage/people/search?q=h").get_json() == {"results": []}
    assert len(client.get("/manage/people/search?q=example.org").get_json()["results"]) == 3  # organiser too


def test_people_search_page_shows_names_and_e_mail_addresses(client, db, organiser):
    make_user(name="Sam Speaker", email="sam@example.org")
    make_user(name="Inactive Sam", email="old@example.org", active=False)
    db.session.commit()
    page = html(client.get("/manage/people/find?q=sam"))
    assert "Sam Speaker" in page and "<code>sam@example.org</code>" in page
    assert "Inactive Sam" not in page
    assert "Type at least two letters" in html(client.get("/manage/people/find?q=s"))
    assert "Nobody found." in html(client.get("/manage/people/find?q=zzz"))


def test_session_form_offers_only_the_chosen_people_and_the_search(client, db, organiser):
    event = make_event()
    make_user(name="Sam Speaker")
    db.session.commit()
    page = html(client.get(f"/manage/events/{event.id}/sessions/new"))
    for role in ("speaker", "moderator", "host"):
        assert f'id="{role}_ids" multiple name="{role}_ids"></select>' in page  # no options yet
    assert "Sam Speaker" not in page
    assert 'name="speaker_emails"' in page and "/manage/people/find" in page
    assert "js/people-picker.js" in page


def _new_form_page(client, event) -> tuple[int, int]:
    from tests.querycount import count_queries

    with count_queries() as log:
        response = client.get(f"/manage/events/{event.id}/sessions/new")
    return log.count, len(response.get_data())


def test_session_form_does_not_grow_with_the_number_of_people(client, db, organiser):
    event = make_event()
    for _ in range(3):
        make_user()
    db.session.commit()
    client.get("/manage/")  # shows the welcome message, which would count once
    few = _new_form_page(client, event)
    for _ in range(200):
        make_user()
    db.session.commit()
    assert _new_form_page(client, event) == few


def test_edit_form_keeps_an_inactive_speaker(client, db, organiser):
    session = make_session(title="Old friends")
    gone = make_user(name="Ingrid Inactive", email="ingrid@example.org", active=False)
    add_person(session, gone)
    host = make_user(name="Hedda Host", email="hedda@example.org")
    add_person(session, host, SessionRoleKind.HOST)
    db.session.commit()
    page = html(client.get(f"/manage/sessions/{session.id}/edit"))
    assert f'<option selected value="{gone.id}">Ingrid Inactive &lt;ingrid@example.org&gt; (inactive)</option>' in page
    assert f'<option selected value="{host.id}">Hedda Host &lt;hedda@example.org&gt;</option>' in page

    # What the browser sends back: the selected options, and a new title.
    response = client.post(f"/manage/sessions/{session.id}/edit", data=form(
        session.room, title="Old friends, renamed", speaker_ids=[str(gone.id)], host_ids=[str(host.id)]))
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.title == "Old friends, renamed"
    assert [u.name for u in session.people(SessionRoleKind.SPEAKER)] == ["Ingrid Inactive"]
    assert [u.name for u in session.people(SessionRoleKind.HOST)] == ["Hedda Host"]


def test_without_javascript_people_are_added_by_e_mail(client, db, organiser):
    event = make_event()
    room = make_room()
    sam = make_user(name="Sam Speaker", email="sam@example.org")
    make_user(name="Mo Moderator", email="mo@example.org")
    make_user(name="Gone", email="gone@example.org", active=False)
    db.session.commit()
    refused = client.post(f"/manage/events/{event.id}/sessions/new",
                          data=form(room, moderator_emails="gone@example.org"))
    assert "No active account has the e-mail address gone@example.org." in html(refused)

    response = client.post(f"/manage/events/{event.id}/sessions/new", data=form(
        room, speaker_ids=[str(sam.id)], speaker_emails="SAM@example.org", moderator_emails=" mo@example.org, "))
    assert response.status_code == 302
    session = db.session.scalar(sa.select(ProgrammeSession))
    assert [u.name for u in session.people(SessionRoleKind.SPEAKER)] == ["Sam Speaker"]
    assert [u.name for u in session.people(SessionRoleKind.MODERATOR)] == ["Mo Moderator"]


def test_people_added_by_e_mail_show_as_chosen_when_warnings_are_asked(client, db, organiser):
    event = make_event()
    sam = make_user(name="Sam Speaker", email="sam@example.org")
    add_person(make_session(event=event, title="Morning keynote"), sam)
    room = make_room()
    db.session.commit()
    warned = html(client.post(f"/manage/events/{event.id}/sessions/new",
                              data=form(room, speaker_emails="sam@example.org")))
    assert "Sam Speaker is in two sessions at once" in warned
    assert f'<option selected value="{sam.id}">Sam Speaker &lt;sam@example.org&gt;</option>' in warned
    assert 'name="speaker_emails" type="text" value=""' in warned


@pytest.mark.parametrize(("locale", "german", "swedish"), [("en", "German", "Swedish"), ("sv", "Tyska", "Svenska")])
def test_session_languages_are_named_in_the_readers_language(client, db, login_as, locale, german, swedish):
    login_as(Role.ORGANISER, locale=locale)
    event = make_event()
    db.session.commit()

    page = client.get(f"/manage/events/{event.id}/sessions/new").get_data(as_text=True)

    assert f'<option value="de">{german}</option>' in page
    assert f'<option value="sv">{swedish}</option>' in page
