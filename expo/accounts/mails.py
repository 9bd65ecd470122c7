"""E-mails about the account itself, in its owner's language: links to verify an address and
to choose a new password, and the note that an address already has an account.

They leave when the transaction commits (through the same queue as every other e-mail), so a
link is never sent for a change that was rolled back."""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import gettext as _

from expo.accounts.models import ROLE_LABELS, User
from expo.core import mail
from expo.registration.notifications import queue, written_for


def _send(user: User, template: str, subject: str, *, to: str | None = None, **context: Any) -> None:
    queue(mail.Message(to=to or user.email, subject=subject,
                       body=render_template(f"mail/{template}.txt", user=user, **context)))


def password_reset(user: User, *, token: str, hours: float) -> None:
    with written_for(user):
        _send(user, "password_reset", _("Choose a new password for Expo"), token=token, hours=hours)


def verify_email(user: User, *, address: str, token: str, hours: float) -> None:
    """The link goes to the address it verifies (for a change of address, the new one)."""
    with written_for(user):
        _send(user, "verify_email", _("Confirm your e-mail address for Expo"), to=address, token=token,
              hours=hours, changing=address != user.email)


def account_exists(user: User) -> None:
    """Someone signed up with an address that has an account: its owner is told, not the form."""
    with written_for(user):
        _send(user, "account_exists", _("You already have an Expo account"))


def invitation(user: User, *, token: str, inviter: User, days: int) -> None:
    """The link with which an invited person chooses a password."""
    with written_for(user):
        link = current_app.config["BASE_URL"] + url_for("invitations.accept_invitation", token=token)
        _send(user, "invitation", _("You are invited to Expo"), link=link, inviter=inviter,
              role=ROLE_LABELS[user.role], days=days)
