"""People, organisations, networks and an event's sessions as organisers' tables: paged with a
count, sorted by column, every match downloadable, in a fixed number of queries."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from expo.accounts.models import Role, User
from expo.audit.models import AuditAction, AuditEntry
from tests.factories import (
    add_person,
    make_event,
    make_network,
    make_organisation,
    make_room,
    make_session,
    make_user,
)
from tests.querycount import count_queries


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def statements(client, url: str) -> int:
    with count_queries() as log:
        html(client.get(url))
    return log.count


def test_people_sort_by_e_mail_and_page_with_a_count(client, db, login_as):
    login_as(Role.ORGANISER, name="Zed Organiser", email="zz@example.org")
    for n in range(30):
        make_user(name=f"Delegate {n:02d}", email=f"{99 - n:02d}@example.org", country_code="SE")
    db.session.commit()
    page = html(client.get("/manage/people/", query_string={"country": "SE", "sort": "email", "per_page": 25}))
    assert "1–25 of 30" in page
    listed = re.findall(r'/manage/people/\d+">([^<]+)</a>', page)
    assert listed[:2] == ["Delegate 29", "Delegate 28"] and len(listed) == 25
    assert 'aria-sort="ascending"><a href="/manage/people/?country=SE&amp;sort=-email&amp;per_page=25">E-mail' in page


def test_the_people_page_costs_the_same_queries_for_30_or_300(client, db, login_as):
    login_as(Role.ORGANISER)

    def add(count: int) -> None:
        for _ in range(count):
            make_user(organisation=make_organisation(), country_code="SE")
        db.session.commit()

    add(30)
    few = statements(client, "/manage/people/?sort=organisation")
    add(270)
    assert statements(client, "/manage/people/?sort=organisation") == few


def test_people_are_deactivated_in_bulk_but_never_the_organiser_themself(client, db, login_as):
    organiser = login_as(Role.ORGANISER, country_code="SE")
    swedes = [make_user(country_code="SE") for _ in range(3)]
    norwegian = make_user(country_code="NO")
    db.session.commit()
    question = html(client.post("/manage/people/bulk?country=SE", data={"action": "deactivate", "scope": "all"}))
    assert "This changes 4 rows." in question  # asked about every match; the organiser is passed over
    done = client.post("/manage/people/bulk?country=SE",
                       data={"action": "deactivate", "scope": "all", "confirmed": "1"}, follow_redirects=True)
    assert "3 rows changed." in html(done)
    db.session.expire_all()
    assert [p.active for p in swedes] == [False] * 3 and norwegian.active and organiser.active
    assert db.session.query(AuditEntry).filter_by(action=AuditAction.ACCOUNT_DEACTIVATED).count() == 3


def test_the_people_download_has_every_match_and_is_audited(client, db, login_as):
    login_as(Role.ORGANISER, country_code="NO")
    for n in range(60):
        make_user(name=f"Delegate {n:02d}", country_code="SE")
    db.session.commit()
    rows = csv_rows(client.get("/manage/people/people.csv", query_string={"country": "SE", "page": 2}))
    assert rows[0][:2] == ["Name", "E-mail"]
    assert [r[0] for r in rows[1:]] == [f"Delegate {n:02d}" for n in range(60)]
    assert db.session.query(AuditEntry).filter_by(action=AuditAction.EXPORT_PEOPLE).one().detail == "people.csv"


def test_organisations_and_networks_sort_by_their_counts(client, db, login_as):
    login_as(Role.ORGANISER)
    big, small = make_organisation(name="Big City"), make_organisation(name="Aa Small Town")
    network = make_network(name="Only Network", acronym="ON")
    for _ in range(3):
        make_user(organisation=big, networks=[network])
    make_user(organisation=small)
    db.session.commit()
    page = html(client.get("/manage/organisations", query_string={"sort": "-members"}))
    assert page.index("Big City") < page.index("Aa Small Town")
    page = html(client.get("/manage/organisations", query_string={"sort": "name"}))
    assert page.index("Aa Small Town") < page.index("Big City")
    networks = html(client.get("/manage/networks", query_string={"sort": "-members", "per_page": 25}))
    assert "1–1 of 1" in networks and "Only Network" in networks
    rows = csv_rows(client.get("/manage/organisations.csv", query_string={"sort": "-members"}))
    assert [r[0] for r in rows[1:]] == ["Big City", "Aa Small Town"] and rows[1][3] == "3"
    sheet = load_workbook(io.BytesIO(client.get("/manage/networks.xlsx").get_data()), read_only=True).active
    assert list(sheet.iter_rows(values_only=True)) == [("Network", "Acronym", "Members", "Sessions"),
                                                       ("Only Network", "ON", 3, 0)]


@pytest.mark.parametrize("url", ["/manage/organisations", "/manage/networks"])
def test_organisations_and_networks_cost_the_same_queries_for_30_or_300(client, db, login_as, url):
    login_as(Role.ORGANISER)

    def add(count: int) -> None:
        for _ in range(count):
            make_organisation(country_code="SE")
            make_network()
        db.session.commit()

    add(30)
    few = statements(client, url + "?sort=-members")
    add(270)
    assert statements(client, url + "?sort=-members") == few


def test_an_events_sessions_page_sort_and_download(client, db, login_as):
    login_as(Role.ORGANISER)
    event = make_event()
    room = make_room()
    speaker = make_user(name="Ana Speaker")
    sessions = []
    for n in range(60):
        session = make_session(event=event, room=room, title=f"Talk {n:02d}",
                               starts_at=make_session(event=event, room=room, title=f"Early {n:02d}").starts_at
                               + timedelta(minutes=n + 1))
        add_person(session, speaker)
        sessions.append(session)
    db.session.commit()
    url = f"/manage/events/{event.id}/sessions"
    page = html(client.get(url, query_string={"q": "Talk", "sort": "-title"}))
    assert "1–50 of 60" in page
    titles = re.findall(r'/edit">(Talk \d+)</a>', page)
    assert titles[:2] == ["Talk 59", "Talk 58"] and len(titles) == 50
    rows = csv_rows(client.get(f"/manage/events/{event.id}/sessions.csv", query_string={"q": "Talk", "page": 2}))
    assert [r[2] for r in rows[1:]] == [f"Talk {n:02d}" for n in range(60)]
    assert rows[1][8] == "Ana Speaker"


def test_the_sessions_page_costs_the_same_queries_for_30_or_300(client, db, login_as):
    login_as(Role.ORGANISER)
    event = make_event()
    room = make_room()

    def add(count: int) -> None:
        for _ in range(count):
            add_person(make_session(event=event, room=room), make_user())
        db.session.commit()

    add(30)
    few = statements(client, f"/manage/events/{event.id}/sessions?sort=revision")
    add(270)
    assert statements(client, f"/manage/events/{event.id}/sessions?sort=revision") == few


@pytest.mark.parametrize("role", [Role.DELEGATE, Role.STAFF])
def test_the_lists_and_their_downloads_are_refused_to_other_roles(client, db, login_as, role):
    login_as(role)
    event = make_event()
    db.session.commit()
    for url in ("/manage/people/?sort=email", "/manage/people/people.csv", "/manage/organisations.xlsx",
                "/manage/networks.csv", f"/manage/events/{event.id}/sessions.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post("/manage/people/bulk", data={"action": "deactivate", "scope": "all",
                                                    "confirmed": "1"}).status_code == 403
    assert db.session.query(User).filter(User.active.is_(False)).count() == 0


@pytest.mark.parametrize("query", ["page=-1", "page=abc", f"per_page={10 ** 9}", "sort=drop+table", "sort=-"])
@pytest.mark.parametrize("url", ["/manage/people/", "/manage/organisations", "/manage/networks"])
def test_bad_table_arguments_never_give_an_error(client, db, login_as, url, query):
    login_as(Role.ORGANISER)
    assert "1–" in html(client.get(f"{url}?{query}")) or "No matches." in html(client.get(f"{url}?{query}"))


# Codes in alphabetical order are AT, DE, EE, IS, SE; names are ordered otherwise in each language.
COUNTRY_ORDERS = {
    "en": ["AT", "EE", "DE", "IS", "SE"],  # Austria, Estonia, Germany, Iceland, Sweden
    "sv": ["EE", "IS", "SE", "DE", "AT"],  # Estland, Island, Sverige, Tyskland, Österrike
}


@pytest.mark.parametrize("language", ["en", "sv"])
def test_people_and_organisations_sort_by_country_names_in_the_readers_language(client, db, login_as, language):
    login_as(Role.ORGANISER, name="Organiser without country", locale=language)
    for code in ("SE", "DE", "IS", "AT", "EE"):
        make_user(name=f"Person in {code}", country_code=code)
        make_organisation(name=f"Organisation in {code}", country_code=code)
    db.session.commit()

    def order(url: str, prefix: str, sort: str) -> list[str]:
        page = html(client.get(url, query_string={"sort": sort}))
        return list(dict.fromkeys(re.findall(rf"{prefix} in ([A-Z]{{2}})", page)))  # a name shows twice a row

    expected = COUNTRY_ORDERS[language]
    assert order("/manage/people/", "Person", "country") == expected
    assert order("/manage/people/", "Person", "-country") == expected[::-1]
    assert order("/manage/organisations", "Organisation", "country") == expected
    people = html(client.get("/manage/people/", query_string={"sort": "country"}))
    assert people.rindex("Person in SE") < people.rindex("Organiser without country")  # no country: last
