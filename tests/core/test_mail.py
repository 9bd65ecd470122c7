"""Outgoing e-mail over SMTP, against a small mail server on 127.0.0.1."""
from __future__ import annotations

import logging

from expo.core import mail


def messages(n: int) -> list[mail.Message]:
    return [mail.Message(to=f"delegate{i}@example.org", subject=f"Note {i}", body=f"Hello {i}") for i in range(n)]


def test_many_messages_share_one_connection(smtp_app, smtp_server):
    with smtp_app().app_context():
        mail.send_all(messages(30))
    assert smtp_server.connections == 1
    assert [recipients for _conn, recipients, _m in smtp_server.received] == [
        [f"delegate{i}@example.org"] for i in range(30)]
    _conn, _rcpt, first = smtp_server.received[0]
    assert (first["From"], first["To"], first["Subject"]) == ("Expo <noreply@expo.test>", "delegate0@example.org",
                                                             "Note 0")
    text, html = first.get_payload()
    assert text.get_payload().strip() == "Hello 0"
    assert html.get_content_type() == "text/html" and "Hello 0" in html.get_payload(decode=True).decode()


def test_a_connection_carries_at_most_the_configured_number_of_messages(smtp_app, smtp_server):
    with smtp_app(MAIL_MESSAGES_PER_CONNECTION=2).app_context():
        mail.send_all(messages(5))
    assert smtp_server.connections == 3
    assert [conn for conn, _rcpt, _m in smtp_server.received] == [1, 1, 2, 2, 3]


def test_a_refused_address_does_not_stop_the_others(smtp_app, smtp_server, caplog):
    smtp_server.refuse.add("delegate1@example.org")
    with smtp_app().app_context(), caplog.at_level(logging.ERROR, logger="expo.core.mail"):
        mail.send_all(messages(3))
    assert [r for _c, r, _m in smtp_server.received] == [["delegate0@example.org"], ["delegate2@example.org"]]
    assert smtp_server.connections == 1
    assert "refused the e-mail to delegate1@example.org" in caplog.text


def test_nothing_to_send_opens_no_connection(smtp_app, smtp_server):
    with smtp_app().app_context():
        mail.send_all([])
    assert smtp_server.connections == 0


def test_without_a_server_every_message_is_printed_whole_to_the_console(make_app, capsys):
    message = mail.Message(to="ana@porto.example", subject="Your booking",
                           body="Hello Ana,\n\nhttp://expo.test/account/verify/abc\n",
                           attachments=[mail.Attachment("session.ics", b"BEGIN:VCALENDAR", "text/calendar")])
    with make_app(TESTING=False, MAIL_SERVER=None, MAIL_DEFAULT_SENDER="Expo <noreply@expo.test>").app_context():
        mail.send_all([message, messages(1)[0]])
    printed = capsys.readouterr().err
    assert printed.count("----- end of e-mail -----") == 2
    first = printed.split("----- end of e-mail -----")[0]
    assert first.splitlines()[1:] == [
        "From: Expo <noreply@expo.test>",
        "To: ana@porto.example",
        "Subject: Your booking",
        "Attachment: session.ics (text/calendar, 15 bytes)",
        "",
        "Hello Ana,",
        "",
        "http://expo.test/account/verify/abc",
    ]
    assert "To: delegate0@example.org\nSubject: Note 0\n\nHello 0" in printed
