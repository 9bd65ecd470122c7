"""Staff work the door: they check people in, but the programme stays the organisers'."""
from __future__ import annotations

import sqlalchemy as sa

from expo.accounts.models import Role
from expo.programme.models import ProgrammeSession, SessionChange, SessionStatus
from expo.registration.models import BookingStatus
from tests.programme.test_views import form


def _programme(db) -> list[tuple]:
    sessions = db.session.execute(
        sa.select(ProgrammeSession.id, ProgrammeSession.title, ProgrammeSession.starts_at,
                  ProgrammeSession.ends_at, ProgrammeSession.status, ProgrammeSession.room_id)
        .order_by(ProgrammeSession.id)
    ).all()
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(SessionChange))
    return [*map(tuple, sessions), ("changes", changes)]


def test_staff_posting_a_session_edit_create_delete_or_cancel_is_refused_and_nothing_changes(
        client, door, login_as, db):
    login_as(Role.STAFF)
    s = door.session
    before = _programme(db)
    edit = form(room=s.room, title="Renamed by staff", starts_at="2022-06-01T15:00",
                ends_at="2022-06-01T16:00")
    attempts = [
        (f"/manage/sessions/{s.id}/edit", edit),
        (f"/manage/events/{door.event.id}/sessions/new", form(room=s.room, title="Added by staff")),
        (f"/manage/sessions/{s.id}/cancel", {"proceed": "yes"}),
        (f"/manage/sessions/{s.id}/delete", {}),
        (f"/manage/sessions/{s.id}/restore", {}),
    ]
    for target, data in attempts:
        assert client.post(target, data=data).status_code == 403, target
        assert client.post(target, data=data, headers={"Accept": "application/json"}).status_code == 403

    db.session.expire_all()
    assert _programme(db) == before
    assert db.session.get(ProgrammeSession, s.id).status is SessionStatus.SCHEDULED
    assert db.session.get(ProgrammeSession, s.id).title == "Cities and the SDGs"
    anna_booking = next(b for b in db.session.get(ProgrammeSession, s.id).bookings if b.user_id == door.anna.id)
    assert anna_booking.status is BookingStatus.CONFIRMED

