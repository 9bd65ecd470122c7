import pytest

from expo.accounts.models import Role
from tests.factories import PASSWORD, make_booking, make_session, make_user


@pytest.mark.e2e
def test_delegate_subscribes_and_gives_the_feed_a_new_address(db, page):
    user = make_user(role=Role.DELEGATE, email="ada@h22.example", name="Ada Delegate")
    make_booking(session=make_session(title="Streets for people"), user=user)
    db.session.commit()

    page.goto("/account/login")
    page.get_by_label("E-mail").fill("ada@h22.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome,").wait_for()  # signed in before going on, not racing the log-in
    page.goto("/agenda")

    field = page.get_by_label("Feed address (paste into any calendar app that subscribes by URL)")
    old_url = field.input_value()
    assert page.get_by_role("link", name="Add to Google Calendar").get_attribute("href").startswith(
        "https://calendar.google.com/calendar/r?cid=webcal"
    )
    feed = page.request.get(old_url)
    assert feed.status == 200 and "Streets for people" in feed.text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Give my feed a new address").click()
    page.get_by_text("Your calendar feed has a new address.").wait_for()
    new_url = field.input_value()

    assert new_url != old_url
    assert page.request.get(old_url).status == 404
    assert page.request.get(new_url).status == 200
