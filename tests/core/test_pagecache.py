"""Public pages are rendered once for every visitor who is not signed in, and never outlive the
data they show."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.core import pagecache
from expo.accounts.models import Role
from expo.core.extensions import db
from expo.programme.services import cancel_session
from expo.registration.models import Booking
from expo.venues.models import Venue
from tests.factories import make_booking, make_event, make_room, make_session, make_user, make_venue, utc
from tests.querycount import count_queries

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def talk(db):
    event = make_event(slug="h22")
    room = make_room(venue=make_venue(name="Dunkers kulturhus"), capacity=10)
    session = make_session(event=event, room=room, title="Cities of tomorrow", capacity=2,
                           starts_at=utc(2030, 6, 1, 8), ends_at=utc(2030, 6, 1, 9))
    db.session.commit()
    return session


def _get(client, url: str):
    with count_queries() as log:
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True), log.count


def test_a_visitor_is_served_the_stored_page_without_any_query(client, talk):
    first, queries_first = _get(client, f"/sessions/{talk.id}")
    again, queries_again = _get(client, f"/sessions/{talk.id}")

    assert queries_first > 0
    assert queries_again == 1  # the schedule's generation, the same in every process
    assert CSRF.sub("", again) == CSRF.sub("", first)
    assert "Cities of tomorrow" in again


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(app, client, talk, make_app):
    client.get(f"/sessions/{talk.id}")  # stores the page
    strict = make_app(WTF_CSRF_ENABLED=True)
    tokens = []
    for _ in range(2):
        visitor = strict.test_client()
        html = visitor.get(f"/sessions/{talk.id}").get_data(as_text=True)
        assert pagecache.CSRF_PLACEHOLDER not in html
        token = CSRF.search(html).group(1)
        tokens.append(token)
        switched = visitor.post("/account/language", data={"csrf_token": token, "lang": "sv", "next": "/"})
        assert switched.status_code == 302
    assert tokens[0] != tokens[1]


def test_a_booking_shows_at_once_in_the_seats_left(client, talk):
    before, _ = _get(client, f"/sessions/{talk.id}")
    make_booking(session=talk)
    db.session.commit()
    after, queries = _get(client, f"/sessions/{talk.id}")

    assert "2 of 2 seats left" in before
    assert "1 of 2 seats left" in after
    assert queries > 0


def test_a_cancellation_through_the_programme_shows_at_once(client, talk):
    organiser = make_user(role=Role.ORGANISER)
    assert "This session has been cancelled." not in _get(client, f"/sessions/{talk.id}")[0]
    cancel_session(session=talk, actor=organiser, confirm=True)
    db.session.commit()
    html, _ = _get(client, f"/sessions/{talk.id}")
    assert "This session has been cancelled." in html


def test_a_bulk_update_moves_every_generation(client, talk):
    _get(client, "/venues/")
    db.session.execute(sa.update(Venue).values(name="Helsingborg Arena"))
    db.session.commit()
    html, queries = _get(client, "/venues/")
    assert "Helsingborg Arena" in html
    assert queries > 0


def test_a_change_rolled_back_moves_nothing(client, talk):
    _get(client, f"/sessions/{talk.id}")
    talk.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    html, queries = _get(client, f"/sessions/{talk.id}")
    assert queries == 1  # the schedule's generation only
    assert "Never saved" not in html


def test_signing_in_changes_no_public_page(client, talk):
    """A log-in writes the user's last log-in time, which no public page shows."""
    user = make_user()
    db.session.commit()
    _get(client, f"/sessions/{talk.id}")
    client.post("/account/login", data={"email": user.email, "password": "correct horse battery"})
    client.post("/account/logout")
    farewell, _ = _get(client, f"/sessions/{talk.id}")  # shows the signed-out message, stores nothing
    _, queries = _get(client, f"/sessions/{talk.id}")
    assert queries == 1  # the schedule's generation only
    assert "signed out" in farewell.lower()


def test_a_speakers_new_name_shows_at_once(client, talk):
    from tests.factories import add_person

    speaker = make_user(name="Anna Berg")
    add_person(talk, speaker)
    db.session.commit()
    _get(client, f"/sessions/{talk.id}")
    speaker.name = "Anna Lind"
    db.session.commit()
    html, _ = _get(client, f"/sessions/{talk.id}")
    assert "Anna Lind" in html


def test_signed_in_users_always_get_a_page_of_their_own(client, talk, login_as):
    _get(client, f"/sessions/{talk.id}")
    delegate = login_as(Role.DELEGATE, name="Maja Delegate")
    html, queries = _get(client, f"/sessions/{talk.id}")
    assert queries > 0
    assert "Maja Delegate" in html


def test_pages_in_each_language_are_kept_apart(client, talk):
    english, _ = _get(client, f"/sessions/{talk.id}")
    response = client.get(f"/sessions/{talk.id}", headers={"Accept-Language": "sv"})
    swedish = response.get_data(as_text=True)
    assert "seats left" in english
    assert "seats left" not in swedish
    assert 'lang="sv"' in swedish


def test_unknown_query_arguments_and_errors_are_never_stored(client, talk):
    _get(client, "/events/h22?utm_source=newsletter")
    _, queries = _get(client, "/events/h22?utm_source=newsletter")
    assert queries > 0
    assert client.get("/sessions/999999").status_code == 404
    with count_queries() as log:
        assert client.get("/sessions/999999").status_code == 404
    assert log.count > 0


def test_a_pending_flash_is_shown_not_a_stored_page(client, talk):
    _get(client, f"/sessions/{talk.id}")
    with client.session_transaction() as flask_session:
        flask_session["_flashes"] = [("success", "Your seat is booked.")]
    html, queries = _get(client, f"/sessions/{talk.id}")
    assert "Your seat is booked." in html
    assert queries > 0


def test_switched_off_the_view_renders_every_time(client, talk, make_app):
    uncached = make_app(PAGE_CACHE_TIMEOUT=0).test_client()
    uncached.get(f"/sessions/{talk.id}")
    with count_queries() as log:
        uncached.get(f"/sessions/{talk.id}")
    assert log.count > 0


def test_a_lost_generation_is_made_again_and_agreed_on(app, talk):
    from expo.core.extensions import cache

    with app.test_request_context():
        first = pagecache.generations(["bookings"])
        cache.delete(pagecache._generation_key("bookings"))
        second = pagecache.generations(["bookings"])
        third = pagecache.generations(["bookings"])
    assert first != second
    assert second == third


def test_the_schedule_generation_lives_in_the_database_and_moves_with_the_transaction(app, talk):
    from expo.core.extensions import cache
    from expo.core.generations import schedule_generation

    db.session.commit()
    moved = schedule_generation()
    assert moved is not None
    with app.test_request_context():
        assert pagecache.generations(["bookings", "schedule"])[1] == moved[0]
    cache.clear()  # whatever the cache loses, or another process never had
    assert schedule_generation() == moved
    talk.title = "Renamed"
    db.session.flush()
    db.session.rollback()
    assert schedule_generation() == moved  # rolled back with the change
    make_booking(session=talk)
    db.session.commit()
    assert schedule_generation() == moved  # bookings never queue on the schedule's row
    with db.session.begin_nested() as savepoint:  # a change undone by its savepoint …
        talk.title = "Never kept"
        db.session.flush()
        savepoint.rollback()
    talk.title = "Renamed"  # … does not keep the transaction's real change from moving it
    db.session.commit()
    assert schedule_generation()[0] != moved[0]


# --- pages kept for their own signed-in reader --------------------------------------------------

def test_a_delegates_agenda_is_kept_for_them_and_follows_their_bookings(client, talk, login_as):
    from expo.registration import services as registration
    from tests.factories import make_registration

    delegate = login_as(Role.DELEGATE, name="Maja Delegate")
    make_registration(event=talk.event, user=delegate)
    db.session.commit()
    _get(client, "/agenda")  # shows the welcome message: stores nothing
    _get(client, "/agenda")
    cached, queries = _get(client, "/agenda")
    assert queries <= 2  # who is signed in and the schedule's generation, nothing else
    assert "Cities of tomorrow" not in cached

    registration.book_session(delegate=delegate, session=talk, actor=delegate)
    db.session.commit()
    booked, queries = _get(client, "/agenda")
    assert "Cities of tomorrow" in booked
    assert queries > 1


def test_another_reader_never_gets_someone_elses_kept_page(app, client, talk, login_as):
    login_as(Role.DELEGATE, name="Maja Delegate")
    _get(client, "/agenda")
    other = app.test_client()
    someone = make_user(name="Olle Other")
    db.session.commit()
    other.post("/account/login", data={"email": someone.email, "password": "correct horse battery"})
    html = other.get("/agenda").get_data(as_text=True)
    assert "Olle Other" in html and "Maja Delegate" not in html


def test_a_door_list_follows_check_ins_made_on_another_phone(client, talk, login_as):
    from expo.attendance import services as attendance
    from tests.factories import make_registration

    guest = make_user(name="Greta Guest")
    make_registration(event=talk.event, user=guest)
    make_booking(session=talk, user=guest)
    other_phone = make_user(role=Role.STAFF)
    login_as(Role.STAFF)
    _get(client, f"/door/sessions/{talk.id}")  # shows the welcome message: stores nothing
    before, _ = _get(client, f"/door/sessions/{talk.id}")
    _, queries = _get(client, f"/door/sessions/{talk.id}")
    assert queries <= 2
    attendance.check_in(session=talk, user=guest, actor=other_phone)
    db.session.commit()
    after, _ = _get(client, f"/door/sessions/{talk.id}")
    assert 'data-in="false"' in before and 'data-in="true"' in after


def test_a_reader_who_loses_their_role_loses_the_kept_page(client, talk, login_as):
    staff = login_as(Role.STAFF)
    _get(client, f"/door/sessions/{talk.id}")
    staff.role = Role.DELEGATE
    db.session.commit()
    assert client.get(f"/door/sessions/{talk.id}").status_code == 403


def test_a_booking_and_its_e_mail_leave_the_schedule_generation_alone(app, talk):
    """The confirmation e-mail is stored with the booking; storing it (and sending it) is no
    change to the schedule, so every booking does not queue on the generation's row."""
    from expo.core.generations import schedule_generation
    from expo.registration import services as registration
    from tests.factories import make_registration, make_user

    delegate = make_user(role=Role.DELEGATE)
    make_registration(event=talk.event, user=delegate)
    db.session.commit()
    moved = schedule_generation()
    with app.test_request_context():
        registration.book_session(delegate=delegate, session=talk, actor=delegate)
        assert registration.notifications.pending()  # the e-mail is on its way
        db.session.commit()
    assert schedule_generation() == moved
