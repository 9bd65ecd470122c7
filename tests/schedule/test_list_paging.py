"""A large event's page shows one local day at a time; a search looks across days; no page
lists more than LIST_LIMIT sessions."""
from __future__ import annotations

import pytest

from expo.schedule import queries
from tests.factories import utc
from tests.querycount import page_query_count
from tests.schedule.conftest import build_programme
from tests.schedule.test_list import festival, titles  # noqa: F401  (the five-session fixture)


@pytest.fixture
def large(monkeypatch):
    """Make the five-session festival count as a large event."""
    monkeypatch.setattr(queries, "SMALL_EVENT_SESSIONS", 4)


def test_small_event_lists_every_day_without_tabs(client, festival):
    html = client.get("/events/h22").get_data(as_text=True)
    assert len(titles(html)) == 5
    assert 'aria-label="Days"' not in html


def test_large_event_shows_its_first_day_by_default(client, festival, large):
    html = client.get("/events/h22").get_data(as_text=True)
    assert titles(html) == ["Bikes for all", "Harbour heat", "Svensk panel"]
    assert "3 sessions." in html and "On Wednesday, June 1, 2022." in html
    assert '<a href="/events/h22?day=2022-06-01" aria-current="page">Wed 1 Jun <small>(3)</small></a>' in html
    assert '<a href="/events/h22?day=2022-06-02">Thu 2 Jun <small>(1)</small></a>' in html
    # 22:30 UTC on 2 June is 3 June in Stockholm: a day of its own
    assert '<a href="/events/h22?day=2022-06-03">Fri 3 Jun <small>(1)</small></a>' in html
    assert "All days" not in html  # a large event is never listed whole without a search


def test_large_event_shows_today_while_it_is_on(client, festival, large, monkeypatch):
    monkeypatch.setattr("expo.schedule.views.utcnow", lambda: utc(2022, 6, 2, 10))
    assert titles(client.get("/events/h22").get_data(as_text=True)) == ["Remote futures"]


def test_a_chosen_day_shows_only_that_day(client, festival, large):
    assert titles(client.get("/events/h22?day=2022-06-03").get_data(as_text=True)) == ["Late 100% plan"]


def test_a_day_can_be_chosen_on_a_small_event_too(client, festival):
    html = client.get("/events/h22?day=2022-06-02").get_data(as_text=True)
    assert titles(html) == ["Remote futures"]
    assert '<a href="/events/h22">All days</a>' in html


@pytest.mark.parametrize("day", ["2022-06-04", "2022-05-31", "yesterday", "2022-13-01"])
def test_a_day_outside_the_event_is_404(client, festival, large, day):
    assert client.get(f"/events/h22?day={day}").status_code == 404


def test_search_looks_across_every_day(client, festival, large):
    html = client.get("/events/h22?q=e").get_data(as_text=True)
    assert titles(html) == ["Bikes for all", "Harbour heat", "Svensk panel", "Remote futures", "Late 100% plan"]
    assert "5 sessions match." in html
    # the day tabs keep the search, and "All days" is the current choice
    assert '<a href="/events/h22?q=e" aria-current="page">All days</a>' in html
    assert '<a href="/events/h22?day=2022-06-02&amp;q=e">Thu 2 Jun</a>' in html


def test_search_on_one_day(client, festival, large):
    html = client.get("/events/h22?q=e&day=2022-06-01").get_data(as_text=True)
    assert titles(html) == ["Bikes for all", "Harbour heat", "Svensk panel"]


def test_speaker_names_are_searched_through_session_roles(client, festival, large):
    assert titles(client.get("/events/h22?q=gr%C3%B6n").get_data(as_text=True)) == ["Remote futures"]


def test_a_long_result_is_cut_at_the_limit_with_a_request_to_refine(client, festival, monkeypatch):
    monkeypatch.setattr(queries, "LIST_LIMIT", 2)
    html = client.get("/events/h22?kind=talk").get_data(as_text=True)
    assert titles(html) == ["Bikes for all", "Late 100% plan"]
    assert "Refine your search" not in html  # exactly at the limit: nothing left out
    html = client.get("/events/h22?q=a").get_data(as_text=True)
    assert titles(html) == ["Bikes for all", "Harbour heat"]
    assert "Showing the first 2 matching sessions. Refine your search or pick a day to see the rest." in html


def test_a_paged_event_costs_a_fixed_number_of_queries(client, db, monkeypatch):
    monkeypatch.setattr(queries, "SMALL_EVENT_SESSIONS", 2)
    monkeypatch.setattr(queries, "LIST_LIMIT", 5)
    small = build_programme(3, slug="small")
    big = build_programme(40, slug="big")
    db.session.commit()
    for suffix in ("", "?q=session", "?kind=talk&day={day}"):
        counts = [
            page_query_count(client, f"/events/{p.event.slug}" + suffix.format(day=p.event.starts_on.isoformat()))
            for p in (small, big)
        ]
        assert counts[0] == counts[1]
