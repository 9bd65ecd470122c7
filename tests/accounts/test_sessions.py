"""Sessions that end on the server, log-in throttling that no stranger turns into a lockout,
a fresh CSRF token at log-in, and pages with personal data kept by no cache."""
from __future__ import annotations

import re
import threading
import time

import pytest

from expo.accounts.passwords import password_work
from expo.core.errors import Busy
from expo.core.extensions import db as _db
from tests.conftest import log_in
from tests.factories import PASSWORD, make_user


def _signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def _copy(source, target, name: str) -> None:
    target.set_cookie(name, source.get_cookie(name).value)


def test_a_session_cookie_copied_before_log_out_stops_working(app, db):
    user = make_user()
    db.session.commit()
    browser, thief = app.test_client(), app.test_client()
    log_in(browser, user)
    _copy(browser, thief, "session")
    assert _signed_in(thief)

    browser.post("/account/logout")

    assert not _signed_in(thief)
    assert not _signed_in(browser)


def test_the_keep_me_signed_in_cookie_stops_working_at_log_out(app, db):
    user = make_user()
    db.session.commit()
    browser, thief = app.test_client(), app.test_client()
    browser.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    _copy(browser, thief, "remember_token")
    assert _signed_in(thief)  # the remember cookie alone signs in, until the log-out

    browser.post("/account/logout")
    fresh = app.test_client()
    _copy(thief, fresh, "remember_token")

    assert not _signed_in(fresh)


def test_logging_in_again_after_log_out_works(client, db):
    user = make_user()
    db.session.commit()
    log_in(client, user)
    client.post("/account/logout")
    log_in(client, user)
    assert _signed_in(client)


def test_the_csrf_token_changes_at_log_in(make_app):
    protected = make_app(WTF_CSRF_ENABLED=True)
    with protected.app_context():
        user = make_user()
        _db.session.commit()
        email = user.email
    client = protected.test_client()

    def token(path: str) -> str:
        return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)

    before = token("/account/login")
    client.post("/account/login", data={"email": email, "password": PASSWORD, "csrf_token": before})
    after = token("/account/profile")

    assert after != before
    # a form made with the token of the anonymous visit is refused after signing in
    stale = client.post("/account/password", data={"csrf_token": before, "current_password": PASSWORD,
                                                    "new_password": "lantern harbour seventeen",
                                                    "confirm": "lantern harbour seventeen"})
    assert stale.status_code == 400


@pytest.mark.parametrize("path", ["/agenda", "/account/profile"])
def test_pages_with_personal_data_are_not_stored(client, login_as, path):
    login_as()
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


# --- throttling -------------------------------------------------------------------------------

def _throttled_app(make_app, **limits):
    return make_app(RATELIMIT_ENABLED=True, **{"LOGIN_RATE_LIMIT": "100 per minute", **limits})


def _user(application, **fields):
    with application.app_context():
        user = make_user(**fields)
        _db.session.commit()
        return user.email


def _client(application, address: str):
    """A browser on its own network address."""
    client = application.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client, email: str, password: str) -> int:
    return client.post("/account/login", data={"email": email, "password": password}).status_code


def test_a_strangers_guesses_do_not_lock_out_the_owner_on_a_device_used_before(make_app):
    application = _throttled_app(make_app, LOGIN_ACCOUNT_RATE_LIMIT="3 per hour")
    email = _user(application)
    owner = application.test_client()
    assert _attempt(owner, email, PASSWORD) == 302  # the owner's laptop signed in before
    owner.post("/account/logout")
    # the stranger comes from several addresses, so only the account's own count can stop them
    strangers = [_client(application, f"203.0.113.{n}") for n in range(4)]

    guesses = [_attempt(stranger, email, "wrong guess") for stranger in strangers]
    stranger_with_the_password = _attempt(strangers[0], email, PASSWORD)
    owner_signs_in = _attempt(owner, email, PASSWORD)

    assert guesses == [200, 200, 200, 429]
    assert stranger_with_the_password == 429  # an unknown device is held back while guesses pour in
    assert owner_signs_in == 302


def test_the_owners_device_is_held_back_only_by_its_own_mistakes(make_app):
    application = _throttled_app(make_app, LOGIN_RATE_LIMIT="2 per minute", LOGIN_ACCOUNT_RATE_LIMIT="1 per hour",
                                 LOGIN_ADDRESS_RATE_LIMIT="1 per hour")
    email = _user(application)
    owner = application.test_client()
    assert _attempt(owner, email, PASSWORD) == 302
    owner.post("/account/logout")
    stranger = application.test_client()  # the same network address as the owner (a venue's Wi-Fi)
    assert [_attempt(stranger, email, "wrong") for _ in range(2)] == [200, 429]

    assert [_attempt(owner, email, "typo") for _ in range(3)] == [200, 200, 429]


def test_a_device_known_to_one_account_is_a_stranger_to_another(make_app):
    application = _throttled_app(make_app, LOGIN_ACCOUNT_RATE_LIMIT="2 per hour")
    mine, theirs = _user(application), _user(application)
    client = application.test_client()
    assert _attempt(client, mine, PASSWORD) == 302
    assert [_attempt(client, theirs, "wrong") for _ in range(3)] == [200, 200, 429]


def test_guessing_across_many_accounts_from_one_address_is_throttled(make_app):
    application = _throttled_app(make_app, LOGIN_ADDRESS_RATE_LIMIT="3 per hour")
    emails = [_user(application) for _ in range(4)]
    sprayer = _client(application, "198.51.100.7")
    elsewhere = _client(application, "198.51.100.8")

    codes = [_attempt(sprayer, email, "Summer2026!") for email in emails]

    assert codes == [200, 200, 200, 429]
    assert _attempt(elsewhere, emails[3], "Summer2026!") == 200


def test_the_client_address_comes_from_the_trusted_proxy_only(make_app):
    behind_proxy = _throttled_app(make_app, PROXY_COUNT=1, LOGIN_ADDRESS_RATE_LIMIT="2 per hour")
    emails = [_user(behind_proxy) for _ in range(3)]
    proxy = _client(behind_proxy, "10.0.0.2")

    def from_(address: str, email: str) -> int:
        return proxy.post("/account/login", data={"email": email, "password": "wrong"},
                          headers={"X-Forwarded-For": address}).status_code

    # Two clients behind the same proxy are counted apart, by the address the proxy saw.
    assert [from_("192.0.2.1", emails[0]), from_("192.0.2.1", emails[1]), from_("192.0.2.1", emails[2])] == [
        200, 200, 429]
    assert from_("192.0.2.2", emails[2]) == 200
    # Without a trusted proxy a forged header changes nothing: the connection's address counts.
    direct = _throttled_app(make_app, LOGIN_ADDRESS_RATE_LIMIT="2 per hour").test_client()
    forged = [direct.post("/account/login", data={"email": email, "password": "wrong"},
                          headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code for n, email in enumerate(emails)]
    assert forged == [200, 200, 429]


def test_the_throttled_log_in_page_offers_the_reset(make_app):
    application = _throttled_app(make_app, LOGIN_ACCOUNT_RATE_LIMIT="1 per hour")
    email = _user(application)
    client = application.test_client()
    _attempt(client, email, "wrong")
    page = client.post("/account/login", data={"email": email, "password": "wrong"})
    assert page.status_code == 429
    assert 'href="/account/password/forgot"' in page.get_data(as_text=True)


# --- a bound on password checks running at once --------------------------------------------------

def test_password_checks_wait_for_a_free_slot_and_give_up_with_503(make_app):
    application = make_app(PASSWORD_CHECKS_AT_ONCE=1, PASSWORD_CHECK_WAIT=0)
    email = _user(application)
    holding, release = threading.Event(), threading.Event()

    def hold_the_only_slot() -> None:
        with application.app_context(), password_work():
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold_the_only_slot)
    worker.start()
    holding.wait(10)
    try:
        with application.app_context(), pytest.raises(Busy):
            with password_work():
                pass  # pragma: no cover - never entered
        busy = application.test_client().post("/account/login", data={"email": email, "password": PASSWORD})
    finally:
        release.set()
        worker.join(10)
    free = application.test_client().post("/account/login", data={"email": email, "password": PASSWORD})

    assert busy.status_code == 503
    assert "Expo is busy" in busy.get_data(as_text=True)
    assert free.status_code == 302


def test_slots_are_released_after_each_check(make_app):
    application = make_app(PASSWORD_CHECKS_AT_ONCE=1, PASSWORD_CHECK_WAIT=0)
    email = _user(application)
    client = application.test_client()
    started = time.monotonic()
    codes = [_attempt(client, email, "wrong") for _ in range(3)]
    assert codes == [200, 200, 200]
    assert time.monotonic() - started < 10


def test_organisers_files_with_personal_data_are_not_stored(client, db, login_as):
    from tests.factories import make_event, make_registration, make_session

    event = make_event(slug="h22-50")
    session = make_session(event=event)
    make_registration(event=event)
    login_as("organiser")
    paths = [f"/manage/events/{event.slug}/registrations.csv", f"/manage/events/{event.slug}/bookings.csv",
             f"/manage/sessions/{session.id}/bookings.csv", f"/door/sessions/{session.id}/attendance.csv",
             f"/door/sessions/{session.id}/attendance.xlsx", "/stats/export/countries.csv",
             f"/badges/events/{event.id}/badges.pdf", f"/events/{event.slug}/export/csv",
             f"/events/{event.slug}/export/xlsx"]
    answers = {path: client.get(path) for path in paths}
    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(paths, 200)
    assert {path: "no-store" in r.headers["Cache-Control"] for path, r in answers.items()} == dict.fromkeys(paths, True)
