"""Shared checks for the organisers' pages."""
from __future__ import annotations

from expo.accounts.models import Role
from tests.conftest import log_in
from tests.factories import make_user


def assert_organisers_only(client, db, method: str, url: str) -> None:
    """Anonymous visitors are sent to log in; delegates and staff get 403."""
    response = client.open(url, method=method)
    assert response.status_code == 302, (method, url, response.status_code)
    assert "/account/login" in response.headers["Location"]
    for role in (Role.DELEGATE, Role.STAFF):
        user = make_user(role=role)
        db.session.commit()
        log_in(client, user)
        response = client.open(url, method=method)
        assert response.status_code == 403, (role, method, url, response.status_code)
        client.post("/account/logout")
