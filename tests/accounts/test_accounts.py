from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

from expo.accounts import services
from expo.accounts.models import Role, User
from expo.core.errors import ExpoError
from expo.core.security import safe_next
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user


def test_signup_creates_an_unverified_delegate_with_a_hashed_password(client, db, outbox):
    response = client.post(
        "/account/signup",
        data={
            "name": "Ana Pereira",
            "email": "Ana.Pereira@Porto.example",
            "password": "a long enough secret",
            "confirm": "a long enough secret",
            "country": "PT",
            "locale": "en",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/signup/sent"
    user = db.session.scalar(db.select(User))
    assert user.email == "ana.pereira@porto.example"
    assert user.email_verified_at is None
    assert [(m.to, m.subject) for m in outbox] == [
        ("ana.pereira@porto.example", "Confirm your e-mail address for Expo")]
    assert user.role is Role.DELEGATE
    assert user.country_code == "PT"
    assert user.password_hash != "a long enough secret"
    assert check_password_hash(user.password_hash, "a long enough secret")


def test_signup_with_an_address_in_use_answers_alike_and_mails_the_owner(client, db, outbox):
    owner = make_user(email="taken@example.org", name="Tove Tagen")
    db.session.commit()
    before = owner.password_hash
    data = {"name": "X", "email": "TAKEN@example.org", "password": "a long enough secret",
            "confirm": "a long enough secret"}
    taken = client.post("/account/signup", data=data)
    fresh = client.post("/account/signup", data={**data, "email": "fresh@example.org"})

    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"] == "/account/signup/sent"
    assert "Check your e-mail" in client.get("/account/signup/sent").get_data(as_text=True)
    assert db.session.query(User).count() == 2
    db.session.refresh(owner)
    assert owner.password_hash == before and owner.name == "Tove Tagen"
    assert [(m.to, m.subject) for m in outbox] == [
        ("taken@example.org", "You already have an account on Expo"),
        ("fresh@example.org", "Confirm your e-mail address for Expo"),
    ]
    assert "/account/password/forgot" in outbox[0].body


def test_signup_shows_field_errors(client, db):
    response = client.post(
        "/account/signup", data={"name": "", "email": "not-an-email", "password": "short", "confirm": "other"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in html
    assert "The passwords do not match." in html
    assert db.session.query(User).count() == 0


def test_login_and_logout(client, db):
    user = make_user(name="Lena Lund")
    db.session.commit()
    response = client.post("/account/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert "Welcome, Lena Lund." in client.get("/").get_data(as_text=True)
    assert client.post("/account/logout").status_code == 302
    assert "Lena Lund" not in client.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which_part(client, db):
    user = make_user()
    db.session.commit()
    response = client.post("/account/login", data={"email": user.email, "password": "wrong password"})
    assert response.status_code == 200
    assert "E-mail or password is not right." in response.get_data(as_text=True)


def test_inactive_account_cannot_log_in(client, db):
    user = make_user(active=False)
    db.session.commit()
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/events/h22", "/events/h22"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_next(target) == expected


def test_login_follows_a_safe_next_and_ignores_an_unsafe_one(client, db):
    user = make_user()
    db.session.commit()
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "next": "/account/password"}
    )
    assert response.headers["Location"] == "/account/password"
    client.post("/account/logout")
    response = client.post(
        "/account/login", data={"email": user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


def test_change_password(client, db, login_as):
    user = login_as(Role.DELEGATE)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "brand new secret", "confirm": "brand new secret"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password("brand new secret")


def test_change_password_needs_the_current_one(client, db, login_as):
    user = login_as(Role.DELEGATE)
    response = client.post(
        "/account/password",
        data={"current_password": "nope", "new_password": "brand new secret", "confirm": "brand new secret"},
    )
    assert "The current password is not right." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_change_password_needs_login(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_repeated_failed_logins_are_throttled(make_app):
    """Per account and client: a few wrong guesses a minute."""
    throttled = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with throttled.app_context():
        user = make_user()
        from expo.core.extensions import db

        db.session.commit()
        email = user.email
    client = throttled.test_client()
    codes = [
        client.post("/account/login", data={"email": email, "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    # the right password is refused too while throttled
    assert client.post("/account/login", data={"email": email, "password": PASSWORD}).status_code == 429


def test_successful_logins_do_not_count_towards_the_throttle(make_app):
    throttled = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    with throttled.app_context():
        user = make_user()
        from expo.core.extensions import db

        db.session.commit()
        email = user.email
    client = throttled.test_client()
    for _ in range(4):
        assert client.post("/account/login", data={"email": email, "password": PASSWORD}).status_code == 302
        client.post("/account/logout")


def test_forms_require_a_csrf_token(make_app):
    protected = make_app(WTF_CSRF_ENABLED=True)
    with protected.app_context():
        user = make_user()
        from expo.core.extensions import db

        db.session.commit()
        email = user.email
    client = protected.test_client()
    refused = client.post("/account/login", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 400
    assert "The form expired" in refused.get_data(as_text=True)

    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302
    # a bare POST without a token to a non-form endpoint is refused too
    assert client.post("/account/logout").status_code == 400


def test_session_cookie_flags(make_app):
    secure = make_app(SECURE_COOKIES=True)
    with secure.app_context():
        user = make_user()
        from expo.core.extensions import db

        db.session.commit()
        email = user.email
    client = secure.test_client()
    response = client.post("/account/login", data={"email": email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert "Strict-Transport-Security" in response.headers


def test_create_user_command(runner, db):
    result = runner.invoke(
        args=["expo", "create-user", "--email", "Org@H22.example", "--name", "Org", "--role", "organiser",
              "--password", "blue harbour lantern"]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User))
    assert (user.email, user.role) == ("org@h22.example", Role.ORGANISER)
    assert user.email_verified_at is not None  # whoever runs the command vouches for it
    again = runner.invoke(
        args=["expo", "create-user", "--email", "org@h22.example", "--name", "Org", "--password", "blue harbour lantern"]
    )
    assert again.exit_code != 0
    assert "already exists" in again.output


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--email", "not an email", "This is not an e-mail address."),
        ("--email", "ana@localhost", "This is not an e-mail address."),
        ("--name", "   ", "Give the person's name."),
        ("--name", "A" * 201, "A name has at most 200 characters."),
        ("--password", "short", "Passwords need at least 12 characters."),
        ("--password", "password1234", "This password is too easy to guess"),
    ],
)
def test_create_user_command_refuses_junk(runner, db, option, value, message):
    arguments = {"--email": "ana@porto.example", "--name": "Ana Pereira", "--password": "blue harbour lantern"}
    arguments[option] = value

    result = runner.invoke(args=["expo", "create-user", *[part for pair in arguments.items() for part in pair]])

    assert result.exit_code == 2
    assert f"Error: Invalid value for {option}: {message}" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_create_user_refuses_an_unknown_role(db):
    with pytest.raises(ExpoError) as refused:
        services.create_user(email="ana@porto.example", password="blue harbour lantern", name="Ana", role="boss")

    assert refused.value.field == "role"
    assert str(refused.value.message) == "A role is one of: admin, staff, delegate."
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def test_create_user_keeps_a_tidy_name_and_a_lower_case_address(db):
    user = services.create_user(email=" Ana@Porto.Example ", password="blue harbour lantern", name="  Ana Pereira ",
                                role="staff")

    assert (user.email, user.name, user.role) == ("ana@porto.example", "Ana Pereira", Role.STAFF)


def test_logged_in_user_sees_their_name_and_a_sign_out_button(client, login_as):
    user = login_as(Role.STAFF, name="Sam Staff")
    html = client.get("/").get_data(as_text=True)
    assert "Sam Staff" in html and "Sign out" in html
    assert user.role is Role.STAFF


def test_log_in_helper(client, db):
    user = make_user()
    db.session.commit()
    log_in(client, user)


def _change_password(client, new: str = "brand new secret"):
    return client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": new, "confirm": new}
    )


def _signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def test_changing_the_password_signs_out_every_other_session(app, db):
    user = make_user()
    db.session.commit()
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, user)
    log_in(elsewhere, user)

    assert _change_password(here).status_code == 302

    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert elsewhere.get("/account/profile").headers["Location"].startswith("/account/login")


def test_changing_the_password_ends_other_kept_sign_ins_but_keeps_this_one(app, db):
    user = make_user()
    db.session.commit()
    here, elsewhere = app.test_client(), app.test_client()
    for client in (here, elsewhere):
        client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    elsewhere.delete_cookie("session")
    assert _signed_in(elsewhere)  # the browser was closed: "keep me signed in" signs it in again
    elsewhere.delete_cookie("session")

    _change_password(here)
    here.delete_cookie("session")

    assert _signed_in(here)
    assert not _signed_in(elsewhere)

