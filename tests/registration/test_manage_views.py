from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import sqlalchemy as sa

from expo.accounts.models import Role
from expo.events.models import RegistrationMode
from expo.registration import services
from expo.registration.exports import to_csv
from expo.registration.models import Booking, BookingStatus, RegistrationStatus
from tests.conftest import log_in
from tests.factories import make_booking, make_network, make_organisation, make_registration, make_user
from tests.querycount import count_queries
from tests.registration.conftest import future_event, future_session, registered


def html(response) -> str:
    return response.get_data(as_text=True)


def rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_registrations_filter_by_status_country_network_and_organisation(client, db, login_as):
    event = future_event(slug="approval", registration_mode=RegistrationMode.APPROVAL)
    network = make_network(name="EIT Urban Mobility")
    city = make_organisation(name="Porto City Council", country_code="PT")
    ana = make_user(name="Ana Pereira", country_code="PT", organisation=city, networks=[network])
    lars = make_user(name="Lars Lund", country_code="SE")
    make_registration(event=event, user=ana, status=RegistrationStatus.PENDING)
    make_registration(event=event, user=lars, status=RegistrationStatus.APPROVED)
    login_as(Role.ORGANISER)
    url = f"/manage/events/{event.slug}/registrations"
    everyone = html(client.get(url))
    assert "Ana Pereira" in everyone and "Lars Lund" in everyone
    for query in ({"status": "pending"}, {"country": "PT"}, {"network": network.id}, {"organisation": city.id},
                  {"q": "pereira"}):
        page = html(client.get(url, query_string=query))
        assert "Ana Pereira" in page and "Lars Lund" not in page, query
    assert client.get(url, query_string={"status": "nonsense"}).status_code == 400


def test_bulk_approval_sends_mails(client, db, login_as, outbox):
    event = future_event(slug="approval", name="Approval day", registration_mode=RegistrationMode.APPROVAL)
    pending = [make_registration(event=event, status=RegistrationStatus.PENDING) for _ in range(3)]
    login_as(Role.ORGANISER)
    response = client.post(f"/manage/events/{event.slug}/registrations/decide",
                           data={"ids": [r.id for r in pending[:2]], "decision": "approve"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [r.status for r in pending] == [RegistrationStatus.APPROVED] * 2 + [RegistrationStatus.PENDING]
    assert sorted(m.to for m in outbox) == sorted(r.user.email for r in pending[:2])
    client.post(f"/manage/events/{event.slug}/registrations/decide", data={"ids": [pending[2].id], "decision": "decline"})
    db.session.expire_all()
    assert pending[2].status is RegistrationStatus.DECLINED
    assert outbox[-1].subject == "Your registration was not accepted: Approval day"


def test_decide_without_ticks_explains(client, db, login_as, event):
    login_as(Role.ORGANISER)
    response = client.post(f"/manage/events/{event.slug}/registrations/decide", data={"decision": "approve"},
                           follow_redirects=True)
    assert "Tick at least one registration." in html(response)


def test_organiser_adds_a_delegate_to_a_full_event_after_confirming(client, db, login_as):
    event = future_event(slug="full", capacity=1)
    make_registration(event=event)
    late = make_user(email="late@example.org")
    login_as(Role.ORGANISER)
    question = client.post(f"/manage/events/{event.slug}/registrations/add", data={"email": "late@example.org"})
    assert question.status_code == 200 and "goes over the event" in html(question)
    assert services.registration_for(late, event) is None
    client.post(f"/manage/events/{event.slug}/registrations/add", data={"email": "late@example.org", "confirm": "y"})
    db.session.expire_all()
    assert services.registration_for(late, event).status is RegistrationStatus.APPROVED
    unknown = client.post(f"/manage/events/{event.slug}/registrations/add", data={"email": "who@example.org"},
                          follow_redirects=True)
    assert "No account has this e-mail address." in html(unknown)


def test_session_bookings_page_add_over_capacity_confirm_and_remove(client, db, login_as, event, outbox):
    session = future_session(event, capacity=1, title="Harbour walk")
    seated, waiting = registered(event, name="Sara Seated"), registered(event, name="Will Waiting")
    extra = registered(event, email="extra@example.org")
    services.book_session(delegate=seated, session=session, actor=seated)
    waiting_booking = services.book_session(delegate=waiting, session=session, actor=waiting, join_waitlist=True)
    db.session.commit()
    login_as(Role.ORGANISER)
    page = html(client.get(f"/manage/sessions/{session.id}/bookings"))
    assert page.index("Sara Seated") < page.index("Will Waiting") and "number 1" in page

    question = client.post(f"/manage/sessions/{session.id}/bookings/add", data={"email": "extra@example.org"})
    assert "goes over the capacity of 1" in html(question)
    client.post(f"/manage/sessions/{session.id}/bookings/add", data={"email": "extra@example.org", "confirm": "y"})
    db.session.expire_all()
    assert services._booking_of(session, extra).status is BookingStatus.CONFIRMED

    question = client.post(f"/manage/bookings/{waiting_booking.id}/confirm")
    assert question.status_code == 200 and "Yes, go over capacity" in html(question)
    client.post(f"/manage/bookings/{waiting_booking.id}/confirm", data={"confirm": "y"})
    db.session.expire_all()
    assert waiting_booking.status is BookingStatus.CONFIRMED

    seated_booking = services._booking_of(session, seated)
    client.post(f"/manage/bookings/{seated_booking.id}/remove")
    db.session.expire_all()
    assert seated_booking.status is BookingStatus.CANCELLED
    assert outbox[-1].subject == "Your place was withdrawn: Harbour walk"


def test_private_needs_are_shown_to_organisers(client, db, login_as, event):
    user = make_user(name="Nina Needs", dietary_needs="Vegan", needs_consent_at=sa.func.now())
    registered(event, user)
    db.session.commit()
    login_as(Role.ORGANISER)
    assert "Vegan" in html(client.get(f"/manage/events/{event.slug}/registrations"))


def test_registrations_csv_is_excel_friendly_and_escaped(client, db, login_as, event):
    registered(event, name='Åsa "Ace" Öberg, PhD', email="asa@example.org")
    registered(event, name="=HYPERLINK(\"http://evil\")", email="evil@example.org")
    login_as(Role.ORGANISER)
    response = client.get(f"/manage/events/{event.slug}/registrations.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="h22-days-registrations.csv"' in response.headers["Content-Disposition"]
    table = rows(response)
    assert table[0][:3] == ["Name", "E-mail", "Organisation"]
    names = [r[0] for r in table[1:]]
    assert 'Åsa "Ace" Öberg, PhD' in names
    assert "'=HYPERLINK(\"http://evil\")" in names


def test_session_and_event_booking_exports_follow_filters(client, db, login_as, event):
    session = future_session(event, capacity=1, title="Harbour walk")
    a, b = registered(event, name="Alva"), registered(event, name="Bo")
    services.book_session(delegate=a, session=session, actor=a)
    services.book_session(delegate=b, session=session, actor=b, join_waitlist=True)
    db.session.commit()
    login_as(Role.ORGANISER)
    table = rows(client.get(f"/manage/sessions/{session.id}/bookings.csv", query_string={"status": "waitlisted"}))
    assert [(r[2], r[-2], r[-1]) for r in table[1:]] == [("Bo", "waitlisted", "1")]
    table = rows(client.get(f"/manage/events/{event.slug}/bookings.csv"))
    assert sorted(r[2] for r in table[1:]) == ["Alva", "Bo"]
    assert table[1][0] == "Harbour walk"
    # The local time with its date and UTC offset: unambiguous even in the repeated October hour.
    assert datetime.strptime(table[1][1], "%Y-%m-%d %H:%M %z") == session.starts_at
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d", table[1][1])


def test_to_csv_quotes_separators_and_newlines():
    data = to_csv(["a", "b"], [["x,y", "line\nbreak"], ["-1", None]])
    assert data == '\ufeffa,b\r\n"x,y","line\nbreak"\r\n\'-1,\r\n'.encode("utf-8")


def test_registration_list_query_count_is_fixed(client, db, login_as, event):
    network = make_network()
    login_as(Role.ORGANISER)

    def add(n):
        for _ in range(n):
            registered(event, organisation=make_organisation(), country_code="SE", networks=[network])
        db.session.commit()

    add(1)
    with count_queries() as few:
        client.get(f"/manage/events/{event.slug}/registrations")
    add(6)
    with count_queries() as many:
        client.get(f"/manage/events/{event.slug}/registrations")
    assert many.count == few.count


def test_booking_list_query_count_is_fixed(client, db, login_as, event):
    session = future_session(event)
    login_as(Role.ORGANISER)

    def add(n):
        for _ in range(n):
            user = registered(event, organisation=make_organisation(), country_code="SE")
            make_booking(session=session, user=user, status=BookingStatus.CONFIRMED)
        db.session.commit()

    add(1)
    with count_queries() as few:
        client.get(f"/manage/sessions/{session.id}/bookings")
    add(6)
    with count_queries() as many:
        client.get(f"/manage/sessions/{session.id}/bookings")
    assert many.count == few.count


def test_one_by_one_decision_with_a_rows_own_button(client, db, login_as):
    event = future_event(slug="approval", registration_mode=RegistrationMode.APPROVAL)
    first, second = (make_registration(event=event, status=RegistrationStatus.PENDING) for _ in range(2))
    login_as(Role.ORGANISER)
    page = html(client.get(f"/manage/events/{event.slug}/registrations"))
    assert f'value="{first.id}:approve"' in page
    client.post(f"/manage/events/{event.slug}/registrations/decide",
                data={"ids": [second.id], "decision": "approve", "one": f"{first.id}:decline"})
    db.session.expire_all()
    assert (first.status, second.status) == (RegistrationStatus.DECLINED, RegistrationStatus.PENDING)
    bad = client.post(f"/manage/events/{event.slug}/registrations/decide", data={"one": "1:delete"},
                      follow_redirects=True)
    assert bad.status_code == 200
    db.session.expire_all()
    assert second.status is RegistrationStatus.PENDING


def test_ids_beyond_the_database_range_are_refused_not_a_server_error(client, db, login_as):
    event = future_event(slug="approval", registration_mode=RegistrationMode.APPROVAL)
    pending = make_registration(event=event, status=RegistrationStatus.PENDING)
    login_as(Role.ORGANISER)
    url = f"/manage/events/{event.slug}/registrations/decide"
    huge = "99999999999999999999999"
    for data in ({"one": f"{huge}:approve"}, {"ids": [huge], "decision": "approve"},
                 {"ids": [pending.id, 2**31], "decision": "approve"}, {"ids": ["0"], "decision": "approve"},
                 {"ids": ["-1"], "decision": "approve"}, {"one": "0:decline"}):
        response = client.post(url, data=data, follow_redirects=True)
        assert response.status_code == 200, data
        assert "Unknown registration." in html(response), data
    db.session.expire_all()
    assert pending.status is RegistrationStatus.PENDING
    client.post(url, data={"ids": [pending.id, 2**31 - 1], "decision": "approve"})
    db.session.expire_all()
    assert pending.status is RegistrationStatus.APPROVED


def test_organiser_removes_a_delegate_from_the_event(client, db, login_as, event, outbox):
    session = future_session(event, capacity=1, title="Harbour walk")
    leaving, waiting = registered(event, name="Lena Leaving"), registered(event, name="Will Waiting")
    services.book_session(delegate=leaving, session=session, actor=leaving)
    services.book_session(delegate=waiting, session=session, actor=waiting, join_waitlist=True)
    registration = services.registration_for(leaving, event)
    db.session.commit()
    outbox.clear()
    organiser = login_as(Role.ORGANISER)
    page = html(client.get(f"/manage/events/{event.slug}/registrations"))
    assert f'formaction="/manage/registrations/{registration.id}/remove"' in page
    assert "Remove from the event" in page

    response = client.post(f"/manage/registrations/{registration.id}/remove", follow_redirects=True)

    assert "The delegate is no longer registered" in html(response)
    db.session.expire_all()
    assert (registration.status, registration.decided_by_id) == (RegistrationStatus.CANCELLED, organiser.id)
    assert services._booking_of(session, leaving).status is BookingStatus.CANCELLED
    assert services._booking_of(session, waiting).status is BookingStatus.CONFIRMED
    assert sorted((m.to, m.subject) for m in outbox) == sorted([
        (leaving.email, "You are no longer registered: H22 City Expo Days"),
        (leaving.email, "Removed from your calendar: Harbour walk"),
        (waiting.email, "A seat is yours: Harbour walk"),
    ])
    again = client.post(f"/manage/registrations/{registration.id}/remove", follow_redirects=True)
    assert "This registration is not active." in html(again)


def test_only_organisers_remove_delegates_from_an_event(client, db, login_as, event):
    delegate = registered(event)
    registration = services.registration_for(delegate, event)
    db.session.commit()
    url = f"/manage/registrations/{registration.id}/remove"
    assert "/account/login" in client.post(url).headers["Location"]
    for role in (Role.DELEGATE, Role.STAFF):
        login_as(role)
        assert client.post(url).status_code == 403, role
        client.post("/account/logout")
    log_in(client, delegate)
    assert client.post(url).status_code == 403
    db.session.expire_all()
    assert registration.status is RegistrationStatus.APPROVED
    assert client.post("/manage/registrations/99999/remove").status_code == 404


def test_a_search_for_percent_or_underscore_finds_only_those_characters(client, db, login_as, event):
    for name in ("Anna_Lind", "AnnaXLind", "Bo 50% Berg", "Bo 500 Berg"):
        registered(event, name=name)
    login_as(Role.ORGANISER)
    url = f"/manage/events/{event.slug}/registrations"
    found = {q: {n for n in ("Anna_Lind", "AnnaXLind", "Bo 50% Berg", "Bo 500 Berg")
                 if n in html(client.get(url, query_string={"q": q}))} for q in ("_", "a_l", "50%", "%")}
    assert found == {"_": {"Anna_Lind"}, "a_l": {"Anna_Lind"}, "50%": {"Bo 50% Berg"}, "%": {"Bo 50% Berg"}}
    table = rows(client.get(f"/manage/events/{event.slug}/registrations.csv", query_string={"q": "50%"}))
    assert [r[0] for r in table[1:]] == ["Bo 50% Berg"]


def test_exports_leave_out_the_rows_of_deleted_accounts(client, db, login_as, event):
    from expo.registration.models import Registration

    session = future_session(event)
    kept = registered(event, name="Kim Kept")
    services.book_session(delegate=kept, session=session, actor=kept)
    db.session.add(Registration(event=event, user=None, status=RegistrationStatus.APPROVED))
    db.session.add(Booking(session=session, user=None, status=BookingStatus.CONFIRMED,
                           confirmed_at=session.created_at))
    login_as(Role.ORGANISER)
    for url in (f"/manage/events/{event.slug}/registrations.csv", f"/manage/events/{event.slug}/bookings.csv",
                f"/manage/sessions/{session.id}/bookings.csv"):
        table = rows(client.get(url))
        assert len(table) == 2 and "Kim Kept" in table[1], url
