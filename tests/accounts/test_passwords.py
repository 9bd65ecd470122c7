"""What Expo accepts as a new password: zxcvbn's estimate, the owner's address and name."""
from __future__ import annotations

import pytest

from expo.accounts.passwords import check_new_password
from expo.core.errors import ExpoError


@pytest.mark.parametrize("password", ["lantern harbour seventeen", "Öresund färja i gryningen", "h22-city-expo"])
def test_long_uncommon_passwords_are_accepted(password):
    check_new_password(password, email="anna.svensson@example.org", name="Anna Svensson")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short one", "Passwords need at least 12 characters."),
        ("password1234", "This password is too easy to guess"),
        ("qwertyuiop123", "This password is too easy to guess"),
        ("iloveyou2023", "This password is too easy to guess"),
        ("anna.svensson@example.org", "A password may not be your e-mail address or your name."),
        ("ANNA.SVENSSON", "A password may not be your e-mail address or your name."),
        ("Anna Svensson", "A password may not be your e-mail address or your name."),
        ("annasvensson1", "This password is too easy to guess"),
        ("x" * 201, "Passwords have at most 200 characters."),
    ],
)
def test_short_common_or_personal_passwords_are_refused(password, message):
    with pytest.raises(ExpoError) as refused:
        check_new_password(password, email="anna.svensson@example.org", name="Anna Svensson")
    assert str(refused.value.message).startswith(message)
    assert refused.value.field == "password"


def test_a_long_password_is_judged_by_its_start_without_error():
    check_new_password("lantern harbour seventeen " * 7, email="a@example.org", name="A")


def test_the_sign_up_form_shows_why(client, db):
    response = client.post("/account/signup", data={"name": "Anna Svensson", "email": "anna@example.org",
                                                    "password": "password1234", "confirm": "password1234",
                                                    "locale": "en"})
    assert response.status_code == 200
    assert "This password is too easy to guess" in response.get_data(as_text=True)
