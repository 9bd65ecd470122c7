"""Outgoing e-mail: SMTP in production, the log in development, an outbox in tests."""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

from flask import current_app

logger = logging.getLogger("expo.mail")


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
    config = current_app.config
    if config.get("TESTING"):
        outbox().append(message)
        return
    if not config.get("MAIL_SERVER"):
        logger.info("E-mail to %s: %s\n%s", message.to, message.subject, message.body)
        return
    email = message.as_email(config["MAIL_DEFAULT_SENDER"])
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
