from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from expo.accounts.models import Role
from expo.events.models import RegistrationMode
from expo.registration import services
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from tests.conftest import log_in
from tests.factories import make_booking, make_registration, make_user
from tests.querycount import count_queries
from tests.registration.conftest import at, future_event, future_session, registered


def html(response) -> str:
    return response.get_data(as_text=True)


def full_session_and_me(db, login_as, event):
    """A one-seat session someone else has booked, and a registered delegate signed in."""
    session = future_session(event, capacity=1)
    services.book_session(delegate=(other := registered(event)), session=session, actor=other)
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    return session, user


# --- anonymous and wrong roles ----------------------------------------------------------------

DELEGATE_GETS = ["/agenda", "/events/h22-days/registration"]


def test_delegate_pages_send_anonymous_visitors_to_log_in(client, db, event):
    session = future_session(event)
    registration = make_registration(event=event)
    db.session.commit()
    for url in DELEGATE_GETS:
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url
    for url in ["/events/h22-days/register", f"/registrations/{registration.id}/cancel",
                f"/sessions/{session.id}/book", f"/sessions/{session.id}/cancel-booking"]:
        response = client.post(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url


def test_organiser_pages_are_forbidden_to_delegates_and_staff(client, db, login_as, event):
    session = future_session(event)
    booking = make_booking(session=session, user=registered(event), status=BookingStatus.CONFIRMED)
    db.session.commit()
    gets = [f"/manage/events/{event.slug}/registrations", f"/manage/events/{event.slug}/registrations.csv",
            f"/manage/events/{event.slug}/bookings.csv", f"/manage/sessions/{session.id}/bookings",
            f"/manage/sessions/{session.id}/bookings.csv"]
    posts = [f"/manage/events/{event.slug}/registrations/decide", f"/manage/events/{event.slug}/registrations/add",
             f"/manage/sessions/{session.id}/bookings/add", f"/manage/bookings/{booking.id}/remove",
             f"/manage/bookings/{booking.id}/confirm"]
    for url in gets + posts:
        assert client.get(url).status_code in (302, 405)
    for role in (Role.DELEGATE, Role.STAFF):
        login_as(role)
        for url in gets:
            assert client.get(url).status_code == 403, (role, url)
        for url in posts:
            assert client.post(url, data={"email": "x@example.org", "ids": [1], "decision": "approve"}).status_code == 403, (role, url)
        client.post("/account/logout")
    assert booking.status is BookingStatus.CONFIRMED


def test_draft_events_are_hidden_from_delegates(client, db, login_as):
    draft = future_event(is_published=False, slug="draft")
    session = future_session(draft)
    login_as(Role.DELEGATE)
    assert client.get("/events/draft/registration").status_code == 404
    assert client.post("/events/draft/register").status_code == 404
    assert client.post(f"/sessions/{session.id}/book").status_code == 404


# --- the delegate path ------------------------------------------------------------------------

def test_delegate_registers_and_sees_the_state(client, db, login_as, outbox):
    future_event(slug="approval-day", name="Approval day", registration_mode=RegistrationMode.APPROVAL)
    user = login_as(Role.DELEGATE)
    page = html(client.get("/events/approval-day/registration"))
    assert "Register for this event" in page and "The organisers approve each registration." in page
    response = client.post("/events/approval-day/register")
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration).where(Registration.user_id == user.id))
    assert registration.status is RegistrationStatus.PENDING
    assert "Awaiting approval" in html(client.get("/agenda"))
    assert [m.subject for m in outbox] == ["Registration received: Approval day"]


def test_the_event_page_offers_registration_until_the_delegate_has_registered(client, db, login_as):
    future_event(slug="open-day", name="Open day", starts_on=date(2031, 6, 3), ends_on=date(2031, 6, 4))
    login_as(Role.DELEGATE)
    before = html(client.get("/events/open-day"))
    assert 'role="button">Register for this event</a>' in before

    client.post("/events/open-day/register")

    after = html(client.get("/events/open-day"))
    assert "Register for this event" not in after
    assert "Your registration: <span class=\"badge badge-ok status-approved\">Approved</span>" in after and "Manage your registration" in after
    agenda = html(client.get("/agenda"))
    assert re.search(r"<td>Jun 3\s–\s4, 2031</td>", agenda)  # every day of the event, not only the first


def test_registration_errors_are_shown_not_raised(client, db, login_as):
    future_event(slug="closed", registration_mode=RegistrationMode.CLOSED)
    login_as(Role.DELEGATE)
    response = client.post("/events/closed/register", follow_redirects=True)
    assert response.status_code == 200
    assert "Registration for this event is closed." in html(response)


def test_delegate_books_from_the_session_page_and_cancels(client, db, login_as, event):
    session = future_session(event, capacity=2, title="Mobility hubs")
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    page = html(client.get(f"/sessions/{session.id}"))
    assert "Book a seat" in page and "2 of 2 seats left" in page
    assert page.count("seats left") == 1 and "booking-seats" not in page  # the seats once, not twice
    response = client.post(f"/sessions/{session.id}/book", data={"next": f"/sessions/{session.id}"})
    assert response.headers["Location"] == f"/sessions/{session.id}"
    page = html(client.get(f"/sessions/{session.id}"))
    assert "You have a seat." in page and "1 of 2 seats left" in page
    client.post(f"/sessions/{session.id}/cancel-booking")
    assert db.session.scalar(sa.select(Booking.status)) is BookingStatus.CANCELLED


def test_full_session_offers_the_waiting_list_and_shows_the_position(client, db, login_as, event):
    session, user = full_session_and_me(db, login_as, event)
    page = html(client.get(f"/sessions/{session.id}"))
    assert "Join the waiting list" in page and "Full" in page
    # a plain "Book" that meets a full session explains instead of failing
    refused = client.post(f"/sessions/{session.id}/book", follow_redirects=True)
    assert "This session is full. You can join the waiting list." in html(refused)
    client.post(f"/sessions/{session.id}/book", data={"waitlist": "y"})
    assert "You are number 1 on the waiting list." in html(client.get(f"/sessions/{session.id}"))
    assert "Waiting list: number 1" in html(client.get("/agenda"))


def test_overlap_asks_for_confirmation_then_books(client, db, login_as, event):
    first = future_session(event, title="Mobility hubs", start=at(8))
    second = future_session(event, title="Circular harbours", start=at(8, 30))
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    client.post(f"/sessions/{first.id}/book")
    question = client.post(f"/sessions/{second.id}/book", data={"next": "/agenda"})
    assert question.status_code == 200
    page = html(question)
    assert "Mobility hubs overlaps it." in page and 'name="confirm_overlap"' in page
    assert db.session.scalar(sa.select(sa.func.count(Booking.id))) == 1
    client.post(f"/sessions/{second.id}/book", data={"confirm_overlap": "y", "next": "/agenda"})
    agenda = html(client.get("/agenda"))
    assert agenda.count("has-clash") == 2
    assert "overlaps Circular harbours" in agenda and "overlaps Mobility hubs" in agenda


def test_booking_without_registration_links_to_registration(client, db, login_as, event):
    session = future_session(event)
    login_as(Role.DELEGATE)
    db.session.commit()
    page = html(client.get(f"/sessions/{session.id}"))
    assert "/events/h22-days/registration" in page
    response = client.post(f"/sessions/{session.id}/book", follow_redirects=True)
    assert "Booking needs an approved registration" in html(response)


def test_anonymous_session_page_offers_sign_in(client, db, event):
    session = future_session(event)
    db.session.commit()
    assert "Sign in to book a seat" in html(client.get(f"/sessions/{session.id}"))


def test_cancelling_registration_from_the_agenda_releases_seats(client, db, login_as, event):
    session = future_session(event, capacity=1)
    user = login_as(Role.DELEGATE)
    registered(event, user)
    waiting = registered(event)
    services.book_session(delegate=user, session=session, actor=user)
    services.book_session(delegate=waiting, session=session, actor=waiting, join_waitlist=True)
    db.session.commit()
    registration = services.registration_for(user, event)
    client.post(f"/registrations/{registration.id}/cancel")
    db.session.expire_all()
    assert registration.status is RegistrationStatus.CANCELLED
    assert services._booking_of(session, waiting).status is BookingStatus.CONFIRMED


def test_agenda_lists_sessions_by_day_with_links_and_registrations(client, db, login_as, event):
    day_one = future_session(event, title="Opening", start=at(8))
    day_two = future_session(event, title="Closing", start=at(8, day=event.ends_on))
    user = login_as(Role.DELEGATE)
    registered(event, user)
    for s in (day_one, day_two):
        services.book_session(delegate=user, session=s, actor=user)
    db.session.commit()
    page = html(client.get("/agenda"))
    assert page.index("Opening") < page.index("Closing")
    assert page.count('class="agenda-day"') == 2
    assert f'href="/sessions/{day_one.id}"' in page
    assert "H22 City Expo Days" in page and "Approved" in page and "Cancel registration" in page
    assert "has-clash" not in page


def test_agenda_query_count_does_not_grow_with_bookings(client, db, login_as, event):
    user = login_as(Role.DELEGATE)
    registered(event, user)

    def book_more(n, hour):
        for i in range(n):
            s = future_session(event, start=at(hour + i))
            services.book_session(delegate=user, session=s, actor=user)
        db.session.commit()

    book_more(1, 6)
    client.get("/agenda")  # the first visit shows the welcome message and is never kept
    with count_queries() as few:
        assert client.get("/agenda").status_code == 200
    book_more(5, 9)
    with count_queries() as many:
        assert client.get("/agenda").status_code == 200
    assert many.count == few.count


def test_booking_and_cancelling_send_a_fixed_number_of_statements(client, db, login_as, event):
    """However many seats the session has given and however many the delegate holds, a booking
    and its cancellation each send the same few statements."""
    user = login_as(Role.DELEGATE)
    registered(event, user)
    session = future_session(event, start=at(14), capacity=500)

    def grow(others, mine, hour):
        for _ in range(others):
            services.book_session(delegate=(d := registered(event)), session=session, actor=d)
        for i in range(mine):
            s = future_session(event, start=at(hour + i))
            services.book_session(delegate=user, session=s, actor=user)
        db.session.commit()

    def book_and_cancel():
        with count_queries() as booking:
            assert client.post(f"/sessions/{session.id}/book").status_code == 302
        with count_queries() as cancelling:
            assert client.post(f"/sessions/{session.id}/cancel-booking").status_code == 302
        logs.append(booking)
        return booking.count, cancelling.count

    logs = []

    grow(1, 1, 6)
    small = book_and_cancel()
    grow(6, 5, 8)
    large = book_and_cancel()
    assert large == small, "\n\n".join(str(log) for log in logs)
    # The signed-in user, the registration and the session with its event (each read once,
    # under its lock), the booking with the seat counts, the write, a check-in to move onto
    # the seat, and what the confirmation e-mail shows (room, venue, people, networks), the
    # e-mail's row; and the job that sends it, which the suite runs at once (reading the row,
    # marking it sent), and the schedule's cache generation the confirmation's page reads. A
    # cancellation two fewer: no registration, and no check-in.
    assert small[0] <= 13 and small[1] <= 11, (small, str(logs[0]))


def test_schedule_pages_tell_a_pending_delegate_why_rows_offer_no_booking(client, db, login_as, event):
    future_session(event, title="Harbour walk")
    user = login_as(Role.DELEGATE)
    registration = make_registration(event=event, user=user, status=RegistrationStatus.PENDING)
    db.session.commit()
    notice = "awaiting approval"
    pages = [f"/events/{event.slug}", f"/events/{event.slug}/grid"]
    for url in pages:
        page = html(client.get(url, follow_redirects=True))
        assert "Harbour walk" in page and notice in page, url
        assert "Book a seat" not in page, url

    registration.status = RegistrationStatus.APPROVED
    db.session.commit()
    for url in pages:
        page = html(client.get(url, follow_redirects=True))
        assert notice not in page and "Book a seat" in page, url


# --- IDOR: ids in URLs and forms --------------------------------------------------------------

def test_a_delegate_cannot_cancel_someone_elses_registration(client, db, login_as, event):
    victim = registered(event)
    registration = services.registration_for(victim, event)
    db.session.commit()
    login_as(Role.DELEGATE)
    assert client.post(f"/registrations/{registration.id}/cancel").status_code == 404
    db.session.expire_all()
    assert registration.status is RegistrationStatus.APPROVED


def test_cancel_booking_only_ever_touches_the_signed_in_users_own_booking(client, db, login_as, event):
    session = future_session(event)
    victim = registered(event)
    booking = services.book_session(delegate=victim, session=session, actor=victim)
    db.session.commit()
    attacker = login_as(Role.DELEGATE)
    registered(event, attacker)
    db.session.commit()
    assert client.post(f"/sessions/{session.id}/cancel-booking").status_code == 404
    # smuggling someone else's ids into the form changes nothing either
    client.post(f"/sessions/{session.id}/book", data={"user_id": victim.id, "delegate": victim.id})
    db.session.expire_all()
    assert booking.status is BookingStatus.CONFIRMED
    assert {b.user_id for b in db.session.scalars(sa.select(Booking))} == {victim.id, attacker.id}


def test_a_delegate_cannot_use_organiser_booking_ids(client, db, login_as, event):
    session = future_session(event)
    victim = registered(event)
    booking = services.book_session(delegate=victim, session=session, actor=victim)
    db.session.commit()
    login_as(Role.DELEGATE)
    assert client.post(f"/manage/bookings/{booking.id}/remove").status_code == 403
    db.session.expire_all()
    assert booking.status is BookingStatus.CONFIRMED


def test_the_agenda_shows_only_my_own_bookings(client, db, login_as, event):
    secret = future_session(event, title="Someone else's workshop")
    other = registered(event)
    services.book_session(delegate=other, session=secret, actor=other)
    db.session.commit()
    login_as(Role.DELEGATE)
    assert "Someone else" not in html(client.get("/agenda"))


def test_unknown_ids_answer_404(client, db, login_as):
    login_as(Role.DELEGATE)
    assert client.post("/registrations/999/cancel").status_code == 404
    assert client.post("/sessions/999/book").status_code == 404
    assert client.post("/sessions/999/cancel-booking").status_code == 404
    assert client.get("/events/nope/registration").status_code == 404


def test_agenda_offers_no_cancel_button_for_sessions_under_way(client, db, login_as):
    from datetime import date

    from expo.registration.models import Booking as BookingRow
    from tests.factories import make_event, make_session

    past_event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    past = make_session(event=past_event, title="Past keynote")
    user = login_as(Role.DELEGATE)
    make_booking(session=past, user=user, status=BookingStatus.CONFIRMED)
    db.session.commit()
    page = html(client.get("/agenda"))
    assert "Past keynote" in page and "Cancel my booking" not in page
    assert client.post(f"/sessions/{past.id}/cancel-booking", follow_redirects=True).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(BookingRow.status)) is BookingStatus.CONFIRMED


def test_a_free_seat_someone_waits_for_is_offered_as_the_waiting_list(client, db, login_as, event):
    session = future_session(event, capacity=1)
    seated, waiting = registered(event), registered(event)
    services.book_session(delegate=seated, session=session, actor=seated)
    services.book_session(delegate=waiting, session=session, actor=waiting, join_waitlist=True)
    session.capacity = 2
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    page = html(client.get(f"/sessions/{session.id}"))
    assert "Join the waiting list" in page and "Book a seat" not in page


# --- booking from the schedule ------------------------------------------------------------------

def row(page: str, session) -> str:
    """The HTML of one session's row (list, grid or agenda)."""
    start = page.index(f'id="session-{session.id}"')
    return page[start:page.index("</li>", start)]


def test_delegate_books_from_the_schedule_list_and_comes_back_to_the_row(client, db, login_as, event):
    session = future_session(event, title="Mobility hubs", capacity=5)
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    listed = row(html(client.get(f"/events/{event.slug}")), session)
    assert "Book a seat" in listed
    assert f'name="next" value="/events/{event.slug}#session-{session.id}"' in listed

    response = client.post(f"/sessions/{session.id}/book", data={"next": f"/events/{event.slug}#session-{session.id}"})

    assert response.headers["Location"] == f"/events/{event.slug}#session-{session.id}"
    assert services._booking_of(session, user).status is BookingStatus.CONFIRMED
    listed = row(html(client.get(f"/events/{event.slug}")), session)
    assert "Booked" in listed and "Cancel my booking" in listed and "Book a seat" not in listed
    response = client.post(f"/sessions/{session.id}/cancel-booking",
                           data={"next": f"/events/{event.slug}?q=hubs#session-{session.id}"})
    assert response.headers["Location"] == f"/events/{event.slug}?q=hubs#session-{session.id}"
    assert services._booking_of(session, user).status is BookingStatus.CANCELLED


def test_the_list_offers_the_waiting_list_of_a_full_session_and_leaving_it(client, db, login_as, event):
    session, user = full_session_and_me(db, login_as, event)
    listed = row(html(client.get(f"/events/{event.slug}?q=Session")), session)
    assert "Full" in listed and "Join the waiting list" in listed and 'name="waitlist" value="y"' in listed
    assert f'value="/events/{event.slug}?q=Session#session-{session.id}"' in listed
    client.post(f"/sessions/{session.id}/book", data={"waitlist": "y", "next": f"/events/{event.slug}"})
    listed = row(html(client.get(f"/events/{event.slug}")), session)
    assert "Waiting list: number 1" in listed and "Leave the waiting list" in listed


def test_delegate_books_from_the_grid(client, db, login_as, event):
    session = future_session(event, title="Harbour walk")
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    grid_url = f"/events/{event.slug}/grid/{event.starts_on.isoformat()}"
    block = row(html(client.get(grid_url)), session)
    assert "Book a seat" in block and f'value="{grid_url}#session-{session.id}"' in block
    response = client.post(f"/sessions/{session.id}/book", data={"next": f"{grid_url}#session-{session.id}"})
    assert response.headers["Location"] == f"{grid_url}#session-{session.id}"
    assert "Booked" in row(html(client.get(grid_url)), session)


def test_an_overlap_met_from_the_list_is_confirmed_and_leads_back_to_the_list(client, db, login_as, event):
    first = future_session(event, title="Mobility hubs", start=at(8))
    second = future_session(event, title="Circular harbours", start=at(8, 30))
    user = login_as(Role.DELEGATE)
    registered(event, user)
    services.book_session(delegate=user, session=first, actor=user)
    db.session.commit()
    back = f"/events/{event.slug}#session-{second.id}"
    question = client.post(f"/sessions/{second.id}/book", data={"next": back})
    page = html(question)
    assert question.status_code == 200 and "Mobility hubs overlaps it." in page
    assert f'name="next" value="{back}"' in page and f'href="{back}"' in page
    response = client.post(f"/sessions/{second.id}/book", data={"confirm_overlap": "y", "next": back})
    assert response.headers["Location"] == back
    assert services._booking_of(second, user).status is BookingStatus.CONFIRMED


def test_booking_never_sends_the_delegate_off_the_site(client, db, login_as, event):
    session = future_session(event)
    user = login_as(Role.DELEGATE)
    registered(event, user)
    db.session.commit()
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"/sessions/{session.id}/book", data={"next": target})
        assert response.headers["Location"] == "/agenda", target
        client.post(f"/sessions/{session.id}/cancel-booking")


def test_the_schedule_shows_booking_buttons_only_to_registered_delegates(client, db, login_as, event):
    session = future_session(event)
    db.session.commit()
    assert "Book a seat" not in html(client.get(f"/events/{event.slug}"))
    login_as(Role.DELEGATE)
    assert "Book a seat" not in row(html(client.get(f"/events/{event.slug}")), session)


def test_the_agenda_cancels_and_leaves_waiting_lists_and_comes_back(client, db, login_as, event):
    booked = future_session(event, title="Opening", start=at(8))
    full = future_session(event, title="Harbour walk", start=at(12), capacity=1)
    services.book_session(delegate=(other := registered(event)), session=full, actor=other)
    user = login_as(Role.DELEGATE)
    registered(event, user)
    services.book_session(delegate=user, session=booked, actor=user)
    services.book_session(delegate=user, session=full, actor=user, join_waitlist=True)
    db.session.commit()
    page = html(client.get("/agenda"))
    assert "Cancel my booking" in row(page, booked) and "Leave the waiting list" in row(page, full)
    assert f'value="/agenda#session-{full.id}"' in row(page, full)
    response = client.post(f"/sessions/{full.id}/cancel-booking", data={"next": f"/agenda#session-{full.id}"})
    assert response.headers["Location"] == f"/agenda#session-{full.id}"
    assert services._booking_of(full, user).status is BookingStatus.CANCELLED


def test_schedule_pages_with_booking_controls_cost_the_same_for_few_and_many_sessions(client, db, login_as):
    from datetime import timedelta

    from tests.querycount import page_query_count
    from tests.registration.conftest import FUTURE_DAY
    from tests.schedule.conftest import build_programme

    user = login_as(Role.DELEGATE)
    programmes = [build_programme(n, slug=slug, starts_on=FUTURE_DAY, ends_on=FUTURE_DAY + timedelta(days=1),
                                  registration_mode=RegistrationMode.OPEN) for n, slug in ((5, "small"), (40, "large"))]
    for programme in programmes:
        registered(programme.event, user)
        programme.sessions[0].capacity = 1  # its own booking fills it
        services.book_session(delegate=user, session=programme.sessions[0], actor=user, join_waitlist=True,
                              confirm_overlap=True)
        services.book_session(delegate=user, session=programme.sessions[2], actor=user, confirm_overlap=True)
    db.session.commit()
    small, large = programmes
    for url in (lambda p: f"/events/{p.event.slug}", lambda p: f"/events/{p.event.slug}?q=session",
                lambda p: f"/events/{p.event.slug}/grid/{p.event.starts_on.isoformat()}"):
        small_page = html(client.get(url(small)))
        assert "Leave the waiting list" in small_page and "Cancel my booking" in small_page
        assert "Book a seat" in small_page
        assert page_query_count(client, url(small)) == page_query_count(client, url(large)), url(small)
