"""An organiser reads the statistics on a phone; a delegate sees their check-in QR code."""
from __future__ import annotations

import pytest

from expo.accounts.models import Role
from tests.factories import PASSWORD, make_user
from tests.stats import dataset


def sign_in(page, email: str) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Script errors, Content-Security-Policy refusals and failed loads (the browser's own
    # favicon request aside).
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto("/account/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return problems


@pytest.mark.e2e
def test_organiser_reads_statistics_on_a_phone(db, page):
    data = dataset.build()
    make_user(role=Role.ORGANISER, email="stats@h22.example")
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    problems = sign_in(page, "stats@h22.example")

    page.goto("/stats/")
    page.get_by_label("Event", exact=True).select_option(label="Event A")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**/stats/?event={data.a.id}&first_day=&last_day=")

    countries = page.get_by_role("table", name="Delegates by country")
    assert countries.get_by_role("row").nth(1).inner_text().split() == ["Sweden", "4", "57.1%"]
    assert page.locator('svg[data-chart="countries"] rect').count() == 3
    assert page.get_by_role("img", name="Scheduled sessions by fill rate").count() == 1
    # Tables scroll inside their wrapper; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV – Delegates by country").click()
    assert download.value.suggested_filename == "expo-countries-event-a.csv"
    assert problems == []


@pytest.mark.e2e
def test_delegate_sees_their_qr_code_on_the_agenda(db, page):
    delegate = make_user(email="ada@h22.example", name="Ada Delegate")
    db.session.commit()
    code = delegate.badge_code
    problems = sign_in(page, "ada@h22.example")

    page.goto("/agenda")
    image = page.get_by_role("img", name="QR code to show at the door of each session")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert page.locator(".my-code-text").inner_text() == code
    assert problems == []
