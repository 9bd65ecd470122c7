"""Account services: log-in checks and the ids that sessions hold."""
from __future__ import annotations

import pytest

from expo.accounts import services
from expo.accounts.services import authenticate, user_by_login_id
from tests.factories import PASSWORD, make_user

# The configured key derivation, with an iteration count that stands out.
SLOW_HASH = "pbkdf2:sha256:60000"


def _key_derivations(monkeypatch, attempt) -> list[int]:
    """The iteration counts of every password key derivation ``attempt`` runs: what a log-in
    costs, counted rather than timed so the machine's load cannot sway it."""
    import hashlib

    real = hashlib.pbkdf2_hmac
    runs: list[int] = []

    def counted(name, password, salt, iterations, *args, **kwargs):
        runs.append(iterations)
        return real(name, password, salt, iterations, *args, **kwargs)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counted)
    try:
        attempt()
    finally:
        monkeypatch.setattr(hashlib, "pbkdf2_hmac", real)
    return runs


def test_an_unknown_address_costs_as_much_as_a_wrong_password(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", SLOW_HASH)
    user = make_user(password=PASSWORD)
    user.set_password(PASSWORD)  # hashed with the slow method
    db.session.commit()

    authenticate(email="first@example.org", password="x")  # makes the stand-in hash, once per process
    wrong_password = _key_derivations(monkeypatch, lambda: authenticate(email=user.email, password="wrong password"))
    unknown_address = _key_derivations(
        monkeypatch, lambda: authenticate(email="nobody@example.org", password="wrong password"))

    assert authenticate(email="nobody@example.org", password=PASSWORD) is None
    assert wrong_password == [60000]
    assert unknown_address == wrong_password


def test_an_inactive_account_costs_as_much_as_a_wrong_password(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", SLOW_HASH)
    active = make_user()
    inactive = make_user(active=False)
    for person in (active, inactive):
        person.set_password(PASSWORD)
    db.session.commit()

    wrong_password = _key_derivations(monkeypatch, lambda: authenticate(email=active.email, password="wrong password"))
    inactive_account = _key_derivations(monkeypatch, lambda: authenticate(email=inactive.email, password=PASSWORD))

    assert authenticate(email=inactive.email, password=PASSWORD) is None
    assert wrong_password == [60000]
    assert inactive_account == wrong_password


def test_the_stand_in_hash_follows_the_configured_method(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", SLOW_HASH)

    assert services._dummy_hash(SLOW_HASH).startswith("pbkdf2:sha256:60000$")


def test_a_session_id_names_the_user_and_their_current_password(db):
    user = make_user()
    db.session.commit()
    login_id = user.get_id()

    assert login_id.startswith(f"{user.id}:")
    assert user_by_login_id(login_id) is user

    services.change_password(user=user, current=PASSWORD, new="brand new secret")

    assert user_by_login_id(login_id) is None
    assert user_by_login_id(user.get_id()) is user


def test_ending_all_sessions_leaves_every_earlier_session_id_naming_nobody(db):
    user = make_user()
    db.session.commit()
    login_id = user.get_id()

    services.end_all_sessions(user=user)

    assert user_by_login_id(login_id) is None
    assert user_by_login_id(user.get_id()) is user
    assert user.check_password(PASSWORD)  # the password stays


@pytest.mark.parametrize("login_id", ["1", "1:", ":abc", "abc:def", "99999999999:0123456789abcdef", "-1:x", ""])
def test_malformed_session_ids_name_nobody(db, login_id):
    make_user()
    db.session.commit()

    assert user_by_login_id(login_id) is None
