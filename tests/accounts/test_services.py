"""Account services: log-in checks and the ids that sessions hold."""
from __future__ import annotations

import time

import pytest

from expo.accounts import services
from expo.accounts.services import authenticate, user_by_login_id
from tests.factories import PASSWORD, make_user

# Slow enough that one hash check stands out from everything else a log-in does.
SLOW_HASH = "pbkdf2:sha256:60000"


def _fastest(attempt, times: int = 3) -> float:
    """The shortest of a few runs: what the work itself costs, without the machine's noise."""
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        attempt()
        durations.append(time.perf_counter() - started)
    return min(durations)


def test_an_unknown_address_costs_as_much_as_a_wrong_password(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", SLOW_HASH)
    user = make_user()
    db.session.commit()

    wrong_password = _fastest(lambda: authenticate(email=user.email, password="wrong password"))
    unknown_address = _fastest(lambda: authenticate(email="nobody@example.org", password="wrong password"))

    assert authenticate(email="nobody@example.org", password=PASSWORD) is None
    assert unknown_address > 0.5 * wrong_password


def test_an_inactive_account_costs_as_much_as_a_wrong_password(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", SLOW_HASH)
    active = make_user()
    inactive = make_user(active=False)
    db.session.commit()

    wrong_password = _fastest(lambda: authenticate(email=active.email, password="wrong password"))
    inactive_account = _fastest(lambda: authenticate(email=inactive.email, password=PASSWORD))

    assert authenticate(email=inactive.email, password=PASSWORD) is None
    assert inactive_account > 0.5 * wrong_password


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


@pytest.mark.parametrize("login_id", ["1", "1:", ":abc", "abc:def", "99999999999:0123456789abcdef", "-1:x", ""])
def test_malformed_session_ids_name_nobody(db, login_id):
    make_user()
    db.session.commit()

    assert user_by_login_id(login_id) is None
