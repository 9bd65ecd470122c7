"""A delegate who forgot the password gets back in through the e-mailed link, in a real browser."""
from __future__ import annotations

import re

import pytest

from expo.core.branding import current_look
from expo.core.mail import outbox
from tests.factories import PASSWORD, make_user

NEW = "lantern harbour seventeen"


@pytest.mark.e2e
def test_a_forgotten_password_is_reset_from_the_log_in_page(db, page, live_server):
    make_user(email="lena@example.org", name="Lena Lund")
    db.session.commit()
    mails = live_server.app.extensions.setdefault("expo_outbox", [])
    mails.clear()

    page.goto("/account/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("lena@example.org")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If an account has this address").wait_for()
    with live_server.app.app_context():
        sent = list(outbox())
        expo = current_look().display_name  # the live server's, kept in its cache for a minute
    assert [(m.to, m.subject) for m in sent] == [("lena@example.org", f"Choose a new password for {expo}")]
    path = re.search(r"https?://[^/\s]+(/account/password/reset/\S+)", sent[0].body).group(1)

    page.goto(path)
    page.get_by_label(re.compile(r"^New password")).fill("password1234")
    page.get_by_label("Repeat new password").fill("password1234")
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_text("This password is too easy to guess").wait_for()
    page.get_by_label(re.compile(r"^New password")).fill(NEW)
    page.get_by_label("Repeat new password").fill(NEW)
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_text("Your new password is set and you are signed in.").wait_for()

    page.locator("summary", has_text="Lena Lund").click()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.wait_for()
    page.goto(path)
    page.get_by_text("This link has expired or was used already.").wait_for()
    page.goto("/account/login")
    page.get_by_label("E-mail").fill("lena@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("E-mail or password is not right.").wait_for()
    page.get_by_label("Password").fill(NEW)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Lena Lund.").wait_for()
