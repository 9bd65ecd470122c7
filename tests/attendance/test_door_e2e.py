"""Staff at the door with a phone: type a code, tap, undo, walk someone in, export."""
from __future__ import annotations

import csv
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from expo.accounts.models import Role
from tests.attendance.conftest import book, register
from tests.factories import PASSWORD, make_event, make_room, make_session, make_user


def sign_in(page, email: str) -> None:
    """Sign in as the staff member Sam Staff."""
    page.goto("/account/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Sam Staff.").wait_for()


def wait_until(page, expression: str, timeout: float = 10) -> None:
    """Poll ``expression`` in the page until it is true. Playwright's ``wait_for_function``
    polls with ``eval``, which the Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            pytest.fail(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


def door_scene(db, key: str, title: str, names: list[str], capacity: int = 10):
    """A session with these people registered and booked, and Sam Staff (``key``@h22.example)."""
    event = make_event(name="H22 City Expo", slug=f"h22-{key}")
    session = make_session(event=event, title=title, room=make_room(capacity=capacity))
    people = [make_user(name=name) for name in names]
    for person in people:
        register(event, person)
        book(session, person)
    make_user(role=Role.STAFF, email=f"{key}@h22.example", name="Sam Staff")
    db.session.commit()
    return session, people


@pytest.mark.e2e
def test_staff_checks_people_in_on_a_phone(db, page):
    event = make_event(name="H22 City Expo", slug="h22-door")
    session = make_session(event=event, title="Cities and the SDGs", room=make_room(capacity=3))
    anna = make_user(name="Anna Andersson", country_code="SE")
    bo = make_user(name="Bo Berg", country_code="NO")
    dan = make_user(name="Dan Dahl", country_code="DK")
    for person in (anna, bo, dan):
        register(event, person)
    book(session, anna)
    book(session, bo)
    make_user(role=Role.STAFF, email="door@h22.example", name="Sam Staff")
    db.session.commit()
    anna_code, dan_code = anna.badge_code, dan.badge_code

    page.set_viewport_size({"width": 390, "height": 844})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Script errors and Content-Security-Policy refusals; a 409 answer to a refused code is
    # logged by Chromium as a failed resource and is expected.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    sign_in(page, "door@h22.example")

    # On a phone the header's links fold behind its menu button; staff's workspace is the door.
    page.get_by_role("button", name="Menu", exact=True).click()
    page.get_by_role("link", name="Workspace").click()
    page.get_by_role("link", name=re.compile("Earlier sessions")).click()
    page.get_by_role("link", name="Cities and the SDGs").click()
    page.get_by_role("heading", name="Cities and the SDGs").wait_for()
    page.evaluate("window.__sameDocument = true")  # gone if anything below reloads the page
    checked_in = page.locator('[data-count="checked_in"]')
    # The QR library loaded under the Content-Security-Policy: the camera button is offered.
    page.get_by_role("button", name="Scan QR code").wait_for()
    result = page.locator("#door-result")

    # 1. Type Anna's badge code.
    page.get_by_label("Badge code").fill(anna_code.lower())
    page.locator("#door-code-form").get_by_role("button", name="Check in").click()
    result.get_by_text("Anna Andersson is checked in.").wait_for()
    assert checked_in.inner_text() == "1"
    # The 2022 session is not today: the page says so once, the answer does not repeat it,
    # and the check-in counts.
    assert page.locator(".door-off-day").is_visible()
    assert result.locator(".flash-warning").count() == 0
    assert page.get_by_text("Not today: this session is on").count() == 1

    # 2. Tap Bo in the list.
    page.get_by_role("button", name="Check in Bo Berg").click()
    page.locator(f"#row-{bo.id}").get_by_text(re.compile("In at")).wait_for()
    assert checked_in.inner_text() == "2"

    # 3. Undo Anna.
    page.get_by_role("button", name="Undo Anna Andersson").click()
    result.get_by_text("Check-in of Anna Andersson undone.").wait_for()
    page.get_by_role("button", name="Check in Anna Andersson").wait_for()
    assert checked_in.inner_text() == "1"

    # 4. Dan has no booking: the door offers a walk-in, and he takes the free seat.
    page.get_by_label("Badge code").fill(dan_code)
    page.get_by_label("Badge code").press("Enter")
    result.get_by_text("Dan Dahl has not booked this session.").wait_for()
    result.get_by_role("button", name="Walk in").click()
    result.get_by_text("Dan Dahl is in and took a free seat.").wait_for()
    page.locator(f"#row-{dan.id}").get_by_text("walk-in").wait_for()
    assert checked_in.inner_text() == "2"
    assert page.locator('[data-count="free"]').inner_text() == "0"

    # 5. Search as you type narrows the list without a request.
    page.get_by_label("Find a delegate").fill("norw")
    assert page.locator(f"#row-{bo.id}").is_visible()
    expect(page.locator(f"#row-{anna.id}")).to_be_hidden()
    page.get_by_label("Find a delegate").fill("")
    assert page.evaluate("window.__sameDocument") is True

    # 6. The CSV says who came.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = {r[2]: r for r in list(csv.reader(text.splitlines()))[1:]}
    assert {name: r[6] for name, r in rows.items()} == {
        "Anna Andersson": "no", "Bo Berg": "yes", "Dan Dahl": "yes"}
    assert rows["Dan Dahl"][9] == "yes" and rows["Bo Berg"][8] == "Sam Staff"
    assert problems == []


@pytest.mark.e2e
def test_a_second_phone_sees_check_ins_made_elsewhere(db, page, app):
    """Another phone checks Anna in and walks Dan in; this page follows without reloading."""
    from expo.attendance import services

    event = make_event(name="H22 City Expo", slug="h22-sync")
    session = make_session(event=event, title="Mobility hubs", room=make_room(capacity=1))
    anna = make_user(name="Anna Andersson")
    dan = make_user(name="Dan Dahl")
    register(event, anna)
    register(event, dan)
    book(session, anna)
    staff = make_user(role=Role.STAFF, email="sync@h22.example", name="Sam Staff")
    db.session.commit()

    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "sync@h22.example")
    page.goto(f"/door/sessions/{session.id}")
    page.get_by_role("button", name="Check in Anna Andersson").wait_for()

    with app.test_request_context("/door/"):
        services.check_in(session=session, user=anna, actor=staff)
        services.walk_in(session=session, user=dan, actor=staff)  # no seat left: stands
    db.session.commit()
    # The page polls every 10 seconds and whenever it becomes visible again.
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    page.get_by_role("button", name="Undo Anna Andersson").wait_for()
    page.locator(f"#section-walk_in #row-{dan.id}").get_by_text("standing").wait_for()
    assert page.locator('[data-count="checked_in"]').inner_text() == "2"
    assert page.locator('[data-count="standing"]').inner_text() == "1"


def _qr_video(path: Path, text: str, width: int = 640, height: int = 480) -> None:
    """A few frames of a camera looking at a badge: the QR code of ``text`` on white (Y4M)."""
    import segno

    matrix = [list(row) for row in segno.make(text, error="m", micro=False).matrix_iter(border=4)]
    scale = 6
    size = len(matrix) * scale
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray(b"\xeb" * (width * height))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + y * scale + dy) * width + left + x * scale
                    luma[start:start + scale] = b"\x10" * scale
    chroma = b"\x80" * (width // 2 * height // 2)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 10)


@pytest.mark.e2e
def test_scanning_a_badge_with_the_phone_camera(db, page, live_server, tmp_path):
    """Chromium's fake camera films Anna's badge; the page checks her in."""
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    session, [anna] = door_scene(db, "scan", "Harbour walk", ["Anna Andersson"])
    video = tmp_path / "badge.y4m"
    _qr_video(video, anna.badge_token)

    browser = page.context.browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"],
    )
    try:
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": 390, "height": 844})
        context.grant_permissions(["camera"])
        context.set_default_timeout(60_000)  # decoding video frames is slow on a busy machine
        phone = context.new_page()
        sign_in(phone, "scan@h22.example")
        phone.goto(f"/door/sessions/{session.id}")

        phone.get_by_role("button", name="Scan QR code").click()
        phone.locator("#door-result").get_by_text("Anna Andersson is checked in.").wait_for()
        phone.get_by_role("button", name="Undo Anna Andersson").wait_for()
        assert phone.locator('[data-count="checked_in"]').inner_text() == "1"
        # The badge stays in front of the camera: it is read once, and its answer stays.
        phone.wait_for_timeout(5000)
        assert phone.locator("#door-result").inner_text() == "Anna Andersson is checked in."
        phone.get_by_role("button", name="Stop scanning").click()
        phone.get_by_role("button", name="Scan QR code").wait_for()
        context.close()
    finally:
        browser.close()


@pytest.mark.e2e
def test_print_puts_the_whole_list_on_paper(db, page, monkeypatch):
    """A list longer than the page shows prints in full, and the print dialog opens."""
    monkeypatch.setattr("expo.attendance.views.DOOR_LIST_LIMIT", 2)
    session, people = door_scene(db, "print", "Circular cities", [f"Person {n:02d}" for n in range(5)])
    # Headless Chromium has no print dialog: count the calls instead.
    page.add_init_script("window.__printed = 0; window.print = () => { window.__printed += 1; };")
    sign_in(page, "print@h22.example")
    page.goto(f"/door/sessions/{session.id}")
    assert page.locator("tr.door-row").count() == 2

    page.get_by_role("button", name="Print the whole list").click()
    wait_until(page, "window.__printed === 1")
    page.emulate_media(media="print")
    assert all(page.locator(f"#row-{p.id}").is_visible() for p in people)
    assert page.get_by_role("heading", name="Circular cities").is_visible()
    assert not page.locator("#door-code-form").is_visible()
    assert not page.get_by_role("button", name="Print the whole list").is_visible()


@pytest.mark.e2e
def test_keyboard_only_check_in_and_undo_keep_the_focus_on_the_row(db, page):
    """Tab to a person's button, Enter checks them in, Enter again undoes it."""
    session, [bo] = door_scene(db, "keys", "Green harbours", ["Bo Berg"])
    sign_in(page, "keys@h22.example")
    page.goto(f"/door/sessions/{session.id}")
    focused = "document.activeElement.textContent.trim().replace(/\\s+/g, ' ')"
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(focused) == "Check in Bo Berg":
            break
    else:
        pytest.fail("Tab never reached Bo's Check in button")

    page.keyboard.press("Enter")
    row = page.locator(f"#row-{bo.id}")
    row.get_by_text(re.compile("In at")).wait_for()
    wait_until(page, f"{focused} === 'Undo Bo Berg'")
    assert page.evaluate("document.activeElement.closest('tr').id") == f"row-{bo.id}"

    page.keyboard.press("Enter")
    page.locator("#door-result").get_by_text("Check-in of Bo Berg undone.").wait_for()
    wait_until(page, f"{focused} === 'Check in Bo Berg'")
    assert page.locator('[data-count="checked_in"]').inner_text() == "0"


@pytest.mark.e2e
def test_search_as_you_type_finds_the_same_people_on_short_and_long_lists(db, page, live_server, monkeypatch):
    """A short list is filtered in the browser, a long one searched on the server: the
    same words find the same people."""
    session, [bo, cleo, achieng] = door_scene(
        db, "words", "Urban food", ["Bo Berg", "Cleo Kenyatta", "Wanjiru Achieng"])
    achieng.country_code = "KE"
    db.session.commit()
    sign_in(page, "words@h22.example")
    rows = page.locator("tr.door-row:visible")

    page.goto(f"/door/sessions/{session.id}")
    page.get_by_label("Find a delegate").fill("Achieng Kenya")
    assert [rows.nth(i).get_attribute("id") for i in range(rows.count())] == [f"row-{achieng.id}"]

    monkeypatch.setattr("expo.attendance.views.DOOR_LIST_LIMIT", 1)
    # The list kept for this reader was drawn with the usual limit: draw it again.
    monkeypatch.setitem(live_server.app.config, "PAGE_CACHE_TIMEOUT", 0)
    page.goto(f"/door/sessions/{session.id}")
    assert page.locator("#door-list").get_attribute("data-partial") == "true"
    assert page.locator(f"#row-{achieng.id}").count() == 0  # not among the first shown
    page.get_by_label("Find a delegate").fill("Achieng Kenya")
    page.locator(f"#row-{achieng.id}").wait_for()
    wait_until(page, "document.querySelectorAll('tr.door-row').length === 1")
    assert not page.locator(f"#row-{bo.id}").count() and not page.locator(f"#row-{cleo.id}").count()


@pytest.mark.e2e
def test_a_registered_delegate_without_a_badge_is_found_by_name_and_walks_in(db, page):
    session, [anna] = door_scene(db, "name", "Smart lighting", ["Anna Andersson"])
    dan = make_user(name="Dan Dahl")
    register(session.event, dan)
    db.session.commit()
    sign_in(page, "name@h22.example")
    page.goto(f"/door/sessions/{session.id}")
    expect(page.locator("#section-registered")).to_be_hidden()

    page.get_by_label("Find a delegate").fill("dan dahl")
    page.get_by_role("button", name="Walk in Dan Dahl").click()
    page.locator("#door-result").get_by_text("Dan Dahl is in and took a free seat.").wait_for()
    page.locator(f"#section-booked #row-{dan.id}").get_by_text("walk-in").wait_for()
    expect(page.locator("#section-registered")).to_be_hidden()
    assert page.locator('[data-count="checked_in"]').inner_text() == "1"


ARABIC_NAME = "أحمد حسن"
ARABIC_ORGANISATION = "جامعة القاهرة"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.e2e
@pytest.mark.parametrize("width", [390, 1280])
def test_an_arabic_name_reads_right_to_left_on_the_agenda_and_the_door_list(db, page, width):
    from tests.factories import make_organisation

    session, [ahmed] = door_scene(db, f"rtl{width}", "Cities and the SDGs", [ARABIC_NAME])
    ahmed.email = f"ahmed{width}@example.org"
    ahmed.organisation = make_organisation(name=ARABIC_ORGANISATION, country_code="EG")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 844})

    # The delegate's own agenda: their name in the menu, isolated from the page's direction.
    page.goto("/account/login")
    page.get_by_label("E-mail").fill(ahmed.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome,").wait_for()  # signed in before going on, not racing the log-in
    page.goto("/agenda")
    page.get_by_role("heading", name="My agenda").wait_for()
    page.get_by_text("Cities and the SDGs").wait_for()
    name = page.locator("bdi", has_text=ARABIC_NAME).first
    assert name.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "ltr"
    assert no_sideways_scroll(page)

    # Staff at the door: the name and the organisation run right to left in their cells.
    page.context.clear_cookies()
    sign_in(page, f"rtl{width}@h22.example")
    page.goto(f"/door/sessions/{session.id}")
    row = page.locator(f"#row-{ahmed.id}")
    row.wait_for()
    assert row.locator("th bdi").first.inner_text() == ARABIC_NAME
    assert row.locator("th bdi").first.evaluate("e => getComputedStyle(e).direction") == "rtl"
    organisation = row.locator(".door-org")
    assert organisation.inner_text() == ARABIC_ORGANISATION
    assert organisation.evaluate("e => getComputedStyle(e).direction") == "rtl"
    # The row's controls stay where a left-to-right page puts them: the name cell comes first.
    name_box = row.locator("th").bounding_box()
    action_box = row.locator(".door-action").bounding_box()
    assert name_box["x"] < action_box["x"] or name_box["y"] < action_box["y"]
    assert no_sideways_scroll(page)
