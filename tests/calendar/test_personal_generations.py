"""Without Redis each process caches in its own memory; a delegate's own feed must still
follow their booking at once in every process: their generation is a row of the database."""
from __future__ import annotations

import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.core import generations
from expo.core.extensions import db as _db
from expo.programme.models import ProgrammeSession
from expo.registration import services
from expo.registration.models import Booking
from tests.factories import make_registration, make_user
from tests.querycount import count_queries
from tests.registration.conftest import future_event, future_session


def _feed(app, token: str, etag: str | None = None):
    client = app.test_client()
    headers = {"If-None-Match": etag} if etag else {}
    with app.app_context(), count_queries() as log:
        response = client.get(f"/calendar/{token}.ics", headers=headers)
    return response, log.count


def test_a_booking_made_through_one_process_shows_at_once_in_anothers_feed(db, make_app):
    event = future_event(slug="h22-days")
    first = future_session(event, title="Harbour walk")
    second = future_session(event, title="Mobility hubs", start=first.ends_at)
    delegate = make_user(role=Role.DELEGATE, name="Maja Delegate")
    make_registration(event=event, user=delegate)
    db.session.commit()
    token, delegate_id, session_ids = delegate.feed_token, delegate.id, (first.id, second.id)
    # Two processes without Redis: each its own in-process cache, one database.
    web_a, web_b = make_app(), make_app()
    assert not generations.shared_cache() and web_a.config["CACHE_TYPE"] == "SimpleCache"

    def book(app, session_id: int) -> None:
        with app.test_request_context():
            person = _db.session.get(User, delegate_id)
            services.book_session(delegate=person, session=_db.session.get(ProgrammeSession, session_id),
                                  actor=person)
            _db.session.commit()

    book(web_b, session_ids[0])
    served, _ = _feed(web_a, token)
    assert "SUMMARY:Harbour walk" in served.get_data(as_text=True)
    again, queries = _feed(web_a, token, served.headers["ETag"])
    assert again.status_code == 304 and queries == 1  # remembered in A: one look at the generations

    book(web_b, session_ids[1])  # through the other process
    fresh, _ = _feed(web_a, token, served.headers["ETag"])
    assert fresh.status_code == 200
    assert "SUMMARY:Mobility hubs" in fresh.get_data(as_text=True)

    with web_b.test_request_context():  # and cancelled through it
        row = _db.session.scalar(sa.select(Booking).where(Booking.session_id == session_ids[0],
                                                          Booking.user_id == delegate_id))
        services.cancel_booking(booking=row, actor=row.user)
        _db.session.commit()
    after_cancel, _ = _feed(web_a, token, fresh.headers["ETag"])
    assert after_cancel.status_code == 200
    assert "SUMMARY:Harbour walk" not in after_cancel.get_data(as_text=True)
