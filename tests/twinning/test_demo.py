"""The demo's Twin Cities programme: cities, applications, published pairs and their meetings."""
from __future__ import annotations

import sqlalchemy as sa

from expo.accounts.models import User
from expo.demo.h22 import DEMO_LOGINS
from expo.registration.models import Booking, BookingStatus
from expo.twinning.models import ApplicationStatus, TwinningMeeting, TwinningPair, TwinningProgramme
from tests.conftest import log_in
from tests.demo.test_demo import load


def test_the_demo_has_a_matched_and_published_twin_cities_programme(runner, client, db):
    load(runner)

    programme = db.session.scalar(sa.select(TwinningProgramme))
    pairs = db.session.scalars(sa.select(TwinningPair)).all()
    accepted = [a for a in programme.applications if a.status is ApplicationStatus.ACCEPTED]
    assert programme.published_at is not None and not programme.is_open()
    assert len(programme.pilots) == 10 and "Umeå" in {p.name for p in programme.pilots}
    assert len(pairs) == len(accepted) == 12
    assert all(p.reasons for p in pairs)
    meetings = db.session.scalars(sa.select(TwinningMeeting)).all()
    assert len(meetings) >= 2
    for meeting in meetings:
        booked = set(db.session.scalars(sa.select(Booking.user_id).where(
            Booking.session_id == meeting.session_id, Booking.status == BookingStatus.CONFIRMED)))
        assert {meeting.application.user_id, *(c.id for c in meeting.pilot.contacts)} <= booked

    delegate = db.session.scalar(sa.select(User).where(User.email == DEMO_LOGINS["accounts"]["delegate"]))
    log_in(client, delegate, DEMO_LOGINS["password"])
    page = client.get("/twinning/").get_data(as_text=True)
    assert "Hamburg" in page and "Twinned with the pilot city" in page
