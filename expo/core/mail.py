"""Outgoing e-mail: SMTP in production, the console in development, an outbox in tests."""
from __future__ import annotations

import logging
import smtplib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache
from typing import Any

from flask import current_app

from expo.core.branding import Look, current_look, mail_html

logger = logging.getLogger("expo.core.mail")


@dataclass
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # e.g. "text/calendar; method=REQUEST"


@dataclass
class Message:
    to: str
    subject: str
    body: str
    attachments: list[Attachment] = field(default_factory=list)

    def as_email(self, sender: str, look: Look | None = None) -> EmailMessage:
        """The message as sent: its text, and with ``look`` an HTML version in the expo's colours."""
        email = EmailMessage()
        email["From"] = one_line(sender)
        email["To"] = one_line(self.to)
        email["Subject"] = one_line(self.subject)
        email.set_content(self.body)
        if look is not None:
            email.add_alternative(mail_html(self.subject, self.body, look), subtype="html")
        for item in self.attachments:
            maintype, _, rest = item.mimetype.partition("/")
            subtype, *params = [p.strip() for p in rest.split(";")]
            extra = dict(p.split("=", 1) for p in params if "=" in p)
            email.add_attachment(
                item.content, maintype=maintype, subtype=subtype, filename=item.filename, params=extra
            )
        return email


def sender_for(configured: str, look: Look | None = None) -> str:
    """The sender as e-mails name it: the configured address under the expo's own name, once an
    administrator has named it (the configured display name until then)."""
    look = look if look is not None else current_look()
    return _named_sender(configured, look.name)


@lru_cache(maxsize=32)
def _named_sender(configured: str, name: str | None) -> str:
    _name, address = parseaddr(configured)
    if not name or not address:
        return configured
    # Quoted, not RFC 2047-encoded: the e-mail policy would split an encoded name at a comma.
    return str(Address(display_name=one_line(name), addr_spec=address))


def one_line(value: str) -> str:
    """A header value on one line: a session title typed with a line break would otherwise make
    the e-mail refuse to be built (and a header could be smuggled in)."""
    return " ".join(value.split())


def outbox() -> list[Message]:
    """Messages captured while TESTING is on."""
    return current_app.extensions.setdefault("expo_outbox", [])


def send(message: Message) -> None:
    """Deliver one message now."""
    send_all([message])


def send_all(messages: Sequence[Message]) -> None:
    """Deliver messages now, sharing SMTP connections (MAIL_MESSAGES_PER_CONNECTION on each)
    instead of opening one for every message. A message the server refuses is logged and the
    others still go; a connection that fails raises (an OSError)."""
    with Delivery() as delivery:
        for message in messages:
            try:
                delivery.send(message)
            except Refused:
                logger.exception("the mail server refused the e-mail to %s", message.to)


class Refused(Exception):
    """The mail server (or the message itself) refused this one message: trying it again the
    same way would fail again, while the others can still go."""


class Delivery:
    """Sends messages one by one over shared SMTP connections, opened only when a message is
    sent (MAIL_MESSAGES_PER_CONNECTION on each). ``send`` raises ``Refused`` for one message
    that cannot go, and an OSError (``smtplib.SMTPException`` included) when the server is
    unreachable, slow past the time-out or drops the connection."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.per_connection = max(self.config.get("MAIL_MESSAGES_PER_CONNECTION") or 1, 1)
        self._smtp: smtplib.SMTP | None = None
        self._sent_on_connection = 0

    def __enter__(self) -> Delivery:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def send(self, message: Message) -> None:
        config = self.config
        if config.get("TESTING"):
            outbox().append(message)
            return
        if not config.get("MAIL_SERVER"):
            print_to_console(message, sender=sender_for(config["MAIL_DEFAULT_SENDER"]))
            return
        try:
            look = current_look()
            email = message.as_email(sender_for(config["MAIL_DEFAULT_SENDER"], look), look)
        except (ValueError, TypeError) as error:
            raise Refused(f"the e-mail could not be built: {error}") from error
        if self._smtp is None or self._sent_on_connection >= self.per_connection:
            self._close()
            self._smtp = _connect(config)
            self._sent_on_connection = 0
        try:
            self._smtp.send_message(email)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if _is_temporary(error):
                self._close()
                raise
            raise Refused(str(error)) from error
        except BaseException:
            self._close()
            raise
        self._sent_on_connection += 1

    def _close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _is_temporary(error: smtplib.SMTPException) -> bool:
    """4xx answers (mailbox busy, try later) are worth another try; 5xx are final."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
    else:
        codes = [getattr(error, "smtp_code", 500)]
    return bool(codes) and all(400 <= code < 500 for code in codes)


def print_to_console(message: Message, *, sender: str) -> None:
    """Without a mail server (development), the whole e-mail goes to the server's console, so
    the links in it (verification, a new password) can be followed."""
    lines = [
        "----- e-mail (no EXPO_MAIL_SERVER set: printed, not sent) -----",
        f"From: {sender}",
        f"To: {message.to}",
        f"Subject: {message.subject}",
        *(f"Attachment: {item.filename} ({item.mimetype}, {len(item.content)} bytes)"
          for item in message.attachments),
        "",
        message.body.rstrip("\n"),
        "----- end of e-mail -----",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 20))
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp
