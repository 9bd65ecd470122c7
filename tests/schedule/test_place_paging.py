"""Venue and network pages list their sessions a page (PLACE_PAGE_SIZE) at a time."""
from __future__ import annotations

import re

import pytest

from expo.schedule import queries
from tests.querycount import page_query_count
from tests.schedule.conftest import build_programme


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/sessions/\d+"><strong>([^<]+)</strong></a>', html)


@pytest.fixture
def programme(db, monkeypatch):
    monkeypatch.setattr(queries, "PLACE_PAGE_SIZE", 4)
    p = build_programme(10, slug="big")
    db.session.commit()
    return p


@pytest.mark.parametrize("base", ["/venues/dunkers-big", "/networks/viable-big"])
def test_sessions_come_a_page_at_a_time_in_time_order(client, programme, base):
    in_venue = [s for s in programme.sessions if s.room is not None]
    pool = in_venue if base.startswith("/venues") else programme.sessions
    expected = [s.title for s in sorted(pool, key=lambda s: (s.starts_at, s.title, s.id))]
    seen = []
    page, url = 1, base
    while True:
        html = client.get(url).get_data(as_text=True)
        shown = titles(html)
        assert 0 < len(shown) <= 4
        seen += shown
        if page > 1:
            previous = base if page == 2 else f"{base}?page={page - 1}"
            assert f'<a href="{previous}" rel="prev">Earlier sessions</a>' in html
        else:
            assert "Earlier sessions" not in html
        if 'rel="next"' not in html:
            break
        page += 1
        url = f"{base}?page={page}"
        assert f'<a href="{url}" rel="next">Later sessions</a>' in html
    assert seen == expected


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=two", "page=99", "page=1.5"])
def test_a_page_that_does_not_exist_is_404(client, programme, query):
    assert client.get(f"/venues/dunkers-big?{query}").status_code == 404
    assert client.get(f"/networks/viable-big?{query}").status_code == 404


def test_an_empty_first_page_says_so(client, db):
    from tests.factories import make_venue

    make_venue(name="Quiet hall", slug="quiet")
    db.session.commit()
    response = client.get("/venues/quiet")
    assert response.status_code == 200
    assert "No sessions yet." in response.get_data(as_text=True)


def test_every_page_costs_the_same(client, programme):
    assert page_query_count(client, "/venues/dunkers-big") == page_query_count(client, "/venues/dunkers-big?page=2")
    assert page_query_count(client, "/networks/viable-big") == page_query_count(client, "/networks/viable-big?page=2")
