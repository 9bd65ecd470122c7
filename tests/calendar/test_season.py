"""A delegate's season, replayed step by step: after each change, what their subscribed feed
shows of the session (UID, SEQUENCE, LAST-MODIFIED, STATUS) and which invitations (RFC 5546)
they were sent. Every message for one UID must outrank the one before, or calendars ignore it."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from expo.accounts.models import Role
from expo.calendar.ical import session_uid
from expo.core.extensions import db
from expo.events import services as events
from expo.programme import services as programme
from expo.registration.models import Booking
from expo.venues.services import update_room
from tests.calendar.helpers import by_uid, parse
from tests.conftest import log_in
from tests.factories import make_room, make_user
from tests.registration.conftest import at, future_event, future_session, registered


class Season:
    """The delegate's client, their feed and the invitations they received, read step by step."""

    def __init__(self, app, client, outbox, delegate):
        self.app, self.client, self.outbox, self.delegate = app, client, outbox, delegate
        self.sequences: dict[str, list[tuple[str, int]]] = {}  # UID: [(METHOD, SEQUENCE) …] in order

    def feed(self) -> dict:
        response = self.client.get(f"/calendar/{self.delegate.feed_token}.ics")
        assert response.status_code == 200
        calendar = parse(response.data)
        return {uid: (event["SEQUENCE"], event.decoded("LAST-MODIFIED"), str(event["STATUS"]))
                for uid, event in by_uid(calendar).items()}

    def invitations(self) -> list[tuple[str, str, int, str]]:
        """(METHOD, UID, SEQUENCE, STATUS) of each calendar attachment sent since the last
        call, each message holding at most one; checks that SEQUENCE rose for every UID."""
        found = []
        for message in self.outbox:
            assert message.to == self.delegate.email
            calendars = [a for a in message.attachments if a.mimetype.startswith("text/calendar")]
            assert len(calendars) <= 1
            for attachment in calendars:
                calendar = parse(attachment.content)
                [event] = calendar.walk("VEVENT")
                method, uid = str(calendar["METHOD"]), str(event["UID"])
                assert f"method={method}" in attachment.mimetype
                found.append((method, uid, int(event["SEQUENCE"]), str(event["STATUS"])))
                earlier = self.sequences.setdefault(uid, [])
                assert not earlier or earlier[-1][1] < int(event["SEQUENCE"]), (earlier, found[-1])
                earlier.append((method, int(event["SEQUENCE"])))
        self.outbox.clear()
        return found

    def as_organiser(self, action) -> None:
        with self.app.test_request_context():
            action()
            db.session.commit()


def _moved(session, hours: int) -> programme.SessionData:
    data = programme.SessionData.from_session(session)
    return replace(data, starts_at=session.starts_at + timedelta(hours=hours),
                   ends_at=session.ends_at + timedelta(hours=hours))


@pytest.fixture
def season(app, client, outbox, db):
    event = future_event(name="H22 City Expo Days", slug="h22-days")
    delegate = registered(event, name="Ada Delegate")
    db.session.commit()
    log_in(client, delegate)
    outbox.clear()
    return Season(app, client, outbox, delegate)


def test_a_delegates_season_in_feed_and_invitations(season, db):
    from expo.events.models import Event

    organiser = make_user(role=Role.ORGANISER)
    event = db.session.scalar(db.select(Event).where(Event.slug == "h22-days"))
    session = future_session(event, title="Harbour walk", start=at(8), room=make_room(name="Hall"))
    keynote = future_session(event, title="Keynote", start=at(12))
    db.session.commit()
    uid, keynote_uid = session_uid(session), session_uid(keynote)

    # 1. Book both: a REQUEST each, SEQUENCE 0, and the feed shows them CONFIRMED.
    assert season.client.post(f"/sessions/{session.id}/book").status_code == 302
    assert season.client.post(f"/sessions/{keynote.id}/book").status_code == 302
    assert season.invitations() == [("REQUEST", uid, 0, "CONFIRMED"), ("REQUEST", keynote_uid, 0, "CONFIRMED")]
    seq, booked_at, status = season.feed()[uid]
    assert (seq, status) == (0, "CONFIRMED")

    # 2. The organisers move the session: a REQUEST with a higher SEQUENCE and the new time.
    season.as_organiser(lambda: programme.update_session(
        session=db.session.merge(session), data=_moved(session, 1), actor=organiser, confirm=True))
    assert season.invitations() == [("REQUEST", uid, 1, "CONFIRMED")]
    seq, moved_at, status = season.feed()[uid]
    assert (seq, status) == (1, "CONFIRMED") and moved_at >= booked_at

    # 3. Its room is renamed: the place reads differently, so feed and invitation follow.
    session = db.session.merge(session)
    season.as_organiser(lambda: update_room(room=session.room, name="Ballroom", capacity=100, actor=organiser))
    assert season.invitations() == [("REQUEST", uid, 2, "CONFIRMED")]
    seq, renamed_at, status = season.feed()[uid]
    assert (seq, status) == (2, "CONFIRMED") and renamed_at >= moved_at
    feed = parse(season.client.get(f"/calendar/{season.delegate.feed_token}.ics").data)
    assert "Ballroom" in str(by_uid(feed)[uid]["LOCATION"])

    # 4. The session is cancelled: a CANCEL above every REQUEST; the feed keeps it, CANCELLED.
    season.as_organiser(lambda: programme.cancel_session(session=db.session.merge(session), actor=organiser, confirm=True))
    [(method, cancelled_uid, cancel_seq, cancel_status)] = season.invitations()
    assert (method, cancelled_uid, cancel_status) == ("CANCEL", uid, "CANCELLED") and cancel_seq > 2
    seq, cancelled_at, status = season.feed()[uid]
    assert (seq, status) == (cancel_seq, "CANCELLED") and cancelled_at >= renamed_at

    # 5. It is restored and booked again: a REQUEST that outranks the CANCEL.
    season.as_organiser(lambda: programme.restore_session(session=db.session.merge(session), actor=organiser,
                                                          confirm=True, give_back=False))
    assert season.invitations() == []  # nobody holds a seat in it any more
    assert season.client.post(f"/sessions/{session.id}/book").status_code == 302
    [(method, _uid, rebook_seq, rebook_status)] = season.invitations()
    assert (method, rebook_status) == ("REQUEST", "CONFIRMED") and rebook_seq > cancel_seq
    seq, rebooked_at, status = season.feed()[uid]
    assert (seq, status) == (rebook_seq, "CONFIRMED") and rebooked_at >= cancelled_at

    # 6. The delegate gives the seat up: a CANCEL above that REQUEST; the feed drops it.
    assert season.client.post(f"/sessions/{session.id}/cancel-booking").status_code == 302
    [(method, _uid, own_seq, own_status)] = season.invitations()
    assert (method, own_status) == ("CANCEL", "CANCELLED") and own_seq > rebook_seq
    assert uid not in season.feed()
    keynote_seq = season.feed()[keynote_uid][0]
    assert keynote_seq == 0

    # 7. The event is unpublished: the kept keynote seat is cancelled in the calendar.
    season.as_organiser(lambda: events.unpublish_event(event=db.session.merge(event), actor=organiser, confirm=True))
    [(method, withdrawn_uid, withdrawn_seq, withdrawn_status)] = season.invitations()
    assert (method, withdrawn_uid, withdrawn_status) == ("CANCEL", keynote_uid, "CANCELLED")
    assert withdrawn_seq > keynote_seq
    assert season.feed() == {}

    # …and published again: the keynote is invited anew, above its CANCEL; the booking stood.
    season.as_organiser(lambda: events.publish_event(event=db.session.merge(event), actor=organiser))
    [(method, back_uid, back_seq, back_status)] = season.invitations()
    assert (method, back_uid, back_status) == ("REQUEST", keynote_uid, "CONFIRMED") and back_seq > withdrawn_seq
    assert season.feed()[keynote_uid][0] == back_seq
    assert db.session.scalar(db.select(Booking.status).where(Booking.session_id == keynote.id)).value == "confirmed"
