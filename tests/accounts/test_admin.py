"""People administration: search, a person's activity, invitations, roles, deactivation."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts import admin
from expo.accounts.models import Role, User
from expo.attendance.models import CheckIn
from expo.audit.models import AuditAction, AuditEntry
from expo.registration import services as booking
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.conftest import log_in
from tests.factories import PASSWORD, make_organisation, make_user, utc
from tests.querycount import count_queries
from tests.registration.conftest import future_event, future_session, registered
from tests.registration.test_privacy import past_event_with_attendance


def _actions(db) -> list[tuple[AuditAction, int | None, int | None]]:
    return [tuple(row) for row in db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.subject_id).order_by(AuditEntry.id))]


def test_search_finds_people_by_name_email_organisation_country_and_role(client, db, login_as):
    organiser = login_as(Role.ORGANISER, name="Olga Organiser")
    porto = make_organisation(name="Câmara Municipal do Porto")
    ana = make_user(name="Ana Pereira", email="ana@porto.example", organisation=porto, country_code="PT")
    bo = make_user(name="Bo Svensson", email="bo@hbg.example", country_code="SE", role=Role.STAFF)
    db.session.commit()

    def names(**args) -> list[str]:
        response = client.get("/manage/people/", query_string=args)
        assert response.status_code == 200
        return re.findall(r'/manage/people/\d+">([^<]+)</a>', response.get_data(as_text=True))

    assert names() == ["Ana Pereira", "Bo Svensson", "Olga Organiser"]
    assert names(q="porto") == ["Ana Pereira"]  # organisation (and e-mail)
    assert names(q="hbg.example") == ["Bo Svensson"]
    assert names(q="svens") == ["Bo Svensson"]
    assert names(country="PT") == ["Ana Pereira"]
    assert names(role="staff") == ["Bo Svensson"]
    assert names(role="admin") == ["Olga Organiser"]
    assert names(role="no-such-role") == ["Ana Pereira", "Bo Svensson", "Olga Organiser"]  # shown, ignored
    assert ana.id and bo.id and organiser.id


def test_search_pages_on_the_server_in_one_query(app, db):
    for n in range(7):
        make_user(name=f"Delegate {n}")
    db.session.commit()
    with count_queries() as log:
        first = admin.search_people(admin.PeopleFilter(), page=1, per_page=3)
    assert log.count == 1
    third = admin.search_people(admin.PeopleFilter(), page=3, per_page=3)
    assert [p.name for p in first.people] == ["Delegate 0", "Delegate 1", "Delegate 2"] and first.has_next
    assert [p.name for p in third.people] == ["Delegate 6"] and not third.has_next


def test_a_person_page_shows_registrations_bookings_and_check_ins(client, db, login_as):
    login_as(Role.ORGANISER)
    person = make_user(name="Ana Pereira")
    event = future_event(name="UNECE +50 Sessions")
    registered(event, person)
    booking.book_session(delegate=person, session=future_session(event, title="Mobility hubs"), actor=person)
    past_event_with_attendance(person)
    db.session.commit()

    with count_queries() as log:
        response = client.get(f"/manage/people/{person.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "UNECE +50 Sessions" in page and "Mobility hubs" in page
    assert page.count("Past keynote") == 2  # booked, and checked in
    assert log.count <= 8


def test_inviting_sends_a_link_that_sets_the_password_once(client, db, login_as, outbox):
    organiser = login_as(Role.ORGANISER)
    response = client.post("/manage/people/invite", data={
        "name": "Nina Nordregio", "email": "Nina@Nordregio.example", "role": "staff"})
    assert response.status_code == 302
    nina = db.session.scalar(sa.select(User).where(User.email == "nina@nordregio.example"))
    assert nina.role is Role.STAFF and nina.active
    assert [m.to for m in outbox] == ["nina@nordregio.example"]
    link = re.search(r"https?://[^/\s]+(/account/invitation/\S+)", outbox[0].body).group(1)
    assert _actions(db) == [(AuditAction.PERSON_INVITED, organiser.id, nina.id)]

    client.post("/account/logout")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"name": "Nina Berg", "password": "a long new secret",
                                       "confirm": "a long new secret"})
    assert response.status_code == 302
    assert client.get("/door/").status_code == 200  # signed in as staff
    db.session.refresh(nina)
    assert nina.name == "Nina Berg" and nina.check_password("a long new secret")

    again = client.post(link, data={"name": "X", "password": "another long one", "confirm": "another long one"})
    assert again.status_code == 404 and "no longer works" in again.get_data(as_text=True)
    db.session.refresh(nina)
    assert nina.check_password("a long new secret")


def test_an_invitation_link_expires_after_a_week(app, db, monkeypatch):
    person = make_user()
    db.session.commit()
    with app.test_request_context():
        token = admin.invitation_token(person)
        assert admin.invited_user(token) == person
        import itsdangerous.timed

        later = itsdangerous.timed.time.time() + admin.INVITATION_VALID_FOR.total_seconds() + 5
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
        assert admin.invited_user(token) is None
        assert admin.invited_user("not-a-token") is None


def test_inviting_refuses_an_address_in_use_and_unknown_roles(client, db, login_as, outbox):
    login_as(Role.ADMIN)
    make_user(email="taken@example.org")
    db.session.commit()
    page = client.post("/manage/people/invite", data={"name": "T", "email": "taken@example.org", "role": "staff"})
    assert "already exists" in page.get_data(as_text=True)
    page = client.post("/manage/people/invite", data={"name": "T", "email": "new@example.org", "role": "boss"})
    assert page.status_code == 200 and outbox == []
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.org")) is None


def test_changing_a_role(client, db, login_as):
    organiser = login_as(Role.ORGANISER)
    person = make_user(role=Role.DELEGATE)
    db.session.commit()
    client.post(f"/manage/people/{person.id}/role", data={"role": "staff"})
    db.session.refresh(person)
    assert person.role is Role.STAFF
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.subject_id, entry.detail) == (
        AuditAction.ROLE_CHANGED, organiser.id, person.id, "delegate → staff")


def test_an_organiser_cannot_change_or_deactivate_their_own_account(client, db, login_as):
    organiser = login_as(Role.ORGANISER)
    assert client.post(f"/manage/people/{organiser.id}/role", data={"role": "delegate"}).status_code == 403
    assert client.post(f"/manage/people/{organiser.id}/deactivate").status_code == 403
    db.session.refresh(organiser)
    assert organiser.role is Role.ORGANISER and organiser.active


def test_deactivating_ends_sessions_releases_places_and_keeps_data(app, client, db, login_as, outbox):
    event = future_event()
    person = registered(event, email="leaving@example.org")
    upcoming = future_session(event, capacity=1, title="Harbour walk")
    booking.book_session(delegate=person, session=upcoming, actor=person)
    waiting = registered(event)
    booking.book_session(delegate=waiting, session=upcoming, actor=waiting, join_waitlist=True)
    past_session, past_booking, check_in = past_event_with_attendance(person)
    db.session.commit()
    delegate_browser = app.test_client()
    log_in(delegate_browser, person)
    assert delegate_browser.get("/agenda").status_code == 200

    organiser = login_as(Role.ORGANISER)
    outbox.clear()
    client.post(f"/manage/people/{person.id}/deactivate")

    db.session.refresh(person)
    assert not person.active
    # the session the person had open has ended, and signing in again is refused
    assert delegate_browser.get("/agenda").status_code == 302
    assert app.test_client().post("/account/login", data={"email": person.email, "password": PASSWORD}).status_code == 200
    # places in what is to come are released: the waiting list moves up
    assert booking._booking_of(upcoming, waiting).status is BookingStatus.CONFIRMED
    assert booking._booking_of(upcoming, person).status is BookingStatus.CANCELLED
    # the next in line is told of the seat; the person's calendar is sent its cancellation
    assert sorted(m.to for m in outbox) == sorted([waiting.email, person.email])
    [cancel] = [m for m in outbox if m.to == person.email]
    assert b"METHOD:CANCEL" in cancel.attachments[0].content
    statuses = dict(db.session.execute(
        sa.select(Registration.event_id, Registration.status).where(Registration.user_id == person.id)).all())
    assert statuses == {event.id: RegistrationStatus.CANCELLED, past_session.event_id: RegistrationStatus.APPROVED}
    # the past is kept, with the person
    assert db.session.get(Booking, past_booking.id).user_id == person.id
    assert db.session.get(CheckIn, check_in.id).user_id == person.id
    assert _actions(db) == [(AuditAction.ACCOUNT_DEACTIVATED, organiser.id, person.id)]

    client.post(f"/manage/people/{person.id}/reactivate")
    db.session.refresh(person)
    assert person.active
    log_in(app.test_client(), person)
    assert _actions(db)[-1] == (AuditAction.ACCOUNT_REACTIVATED, organiser.id, person.id)


def test_people_pages_are_for_organisers(client, db, login_as):
    person = make_user()
    db.session.commit()
    login_as(Role.STAFF)
    assert client.get("/manage/people/").status_code == 403
    assert client.get(f"/manage/people/{person.id}").status_code == 403
    assert client.post(f"/manage/people/{person.id}/deactivate").status_code == 403
    db.session.refresh(person)
    assert person.active


def test_menus_show_people_and_the_audit_log_to_organisers_only(client, db, login_as):
    login_as(Role.STAFF)
    page = client.get("/door/").get_data(as_text=True)
    assert "/manage/people/" not in page and "/manage/audit/" not in page
    client.post("/account/logout")
    login_as(Role.ORGANISER)
    page = client.get("/manage/").get_data(as_text=True)  # the workspace's side menu
    assert '<a href="/manage/people/">People</a>' in page and '<a href="/manage/audit/">Audit log</a>' in page


def test_the_people_list_pages_keep_the_filters(client, db, login_as):
    login_as(Role.ORGANISER, name="Zed Organiser")
    for n in range(admin.PER_PAGE + 2):
        make_user(name=f"Delegate {n:02d}", country_code="SE")
    db.session.commit()
    first = client.get("/manage/people/?country=SE").get_data(as_text=True)
    assert 'href="/manage/people/?country=SE&amp;page=2" rel="next"' in first
    second = client.get("/manage/people/?country=SE&page=2").get_data(as_text=True)
    assert re.findall(r'/manage/people/\d+">([^<]+)</a>', second) == ["Delegate 50", "Delegate 51"]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/manage/people/?page=x").status_code == 200


def test_many_invitations_written_once_per_language_read_as_each_written_alone(app, db):
    from expo.accounts import mails

    inviter = make_user(role=Role.ADMIN, name="Ines Admin")
    people = [make_user(role=Role.DELEGATE, name="Åsa <Öberg> & %(x)s", locale="sv"),
              make_user(role=Role.DELEGATE, name="Bo Berg", locale="en"),
              make_user(role=Role.ORGANISER, name="Cy \\1 Dahl", locale=None),
              make_user(role=Role.DELEGATE, name="Di Ek", locale="sv")]
    tokens = [admin.invitation_token(user) for user in people]
    together = mails.invitation_messages(people, tokens=tokens, inviter=inviter, days=7)
    alone = [mails.invitation_message(user, token=token, inviter=inviter, days=7) for user, token in zip(people, tokens)]
    assert [(m.to, m.subject, m.body) for m in together] == [(m.to, m.subject, m.body) for m in alone]
    assert "Åsa <Öberg> & %(x)s" in together[0].body and tokens[0] in together[0].body
    assert together[0].subject != together[1].subject  # in each reader's language


def test_the_invitation_written_once_per_language_reads_nothing_of_the_person_but_the_name(app, db):
    from expo.accounts import mails

    person = make_user(role=Role.DELEGATE)
    with pytest.raises(RuntimeError, match="may read the name only"):
        mails._StandIn(person.role).email
