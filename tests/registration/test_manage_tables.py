"""The registrations and bookings of an event as organisers' tables: pages with a count, sorting,
filters in the URL, bulk actions on ticked rows or every match, downloads of every match."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from expo.accounts.models import Role
from expo.audit.models import AuditAction, AuditEntry
from expo.events.models import RegistrationMode
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.factories import make_booking, make_network, make_organisation, make_registration, make_user
from tests.querycount import count_queries
from tests.registration.conftest import future_event, future_session, registered


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def names(page: str) -> list[str]:
    """The delegates' names of a registrations or bookings table, in order."""
    return re.findall(r'<td><bdi>([^<]+)</bdi><br><small>', page)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.fixture
def approval_event(db):
    return future_event(slug="approval", name="Approval day", registration_mode=RegistrationMode.APPROVAL)


def pending(event, count: int, prefix: str = "Delegate", **fields) -> list[Registration]:
    made = [make_registration(event=event, user=make_user(name=f"{prefix} {n:03d}", **fields),
                              status=RegistrationStatus.PENDING) for n in range(count)]
    return made


def test_registrations_come_a_page_at_a_time_with_a_count_and_links_that_keep_the_filters(
        client, db, login_as, approval_event):
    pending(approval_event, 60, country_code="SE")
    pending(approval_event, 3, prefix="Other", country_code="NO")
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{approval_event.slug}/registrations"

    first = html(client.get(url, query_string={"country": "SE", "sort": "name"}))
    assert "1–50 of 60" in first and len(names(first)) == 50
    assert names(first)[0] == "Delegate 000" and "Other 000" not in first
    assert f'href="{url}?country=SE&amp;sort=name&amp;page=2" rel="next"' in first

    second = html(client.get(url, query_string={"country": "SE", "sort": "name", "page": 2}))
    assert "51–60 of 60" in second
    assert names(second) == [f"Delegate {n:03d}" for n in range(50, 60)]
    assert 'rel="prev"' in second and 'rel="next"' not in second

    small = html(client.get(url, query_string={"country": "SE", "sort": "name", "per_page": 25, "page": 3}))
    assert "51–60 of 60" in small and len(names(small)) == 10


def test_sorting_by_a_column_sets_aria_sort_and_keeps_an_order_by_id(client, db, login_as, approval_event):
    for name in ("Cecilia", "Anna", "Bo"):
        make_registration(event=approval_event, user=make_user(name=name), status=RegistrationStatus.PENDING)
    twins = [make_registration(event=approval_event, user=make_user(name="Dag"), status=RegistrationStatus.PENDING)
             for _ in range(2)]
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{approval_event.slug}/registrations"

    rising = html(client.get(url, query_string={"sort": "name"}))
    assert names(rising) == ["Anna", "Bo", "Cecilia", "Dag", "Dag"]
    assert re.search(r'<th scope="col" aria-sort="ascending"><a href="[^"]*sort=-name">Name', rising)
    assert rising.count("aria-sort=") == 1
    falling = html(client.get(url, query_string={"sort": "-name"}))
    assert names(falling) == ["Dag", "Dag", "Cecilia", "Bo", "Anna"]
    assert 'aria-sort="descending"' in falling
    ids = [int(i) for i in re.findall(r'name="ids" value="(\d+)"', rising)]
    assert ids[-2:] == sorted(r.id for r in twins)

    # Not a column, or a column that does not sort: the default order, never an error.
    for sort in ("drop table", "networks", "-needs", "id", "name;--", ""):
        page = html(client.get(url, query_string={"sort": sort}))
        assert names(page) == ["Cecilia", "Anna", "Bo", "Dag", "Dag"], sort


@pytest.mark.parametrize("query", [
    {"page": "-1"}, {"page": "abc"}, {"page": "0"}, {"page": "99999999999999999999"}, {"page": "1e9"},
    {"per_page": str(10 ** 9)}, {"per_page": "-5"}, {"per_page": "abc"}, {"sort": "drop table"},
    {"sort": "-"}, {"sort": "name", "page": "٣"}, {"page": " 2 "}, {"per_page": "25.0"},
])
def test_bad_table_arguments_show_a_page_never_an_error(client, db, login_as, event, query):
    registered(event, name="Ana Pereira")
    db.session.commit()
    login_as(Role.ORGANISER)
    page = html(client.get(f"/manage/events/{event.slug}/registrations", query_string=query))
    assert "Ana Pereira" in page and "1–1 of 1" in page


def test_a_page_beyond_the_last_shows_the_last(client, db, login_as, approval_event):
    pending(approval_event, 30)
    db.session.commit()
    login_as(Role.ORGANISER)
    page = html(client.get(f"/manage/events/{approval_event.slug}/registrations",
                           query_string={"per_page": 25, "page": 40}))
    assert "26–30 of 30" in page


def _registrations_statements(client, event) -> int:
    with count_queries() as log:
        html(client.get(f"/manage/events/{event.slug}/registrations", query_string={"sort": "organisation"}))
    return log.count


def test_a_page_of_registrations_costs_the_same_queries_for_30_or_300(client, db, login_as, event):
    network = make_network()

    def add(count: int) -> None:
        for _ in range(count):
            registered(event, organisation=make_organisation(), country_code="SE", networks=[network])
        db.session.commit()

    login_as(Role.ORGANISER)
    add(30)
    few = _registrations_statements(client, event)
    add(270)
    assert _registrations_statements(client, event) == few


def test_the_count_reads_the_people_only_when_a_filter_asks_about_them(client, db, login_as, event):
    for n in range(3):
        registered(event, name=f"Delegate {n}", country_code="SE" if n else "NO")
    # a deleted account's registration stays as an anonymous row: no line of the table
    make_registration(event=event, user=make_user(name="Leaving"), status=RegistrationStatus.APPROVED).user_id = None
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{event.slug}/registrations"

    def count_statement(**query) -> tuple[str, str]:
        with count_queries() as log:
            page = html(client.get(url, query_string=query))
        return page, next(s for s in log.statements if "count(*)" in s.lower() and "registrations" in s)

    page, counting = count_statement(sort="name")
    assert "1–3 of 3" in page and "users" not in counting and "organisations" not in counting
    page, counting = count_statement(country="SE", sort="organisation")
    assert "1–2 of 2" in page and "users" in counting and "organisations" not in counting


def test_a_page_of_bookings_costs_the_same_queries_for_30_or_300(client, db, login_as, event):
    session = future_session(event)
    login_as(Role.ORGANISER)

    def add(count: int) -> None:
        for _ in range(count):
            user = registered(event, organisation=make_organisation(), country_code="SE")
            make_booking(session=session, user=user, status=BookingStatus.CONFIRMED)
        db.session.commit()

    def statements() -> int:
        with count_queries() as log:
            html(client.get(f"/manage/sessions/{session.id}/bookings", query_string={"sort": "-name"}))
        return log.count

    add(30)
    few = statements()
    add(270)
    assert statements() == few


def _statuses(registrations) -> list[RegistrationStatus]:
    from expo.core.extensions import db

    db.session.expire_all()
    return [r.status for r in registrations]


def test_bulk_approval_of_the_ticked_rows_asks_first_with_their_number(client, db, login_as, approval_event, outbox):
    made = pending(approval_event, 4)
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{approval_event.slug}/registrations/bulk"
    data = {"action": "approve", "scope": "ticked", "ids": [made[0].id, made[2].id]}

    question = html(client.post(url, data=data))
    assert "This changes 2 rows." in question
    assert _statuses(made) == [RegistrationStatus.PENDING] * 4 and outbox == []

    done = client.post(url, data={**data, "confirmed": "1"}, follow_redirects=True)
    assert "2 rows changed." in html(done)
    assert _statuses(made) == [RegistrationStatus.APPROVED, RegistrationStatus.PENDING,
                               RegistrationStatus.APPROVED, RegistrationStatus.PENDING]
    assert len(outbox) == 2


def test_bulk_action_on_every_match_of_the_filters_spans_all_pages(client, db, login_as, approval_event):
    norwegians = pending(approval_event, 60, country_code="NO")
    swedes = pending(approval_event, 2, prefix="Swede", country_code="SE")
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{approval_event.slug}/registrations/bulk?country=NO&sort=name&page=2"

    question = html(client.post(url, data={"action": "decline", "scope": "all"}))
    assert "This changes 60 rows." in question
    response = client.post(url, data={"action": "decline", "scope": "all", "confirmed": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/manage/events/{approval_event.slug}/registrations?country=NO&sort=name&page=2")
    assert set(_statuses(norwegians)) == {RegistrationStatus.DECLINED}
    assert set(_statuses(swedes)) == {RegistrationStatus.PENDING}


def test_bulk_removal_releases_seats_and_ticked_ids_of_another_event_are_ignored(client, db, login_as, event):
    session = future_session(event, capacity=5)
    delegates = [registered(event) for _ in range(3)]
    for delegate in delegates:
        make_booking(session=session, user=delegate, status=BookingStatus.CONFIRMED)
    other = make_registration(event=future_event(slug="other"), status=RegistrationStatus.APPROVED)
    db.session.commit()
    login_as(Role.ORGANISER)
    ids = [r.id for r in db.session.query(Registration).filter(Registration.event_id == event.id)][:2]
    response = client.post(f"/manage/events/{event.slug}/registrations/bulk",
                           data={"action": "remove", "scope": "ticked", "ids": [*ids, other.id], "confirmed": "1"},
                           follow_redirects=True)
    assert "2 rows changed." in html(response)
    db.session.expire_all()
    assert sorted(r.status.value for r in db.session.query(Registration).filter(Registration.event_id == event.id)) \
        == ["approved", "cancelled", "cancelled"]
    assert other.status is RegistrationStatus.APPROVED
    assert sorted(b.status.value for b in db.session.query(Booking)) == ["cancelled", "cancelled", "confirmed"]


def test_a_bulk_action_without_ticks_or_with_a_bad_id_explains(client, db, login_as, approval_event):
    pending(approval_event, 1)
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{approval_event.slug}/registrations/bulk"
    for data, message in (({"action": "approve", "scope": "ticked"}, "Tick at least one row."),
                          ({"action": "approve", "ids": ["abc"]}, "Invalid choice"),
                          ({"action": "approve", "ids": [str(2 ** 40)]}, "Unknown row."),
                          ({"action": "explode", "ids": ["1"]}, "Not a valid choice")):
        page = html(client.post(url, data=data, follow_redirects=True))
        assert message in page, data


def test_bulk_seats_from_the_waiting_list_and_removal_of_bookings(client, db, login_as, event):
    session = future_session(event, capacity=1)
    seated = make_booking(session=session, user=registered(event), status=BookingStatus.CONFIRMED)
    waiting = [make_booking(session=session, user=registered(event), status=BookingStatus.WAITLISTED,
                            waitlist_position=n) for n in (1, 2)]
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/sessions/{session.id}/bookings/bulk"

    full = client.post(url, data={"action": "seat", "scope": "all", "confirmed": "1"}, follow_redirects=True)
    assert "The session is full." in html(full)
    db.session.expire_all()
    assert [b.status for b in waiting] == [BookingStatus.WAITLISTED] * 2  # one transaction: nothing changed

    removed = client.post(url + "?status=confirmed", data={"action": "remove", "scope": "all", "confirmed": "1"},
                          follow_redirects=True)
    assert "1 row changed." in html(removed)
    db.session.expire_all()
    assert seated.status is BookingStatus.CANCELLED
    assert [b.status for b in waiting] == [BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]


def test_the_download_holds_exactly_every_match_of_the_filters(client, db, login_as, approval_event):
    pending(approval_event, 120, country_code="SE")
    pending(approval_event, 5, prefix="Other", country_code="NO")
    db.session.commit()
    login_as(Role.ORGANISER)
    url = f"/manage/events/{approval_event.slug}/registrations.csv"

    table = csv_rows(client.get(url, query_string={"country": "SE", "sort": "-name", "page": 2, "per_page": 25}))
    assert table[0][:2] == ["Name", "E-mail"]
    assert [row[0] for row in table[1:]] == [f"Delegate {n:03d}" for n in reversed(range(120))]
    entry = db.session.query(AuditEntry).filter_by(action=AuditAction.EXPORT_REGISTRATIONS).one()
    assert entry.detail == "approval-registrations.csv"


def test_the_excel_download_holds_every_match(client, db, login_as, approval_event):
    pending(approval_event, 70, country_code="SE")
    pending(approval_event, 2, prefix="Other", country_code="NO")
    db.session.commit()
    login_as(Role.ORGANISER)
    response = client.get(f"/manage/events/{approval_event.slug}/registrations.xlsx",
                          query_string={"country": "SE", "sort": "name"})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="approval-registrations.xlsx"'
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Name" and len(values) == 71
    assert [row[0] for row in values[1:]] == [f"Delegate {n:03d}" for n in range(70)]


def test_the_downloads_of_bookings_follow_the_filters(client, db, login_as, event):
    session = future_session(event, title="Mobility hubs")
    for n in range(3):
        make_booking(session=session, user=registered(event, name=f"Seated {n}"), status=BookingStatus.CONFIRMED)
    make_booking(session=session, user=registered(event, name="Waiting 0"), status=BookingStatus.WAITLISTED,
                 waitlist_position=1)
    db.session.commit()
    login_as(Role.ORGANISER)
    session_rows = csv_rows(client.get(f"/manage/sessions/{session.id}/bookings.csv",
                                       query_string={"status": "confirmed"}))
    assert sorted(row[2] for row in session_rows[1:]) == ["Seated 0", "Seated 1", "Seated 2"]
    workbook = client.get(f"/manage/events/{event.slug}/bookings.xlsx").get_data()
    sheet = load_workbook(io.BytesIO(workbook), read_only=True).active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Seated 0", "Seated 1", "Seated 2", "Waiting 0"]
    everything = csv_rows(client.get(f"/manage/events/{event.slug}/bookings.csv"))
    assert [row[2] for row in everything[1:]][-1] == "Waiting 0" and len(everything) == 5


@pytest.mark.parametrize("role", [Role.DELEGATE, Role.STAFF])
def test_the_tables_and_their_actions_are_refused_to_other_roles(client, db, login_as, event, role):
    session = future_session(event)
    registration = make_registration(event=event, status=RegistrationStatus.PENDING)
    db.session.commit()
    login_as(role)
    for url in (f"/manage/events/{event.slug}/registrations?page=2&sort=name",
                f"/manage/events/{event.slug}/registrations.xlsx",
                f"/manage/sessions/{session.id}/bookings?sort=-name",
                f"/manage/sessions/{session.id}/bookings.xlsx"):
        assert client.get(url).status_code == 403, url
    for url in (f"/manage/events/{event.slug}/registrations/bulk", f"/manage/sessions/{session.id}/bookings/bulk"):
        response = client.post(url, data={"action": "approve", "scope": "all", "confirmed": "1"})
        assert response.status_code == 403, url
    db.session.expire_all()
    assert registration.status is RegistrationStatus.PENDING


def test_the_registrations_page_is_a_form_with_a_labelled_scrolling_table(client, db, login_as, event):
    registered(event, name="Ana Pereira")
    db.session.commit()
    login_as(Role.ORGANISER)
    page = html(client.get(f"/manage/events/{event.slug}/registrations?status=approved"))
    assert '<div class="table-wrap data-table" tabindex="0" role="region" aria-label="Registrations">' in page
    assert 'data-select-all aria-label="Select all on this page"' in page
    assert f'action="/manage/events/{event.slug}/registrations/bulk?status=approved"' in page
    assert f'href="/manage/events/{event.slug}/registrations.csv?status=approved"' in page


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["AT", "EE", "DE", "IS", "SE"]),  # Austria, Estonia, Germany, Iceland, Sweden
    ("sv", ["EE", "IS", "SE", "DE", "AT"]),  # Estland, Island, Sverige, Tyskland, Österrike
])
def test_registrations_and_bookings_sort_by_country_names_in_the_readers_language(client, db, login_as, event,
                                                                                 language, expected):
    session = future_session(event)
    for code in ("SE", "DE", "IS", "AT", "EE"):
        make_booking(session=session, user=registered(event, name=f"Delegate in {code}", country_code=code))
    db.session.commit()
    login_as(Role.ORGANISER, locale=language)
    for url in (f"/manage/events/{event.slug}/registrations", f"/manage/sessions/{session.id}/bookings"):
        rising = names(html(client.get(url, query_string={"sort": "country"})))
        assert [n.removeprefix("Delegate in ") for n in rising] == expected, url
        falling = names(html(client.get(url, query_string={"sort": "-country"})))
        assert [n.removeprefix("Delegate in ") for n in falling] == expected[::-1], url
