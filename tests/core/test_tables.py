"""The reusable table of organisers' lists: what the URL may ask of it, checked."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from expo.accounts.models import User
from expo.core.tables import DEFAULT_PAGE_SIZE, Column, Page, Table, TableState
from tests.factories import make_user
from tests.querycount import count_queries

TABLE = Table(
    columns=(Column("name", "Name", User.name), Column("email", "E-mail", User.email), Column("notes", "Notes")),
    key=User.id,
    default_sort="-email",
)


@pytest.mark.parametrize(("args", "expected"), [
    ({}, TableState(1, DEFAULT_PAGE_SIZE, "email", True)),
    ({"page": "3", "per_page": "200", "sort": "name"}, TableState(3, 200, "name", False)),
    ({"page": "-1", "per_page": "10", "sort": "-name"}, TableState(1, DEFAULT_PAGE_SIZE, "name", True)),
    ({"page": "abc", "per_page": str(10 ** 9), "sort": "notes"}, TableState(1, DEFAULT_PAGE_SIZE, "email", True)),
    ({"page": "0", "per_page": "25", "sort": "drop table users"}, TableState(1, 25, "email", True)),
    ({"page": "1" * 40, "sort": "--name"}, TableState(1, DEFAULT_PAGE_SIZE, "email", True)),
    ({"page": "²", "sort": "Name"}, TableState(1, DEFAULT_PAGE_SIZE, "email", True)),
])
def test_the_state_takes_only_what_it_knows_and_falls_back_to_the_default(args, expected):
    assert TABLE.state(args) == expected


def test_a_page_counts_every_match_and_reads_one_page_in_three_queries(app, db):
    for n in range(7):
        make_user(name=f"Delegate {n}", email=f"d{n}@example.org")
    db.session.commit()
    query = sa.select(User).where(User.name.like("Delegate%"))
    with count_queries() as log:
        page = TABLE.page(query, TableState(page=2, per_page=3, sort="name"))
    assert log.count == 3  # the count, the page's ids, its rows
    assert [u.name for u in page.rows] == ["Delegate 3", "Delegate 4", "Delegate 5"]
    assert (page.total, page.first, page.last, page.pages) == (7, 4, 6, 3)
    assert page.has_previous and page.has_next
    last = TABLE.page(query, TableState(page=99, per_page=3, sort="name"))
    assert last.number == 3 and [u.name for u in last.rows] == ["Delegate 6"]


def test_every_row_is_read_in_chunks_in_the_order_of_the_page(app, db):
    for n in range(7):
        make_user(name=f"Delegate {n % 3}", email=f"d{n}@example.org")
    db.session.commit()
    query = sa.select(User).where(User.name.like("Delegate%"))
    state = TableState(sort="name", descending=True)
    with count_queries() as log:
        rows = list(TABLE.all_rows(query, state, chunk=3))
    assert log.count == 1 + 3  # the ids, then three chunks
    expected = list(db.session.scalars(TABLE.ordered(query, state)))
    assert rows == expected and len(rows) == 7


def test_the_pager_names_the_first_the_last_and_the_pages_near_the_current():
    page = Page(table=TABLE, state=TableState(page=10, per_page=25), rows=[], total=25 * 20)
    assert page.window() == [1, 8, 9, 10, 11, 12, 20]
    assert Page(table=TABLE, state=TableState(), rows=[], total=0).window() == [1]


def test_a_heading_sorts_rising_first_then_falling():
    page = Page(table=TABLE, state=TableState(sort="name"), rows=[], total=0)
    name, email, notes = TABLE.columns
    assert (page.sort_link(name), page.aria_sort(name)) == ("-name", "ascending")
    assert (page.sort_link(email), page.aria_sort(email)) == ("email", None)
    assert not notes.sortable
