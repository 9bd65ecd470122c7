"""Releases of a published programme: changes are staged, shown as a diff, and made public
together as a numbered version, with one e-mail per booked delegate."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core.errors import InvalidState
from expo.core.extensions import db
from expo.core.generations import schedule_generation
from expo.core.timeutil import utcnow
from expo.imports import services as imports
from expo.programme import releases, services as programme, staging
from expo.programme.models import PendingChange, ProgrammeSession, Release, SessionChange, SessionStatus
from expo.registration import services as registration
from tests.factories import make_room, make_user, make_venue
from tests.imports.test_frab import _upload, _xml
from tests.registration.conftest import at, future_event, future_session, registered


def _published(**fields):
    """An event published through the publish flow (its first publication is behind it)."""
    return future_event(is_published=True, first_published_at=utcnow() - timedelta(days=1), **fields)


def _data(session, **changes):
    return programme.SessionData(**{**programme.SessionData.from_session(session).values(), **changes})


def _later(session, hours=3, **changes):
    return _data(session, starts_at=session.starts_at + timedelta(hours=hours),
                 ends_at=session.ends_at + timedelta(hours=hours), **changes)


@pytest.fixture
def organiser(db):
    return make_user(role=Role.ORGANISER, name="Olivia Organiser")


def test_a_staged_edit_stays_out_of_feeds_and_pages_until_its_release(app, client, organiser):
    event = _published(slug="h22")
    session = future_session(event, title="Harbour walk", start=at(8))
    db.session.commit()
    feed, page = "/events/h22/calendar.ics", f"/sessions/{session.id}"
    before = {url: client.get(url).get_data(as_text=True) for url in (feed, page)}
    assert "Harbour walk" in before[page]
    generation = schedule_generation()

    with app.test_request_context():
        changes = programme.update_session(session=session, data=_later(session, title="Sea walk"),
                                           actor=organiser, confirm=True)
    db.session.commit()
    assert set(changes) == {"starts_at", "ends_at", "title"}
    db.session.expire_all()
    assert (session.title, session.starts_at, session.revision) == ("Harbour walk", at(8), 0)
    assert schedule_generation() == generation  # staging moves no cache
    assert client.get(feed).get_data(as_text=True) == before[feed]
    shown = client.get(page).get_data(as_text=True)
    assert "Harbour walk" in shown and "Sea walk" not in shown
    assert "Sea walk" not in client.get("/events/h22/changes").get_data(as_text=True)

    with app.test_request_context():
        release = releases.release_changes(event=event, actor=organiser, note="Moved to the afternoon")
    db.session.commit()
    db.session.expire_all()
    assert (session.title, session.starts_at, session.revision) == ("Sea walk", at(11), 1)
    assert schedule_generation() != generation
    assert "SUMMARY:Sea walk" in client.get(feed).get_data(as_text=True)
    assert "Sea walk" in client.get(page).get_data(as_text=True)
    changes_page = client.get("/events/h22/changes").get_data(as_text=True)
    assert "Version v1" in changes_page and "Moved to the afternoon" in changes_page and "Sea walk" in changes_page
    assert [c.release_id for c in session.changes] == [release.id]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingChange)) == 0


def test_a_draft_is_still_edited_live(app, organiser):
    event = future_event(is_published=False)
    session = future_session(event, start=at(8))
    with app.test_request_context():
        programme.update_session(session=session, data=_later(session), actor=organiser, confirm=True)
    assert session.starts_at == at(11) and staging.pending_count(event) == 0


def test_a_release_mails_each_affected_delegate_once_listing_all_their_sessions(app, db, organiser, outbox):
    event = _published(name="H22 City Expo")
    walk = future_session(event, title="Harbour walk", start=at(8), capacity=10)
    talk = future_session(event, title="Climate talk", start=at(10), capacity=10)
    quiet = future_session(event, title="Untouched", start=at(12), capacity=10)
    ana, ben = registered(event, name="Ana"), registered(event, name="Ben", locale="sv")
    for person, sessions in ((ana, (walk, talk, quiet)), (ben, (walk,))):
        for s in sessions:
            registration.book_session(delegate=person, session=s, actor=person)
    db.session.commit()
    outbox.clear()

    with app.test_request_context():
        programme.update_session(session=walk, data=_later(walk, hours=5), actor=organiser, confirm=True)
        programme.cancel_session(session=talk, actor=organiser, confirm=True)
    db.session.commit()
    assert outbox == []  # staged: nobody is told yet
    with app.test_request_context():
        releases.release_changes(event=event, actor=organiser, note="Rain plan")
    db.session.commit()

    by_person = {m.to: m for m in outbox}
    assert sorted(m.to for m in outbox) == sorted([ana.email, ben.email])
    mail = by_person[ana.email]
    assert mail.subject == "Programme changed: H22 City Expo (v1)"
    assert "Harbour walk" in mail.body and "Climate talk" in mail.body and "Untouched" not in mail.body
    assert "Rain plan" in mail.body
    methods = sorted(a.mimetype.split(";")[1].strip() for a in mail.attachments)
    assert methods == ["method=CANCEL", "method=REQUEST"]
    request = next(a for a in mail.attachments if "REQUEST" in a.mimetype).content.decode()
    assert "SEQUENCE:1" in request.replace("\r\n ", "")
    swedish = by_person[ben.email]
    assert swedish.subject == "Programmet har ändrats: H22 City Expo (v1)"
    assert "Harbour walk" in swedish.body and "Climate talk" not in swedish.body
    assert len(swedish.attachments) == 1


def test_versions_rise_and_an_urgent_change_is_released_on_its_own(app, organiser):
    event = _published()
    first, second = future_session(event, title="First", start=at(8)), future_session(event, title="Second", start=at(10))
    with app.test_request_context():
        programme.update_session(session=first, data=_data(first, title="First, renamed"), actor=organiser)
        programme.update_session(session=second, data=_data(second, title="Second, renamed"), actor=organiser)
        urgent = staging.pending_for(second)
        v1 = releases.release_changes(event=event, actor=organiser, only=urgent)
        assert (second.title, first.title) == ("Second, renamed", "First")
        assert staging.pending_count(event) == 1
        v2 = releases.release_changes(event=event, actor=organiser)
        with pytest.raises(InvalidState):
            releases.release_changes(event=event, actor=organiser)
    assert (v1.label, v2.label) == ("v1", "v2") and first.title == "First, renamed"
    numbers = db.session.scalars(sa.select(Release.number).where(Release.event_id == event.id)).all()
    assert sorted(numbers) == [1, 2]


def test_the_pending_page_shows_moved_cancelled_added_renamed_relocated(app, client, login_as, organiser):
    event = _published(slug="diff")
    room, other = make_room(name="Hall", venue=make_venue(name="Dunkers")), make_room(name="Loft", venue=make_venue(name="Kärnan"))
    moved, cancelled, renamed, relocated = (
        future_session(event, title=t, room=room, start=at(h)) for t, h in
        (("Moved talk", 8), ("Cancelled talk", 9), ("Old name", 10), ("Relocated talk", 11)))
    with app.test_request_context():
        programme.update_session(session=moved, data=_later(moved, hours=4), actor=organiser, confirm=True)
        programme.cancel_session(session=cancelled, actor=organiser, confirm=True)
        programme.update_session(session=renamed, data=_data(renamed, title="New name"), actor=organiser)
        programme.update_session(session=relocated, data=_data(relocated, room_id=other.id), actor=organiser,
                                 confirm=True)
        programme.create_session(event=event, actor=organiser, confirm=True, data=programme.SessionData(
            title="Added talk", kind=moved.kind, starts_at=at(14), ends_at=at(15), room_id=room.id))
    db.session.commit()
    login_as(Role.ADMIN)

    html = client.get(f"/manage/events/{event.id}/pending").get_data(as_text=True)

    for title, badge in (("Moved talk", "moved"), ("Cancelled talk", "cancelled"), ("Added talk", "added"),
                         ("Old name", "renamed"), ("Relocated talk", "relocated")):
        item = html.split(title, 1)[1].split("</article>", 1)[0]
        assert f'class="badge-{badge}"' in item, title
    assert "Kärnan – Loft" in html and "New name" in html
    assert "Release 5 changes" in html
    assert "5 unreleased changes" in client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    edit = client.get(f"/manage/sessions/{renamed.id}/edit").get_data(as_text=True)
    assert "Unreleased change" in edit and 'value="New name"' in edit


def test_only_the_events_organisers_and_admins_see_and_release_pending_changes(app, client, login_as, organiser):
    event = _published()
    session = future_session(event, start=at(8))
    with app.test_request_context():
        programme.update_session(session=session, data=_data(session, title="Renamed"), actor=organiser)
    db.session.commit()
    change = staging.pending_for(session)
    for role in (Role.DELEGATE, Role.STAFF):
        login_as(role)
        assert client.get(f"/manage/events/{event.id}/pending").status_code == 403
        assert client.post(f"/manage/events/{event.id}/release").status_code == 403
        assert client.post(f"/manage/pending/{change.id}/release").status_code == 403
        client.post("/account/logout")
    db.session.expire_all()
    assert session.title != "Renamed" and staging.pending_count(event) == 1
    login_as(Role.ADMIN)
    assert client.post(f"/manage/pending/{change.id}/release").status_code == 302
    db.session.expire_all()
    assert session.title == "Renamed"


def test_a_frab_schedule_fetched_again_stages_one_move_and_one_removal_as_one_release(app, organiser):
    event = future_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 1), is_published=False)
    room = make_room(name="Main", venue=make_venue(name="Sundspärlan"))
    with app.test_request_context():
        batch = _upload(event, organiser, _xml([("g-1", "Solar", "09:00", "Stage"), ("g-2", "Wind", "10:00", "Stage"),
                                                 ("g-3", "Hydrogen", "11:00", "Stage")]))
        imports.map_rooms(batch=batch, mapping={"Stage": room.id}, actor=organiser)
        imports.confirm_import(batch=batch, digest=imports.preview(batch).digest, actor=organiser)
        event.is_published, event.first_published_at = True, utcnow()
        db.session.commit()

        batch = _upload(event, organiser, _xml([("g-1", "Solar", "09:00", "Stage"), ("g-2", "Wind", "14:00", "Stage")]))
        imports.confirm_import(batch=batch, digest=imports.preview(batch).digest, actor=organiser)
        db.session.commit()
        sessions = {s.title: s for s in db.session.scalars(sa.select(ProgrammeSession))}
        assert sessions["Wind"].revision == 0 and not sessions["Hydrogen"].is_cancelled  # nothing public yet
        pending = {row.title: row.kinds for row in staging.pending_changes(event)}
        assert pending == {"Wind": ["moved"], "Hydrogen": ["cancelled"]}

        release = releases.release_changes(event=event, actor=organiser)
        db.session.commit()
    logged = db.session.scalars(sa.select(SessionChange).where(SessionChange.release_id == release.id)).all()
    assert sorted(c.session.title for c in logged) == ["Hydrogen", "Wind"]
    assert sessions["Wind"].starts_at.hour == 12 and sessions["Hydrogen"].status is SessionStatus.CANCELLED


def test_the_pending_page_and_the_list_of_sessions_load_in_a_fixed_number_of_queries(app, client, login_as, organiser):
    from tests.querycount import page_query_count

    event = _published()
    room = make_room(venue=make_venue())
    sessions = [future_session(event, title=f"Talk {n}", room=room, start=at(7 + n)) for n in range(6)]
    login_as(Role.ADMIN)

    def stage(count):
        with app.test_request_context():
            for s in sessions[:count]:
                programme.update_session(session=s, data=_data(s, title=s.title + " (new)"), actor=organiser)
        db.session.commit()

    stage(1)
    small = {url: page_query_count(client, url) for url in
             (f"/manage/events/{event.id}/pending", f"/manage/events/{event.id}/sessions")}
    stage(6)
    assert {url: page_query_count(client, url) for url in small} == small
    listing = client.get(f"/manage/events/{event.id}/sessions").get_data(as_text=True)
    assert listing.count('class="badge-pending"') == 6 and "6 unreleased changes" in listing


def test_a_frab_schedule_fetched_again_before_the_release_changes_nothing_more(app, organiser):
    event = future_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 1), is_published=False)
    room = make_room(name="Main", venue=make_venue(name="Sundspärlan"))
    with app.test_request_context():
        batch = _upload(event, organiser, _xml([("g-1", "Solar", "09:00", "Stage"), ("g-2", "Wind", "10:00", "Stage")]))
        imports.map_rooms(batch=batch, mapping={"Stage": room.id}, actor=organiser)
        imports.confirm_import(batch=batch, digest=imports.preview(batch).digest, actor=organiser)
        event.is_published, event.first_published_at = True, utcnow()
        db.session.commit()
        for _ in range(2):  # the same schedule twice, before any release
            batch = _upload(event, organiser, _xml([("g-1", "Solar", "12:00", "Stage"), ("g-3", "Tide", "15:00", "Stage")]))
            plan = imports.preview(batch)
            imports.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
            db.session.commit()
        assert [(r.title, r.action) for r in plan.rows] == [("Solar", "unchanged"), ("Tide", "new")]
        assert sorted((row.title, row.kinds) for row in staging.pending_changes(event)) == [
            ("Solar", ["moved"]), ("Tide", ["added"]), ("Wind", ["cancelled"])]
        releases.release_changes(event=event, actor=organiser)
        db.session.commit()
        batch = _upload(event, organiser, _xml([("g-1", "Solar", "12:00", "Stage"), ("g-3", "Tide", "15:00", "Stage")]))
        assert {r.action for r in imports.preview(batch).rows} == {"unchanged"}  # the added session kept its key


def test_a_live_edit_after_going_back_to_draft_replaces_what_was_staged(app, organiser):
    event = _published()
    session = future_session(event, title="Harbour walk", start=at(8))
    with app.test_request_context():
        programme.update_session(session=session, data=_later(session), actor=organiser, confirm=True)
        assert staging.pending_count(event) == 1
        event.is_published = False
        programme.update_session(session=session, data=_data(session, title="Draft title"), actor=organiser)
    assert (session.title, session.starts_at, staging.pending_count(event)) == ("Draft title", at(8), 0)


def test_two_sessions_swap_rooms_in_one_release(app, organiser):
    event = _published()
    hall, studio = make_room(name="Hall"), make_room(name="Studio")
    a = future_session(event, title="A", start=at(8))
    b = future_session(event, title="B", start=at(8))
    a.room, b.room = hall, studio
    db.session.commit()
    with app.test_request_context():
        programme.update_sessions(changes=[(a, _data(a, room_id=studio.id)), (b, _data(b, room_id=hall.id))],
                                  actor=organiser)
        assert (a.room_id, b.room_id) == (hall.id, studio.id)  # staged: the public programme stays
        assert staging.pending_count(event) == 2
        releases.release_changes(event=event, actor=organiser)
    assert (a.room_id, b.room_id) == (studio.id, hall.id)
    assert staging.pending_count(event) == 0 and programme.conflict_report() == []


def _staged_addition(app, organiser, slug):
    """A published event with an "Opening" in the Hall at 8, and a talk added at 14 that waits
    for the next release."""
    event = _published(slug=slug)
    room = make_room(name="Hall", venue=make_venue(name="Dunkers"))
    future_session(event, title="Opening", room=room, start=at(8))
    with app.test_request_context():
        programme.create_session(event=event, actor=organiser, confirm=True, data=programme.SessionData(
            title="Added talk", kind=programme.SessionKind.TALK, starts_at=at(14), ends_at=at(15), room_id=room.id))
    db.session.commit()
    return event, room, db.session.scalar(sa.select(PendingChange).where(PendingChange.session_id.is_(None)))


def _form(event, room, start, end, **fields):
    """The session form's fields, times in the event's zone."""
    local = lambda instant: instant.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    return {"title": "Added talk", "kind": "talk", "room_id": str(room.id), "language": "en",
            "starts_at": local(start), "ends_at": local(end), **fields}


def test_a_session_added_to_a_published_programme_is_edited_before_its_release(app, client, login_as, organiser):
    event, room, change = _staged_addition(app, organiser, "added")
    login_as(Role.ADMIN)
    assert f"/manage/pending/{change.id}/edit" in client.get(f"/manage/events/{event.id}/pending").get_data(as_text=True)

    form = client.get(f"/manage/pending/{change.id}/edit").get_data(as_text=True)
    assert "Edit the new session" in form and 'value="Added talk"' in form
    response = client.post(f"/manage/pending/{change.id}/edit",
                           data=_form(event, room, at(16), at(17), title="Added talk, renamed"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/manage/events/{event.id}/pending")

    db.session.expire_all()
    rows = db.session.scalars(sa.select(PendingChange)).all()
    assert len(rows) == 1 and rows[0].id == change.id  # the same addition, not a second one
    assert rows[0].title == "Added talk, renamed" and rows[0].starts_at == at(16)
    assert rows[0].changes["added"]["new"] == "Added talk, renamed"
    assert not db.session.scalar(sa.select(ProgrammeSession).where(ProgrammeSession.title.like("Added%")))

    with app.test_request_context():
        releases.release_changes(event=event, actor=organiser)
    db.session.commit()
    added = db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.title.like("Added%"))).all()
    assert [(s.title, s.starts_at) for s in added] == [("Added talk, renamed", at(16))]


def test_an_edit_of_a_staged_addition_keeps_the_rules(app, client, login_as, organiser):
    event, room, change = _staged_addition(app, organiser, "clash")
    login_as(Role.ADMIN)
    clash = _form(event, room, at(8), at(9))
    refused = client.post(f"/manage/pending/{change.id}/edit", data=clash).get_data(as_text=True)
    assert "is double-booked" in refused and "“Opening”" in refused  # the room clash, named
    empty = client.post(f"/manage/pending/{change.id}/edit", data={**clash, "title": ""}).get_data(as_text=True)
    assert 'aria-invalid="true"' in empty and 'id="title"' in empty
    db.session.expire_all()
    assert db.session.get(PendingChange, change.id).starts_at == at(14)  # nothing changed

    for role in (Role.DELEGATE, Role.STAFF):
        client.post("/account/logout")
        login_as(role)
        assert client.get(f"/manage/pending/{change.id}/edit").status_code == 403
        assert client.post(f"/manage/pending/{change.id}/edit", data=clash).status_code == 403
