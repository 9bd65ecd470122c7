"""Password reset by e-mail: the same answer for every address, a signed link that works once
and expires, throttled requests, and every other session ended."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner

from expo.accounts import services
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user

NEW = "lantern harbour seventeen"


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/account/password/reset/\S+)", message.body).group(1)


def _signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def test_the_log_in_page_links_to_the_reset(client):
    page = client.get("/account/login").get_data(as_text=True)
    assert 'href="/account/password/forgot"' in page and "Forgot your password?" in page


def test_known_and_unknown_addresses_get_the_same_answer(client, db, outbox):
    make_user(email="lena@example.org", name="Lena Lund")
    db.session.commit()

    known = client.post("/account/password/forgot", data={"email": "LENA@example.org"}, follow_redirects=True)
    unknown = client.post("/account/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)

    assert known.status_code == unknown.status_code == 200
    flash = "If an account has this address, an e-mail with a link to choose a new password is on its way."
    assert flash in known.get_data(as_text=True) and flash in unknown.get_data(as_text=True)
    assert [(m.to, m.subject) for m in outbox] == [("lena@example.org", "Choose a new password for Expo")]
    assert "Hello Lena Lund," in outbox[0].body and "within 1 hour" in outbox[0].body


def test_the_link_sets_a_new_password_signs_in_and_ends_every_other_session(app, db, outbox):
    user = make_user(email="lena@example.org")
    db.session.commit()
    elsewhere, here = app.test_client(), app.test_client()
    elsewhere.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    here.post("/account/password/forgot", data={"email": user.email})
    link = _link(outbox[-1])

    assert "Choose a new password" in here.get(link).get_data(as_text=True)
    response = here.post(link, data={"new_password": NEW, "confirm": NEW})

    assert response.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    elsewhere.delete_cookie("session")  # the "keep me signed in" cookie alone does not sign in either
    assert not _signed_in(elsewhere)
    db.session.refresh(user)
    assert user.check_password(NEW) and not user.check_password(PASSWORD)


def test_the_link_works_once(client, db, outbox):
    user = make_user()
    db.session.commit()
    client.post("/account/password/forgot", data={"email": user.email})
    link = _link(outbox[-1])
    client.post(link, data={"new_password": NEW, "confirm": NEW})
    client.post("/account/logout")

    again = client.post(link, data={"new_password": "another fine sentence", "confirm": "another fine sentence"})

    assert "This link has expired or was used already." in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(NEW)


def test_the_link_expires_after_an_hour(client, db, outbox, monkeypatch):
    user = make_user()
    db.session.commit()
    client.post("/account/password/forgot", data={"email": user.email})
    link = _link(outbox[-1])
    now = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: now(self) + int(timedelta(hours=1, seconds=5).total_seconds()))

    response = client.post(link, data={"new_password": NEW, "confirm": NEW})

    assert "This link has expired or was used already." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("token", ["junk", "a" * 300, "eyJ4IjoxfQ.abc.def"])
def test_a_forged_link_changes_nothing(client, db, token):
    user = make_user()
    db.session.commit()
    response = client.post(f"/account/password/reset/{token}", data={"new_password": NEW, "confirm": NEW})
    assert response.status_code == 200
    assert "This link has expired or was used already." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_weak_new_password_is_refused(client, db, outbox):
    user = make_user(email="lena.lund@example.org")
    db.session.commit()
    client.post("/account/password/forgot", data={"email": user.email})
    response = client.post(_link(outbox[-1]), data={"new_password": "password1234", "confirm": "password1234"})
    assert "This password is too easy to guess" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_the_reset_verifies_the_address_it_reached(db, outbox):
    user = make_user(email_verified_at=None)
    services.request_password_reset(email=user.email)
    db.session.commit()
    token = _link(outbox[-1]).rsplit("/", 1)[1]

    services.reset_password(token=token, new=NEW)

    assert user.email_verified_at is not None


def test_reset_requests_are_throttled_per_address_asked_for(make_app):
    throttled = make_app(RATELIMIT_ENABLED=True, PASSWORD_RESET_EMAIL_RATE_LIMIT="2 per hour")
    client = throttled.test_client()
    codes = [client.post("/account/password/forgot", data={"email": "lena@example.org"}).status_code
             for _ in range(3)]
    other = client.post("/account/password/forgot", data={"email": "sam@example.org"}).status_code
    assert (codes, other) == ([302, 302, 429], 302)


def test_reset_requests_are_throttled_per_client_address(make_app):
    throttled = make_app(RATELIMIT_ENABLED=True, PASSWORD_RESET_RATE_LIMIT="2 per hour")
    client = throttled.test_client()
    codes = [client.post("/account/password/forgot", data={"email": f"p{n}@example.org"}).status_code
             for n in range(3)]
    assert codes == [302, 302, 429]


def test_a_signed_in_user_resets_too_and_stays_signed_in(client, db, login_as, outbox):
    user = login_as()
    client.post("/account/password/forgot", data={"email": user.email})
    client.post(_link(outbox[-1]), data={"new_password": NEW, "confirm": NEW})
    assert _signed_in(client)
    log_in(client, user, NEW)
