import pytest

from tests.factories import make_event, make_session, make_user
from expo.accounts.models import Role
from tests.factories import PASSWORD


@pytest.mark.e2e
def test_organiser_logs_in_and_opens_the_event_page(db, page):
    event = make_event(name="H22 +50 Sessions", slug="h22-50")
    make_session(event=event, title="Cities and the SDGs")
    make_user(role=Role.ORGANISER, email="organiser@h22.example", name="Olivia Organiser")
    db.session.commit()

    page.goto("/account/login")
    page.get_by_label("E-mail").fill("organiser@h22.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Olivia Organiser.").wait_for()

    page.get_by_role("link", name="H22 +50 Sessions").first.click()
    page.get_by_role("heading", name="H22 +50 Sessions").wait_for()
    assert page.get_by_text("Cities and the SDGs").count() >= 1
