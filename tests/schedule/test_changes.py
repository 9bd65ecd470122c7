"""The public changes page of an event, from the SessionChange log."""
from __future__ import annotations

from datetime import timedelta

import pytest

from expo.accounts.models import Role
from expo.programme.models import SessionChange, SessionStatus
from expo.schedule.changes import ChangeLine, change_lines, parse_instant, public_lines
from tests.factories import make_event, make_room, make_session, make_user, make_venue, utc
from tests.schedule.conftest import assert_only_organisers_see


def log(session, created_at, **changes) -> SessionChange:
    from expo.core.extensions import db

    row = SessionChange(session=session, event_id=session.event_id, revision=len(changes),
                        created_at=created_at, changes=changes)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def changed(db):
    event = make_event(slug="h22", published_at=utc(2022, 5, 1), first_published_at=utc(2022, 5, 1))
    venue = make_venue(name="Dunkers")
    hall, annex = make_room(venue=venue, name="Hall"), make_room(venue=venue, name="Annex")
    moved = make_session(event=event, title="Moved talk", room=annex,
                         starts_at=utc(2022, 6, 1, 9), ends_at=utc(2022, 6, 1, 10))
    cancelled = make_session(event=event, title="Called off", room=hall, status=SessionStatus.CANCELLED)
    quiet = make_session(event=event, title="Quiet change", room=hall)
    log(moved, utc(2022, 5, 10, 12),
        starts_at={"old": "2022-06-01T07:00:00+00:00", "new": "2022-06-01T09:00:00+00:00"},
        ends_at={"old": "2022-06-01T08:00:00+00:00", "new": "2022-06-01T10:00:00+00:00"},
        room_id={"old": hall.id, "new": annex.id},
        meeting_url={"old": None, "new": "https://meet.example.org/private"})
    log(cancelled, utc(2022, 5, 20, 8), status={"old": "scheduled", "new": "cancelled"})
    log(quiet, utc(2022, 5, 21, 8), capacity={"old": 10, "new": 20}, description={"old": "a", "new": "b"})
    log(moved, utc(2022, 4, 1), title={"old": "Before publishing", "new": "Moved talk"})
    db.session.commit()
    return event


def test_changes_are_newest_first_with_local_times_and_rooms(client, changed):
    html = client.get("/events/h22/changes").get_data(as_text=True)
    assert html.index("Called off") < html.index("Moved talk")
    assert "Wed 1 Jun 09:00</time>–<time datetime=\"2022-06-01T08:00:00+00:00\">10:00</time></del>" in html
    assert "Wed 1 Jun 11:00</time>–<time datetime=\"2022-06-01T10:00:00+00:00\">12:00</time></ins>" in html
    assert "<del>Dunkers – Hall</del>" in html and "<ins>Dunkers – Annex</ins>" in html
    assert "<del>Scheduled</del>" in html and "<ins>Cancelled</ins>" in html
    assert 'class="change is-cancelled"' in html


def test_private_fields_and_changes_before_publishing_are_left_out(client, changed):
    html = client.get("/events/h22/changes").get_data(as_text=True)
    assert "meet.example.org" not in html
    assert "Quiet change" not in html  # capacity and description only
    assert "Before publishing" not in html


def test_no_changes_says_so(client, db):
    make_event(slug="calm")
    db.session.commit()
    html = client.get("/events/calm/changes").get_data(as_text=True)
    assert "Nothing has changed since the schedule was published." in html


def test_other_events_changes_stay_on_their_page(client, db, changed):
    other = make_session(event=make_event(slug="other"), title="Other event talk")
    log(other, utc(2022, 5, 15), status={"old": "scheduled", "new": "cancelled"})
    db.session.commit()
    assert "Other event talk" not in client.get("/events/h22/changes").get_data(as_text=True)


def test_draft_changes_are_404_for_all_but_organisers(client, db, login_as):
    s = make_session(event=make_event(slug="draft", is_published=False), title="Draft talk")
    log(s, utc(2022, 5, 1), status={"old": "scheduled", "new": "cancelled"})
    db.session.commit()
    assert "Draft talk" in assert_only_organisers_see(client, login_as, "/events/draft/changes")


def test_public_lines_handle_partial_and_odd_values():
    start = "2022-06-01T07:00:00Z"
    lines = public_lines(
        {
            "starts_at": {"old": start, "new": "2022-06-01T07:30:00"},
            "room": {"old": "Old hall", "new": None},
            "status": {"old": "scheduled", "new": "exploded"},
            "ends_at": "not a change",
            "title": {"old": "Same", "new": "Same"},
        },
        {},
    )
    assert lines == [
        ChangeLine("starts_at", utc(2022, 6, 1, 7), utc(2022, 6, 1, 7, 30)),
        ChangeLine("room", "Old hall", None),
    ]
    assert parse_instant("yesterday") is None and parse_instant(3) is None
    assert parse_instant("2022-06-01T09:00:00+02:00") == utc(2022, 6, 1, 7)
    assert utc(2022, 6, 1, 7) + timedelta(0) == parse_instant(start)


def test_room_that_no_longer_exists_is_named_so(client, db, changed):
    s = make_session(event=changed, title="Ghost room")
    log(s, utc(2022, 5, 25), room_id={"old": 999999, "new": s.room_id})
    db.session.commit()
    html = client.get("/events/h22/changes").get_data(as_text=True)
    assert "Ghost room" in html and "<del>a room since removed</del>" in html
    assert html.index("Ghost room") < html.index("Called off")


def test_changed_by_is_not_shown(client, db, changed):
    organiser = make_user(role=Role.ORGANISER, name="Olle Organiser")
    s = make_session(event=changed, title="By someone")
    row = log(s, utc(2022, 5, 26), title={"old": "Old", "new": "By someone"})
    row.changed_by = organiser
    db.session.commit()
    html = client.get("/events/h22/changes").get_data(as_text=True)
    assert "By someone" in html and "Olle Organiser" not in html


def test_going_back_to_draft_and_publishing_again_keeps_the_changes_listed(client, db, login_as):
    event = make_event(slug="again", is_published=False)
    session = make_session(event=event, title="Called off")
    db.session.commit()
    login_as(Role.ORGANISER)
    client.post(f"/manage/events/{event.id}/publish")
    client.post(f"/manage/sessions/{session.id}/cancel", data={"proceed": "yes"})
    client.post(f"/manage/events/{event.id}/release", data={"note": ""})
    client.post(f"/manage/events/{event.id}/unpublish", data={"proceed": "yes"})
    client.post(f"/manage/events/{event.id}/publish")
    client.post("/account/logout")
    db.session.refresh(event)
    assert event.is_published and event.published_at > event.first_published_at
    html = client.get("/events/again/changes").get_data(as_text=True)
    assert "Called off" in html and "<ins>Cancelled</ins>" in html


def test_organisers_lines_add_the_private_fields_in_readable_words(app):
    changes = {
        "status": {"old": "scheduled", "new": "cancelled"},
        "kind": {"old": "talk", "new": "digital"},
        "language": {"old": "en", "new": "sv"},
        "speakers": {"old": [], "new": ["Sam Speaker", "Greta Grön"]},
        "capacity": {"old": 30, "new": None},
        "meeting_url": {"old": None, "new": "https://meet.example.org/1"},
        "networks": {"old": ["UNECE"], "new": ["UNECE"]},
    }
    with app.test_request_context():
        lines = change_lines(changes, {}, public=False)
        assert [(line.kind, line.old, line.new) for line in lines] == [
            ("status", SessionStatus.SCHEDULED, SessionStatus.CANCELLED),
            ("kind", "Talk", "Digital meeting"),
            ("meeting_url", None, "https://meet.example.org/1"),
            ("capacity", "30", None),
            ("language", "English", "Swedish"),
            ("speakers", None, "Sam Speaker, Greta Grön"),
        ]
        assert [line.kind for line in change_lines(changes, {})] == ["status"]


def test_a_session_added_to_the_published_programme_is_listed_with_its_time_and_place(client, db, login_as):
    event = make_event(slug="added", is_published=False)
    room = make_room(venue=make_venue(name="Dunkers"), name="Hall")
    before = make_session(event=event, title="In from the start", room=room)
    db.session.commit()
    organiser = login_as(Role.ORGANISER)
    client.post(f"/manage/events/{event.id}/publish")
    response = client.post(f"/manage/events/{event.id}/sessions/new", data={
        "title": "Late addition", "kind": "talk", "starts_at": "2022-06-01T14:00", "ends_at": "2022-06-01T15:00",
        "room_id": str(room.id), "language": "en",
    }, follow_redirects=True)  # the page after it shows (and so spends) the flashed title
    assert response.status_code == 200 and "Late addition" in response.get_data(as_text=True)
    assert "Late addition" not in client.get("/events/added/changes").get_data(as_text=True)  # staged
    client.post(f"/manage/events/{event.id}/release", data={"note": "One more talk"})
    client.post("/account/logout")

    html = client.get("/events/added/changes").get_data(as_text=True)

    assert "Late addition" in html and "In from the start" not in html
    assert '<span class="badge badge-ok status-added">Added</span>' in html
    assert "14:00" in html and "Dunkers – Hall" in html
    assert "Version v1" in html and "One more talk" in html
    [row] = db.session.scalars(db.select(SessionChange)).all()
    assert row.changes == {"added": {"old": None, "new": "Late addition"}} and row.changed_by_id == organiser.id
    assert before.changes == []


def test_added_lines_read_the_same_for_organisers():
    assert change_lines({"added": {"old": None, "new": "Talk"}}, {}, public=False) == [ChangeLine("added", None, True)]
