"""E-mail verification: at sign-up, for a new address, and what an unverified account may do."""
from __future__ import annotations

import re

from expo.accounts.models import User
from expo.registration.models import Registration
from tests.conftest import log_in
from tests.factories import make_event, make_user

SIGNUP = {"name": "Ana Pereira", "email": "ana@porto.example", "password": "a long enough secret",
          "confirm": "a long enough secret", "locale": "en"}


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/account/verify/\S+)", message.body).group(1)


def _sign_up(client, db) -> User:
    client.post("/account/signup", data=SIGNUP)
    return db.session.scalar(db.select(User).where(User.email == SIGNUP["email"]))


def test_an_unverified_account_signs_in_and_edits_its_profile_but_cannot_register(client, db, outbox):
    event = make_event(is_published=True)
    db.session.commit()
    user = _sign_up(client, db)
    log_in(client, user, SIGNUP["password"])

    saved = client.post("/account/profile", data={"name": "Ana P. Pereira", "email": user.email, "locale": "en"})
    page = client.get(f"/events/{event.slug}/registration").get_data(as_text=True)
    refused = client.post(f"/events/{event.slug}/register")

    assert saved.status_code == 302
    assert "Confirm your e-mail address to register for events" in page
    assert "Register for this event" not in page
    assert refused.status_code == 403
    assert db.session.query(Registration).count() == 0


def test_following_the_link_verifies_and_lets_the_account_register(client, db, outbox):
    event = make_event(is_published=True)
    db.session.commit()
    user = _sign_up(client, db)
    log_in(client, user, SIGNUP["password"])

    followed = client.get(_link(outbox[-1]), follow_redirects=True)
    registered = client.post(f"/events/{event.slug}/register")

    assert "Thank you: ana@porto.example is confirmed." in followed.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert registered.status_code == 302
    assert db.session.query(Registration).filter_by(user_id=user.id).count() == 1


def test_the_link_works_without_signing_in_and_again_changes_nothing(client, db, outbox):
    user = _sign_up(client, db)
    link = _link(outbox[-1])
    first = client.get(link)
    db.session.refresh(user)
    verified_at = user.email_verified_at
    second = client.get(link)

    assert first.headers["Location"] == second.headers["Location"] == "/account/login"
    db.session.refresh(user)
    assert verified_at is not None and user.email_verified_at == verified_at


def test_a_forged_link_verifies_nothing(client, db):
    user = make_user(email_verified_at=None)
    db.session.commit()
    response = client.get("/account/verify/not-a-token", follow_redirects=True)
    assert "This link has expired or is no longer valid." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email_verified_at is None


def test_a_new_address_takes_effect_once_its_link_is_followed(client, db, login_as, outbox):
    user = login_as(email="old@example.org", name="Lena Lund")
    response = client.post("/account/profile", data={"name": user.name, "email": "New@Example.org", "locale": "en"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)

    assert "We sent a link to new@example.org" in page
    assert "Your new e-mail address new@example.org takes effect once you follow the link" in page
    db.session.refresh(user)
    assert (user.email, user.pending_email) == ("old@example.org", "new@example.org")
    assert [(m.to, m.subject) for m in outbox] == [("new@example.org", "Confirm your e-mail address for Expo")]
    assert "until then your account keeps its old address" in outbox[0].body

    client.get(_link(outbox[0]))

    db.session.refresh(user)
    assert (user.email, user.pending_email) == ("new@example.org", None)
    assert user.email_verified_at is not None


def test_the_resend_sends_a_fresh_link_and_is_throttled(make_app):
    from expo.core.extensions import db
    from expo.core.mail import outbox

    throttled = make_app(RATELIMIT_ENABLED=True, VERIFICATION_RESEND_RATE_LIMIT="2 per hour")
    with throttled.app_context():
        user = make_user(email_verified_at=None)
        db.session.commit()
        email = user.email
    client = throttled.test_client()
    log_in(client, user)
    codes = [client.post("/account/verify/resend", data={"next": "/account/profile"}).status_code for _ in range(3)]
    with throttled.app_context():
        sent = [m.to for m in outbox()]
    assert codes == [302, 302, 429]
    assert sent == [email, email]


def test_a_verified_account_is_told_so_on_resend(client, db, login_as, outbox):
    login_as()
    response = client.post("/account/verify/resend", follow_redirects=True)
    assert "Your e-mail address is verified already." in response.get_data(as_text=True)
    assert outbox == []


def test_sign_ups_are_throttled_per_client_address(make_app):
    throttled = make_app(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="2 per hour")
    client = throttled.test_client()
    codes = [client.post("/account/signup", data={**SIGNUP, "email": f"p{n}@porto.example"}).status_code
             for n in range(3)]
    assert codes == [302, 302, 429]
