"""With Redis, an organisers' table remembers its count, its pages' ids and its filters' choices
until the data they read changes, through whichever server changes it."""
from __future__ import annotations

import os

import pytest

from expo.accounts.models import Role, User
from expo.core.extensions import db
from expo.events.models import RegistrationMode
from expo.registration.models import RegistrationStatus
from tests.conftest import redis_servers, signed_in
from tests.factories import make_organisation, make_registration, make_user
from tests.querycount import count_queries
from tests.registration.conftest import future_event

REDIS_URL = os.environ.get("EXPO_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="set EXPO_REDIS_URL (e.g. redis://127.0.0.1:6379/9)")


@pytest.fixture
def servers(make_app):
    """Two app servers sharing one Redis (their connections are closed by ``make_app``); their
    tables' drawn regions are not kept, so that each request reads what is not remembered."""
    with redis_servers(make_app, TABLE_CACHE_TIMEOUT=0) as made:
        yield made


def test_a_page_asked_again_reads_neither_its_count_nor_its_ids_until_a_change(servers, db):
    event = future_event(slug="approval", registration_mode=RegistrationMode.APPROVAL)
    city = make_organisation(name="Malmö stad")
    made = [make_registration(event=event, user=make_user(name=f"Delegate {n}", organisation=city),
                              status=RegistrationStatus.PENDING) for n in range(3)]
    organiser = make_user(role=Role.ORGANISER, email="olga@example.org")
    db.session.commit()
    first_id, renamed = made[0].id, made[1].user_id
    url = "/manage/events/approval/registrations?status=pending&sort=-organisation&q=deleg"
    one, two = signed_in(servers[0], organiser.email), signed_in(servers[1], organiser.email)

    def read(client, server):
        with server.app_context(), count_queries() as log:
            html = client.get(url).get_data(as_text=True)
        return html, log.count

    cold, cold_count = read(one, servers[0])
    warm, warm_count = read(two, servers[1])
    assert "1–3 of 3" in cold and warm == cold.replace(*_csrf(cold, warm))
    # The count, the page's ids, the status counts and three lists of choices are remembered.
    assert warm_count == cold_count - 6

    # Approved through the first server: the second counts again.
    response = one.post("/manage/events/approval/registrations/decide", data={"ids": [first_id], "decision": "approve"})
    assert response.status_code == 302
    after, after_count = read(two, servers[1])
    assert "1–2 of 2" in after and after_count == cold_count
    # A person renamed (no registration changed) leaves the search, and the page knows it.
    with servers[0].app_context():
        db.session.get(User, renamed).name = "Someone Else"
        db.session.commit()
    assert "1–1 of 1" in read(two, servers[1])[0]


def _csrf(cold: str, warm: str) -> tuple[str, str]:
    """The CSRF tokens of the two pages (each browser session has its own)."""
    import re

    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    return token.search(cold).group(1), token.search(warm).group(1)
