from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from expo.accounts.models import Role
from expo.attendance import services
from expo.attendance.models import CheckIn
from expo.core.timeutil import utcnow
from tests.conftest import log_in
from tests.factories import make_user
from tests.querycount import page_query_count

JSON = {"Accept": "application/json"}


def url(door, tail=""):
    return f"/door/sessions/{door.session.id}{tail}"


def action_urls(door):
    return [
        url(door, f"/check-in/{door.anna.id}"),
        url(door, f"/walk-in/{door.dan.id}"),
        url(door, f"/undo/{door.anna.id}"),
        url(door, "/code"),
    ]


def page_urls(door):
    return ["/door/", url(door), url(door, "/counts.json"), url(door, f"/rows/{door.anna.id}"),
            url(door, "/attendance.csv"), url(door, "/attendance.xlsx")]


def test_anonymous_goes_to_login(client, door):
    for target in page_urls(door):
        response = client.get(target)
        assert response.status_code == 302, target
        assert "/account/login" in response.headers["Location"]
    for target in action_urls(door):
        response = client.post(target, data={"code": door.anna.badge_code})
        assert response.status_code == 302, target
        assert "/account/login" in response.headers["Location"]


def test_delegates_get_403(client, door, login_as):
    login_as(Role.DELEGATE)
    for target in page_urls(door):
        assert client.get(target).status_code == 403, target
    for target in action_urls(door):
        assert client.post(target, data={"code": door.anna.badge_code}, headers=JSON).status_code == 403
    assert services.attendance_counts(door.session).checked_in == 0


@pytest.mark.parametrize("role", [Role.STAFF, Role.ORGANISER])
def test_staff_and_organisers_see_the_day_and_the_list(client, door, login_as, role):
    login_as(role)
    day = client.get("/door/?day=2022-06-01")
    assert day.status_code == 200
    html = day.get_data(as_text=True)
    assert "Cities and the SDGs" in html and f'href="/door/sessions/{door.session.id}"' in html

    page = client.get(url(door)).get_data(as_text=True)
    for text in ("Anna Andersson", "City of Helsingborg", "Sweden", "UNECE", "Bo Berg",
                 "Cleo Castro", "waiting list #1", 'name="csrf-token"', 'data-count="booked">2<'):
        assert text in page, text
    assert "Dan Dahl" not in page and "Eva External" not in page


def test_day_defaults_to_today_and_rejects_bad_dates(client, door, login_as):
    login_as(Role.STAFF)
    today = client.get("/door/")
    assert today.status_code == 200
    assert "today" in today.get_data(as_text=True)
    assert "Later sessions" not in today.get_data(as_text=True)
    assert "Earlier sessions" in today.get_data(as_text=True)  # the 2022 demo stays reachable
    bad = client.get("/door/?day=2022-13-45")
    assert bad.status_code == 200
    assert "Not a date" in bad.get_data(as_text=True)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_a_day_outside_the_calendar_is_refused_with_a_message(client, door, login_as, day):
    login_as(Role.STAFF)
    response = client.get(f"/door/?day={day}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Choose a day from 2000 to 2100." in html
    assert "today" in html  # the door falls back to today


def test_the_first_and_last_days_have_no_link_beyond_them(client, door, login_as):
    login_as(Role.STAFF)
    first = client.get("/door/?day=2000-01-01").get_data(as_text=True)
    assert "Previous day" not in first and 'href="/door/?day=2000-01-02"' in first
    last = client.get("/door/?day=2100-12-31").get_data(as_text=True)
    assert "Next day" not in last and 'href="/door/?day=2100-12-30"' in last


@pytest.mark.parametrize("walk_in", ["99999999999999999999", "2147483648", "0", "-1", "x", "１"])
def test_a_walk_in_id_outside_the_database_range_offers_nobody(client, door, login_as, walk_in):
    login_as(Role.STAFF)
    response = client.get(url(door, f"?walk_in={walk_in}"))
    assert response.status_code == 200
    assert "/walk-in/" not in response.get_data(as_text=True).split('id="door-result"')[1].split("</div>")[0]


def test_search_fallback_filters_on_the_server(client, door, login_as):
    login_as(Role.STAFF)
    page = client.get(url(door, "?q=helsingborg")).get_data(as_text=True)
    assert "Anna Andersson" in page and "Bo Berg" not in page


def test_tap_check_in_returns_json_with_counts_and_row(client, door, login_as):
    staff = login_as(Role.STAFF)
    response = client.post(url(door, f"/check-in/{door.anna.id}"), headers=JSON)

    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] is True and data["checked_in"] is True
    assert data["message"] == "Anna Andersson is checked in."
    assert data["counts"] == {"booked": 2, "waitlisted": 1, "checked_in": 1, "standing": 0,
                              "capacity": 3, "free": 1}
    assert f'id="row-{door.anna.id}"' in data["row_html"] and "Undo" in data["row_html"]
    ci = services._existing_check_in(door.session, door.anna)
    assert ci.checked_in_by_id == staff.id

    again = client.post(url(door, f"/check-in/{door.anna.id}"), headers=JSON).get_json()
    assert again["ok"] is True and "already checked in" in again["message"]
    assert again["counts"]["checked_in"] == 1


def test_organisers_check_in_too(client, door, login_as):
    organiser = login_as(Role.ORGANISER)
    data = client.post(url(door, f"/check-in/{door.bo.id}"), headers=JSON).get_json()
    assert data["ok"] is True
    assert services._existing_check_in(door.session, door.bo).checked_in_by_id == organiser.id
    assert client.post(url(door, f"/undo/{door.bo.id}"), headers=JSON).get_json()["ok"] is True
    assert services.attendance_counts(door.session).checked_in == 0


def test_without_javascript_buttons_post_and_redirect_back(client, door, login_as):
    login_as(Role.STAFF)
    response = client.post(url(door, f"/check-in/{door.bo.id}"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url(door))
    page = client.get(url(door)).get_data(as_text=True)
    assert "Bo Berg is checked in." in page

    undo = client.post(url(door, f"/undo/{door.bo.id}"))
    assert undo.status_code == 302
    assert "Check-in of Bo Berg undone." in client.get(url(door)).get_data(as_text=True)
    assert services.attendance_counts(door.session).checked_in == 0


def test_code_check_in_and_clear_refusals(client, door, login_as):
    login_as(Role.STAFF)
    ok = client.post(url(door, "/code"), data={"code": door.anna.badge_code}, headers=JSON)
    assert ok.status_code == 200 and ok.get_json()["checked_in"] is True

    unknown = client.post(url(door, "/code"), data={"code": "QQQQQQQQ"}, headers=JSON)
    assert unknown.status_code == 409 and unknown.get_json()["message"] == "Unknown code."

    other = client.post(url(door, "/code"), data={"code": door.ext.badge_code}, headers=JSON)
    assert other.get_json()["message"] == "Eva External is not registered for this event."
    assert "walk_in_url" not in other.get_json()

    not_booked = client.post(url(door, "/code"), data={"code": door.dan.badge_code}, headers=JSON)
    data = not_booked.get_json()
    assert not_booked.status_code == 409 and data["ok"] is False
    assert data["walk_in_url"] == url(door, f"/walk-in/{door.dan.id}")

    empty = client.post(url(door, "/code"), data={"code": ""}, headers=JSON)
    assert empty.status_code == 400 and empty.get_json()["ok"] is False


def test_refused_code_without_javascript_offers_the_walk_in(client, door, login_as):
    login_as(Role.STAFF)
    response = client.post(url(door, "/code"), data={"code": door.dan.badge_code})
    assert response.status_code == 302
    assert f"walk_in={door.dan.id}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dan Dahl has not booked this session." in page
    assert f'action="/door/sessions/{door.session.id}/walk-in/{door.dan.id}"' in page
    # Only people registered for the event are offered: a user id reveals no one else.
    other = client.get(url(door, f"?walk_in={door.ext.id}")).get_data(as_text=True)
    assert "Eva External" not in other and f"/walk-in/{door.ext.id}" not in other


def test_walk_in_through_the_page(client, door, login_as):
    login_as(Role.STAFF)
    data = client.post(url(door, f"/walk-in/{door.dan.id}"), headers=JSON).get_json()
    assert data["ok"] is True and data["message"] == "Dan Dahl is in and took a free seat."
    assert data["counts"]["free"] == 0 and data["section"] == "booked"

    refused = client.post(url(door, f"/walk-in/{door.ext.id}"), headers=JSON)
    assert refused.status_code == 409


def test_counts_endpoint(client, door, login_as):
    login_as(Role.STAFF)
    services.check_in(session=door.session, user=door.bo, actor=door.staff)
    from expo.core.extensions import db

    db.session.commit()
    data = client.get(url(door, "/counts.json")).get_json()
    assert data["counts"]["checked_in"] == 1
    assert data["checked_in"] == [door.bo.id]
    row = client.get(url(door, f"/rows/{door.bo.id}")).get_json()
    assert row["checked_in"] is True and row["section"] == "booked"


def test_missing_session_or_person_is_404(client, door, login_as):
    login_as(Role.STAFF)
    assert client.get("/door/sessions/999999").status_code == 404
    assert client.post(url(door, "/check-in/999999"), headers=JSON).status_code == 404
    assert client.get(url(door, "/attendance.odt")).status_code == 404


def test_csv_export(client, door, login_as, db):
    login_as(Role.STAFF)
    services.check_in(session=door.session, user=door.anna, actor=door.staff)
    door.bo.name = "=HYPERLINK(1)"
    db.session.commit()

    response = client.get(url(door, "/attendance.csv"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["List", "Waiting list number", "Name"]
    by_name = {r[2]: r for r in rows[1:]}
    assert by_name["Anna Andersson"][:7] == ["Booked", "", "Anna Andersson", "City of Helsingborg",
                                             "Sweden", "UNECE", "yes"]
    assert by_name["Anna Andersson"][8] == "Sam Staff"
    checked_in_at = datetime.strptime(by_name["Anna Andersson"][7], "%Y-%m-%d %H:%M %z")  # with its UTC offset
    assert abs(checked_in_at - utcnow()) < timedelta(minutes=2)
    assert by_name["Cleo Castro"][:2] == ["Waiting list", "1"]
    assert "'=HYPERLINK(1)" in by_name  # never run as a formula
    assert len(rows) == 4


def test_xlsx_export(client, door, login_as):
    login_as(Role.ORGANISER)
    response = client.get(url(door, "/attendance.xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][2] == "Name"
    assert [v[2] for v in values[1:]] == ["Anna Andersson", "Bo Berg", "Cleo Castro"]
    assert values[3][1] == 1


def test_list_query_count_does_not_grow(client, door, login_as, db):
    login_as(Role.STAFF)
    services.check_in(session=door.session, user=door.anna, actor=door.staff)
    db.session.commit()
    small = page_query_count(client, url(door))
    from tests.attendance.conftest import book
    from tests.factories import make_network, make_organisation

    for n in range(12):
        person = make_user(organisation=make_organisation(), country_code="DE",
                           networks=[make_network(), make_network()])
        book(door.session, person)
        if n % 2:
            services.check_in(session=door.session, user=person, actor=door.staff)
    services.walk_in(session=door.session, user=door.dan, actor=door.staff)
    services.walk_in(session=door.session, user=door.cleo, actor=door.staff)
    db.session.commit()
    assert page_query_count(client, url(door)) == small <= 10


def test_day_query_count_does_not_grow(client, door, login_as, db):
    login_as(Role.STAFF)
    small = page_query_count(client, "/door/?day=2022-06-01")
    from tests.factories import make_session

    for _ in range(5):
        make_session(event=door.event)
    db.session.commit()
    assert page_query_count(client, "/door/?day=2022-06-01") == small


def test_two_phones_at_once_over_http(app, door):
    """Two staff phones post the same check-in at the same moment: one row, no error."""
    import threading

    staff2 = make_user(role=Role.STAFF)
    from expo.core.extensions import db

    db.session.commit()
    phones = [app.test_client(), app.test_client()]
    log_in(phones[0], door.staff)
    log_in(phones[1], staff2)
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def tap(phone):
        with app.app_context():
            barrier.wait()
            answers.append(phone.post(url(door, f"/check-in/{door.anna.id}"), headers=JSON).status_code)

    threads = [threading.Thread(target=tap, args=(p,)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert answers == [200, 200]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) == 1


def test_long_lists_show_their_first_people_and_search_finds_the_rest(client, door, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.attendance.views.DOOR_LIST_LIMIT", 1)
    login_as(Role.STAFF)
    html = client.get(url(door)).get_data(as_text=True)
    assert f'id="row-{door.anna.id}"' in html and f'id="row-{door.bo.id}"' not in html
    assert f'id="row-{door.cleo.id}"' in html  # each section shows its first people
    assert 'data-partial="true"' in html
    assert "Showing 2 of 3 people: search to find anyone else." in html
    assert f'href="/door/sessions/{door.session.id}?all=1"' in html
    found = client.get(url(door, "?q=berg")).get_data(as_text=True)
    assert f'id="row-{door.bo.id}"' in found and f'id="row-{door.anna.id}"' not in found
    everybody = client.get(url(door, "?all=1")).get_data(as_text=True)
    assert all(f'id="row-{p.id}"' in everybody for p in (door.anna, door.bo, door.cleo))
    assert 'data-partial="false"' in everybody


def test_print_the_whole_list_of_a_long_session(client, door, login_as, monkeypatch):
    """Paper cannot search: the print view holds everyone and the session's A4 header."""
    monkeypatch.setattr("expo.attendance.views.DOOR_LIST_LIMIT", 1)
    login_as(Role.STAFF)
    page = client.get(url(door)).get_data(as_text=True)
    link = f'href="/door/sessions/{door.session.id}?all=1&amp;print=1" id="door-print"'
    assert link in page and "Print the whole list</a>" in page
    assert 'data-print="false"' in page
    # A partial list that is printed anyway says so on paper.
    assert ('<p id="door-print-partial" class="print-only door-print-partial">'
            "This printout shows 2 of 3 people. Print the whole list from the door page.</p>") in page

    printed = client.get(url(door, "?all=1&print=1")).get_data(as_text=True)
    assert 'data-print="true"' in printed and 'data-partial="false"' in printed
    for person in (door.anna, door.bo, door.cleo):
        assert f'id="row-{person.id}"' in printed and person.name in printed
    header = printed.split('<header class="door-head">')[1].split("</header>")[0]
    assert "<h1>Cities and the SDGs</h1>" in header
    assert ">10:00</time>–<time" in header and ">11:00</time>" in header
    room = door.session.room
    assert f"{room.venue.name}, {room.name}" in header and "H22 City Expo" in header
    assert "The whole list, ready to print." in printed
    assert 'id="door-print-partial" class="print-only door-print-partial" hidden>' in printed


def test_printing_needs_staff(client, door, login_as):
    login_as(Role.DELEGATE)
    assert client.get(url(door, "?all=1&print=1")).status_code == 403


def test_the_door_counts_a_standing_delegate_given_a_seat_as_seated(client, door, login_as, db, app):
    from expo.registration import services as registration

    login_as(Role.STAFF)
    stood = client.post(url(door, f"/walk-in/{door.cleo.id}"), headers=JSON).get_json()
    assert stood["counts"]["standing"] == 1 and stood["section"] == "waitlist"
    organiser = make_user(role=Role.ORGANISER)
    with app.test_request_context("/"):
        registration.confirm_waitlisted(booking=services._booking(door.session, door.cleo),
                                        actor=organiser)
    db.session.commit()

    counts = client.get(url(door, "/counts.json")).get_json()["counts"]
    assert (counts["checked_in"], counts["standing"], counts["booked"]) == (1, 0, 3)
    row = client.get(url(door, f"/rows/{door.cleo.id}")).get_json()
    assert row["section"] == "booked" and row["checked_in"] is True
    assert "standing" not in row["row_html"] and "walk-in" not in row["row_html"]


def test_a_long_list_is_searched_word_by_word_on_the_server(client, door, login_as, db):
    """Over 100 people the server searches; like the browser, each word must match somewhere."""
    from tests.attendance.conftest import book

    for n in range(101):
        book(door.session, make_user(name=f"Delegate {n:03d}", country_code="DE"))
    achieng = make_user(name="Achieng Otieno", country_code="KE")
    book(door.session, achieng)
    db.session.commit()
    login_as(Role.STAFF)
    assert 'data-partial="true"' in client.get(url(door)).get_data(as_text=True)

    for q in ("Achieng Kenya", "kenya ACHIENG", "  otieno   ken "):
        page = client.get(url(door, f"?q={q}")).get_data(as_text=True)
        assert page.count('class="door-row') == 1, q
        assert f'id="row-{achieng.id}"' in page, q
    assert 'class="door-row' not in client.get(url(door, "?q=Achieng Sweden")).get_data(as_text=True)
    both = client.get(url(door, "?q=helsingborg unece")).get_data(as_text=True)
    assert f'id="row-{door.anna.id}"' in both and both.count('class="door-row') == 1


def _section(html: str, key: str) -> str:
    return html.split(f'id="section-{key}"')[1].split("</tbody>")[0]


def test_search_finds_registered_delegates_not_on_the_list_to_walk_in(client, door, login_as, db):
    from tests.attendance.conftest import book, register
    from expo.registration.models import BookingStatus

    gone = make_user(name="Dana Dahlberg")
    register(door.event, gone)
    book(door.session, gone, BookingStatus.CANCELLED)
    db.session.commit()
    login_as(Role.STAFF)

    html = client.get(url(door, "?q=dahl")).get_data(as_text=True)
    registered = _section(html, "registered")
    assert "Registered for the event, not on this list" in registered
    for person in (door.dan, gone):
        assert f'id="row-{person.id}"' in registered
        assert f'action="/door/sessions/{door.session.id}/walk-in/{person.id}"' in registered
    assert f"Walk in<span class=\"visually-hidden\"> <bdi>{door.dan.name}</bdi></span>" in registered
    assert registered.index("Dan Dahl<") < registered.index("Dana Dahlberg")

    # People on the list are found there only; other events' people and short searches not at all.
    anna = client.get(url(door, "?q=anna sweden")).get_data(as_text=True)
    assert anna.count(f'id="row-{door.anna.id}"') == 1 and 'class="door-row' not in _section(anna, "registered")
    assert 'class="door-row' not in _section(client.get(url(door, "?q=eva")).get_data(as_text=True), "registered")
    assert 'class="door-row' not in _section(client.get(url(door, "?q=d")).get_data(as_text=True), "registered")
    assert 'id="section-registered" class="door-section no-print" hidden' in client.get(url(door)).get_data(as_text=True)

    walked = client.post(url(door, f"/walk-in/{door.dan.id}"), headers=JSON).get_json()
    assert walked["ok"] is True and walked["section"] == "booked"
    after = client.get(url(door, "?q=dahl")).get_data(as_text=True)
    assert f'id="row-{door.dan.id}"' in _section(after, "booked")
    assert f'id="row-{door.dan.id}"' not in _section(after, "registered")


def test_many_registrants_found_show_the_first_and_ask_for_more(client, door, login_as, db, monkeypatch):
    from tests.attendance.conftest import register

    monkeypatch.setattr("expo.attendance.views.CANDIDATE_LIMIT", 1)
    register(door.event, make_user(name="Dan Dahlgren"))
    db.session.commit()
    login_as(Role.STAFF)
    registered = _section(client.get(url(door, "?q=dan")).get_data(as_text=True), "registered")
    assert f'id="row-{door.dan.id}"' in registered and "Dahlgren" not in registered
    assert "More registered delegates match: type more of the name." in registered


def test_searching_registrants_takes_the_same_queries_however_many_there_are(client, door, login_as, db):
    from tests.attendance.conftest import register
    from tests.factories import make_network, make_organisation

    login_as(Role.STAFF)
    target = url(door, "?q=da")
    small = page_query_count(client, target)
    for n in range(8):
        register(door.event, make_user(name=f"Dagny {n}", organisation=make_organisation(),
                                       networks=[make_network()]))
    db.session.commit()
    assert page_query_count(client, target) == small


def test_a_session_not_held_today_warns_at_the_door_but_still_checks_in(client, door, login_as):
    login_as(Role.STAFF)
    page = client.get(url(door)).get_data(as_text=True)
    banner = ('<p class="flash flash-warning door-off-day" role="alert">Not today: this session is '
              "on Wednesday, June 1, 2022. Check-ins made now still count.</p>")
    assert banner in page

    data = client.post(url(door, f"/check-in/{door.anna.id}"), headers=JSON).get_json()
    assert data["ok"] is True and data["checked_in"] is True
    assert "warning" not in data  # the page's banner says it once; answers never repeat it
    assert services.attendance_counts(door.session).checked_in == 1


def test_a_session_held_today_has_no_warning(client, door, login_as, db):
    from tests.attendance.conftest import book
    from tests.factories import make_session

    today = make_session(event=door.event, title="Today's talk", starts_at=utcnow(),
                         ends_at=utcnow() + timedelta(hours=1))
    book(today, door.anna)
    db.session.commit()
    login_as(Role.STAFF)
    assert "Not today" not in client.get(f"/door/sessions/{today.id}").get_data(as_text=True)
    data = client.post(f"/door/sessions/{today.id}/check-in/{door.anna.id}", headers=JSON).get_json()
    assert data["ok"] is True and "warning" not in data


def test_the_csv_export_names_countries_in_the_readers_language(client, door, login_as, db):
    login_as(Role.STAFF, locale="sv")

    response = client.get(url(door, "/attendance.csv"))

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Lista", "Nummer på väntelistan", "Namn", "Organisation", "Land"]
    by_name = {r[2]: r for r in rows[1:]}
    assert by_name["Anna Andersson"][4] == "Sverige"
    assert by_name["Bo Berg"][4] == "Norge"


def test_the_pdf_door_list_prints_every_script_in_the_readers_language(client, door, login_as, db):
    from tests.attendance.conftest import book
    from tests.pdf_check import NAMES_IN_EVERY_SCRIPT, notdef_glyphs, pdf_words, pdftotext

    long_name = "Maria-Magdalena Wolfeschlegelsteinhausenbergerdorff von Hohenzollern-Sigmaringen"
    for name in [*NAMES_IN_EVERY_SCRIPT, long_name]:
        person = make_user(name=name, country_code="SE")
        book(door.session, person)
    db.session.commit()
    login_as(Role.STAFF, locale="sv")

    response = client.get(url(door, "/attendance.pdf"))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"  # it names people
    pdf = response.get_data()
    text = pdftotext(pdf)
    for name in [*NAMES_IN_EVERY_SCRIPT, long_name, "Anna Andersson"]:
        assert name in text
    assert "Sverige" in text and "Norge" in text and "Namn" in text
    assert notdef_glyphs(pdf) == []
    # The long name is narrowed into its column: it ends before the organisation column starts.
    words = pdf_words(pdf)
    last = max(w["xMax"] for w in words if w["text"] == "Hohenzollern-Sigmaringen")
    organisation_x = min(w["xMin"] for w in words if w["text"] == "Organisation")
    assert last < organisation_x


def test_the_door_search_finds_countries_by_their_name_in_the_readers_language(client, door, login_as, db):
    """A Swedish reader types "Tyskland" and finds the delegates from Germany: on the page's
    search-as-you-type text, in the server's search of a long list, and among registrants
    who may walk in; in a fixed number of queries, however many there are."""
    from tests.attendance.conftest import book, register

    hans = make_user(name="Hans Becker", country_code="DE")
    book(door.session, hans)
    greta = make_user(name="Greta Vogel", country_code="DE")
    register(door.event, greta)
    db.session.commit()
    login_as(Role.STAFF, locale="sv")

    page = client.get(url(door)).get_data(as_text=True)
    # What the page's script searches as staff type: both names of the country.
    row = page.split(f'id="row-{hans.id}"')[1].split(">")[0]
    assert 'data-search="hans becker ' in row and ' germany tyskland"' in row
    found = client.get(url(door, "?q=tyskland")).get_data(as_text=True)
    assert f'id="row-{hans.id}"' in _section(found, "booked")
    assert f'id="row-{greta.id}"' in _section(found, "registered")
    assert f'id="row-{door.anna.id}"' not in found  # from Sweden
    assert f'id="row-{hans.id}"' in client.get(url(door, "?q=Germany")).get_data(as_text=True)  # English too
    assert f'id="row-{door.anna.id}"' in client.get(url(door, "?q=sverige anna")).get_data(as_text=True)

    queries = page_query_count(client, url(door, "?q=tysk"))
    for n in range(6):
        book(door.session, make_user(name=f"Delegate {n}", country_code="DE"))
        register(door.event, make_user(name=f"Registrant {n}", country_code="AT"))
    db.session.commit()
    assert page_query_count(client, url(door, "?q=tysk")) == queries


def test_a_long_door_list_is_searched_by_country_in_the_readers_language(client, door, login_as, db, monkeypatch):
    from tests.attendance.conftest import book

    monkeypatch.setattr("expo.attendance.views.DOOR_LIST_LIMIT", 2)
    hans = make_user(name="Hans Becker", country_code="DE")
    book(door.session, hans)
    db.session.commit()
    login_as(Role.STAFF, locale="sv")
    assert 'data-partial="true"' in client.get(url(door)).get_data(as_text=True)
    found = client.get(url(door, "?q=tyskland becker")).get_data(as_text=True)
    assert found.count('class="door-row') == 1 and f'id="row-{hans.id}"' in found
