"""Delegates star sessions; organisers see the counts; the assistant reads who wants what."""
from __future__ import annotations

import pytest

from expo.accounts.models import Role
from expo.assistant import queries, services
from expo.assistant.models import SessionInterest
from expo.core.errors import NotAllowed
from expo.core.extensions import db
from expo.events.models import TeamMember, TeamRole, Track
from expo.programme.models import SessionStatus
from expo.registration.models import BookingStatus
from tests.conftest import log_in
from tests.factories import make_booking, make_event, make_network, make_session, make_user
from tests.querycount import count_queries


def _stars(user_id: int) -> set[int]:
    return set(db.session.scalars(db.select(SessionInterest.session_id).where(SessionInterest.user_id == user_id)))


def test_a_delegate_stars_and_unstars_a_session(db):
    delegate, session = make_user(), make_session()
    assert services.toggle_interest(user=delegate, session=session, actor=delegate) is True
    assert _stars(delegate.id) == {session.id}
    assert services.toggle_interest(user=delegate, session=session, actor=delegate) is False
    assert _stars(delegate.id) == set()


def test_nobody_stars_for_someone_else(db):
    delegate, other, session = make_user(), make_user(), make_session()
    with pytest.raises(NotAllowed):
        services.set_interest(user=delegate, session=session, interested=True, actor=other)
    assert _stars(delegate.id) == set()


def test_demand_counts_stars_and_seats_once_per_delegate(db):
    session, other = make_session(), make_session()
    a, b, c = make_user(), make_user(), make_user()
    for user in (a, b):
        services.set_interest(user=user, session=session, interested=True, actor=user)
    make_booking(session=session, user=a)  # starred and booked: counted once
    make_booking(session=session, user=c, status=BookingStatus.WAITLISTED, waitlist_position=1)
    make_booking(session=other, user=b, status=BookingStatus.CANCELLED)  # an ended booking wants nothing
    assert queries.demand([session.id, other.id]) == {session.id: 3}


def test_pair_wants_counts_delegates_wanting_both_and_the_shared_track_and_networks(db):
    event = make_event()
    track = Track(event_id=event.id, name="Mobility")
    network = make_network()
    db.session.add(track)
    s1 = make_session(event=event, track=track, networks=[network])
    s2 = make_session(event=event, track=track, networks=[network])
    s3 = make_session(event=event)
    a, b = make_user(), make_user()
    for user in (a, b):
        services.set_interest(user=user, session=s1, interested=True, actor=user)
    services.set_interest(user=a, session=s3, interested=True, actor=a)
    make_booking(session=s3, user=b)
    make_booking(session=s2, user=a)
    with count_queries() as log:
        wants = queries.pair_wants([s1.id, s2.id, s3.id])
    assert log.count == 3
    assert wants == {
        (s1.id, s2.id): queries.PairWant(delegates=1, same_track=True, shared_networks=1),
        (s1.id, s3.id): queries.PairWant(delegates=2),
        (s2.id, s3.id): queries.PairWant(delegates=1),
    }
    assert wants[(s1.id, s2.id)].weight(prior=1) == 3


def test_the_star_button_toggles_without_javascript(client, db):
    session = make_session()
    delegate = make_user()
    db.session.commit()
    log_in(client, delegate)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'aria-pressed="false"' in page
    response = client.post(f"/sessions/{session.id}/interest", data={"next": f"/events/{session.event.slug}"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{session.event.slug}")
    assert _stars(delegate.id) == {session.id}
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'aria-pressed="true"' in page


def test_the_star_button_answers_scripts_with_json(client, db):
    session = make_session()
    delegate = make_user()
    db.session.commit()
    log_in(client, delegate)
    response = client.post(f"/sessions/{session.id}/interest", headers={"Accept": "application/json"})
    assert response.get_json() == {"starred": True}
    response = client.post(f"/sessions/{session.id}/interest", headers={"Accept": "application/json"})
    assert response.get_json() == {"starred": False}


def test_a_cancelled_session_takes_no_new_star(client, db):
    session = make_session(status=SessionStatus.CANCELLED)
    delegate = make_user()
    db.session.commit()
    log_in(client, delegate)
    response = client.post(f"/sessions/{session.id}/interest", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert _stars(delegate.id) == set()


def test_stars_of_a_draft_event_are_refused(client, db):
    session = make_session(event=make_event(is_published=False))
    delegate = make_user()
    db.session.commit()
    log_in(client, delegate)
    assert client.post(f"/sessions/{session.id}/interest").status_code == 403


def test_the_schedule_list_and_grid_show_stars_in_a_fixed_number_of_queries(client, db):
    event = make_event()
    sessions = [make_session(event=event) for _ in range(2)]
    delegate = make_user()
    services.set_interest(user=delegate, session=sessions[0], interested=True, actor=delegate)
    db.session.commit()
    log_in(client, delegate)
    counts = []
    for _ in range(2):
        with count_queries() as log:
            page = client.get(f"/events/{event.slug}/grid/2022-06-01").get_data(as_text=True)
        counts.append(log.count)
        assert page.count('aria-pressed="true"') == 1
        make_session(event=event, starts_at=sessions[0].starts_at)
        db.session.commit()
    assert counts[0] == counts[1]
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert page.count('class="star-button"') == 4


def test_organisers_see_how_many_delegates_starred_each_session(client, db):
    event = make_event()
    session = make_session(event=event)
    for _ in range(3):
        user = make_user()
        services.set_interest(user=user, session=session, interested=True, actor=user)
    organiser = make_user(role=Role.DELEGATE)
    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    log_in(client, organiser)
    listing = client.get(f"/manage/events/{event.id}/sessions").get_data(as_text=True)
    assert "Talk · 3 interested" in listing
    page = client.get(f"/manage/sessions/{session.id}/edit").get_data(as_text=True)
    assert "3 delegates marked this session as interesting." in page
