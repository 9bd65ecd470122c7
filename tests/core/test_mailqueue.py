"""E-mail leaves through jobs: stored with the change, sent after the commit, tried again with
back-off while the mail server is down, given up into the failed list organisers see, sent once
to each recipient whatever happens, and never able to break the request that caused it."""
from __future__ import annotations

import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core import jobs, mail, mailqueue
from expo.core.mailqueue import MailStatus, OutgoingMail
from expo.registration import services
from tests.conftest import log_in
from tests.factories import make_user
from tests.registration.conftest import at, future_event, future_session, registered


def _rows(db) -> list[OutgoingMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutgoingMail).order_by(OutgoingMail.id)))


def _book_through_the_site(app, session_id: int, user) -> int:
    client = app.test_client()
    log_in(client, user)
    return client.post(f"/sessions/{session_id}/book").status_code


def _message(to: str, subject: str = "Hello") -> mail.Message:
    return mail.Message(to=to, subject=subject, body="Body")


def test_a_session_title_with_a_line_break_books_and_mails_on_one_line(db, smtp_app, smtp_server):
    event = future_event()
    session = future_session(event, title="Harbour\nwalk\r\nat dawn", start=at(9))
    user = registered(event)
    db.session.commit()

    assert _book_through_the_site(smtp_app(), session.id, user) == 302

    [(_conn, [recipient], message)] = smtp_server.received
    assert recipient == user.email
    assert message["Subject"] == "Booking confirmed: Harbour walk at dawn"
    assert [row.status for row in _rows(db)] == [MailStatus.SENT]


def test_mail_is_stored_with_the_change_and_dropped_with_a_rollback(db, outbox):
    event = future_event()
    session = future_session(event, title="Mobility hubs")
    user = registered(event)
    db.session.commit()
    outbox.clear()

    services.book_session(delegate=user, session=session, actor=user)
    db.session.rollback()
    assert outbox == [] and _rows(db) == []

    services.book_session(delegate=user, session=session, actor=user)
    db.session.commit()
    [row] = _rows(db)
    # Stored as the facts of the booking, written by the job that sent it.
    assert (row.recipient, row.kind, row.status, row.attempts) == (user.email, "booking", MailStatus.SENT, 1)
    assert row.facts["template"] == "booking_confirmed" and row.message().subject == "Booking confirmed: Mobility hubs"
    [message] = outbox
    assert message.attachments[0].filename == "invite.ics"
    assert b"BEGIN:VCALENDAR" in message.attachments[0].content


def test_a_slow_mail_server_does_not_hold_up_booking(db, smtp_app, smtp_server):
    event = future_event()
    session = future_session(event, title="Mobility hubs")
    user = registered(event)
    db.session.commit()
    app = smtp_app(JOB_QUEUE="thread", MAIL_TIMEOUT=30)
    smtp_server.hold.clear()  # the server takes the connection but does not answer yet

    assert _book_through_the_site(app, session.id, user) == 302
    assert smtp_server.received == []  # the booking answered while the server was still silent
    [row] = _rows(db)
    assert row.status is MailStatus.QUEUED

    smtp_server.hold.set()
    assert jobs.thread_runner(app).wait_idle()
    assert [recipients for _c, recipients, _m in smtp_server.received] == [[user.email]]
    assert [row.status for row in _rows(db)] == [MailStatus.SENT]


def test_a_mail_server_that_is_down_is_tried_again_with_back_off(db, smtp_app, smtp_server):
    event = future_event()
    session = future_session(event, title="Mobility hubs")
    user = registered(event)
    db.session.commit()
    app = smtp_app(JOB_QUEUE="thread", JOB_RETRY_INTERVALS=(0.05, 0.1, 0.2))
    smtp_server.unavailable = 2  # "421 not available" twice, then it serves

    assert _book_through_the_site(app, session.id, user) == 302
    assert jobs.thread_runner(app).wait_idle()

    assert smtp_server.connections == 3
    assert [recipients for _c, recipients, _m in smtp_server.received] == [[user.email]]
    [row] = _rows(db)
    assert (row.status, row.attempts) == (MailStatus.SENT, 3)
    assert "421" in row.last_error


def test_after_the_last_try_the_mail_is_failed_and_sent_again_on_request(db, smtp_app, smtp_server, make_app):
    db.session.add(OutgoingMail.of(_message("ana@example.org", "Session changed: Harbour walk")))
    db.session.commit()
    [row] = _rows(db)
    app = smtp_app(JOB_QUEUE="thread", JOB_RETRY_INTERVALS=(0.05, 0.05))
    smtp_server.unavailable = 3

    with app.app_context():
        jobs.enqueue(mailqueue.deliver, [row.id])
    assert jobs.thread_runner(app).wait_idle()
    [row] = _rows(db)
    assert (row.status, row.attempts, smtp_server.received) == (MailStatus.FAILED, 3, [])
    assert row.failed_at is not None and "421" in row.last_error

    with app.app_context():
        assert mailqueue.send_again([row.id]) == 1
        mailqueue.db.session.commit()
    assert jobs.thread_runner(app).wait_idle()
    assert [recipients for _c, recipients, _m in smtp_server.received] == [["ana@example.org"]]
    assert _rows(db)[0].status is MailStatus.SENT


def test_a_retry_never_sends_a_recipient_the_same_mail_twice(db, smtp_app, smtp_server):
    db.session.add_all(OutgoingMail.of(_message(f"{name}@example.org")) for name in ("ana", "ben", "cai"))
    db.session.commit()
    ids = [row.id for row in _rows(db)]
    app = smtp_app(JOB_QUEUE="thread", JOB_RETRY_INTERVALS=(0.05,))
    smtp_server.busy_once.add("ben@")  # ana goes, ben gets "451 try later", the job stops there

    with app.app_context():
        jobs.enqueue(mailqueue.deliver, ids)
        jobs.enqueue(mailqueue.deliver, ids)  # the same batch twice, as a second worker might
    assert jobs.thread_runner(app).wait_idle()

    delivered = sorted(r for _c, [r], _m in smtp_server.received)
    assert delivered == ["ana@example.org", "ben@example.org", "cai@example.org"]
    assert {row.status for row in _rows(db)} == {MailStatus.SENT}


def test_a_refused_address_is_failed_at_once_and_the_others_still_go(db, smtp_app, smtp_server):
    db.session.add_all(OutgoingMail.of(_message(f"{name}@example.org")) for name in ("ana", "gone", "cai"))
    db.session.commit()
    ids = [row.id for row in _rows(db)]
    smtp_server.refuse.add("gone@")

    with smtp_app().app_context():
        mailqueue.deliver(ids)

    assert sorted(r for _c, [r], _m in smtp_server.received) == ["ana@example.org", "cai@example.org"]
    statuses = {row.recipient: (row.status, row.attempts) for row in _rows(db)}
    assert statuses == {"ana@example.org": (MailStatus.SENT, 1), "gone@example.org": (MailStatus.FAILED, 1),
                        "cai@example.org": (MailStatus.SENT, 1)}
    assert "550" in next(r.last_error for r in _rows(db) if r.status is MailStatus.FAILED)


def test_a_moved_session_tells_its_delegates_in_batched_jobs(db, smtp_app, smtp_server):
    from expo.core.extensions import db as _db
    from expo.programme.models import ProgrammeSession
    from expo.registration.services import session_changed

    event = future_event()
    session = future_session(event, title="Mobility hubs", capacity=50)
    delegates = [registered(event) for _ in range(5)]
    for d in delegates:
        services.book_session(delegate=d, session=session, actor=d)
    db.session.commit()
    # Read now: outside the test's own application context these would load through the other app.
    emails, session_id = sorted(d.email for d in delegates), session.id

    app = smtp_app(MAIL_MESSAGES_PER_CONNECTION=2)
    with app.app_context(), app.test_request_context():
        moved = _db.session.get(ProgrammeSession, session_id)
        session_changed(moved, {"starts_at": {"old": "08:00", "new": "09:00"}})
        _db.session.commit()

    # One job (and connection) for each batch of MAIL_MESSAGES_PER_CONNECTION.
    assert [conn for conn, _r, _m in smtp_server.received] == [1, 1, 2, 2, 3]
    assert sorted(r for _c, [r], _m in smtp_server.received) == emails


def test_organisers_see_failed_mail_and_send_it_again(db, client, login_as, outbox):
    failed = OutgoingMail.of(_message("ana@example.org", "Session cancelled: Harbour walk"))
    failed.give_up("SMTPRecipientsRefused: 550 no such mailbox")
    failed.attempts = 6
    db.session.add_all([failed, OutgoingMail.of(_message("ben@example.org"))])
    db.session.commit()
    login_as(Role.ORGANISER)

    page = client.get("/manage/mail").get_data(as_text=True)
    assert "ana@example.org" in page and "Session cancelled: Harbour walk" in page
    assert "550 no such mailbox" in page
    assert "ben@example.org" not in page  # still waiting, not failed
    assert "1 e-mail waiting to be sent" in page

    response = client.post("/manage/mail/send-again", data={"ids": [str(failed.id)]})
    assert response.status_code == 302
    assert [(m.to, m.subject) for m in outbox] == [("ana@example.org", "Session cancelled: Harbour walk")]
    db.session.refresh(failed)
    assert failed.status is MailStatus.SENT
    page = client.get(response.location, follow_redirects=True).get_data(as_text=True)
    assert "1 e-mail is on its way again." in page and "No e-mail has failed." in page

    # Sending again what was sent meanwhile sends nothing.
    client.post("/manage/mail/send-again", data={"ids": [str(failed.id)]})
    assert len(outbox) == 1


def test_the_failed_list_is_for_organisers_only(db, client, login_as):
    failed = OutgoingMail.of(_message("ana@example.org", "Private"))
    failed.give_up("refused")
    db.session.add(failed)
    db.session.commit()
    login_as(Role.STAFF)
    assert client.get("/manage/mail").status_code == 403
    assert client.post("/manage/mail/send-again", data={"ids": [str(failed.id)]}).status_code == 403
    assert _rows(db)[0].status is MailStatus.FAILED


def test_send_again_refuses_ids_that_are_not_ids(db, client, login_as):
    login_as(Role.ORGANISER)
    response = client.post("/manage/mail/send-again", data={"ids": ["abc"]}, follow_redirects=True)
    assert response.status_code == 200
    response = client.post("/manage/mail/send-again", data={"ids": ["99999999999"]}, follow_redirects=True)
    assert "Unknown e-mail." in response.get_data(as_text=True)


def test_organisers_send_mail_that_waited_too_long_without_a_worker(db, client, login_as, outbox):
    from datetime import timedelta

    from expo.core.timeutil import utcnow

    stale = OutgoingMail.of(_message("ana@example.org", "Booking confirmed: Harbour walk"))
    stale.created_at = utcnow() - timedelta(minutes=30)
    db.session.add_all([stale, OutgoingMail.of(_message("ben@example.org"))])
    db.session.commit()
    login_as(Role.ORGANISER)

    page = client.get("/manage/mail").get_data(as_text=True)
    assert "1 e-mail has waited more than 10 minutes" in page

    client.post("/manage/mail/send-waiting")
    assert [m.to for m in outbox] == ["ana@example.org"]
    assert [row.status for row in _rows(db)] == [MailStatus.SENT, MailStatus.QUEUED]
    assert "waited more than" not in client.get("/manage/mail").get_data(as_text=True)


def test_many_mails_stored_at_once_are_sent_by_the_one_job_for_fresh_mail(db, smtp_app, smtp_server):
    from expo.core.extensions import db as _db

    app = smtp_app(JOB_QUEUE="thread", MAIL_MESSAGES_PER_CONNECTION=2)
    recipients = [f"invited{n}@example.org" for n in range(5)]
    with app.app_context():
        mailqueue.store_now([_message(to) for to in recipients])
        assert _db.session.info.get(jobs._AFTER_COMMIT_KEY) == [
            (jobs._Unique(mailqueue.deliver_fresh, mailqueue.FRESH_JOB), ())]  # no ids held until the commit
        _db.session.commit()
        assert jobs.thread_runner(app).wait_idle()
    assert sorted(r for _c, [r], _m in smtp_server.received) == recipients
    assert [conn for conn, _r, _m in smtp_server.received] == [1, 1, 2, 2, 3]  # a batch per connection
    assert {(row.status, row.attempts) for row in _rows(db)} == {(MailStatus.SENT, 1)}


def test_mail_of_a_long_transaction_committed_behind_the_fresh_mail_job_is_sent_by_the_next(
        db, smtp_app, smtp_server, monkeypatch):
    from expo.core.extensions import db as _db

    app = smtp_app(JOB_QUEUE="thread")
    runner = jobs.thread_runner(app)
    with app.app_context():
        runner.paused = True
        mailqueue.store_now([_message("early@example.org"), _message("later@example.org")])
        _db.session.commit()
        early, later = _db.session.scalars(sa.select(OutgoingMail.id).order_by(OutgoingMail.id)).all()
        # The first stands for an import's invitation: numbered first, committed (its own job
        # refused, since the running job holds the key) only once the job has sent the second.
        _db.session.execute(sa.delete(OutgoingMail).where(OutgoingMail.id == early))
        _db.session.commit()
        deliver = mailqueue._deliver

        def deliver_then_commit_the_earlier(ids, delivery, lent):
            deliver(ids, delivery, lent)
            if later in ids:
                _db.session.execute(sa.insert(OutgoingMail).values(
                    id=early, **OutgoingMail.values(_message("early@example.org"))))
                _db.session.commit()

        monkeypatch.setattr(mailqueue, "_deliver", deliver_then_commit_the_earlier)
        runner.resume()
        assert runner.wait_idle()
    assert [r for _c, [r], _m in smtp_server.received] == ["later@example.org", "early@example.org"]
    assert {row.status for row in _rows(db)} == {MailStatus.SENT}
