"""What one booking and one cancellation cost: a fixed, small number of SQL statements."""
from __future__ import annotations

from expo.accounts.models import Role
from expo.core.generations import schedule_generation
from tests.querycount import count_queries
from tests.registration.conftest import future_session, registered


def test_booking_and_cancelling_send_few_statements(client, db, login_as, event):
    session = future_session(event, capacity=10)
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    before = schedule_generation()
    with count_queries() as booked:
        assert client.post(f"/sessions/{session.id}/book").status_code == 302
    with count_queries() as cancelled:
        assert client.post(f"/sessions/{session.id}/cancel-booking").status_code == 302
    # Who is signed in, the registration and the session read once each under their locks, the
    # delegate's bookings with the seat counts, the write, the delegate's own generation (kept in
    # the database where no cache is shared, as here), the e-mail's session details (one
    # statement) and its row, and (in the test suite, at once) its delivery: nothing grows with
    # the data. A cancellation reads the session once, under its lock, and the booking once,
    # with the seat counts.
    assert booked.count <= 13, str(booked)
    assert cancelled.count <= 11, str(cancelled)
    # Only the delegate's own generation moves; the schedule's does not, so no booking waits
    # for another session's booking.
    for log in (booked, cancelled):
        assert sum("INSERT INTO cache_generations" in s for s in log.statements) == 1, str(log)
    assert schedule_generation() == before
