"""Error pages: each one is shown inside the site's layout, whatever went wrong before."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login.utils import _create_identifier

from expo.accounts.models import User
from expo.core.extensions import db as _db
from tests.conftest import log_in
from tests.factories import make_user


def _failing_app(make_app, **overrides):
    """An app that renders its 500 page (as in production) with two routes that fail."""
    failing = make_app(PROPAGATE_EXCEPTIONS=False, **overrides)

    @failing.route("/test/duplicate-email")
    def duplicate_email():
        """A write the database refuses on flush: the e-mail address is taken."""
        taken = _db.session.scalar(sa.select(User.email).order_by(User.id))
        _db.session.add(User(email=taken, password_hash="x", name="Copy"))
        _db.session.flush()
        return "never"

    @failing.route("/test/forbidden")
    def forbidden():
        abort(403)

    @failing.route("/test/broken")
    def broken():
        raise RuntimeError("a bug")

    return failing


def test_the_500_page_after_a_refused_flush_uses_the_layout(make_app, db):
    user = make_user(name="Lena Lund")
    db.session.commit()
    client = _failing_app(make_app).test_client()
    log_in(client, user)

    response = client.get("/test/duplicate-email")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'class="site-header"' in html
    assert "Something went wrong" in html
    assert "Lena Lund" in html  # the visitor is still recognised: the session was rolled back
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_the_500_page_is_in_swedish_for_a_swedish_reader(make_app, db):
    user = make_user(locale="sv")
    db.session.commit()
    client = _failing_app(make_app).test_client()
    log_in(client, user)

    html = client.get("/test/duplicate-email").get_data(as_text=True)

    assert '<html lang="sv">' in html
    assert "Något gick fel" in html


def test_the_500_page_still_has_the_layout_when_the_database_is_unreachable(make_app, tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there
    failing = _failing_app(make_app, DATABASE_URL=f"postgresql+psycopg://expo@127.0.0.1:{port}/expo")
    client = failing.test_client()
    with failing.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # what Flask-Login's strong protection expects
    with client.session_transaction() as cookie_session:
        # A signed-in visitor whose account cannot be loaded.
        cookie_session.update({"_user_id": "1:0123456789abcdef", "_fresh": True, "_id": identifier})

    response = client.get("/test/broken")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'class="site-header"' in html and "Something went wrong" in html
    assert "Sign in" in html


def test_the_403_page_uses_the_layout(make_app, client, db):
    response = _failing_app(make_app).test_client().get("/test/forbidden")

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert 'class="site-header"' in html
    assert "Not allowed" in html and "Your account may not open this page." in html


def test_a_form_holding_a_nul_character_is_refused_and_nothing_is_stored(client, login_as, db):
    from expo.events.models import Event

    login_as("organiser")
    response = client.post("/manage/events/new", data={"name": "H22\x00 Expo", "slug": "h22-nul"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "invisible NUL character" in html and "<nav" in html
    assert db.session.query(Event).filter_by(slug="h22-nul").count() == 0
