"""A pair's meetings: sessions of the programme's event with both cities' contacts booked on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from expo.accounts.models import Role
from expo.core.errors import Conflict, InvalidState
from expo.core.timeutil import utcnow
from expo.programme.models import SessionKind
from expo.registration.models import Booking, BookingStatus
from expo.twinning import meetings
from expo.twinning.models import ApplicationStatus, TwinningModule, TwinningPair
from tests.conftest import log_in
from tests.factories import make_application, make_event, make_pilot, make_programme, make_room, make_session, make_user


def _published_pair(db):
    event = make_event(published_at=utcnow())
    programme = make_programme(event=event, published_at=utcnow())
    module = TwinningModule(programme=programme, name="Getting started", starts_on=event.starts_on,
                            ends_on=event.ends_on)
    db.session.add(module)
    umea_contact, gavle_applicant, gavle_contact = make_user(name="Ulla Umeå"), make_user(), make_user()
    pilot = make_pilot(programme=programme, name="Umeå", contacts=[umea_contact])
    application = make_application(programme=programme, city="Gävle", user=gavle_applicant,
                                   contacts=[gavle_contact], status=ApplicationStatus.ACCEPTED)
    db.session.add_all([TwinningPair(programme_id=programme.id, application=application, pilot=pilot,
                                             score=70.0, reasons=[])])
    db.session.flush()
    return make_user(role=Role.ADMIN), programme, module, pilot, application, [umea_contact, gavle_applicant,
                                                                              gavle_contact]


def _data(module, pilot, application, **fields):
    start = datetime.combine(module.starts_on, datetime.min.time(), timezone.utc) + timedelta(hours=9)
    fields.setdefault("kind", SessionKind.WORKSHOP)
    fields.setdefault("starts_at", start)
    fields.setdefault("ends_at", start + timedelta(hours=2))
    return meetings.MeetingData(module_id=module.id, pilot_id=pilot.id,
                                application_id=application.id if application else None,
                                title=fields.pop("title", "Kick-off workshop"), **fields)


def test_a_workshop_books_both_cities_contacts_and_reaches_their_agendas_and_feeds(db, client):
    admin, programme, module, pilot, application, people = _published_pair(db)
    room = make_room()

    meeting = meetings.schedule_meeting(programme=programme, data=_data(module, pilot, application, room_id=room.id),
                                        actor=admin)
    db.session.commit()

    booked = {b.user_id for b in db.session.query(Booking).filter_by(session_id=meeting.session_id,
                                                                   status=BookingStatus.CONFIRMED)}
    assert booked == {p.id for p in people}
    for person in people:
        log_in(client, person)
        assert "Kick-off workshop" in client.get("/agenda").get_data(as_text=True)
        assert "Kick-off workshop" in client.get(f"/calendar/{person.feed_token}.ics").get_data(as_text=True)
        client.post("/account/logout")


def test_room_conflicts_apply_and_a_digital_meeting_needs_its_link(db):
    admin, programme, module, pilot, application, people = _published_pair(db)
    room = make_room()
    data = _data(module, pilot, application, room_id=room.id)
    make_session(event=programme.event, room=room, starts_at=data.starts_at, ends_at=data.ends_at)

    with pytest.raises(Conflict):
        meetings.schedule_meeting(programme=programme, data=data, actor=admin)
    with pytest.raises(InvalidState):
        meetings.schedule_meeting(programme=programme, data=_data(module, pilot, application, kind=SessionKind.DIGITAL),
                                  actor=admin)
    meeting = meetings.schedule_meeting(
        programme=programme, data=_data(module, pilot, None, kind=SessionKind.DIGITAL,
                                        meeting_url="https://meet.example.org/twins"), actor=admin)
    assert meeting.session.meeting_url == "https://meet.example.org/twins"
    assert meeting.application is None


def test_only_published_pairs_meet(db):
    admin, programme, module, pilot, application, people = _published_pair(db)
    stranger = make_application(programme=programme, status=ApplicationStatus.ACCEPTED)

    with pytest.raises(InvalidState):
        meetings.schedule_meeting(programme=programme, data=_data(module, pilot, stranger), actor=admin)
    programme.published_at = None
    with pytest.raises(InvalidState):
        meetings.schedule_meeting(programme=programme, data=_data(module, pilot, application), actor=admin)


def test_the_organiser_plans_a_meeting_on_the_meetings_page(db, client, login_as):
    admin, programme, module, pilot, application, people = _published_pair(db)
    room = make_room(name="Dunkers sal")
    programme.event.timezone = "Europe/Stockholm"
    db.session.commit()
    login_as("admin")
    day = module.starts_on.isoformat()

    response = client.post(f"/manage/twinning/{programme.id}/meetings", data={
        "module_id": module.id, "pair": f"{pilot.id}:{application.id}", "kind": "site_visit",
        "title": "Site visit: district heating", "starts_at": f"{day}T10:00", "ends_at": f"{day}T12:00",
        "room_id": room.id})

    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/manage/twinning/{programme.id}/meetings").get_data(as_text=True)
    assert "Site visit: district heating" in page and "Dunkers sal" in page
    assert client.get(f"/manage/twinning/{programme.id}/meetings").status_code == 200
