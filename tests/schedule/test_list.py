"""The event page: the schedule as a list grouped by day and time, with filters and search."""
from __future__ import annotations

import re

import pytest

from expo.accounts.models import Role
from expo.programme.models import SessionKind
from tests.schedule.conftest import assert_only_organisers_see, make_track
from tests.factories import add_person, make_event, make_network, make_room, make_session, make_user, make_venue, utc


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/sessions/\d+"><strong>([^<]+)</strong></a>', html)


@pytest.fixture
def festival(db):
    """Five sessions that differ in one way each."""
    event = make_event(slug="h22", starts_on=utc(2022, 6, 1).date(), ends_on=utc(2022, 6, 2).date())
    mobility = make_track(event, "Mobility")
    energy = make_track(event, "Energy")
    dunkers = make_venue(name="Dunkers Kulturhus", slug="dunkers")
    maritime = make_venue(name="Maritiman", slug="maritiman")
    unece = make_network(name="UNECE", slug="unece")
    cpmr = make_network(name="CPMR", slug="cpmr")
    s1 = make_session(event=event, title="Bikes for all", track=mobility, room=make_room(venue=dunkers),
                      starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8), networks=[unece],
                      description="Cycling cities")
    s2 = make_session(event=event, title="Harbour heat", track=energy, kind=SessionKind.WORKSHOP,
                      room=make_room(venue=maritime), starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 9),
                      networks=[cpmr])
    s3 = make_session(event=event, title="Svensk panel", kind=SessionKind.PANEL, language="sv",
                      room=make_room(venue=dunkers), starts_at=utc(2022, 6, 1, 12), ends_at=utc(2022, 6, 1, 13))
    s4 = make_session(event=event, title="Remote futures", kind=SessionKind.DIGITAL,
                      starts_at=utc(2022, 6, 2, 8), ends_at=utc(2022, 6, 2, 9))
    add_person(s4, make_user(name="Greta Grön"))
    s5 = make_session(event=event, title="Late 100% plan", starts_at=utc(2022, 6, 2, 22, 30),
                      ends_at=utc(2022, 6, 2, 23, 30), room=make_room(venue=maritime))
    db.session.commit()
    return event, {"mobility": mobility, "energy": energy}, (s1, s2, s3, s4, s5)


def test_list_groups_sessions_by_local_day_and_start_time(client, festival):
    html = client.get("/events/h22").get_data(as_text=True)
    assert titles(html) == ["Bikes for all", "Harbour heat", "Svensk panel", "Remote futures", "Late 100% plan"]
    # 22:30 UTC on 2 June is 00:30 on 3 June in Stockholm: a day of its own
    assert "Wednesday, June 1, 2022" in html and "Thursday, June 2, 2022" in html
    assert "Friday, June 3, 2022" in html
    assert html.index("Friday, June 3, 2022") < html.index("Late 100% plan")
    # both 09:00 sessions share one time slot heading
    assert html.count('class="slot-time"><time datetime="2022-06-01T07:00:00+00:00">09:00</time>') == 1
    assert "09:00</time>–<time datetime=\"2022-06-01T09:00:00+00:00\">11:00" in html
    assert "Greta Grön" in html
    assert "5 sessions." in html


def test_list_links_to_grid_changes_and_each_session(client, festival):
    event, _, sessions = festival
    html = client.get("/events/h22").get_data(as_text=True)
    assert 'href="/events/h22/grid"' in html
    assert 'href="/events/h22/changes"' in html
    assert f'href="/sessions/{sessions[0].id}"' in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kind=workshop", ["Harbour heat"]),
        ("kind=digital", ["Remote futures"]),
        ("venue=dunkers", ["Bikes for all", "Svensk panel"]),
        ("network=cpmr", ["Harbour heat"]),
        ("language=sv", ["Svensk panel"]),
        ("q=harbour", ["Harbour heat"]),
        ("q=CYCLING", ["Bikes for all"]),
        ("q=greta", ["Remote futures"]),
        ("q=100%25", ["Late 100% plan"]),
        ("q=_", []),
        ("venue=maritiman&kind=talk", ["Late 100% plan"]),
    ],
)
def test_each_filter_narrows_the_list(client, festival, query, expected):
    response = client.get(f"/events/h22?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert titles(html) == expected
    if not expected:
        assert "No session matches these filters." in html


def test_track_filter_and_form_keeps_the_choice(client, festival):
    _, tracks, _ = festival
    html = client.get(f"/events/h22?track={tracks['energy'].id}").get_data(as_text=True)
    assert titles(html) == ["Harbour heat"]
    assert f'<option selected value="{tracks["energy"].id}">Energy</option>' in html
    assert "1 session matches." in html
    assert re.search(r'<a href="/events/h22"[^>]*>Clear filters</a>', html)


def test_filter_choices_are_only_what_the_event_uses(client, festival):
    make_venue(name="Unused Hall", slug="unused")
    make_network(name="Unused Network", slug="unused-net")
    html = client.get("/events/h22").get_data(as_text=True)
    assert "Dunkers Kulturhus" in html and "Unused Hall" not in html
    assert "UNECE" in html and "Unused Network" not in html
    assert '<option value="sv">Swedish</option>' in html


@pytest.mark.parametrize(
    "query",
    ["track=abc", "track=99999", "kind=lecture", "venue=nowhere", "network=x", "language=klingon",
     "q=" + "x" * 101, "track=&kind=", "kind=talk&kind=panel"],
)
def test_bad_filter_values_are_reported_and_ignored(client, festival, query):
    response = client.get(f"/events/h22?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if query == "kind=talk&kind=panel":
        assert titles(html) == ["Bikes for all", "Late 100% plan"]
    elif query == "track=&kind=":
        assert len(titles(html)) == 5
    else:
        assert len(titles(html)) == 5
        assert 'class="field-error"' in html


def test_filters_of_another_event_do_not_leak(client, db, festival):
    other = make_event(slug="other")
    foreign_track = make_track(other, "Foreign")
    make_session(event=other, title="Elsewhere", track=foreign_track)
    db.session.commit()
    html = client.get(f"/events/h22?track={foreign_track.id}").get_data(as_text=True)
    assert "Elsewhere" not in html
    assert len(titles(html)) == 5


def test_cancelled_sessions_are_marked_in_the_list(client, db, festival):
    from expo.programme.models import SessionStatus

    _, _, sessions = festival
    sessions[2].status = SessionStatus.CANCELLED
    db.session.commit()
    html = client.get("/events/h22").get_data(as_text=True)
    item = html[html.index("Svensk panel") - 400: html.index("Svensk panel") + 200]
    assert "is-cancelled" in item and "status-cancelled\">Cancelled</span>" in item


def test_meeting_url_is_not_on_the_list(client, festival):
    _, _, sessions = festival
    html = client.get("/events/h22").get_data(as_text=True)
    assert sessions[3].meeting_url not in html
    assert "meet.example.org" not in html


def test_draft_list_is_hidden_but_organisers_see_it_with_banner(client, db, login_as):
    make_session(event=make_event(slug="draft", is_published=False), title="Secret session")
    db.session.commit()
    assert "Secret session" in assert_only_organisers_see(client, login_as, "/events/draft?kind=talk")


def test_unknown_event_is_404(client):
    assert client.get("/events/nope").status_code == 404


def test_empty_event_says_so(client, db):
    make_event(slug="empty")
    db.session.commit()
    assert "No sessions yet." in client.get("/events/empty").get_data(as_text=True)


def test_signed_in_delegate_sees_the_same_public_list(client, festival, login_as):
    login_as(Role.DELEGATE, name="Dora Delegate")
    assert len(titles(client.get("/events/h22").get_data(as_text=True))) == 5


def test_speakers_with_a_percent_in_their_name_do_not_break_search(client, festival, db):
    _, _, sessions = festival
    add_person(sessions[0], make_user(name="50% Person"))
    db.session.commit()
    assert titles(client.get("/events/h22?q=50%25").get_data(as_text=True)) == ["Bikes for all"]
