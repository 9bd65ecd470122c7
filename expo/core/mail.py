"""Outgoing e-mail: SMTP in production, the console in development, an outbox in tests."""
from __future__ import annotations

import logging
import smtplib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from flask import current_app

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

    def as_email(self, sender: str) -> EmailMessage:
        email = EmailMessage()
        email["From"] = sender
        email["To"] = self.to
        email["Subject"] = self.subject
        email.set_content(self.body)
        for item in self.attachments:
            maintype, _, rest = item.mimetype.partition("/")
            subtype, *params = [p.strip() for p in rest.split(";")]
            extra = dict(p.split("=", 1) for p in params if "=" in p)
            email.add_attachment(
                item.content, maintype=maintype, subtype=subtype, filename=item.filename, params=extra
            )
        return email


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
    config = current_app.config
    if config.get("TESTING"):
        outbox().extend(messages)
        return
    if not config.get("MAIL_SERVER"):
        for message in messages:
            print_to_console(message, sender=config["MAIL_DEFAULT_SENDER"])
        return
    per_connection = max(config.get("MAIL_MESSAGES_PER_CONNECTION") or 1, 1)
    for start in range(0, len(messages), per_connection):
        with _connect(config) as smtp:
            for message in messages[start:start + per_connection]:
                try:
                    smtp.send_message(message.as_email(config["MAIL_DEFAULT_SENDER"]))
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError):
                    logger.exception("the mail server refused the e-mail to %s", message.to)


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
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp
