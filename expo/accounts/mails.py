"""E-mails about the account itself, in its owner's language: links to verify an address and
to choose a new password, and the note that an address already has an account.

They leave when the transaction commits (through the same queue as every other e-mail), so a
link is never sent for a change that was rolled back."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from expo.accounts.models import ROLE_LABELS, User
from expo.core import mail
from expo.core.branding import current_look
from expo.registration.notifications import queue, request_lent, written_for


def _expo() -> str:
    """The expo's name as an administrator set it (Settings → Branding), for subjects."""
    return current_look().display_name


def _message(user: User, template: str, subject: str, *, to: str | None = None, **context: Any) -> mail.Message:
    return mail.Message(to=to or user.email, subject=subject,
                        body=render_template(f"mail/{template}.txt", user=user, **context))


def _send(user: User, template: str, subject: str, *, to: str | None = None, **context: Any) -> None:
    queue(_message(user, template, subject, to=to, **context))


def password_reset(user: User, *, token: str, hours: float) -> None:
    with written_for(user):
        _send(user, "password_reset", _("Choose a new password for %(expo)s", expo=_expo()), token=token, hours=hours)


def verify_email(user: User, *, address: str, token: str, hours: float) -> None:
    """The link goes to the address it verifies (for a change of address, the new one)."""
    with written_for(user):
        _send(user, "verify_email", _("Confirm your e-mail address for %(expo)s", expo=_expo()), to=address, token=token,
              hours=hours, changing=address != user.email)


def account_exists(user: User) -> None:
    """Someone signed up with an address that has an account: its owner is told, not the form."""
    with written_for(user):
        _send(user, "account_exists", _("You already have an account on %(expo)s", expo=_expo()))


def invitation(user: User, *, token: str, inviter: User, days: int) -> None:
    """The link with which an invited person chooses a password."""
    queue(invitation_message(user, token=token, inviter=inviter, days=days))


def invitation_message(user: User, *, token: str, inviter: User, days: int) -> mail.Message:
    """The invitation e-mail itself, in the invited person's language, not yet queued."""
    with written_for(user):
        link = current_app.config["BASE_URL"] + url_for("invitations.accept_invitation", token=token)
        return _message(user, "invitation", _("You are invited to %(expo)s", expo=_expo()), link=link, inviter=inviter,
                        role=ROLE_LABELS[user.role], days=days)


_NAME, _LINK = "\x00name\x00", "\x00link\x00"  # stand-ins no name or link can hold (control characters)
_TOKEN = "expo-invitation-token"  # url_for leaves it as it is, as it leaves a token


class _StandIn:
    """The person as the invitation's text is written for a whole language at once: the name
    is a stand-in, put in per person afterwards; reading anything else of the person is a
    mistake that must not go unnoticed (Jinja would quietly write nothing)."""

    name = _NAME

    def __init__(self, role: Any) -> None:
        self.role = role

    def __getattr__(self, attribute: str) -> Any:
        raise RuntimeError(f"the invitation is written once per language: it may read the name only, not {attribute}")


def invitation_messages(users: Sequence[User], *, tokens: Sequence[str], inviter: User, days: int) -> list[mail.Message]:
    """The invitation e-mails of many people at once (an import), each in its reader's
    language, as ``invitation_message`` writes them: the text is rendered once per language
    and role, and each person's name and link put into it (fifty thousand people, two renders)."""
    written: dict[tuple[str, Any], tuple[str, str, str]] = {}
    messages = []
    with request_lent():
        for user, token in zip(users, tokens):
            key = (user.locale or "en", user.role)
            if key not in written:
                with force_locale(key[0]):
                    link = current_app.config["BASE_URL"] + url_for("invitations.accept_invitation", token=_TOKEN)
                    body = render_template("mail/invitation.txt", user=_StandIn(user.role), link=_LINK, inviter=inviter,
                                           role=ROLE_LABELS[user.role], days=days)
                    written[key] = (_("You are invited to Expo"), body, link)
            subject, body, link = written[key]
            before, _token, after = link.rpartition(_TOKEN)
            values = {_NAME: user.name, _LINK: before + token + after}
            messages.append(mail.Message(to=user.email, subject=subject,
                                         body=_STAND_INS.sub(lambda found: values[found.group(0)], body)))
    return messages


_STAND_INS = re.compile("|".join(map(re.escape, (_NAME, _LINK))))
