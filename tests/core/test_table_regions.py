"""With Redis, an organisers' table keeps its drawn region (rows, counts, filters, pager) until a
commit writes a table it reads, whichever server makes the change; each reader gets their own
CSRF token, language and permissions."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.core.db import insert_rows
from expo.core.extensions import db
from expo.events.models import RegistrationMode, TeamMember, TeamRole
from expo.people.models import Network, Organisation
from expo.programme.models import ProgrammeSession
from expo.registration.models import BookingStatus, RegistrationStatus
from tests.conftest import redis_servers, signed_in
from tests.factories import make_booking, make_network, make_organisation, make_registration, make_session, make_user
from tests.querycount import count_queries
from tests.registration.conftest import future_event

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def servers(make_app):
    """Two app servers sharing one Redis (their connections are closed by ``make_app``)."""
    with redis_servers(make_app) as made:
        yield made


def read(client, server, url: str) -> tuple[str, int]:
    with server.app_context(), count_queries() as log:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True), log.count


def change(server, edit) -> None:
    """Make a change through ``server`` and commit it, as a request there would."""
    with server.app_context():
        edit()
        db.session.commit()


@pytest.fixture
def expo_data(db):
    event = future_event(slug="approval", registration_mode=RegistrationMode.APPROVAL)
    city = make_organisation(name="Malmö stad")
    delegates = [make_user(name=f"Delegate {n}", organisation=city) for n in range(3)]
    registrations = [make_registration(event=event, user=d, status=RegistrationStatus.PENDING) for d in delegates]
    session = make_session(event=event, title="Harbour walk")
    for d in delegates:
        make_booking(session=session, user=d, status=BookingStatus.CONFIRMED)
    admin = make_user(role=Role.ADMIN, email="olga@example.org")
    network = make_network(name="UN Habitat", acronym="UNH")
    db.session.commit()
    return {"network": network.id, "event": event, "session": session.id, "delegates": [d.id for d in delegates],
            "registrations": [r.id for r in registrations], "city": city.id, "admin": admin.email}


def test_a_region_is_drawn_once_and_each_reader_gets_their_own_csrf_token(servers, expo_data):
    url = "/manage/events/approval/registrations?status=pending&sort=-organisation"
    one, two = signed_in(servers[0], expo_data["admin"]), signed_in(servers[1], expo_data["admin"])
    cold, cold_count = read(one, servers[0], url)
    warm, warm_count = read(two, servers[1], url)

    # The reader (their session) and the event are read; nothing of the table.
    assert warm_count == 2 < cold_count
    assert "1–3 of 3" in warm and "Delegate 0" in warm
    tokens = set(TOKEN.findall(warm))
    assert len(tokens) == 1 and tokens != set(TOKEN.findall(cold)) and "__expo_csrf_token__" not in warm
    assert warm == cold.replace(TOKEN.search(cold).group(1), tokens.pop())


@pytest.mark.parametrize(("url", "edit", "shown"), [
    # A registration decided: the list of the event's registrations counts it approved.
    ("/manage/events/approval/registrations?status=pending",
     lambda data: _registration(data).__setattr__("status", RegistrationStatus.APPROVED), "1–2 of 2"),
    # A person renamed: the bookings of their session show the new name.
    ("/manage/sessions/{session}/bookings?sort=name",
     lambda data: db.session.get(User, data["delegates"][0]).__setattr__("name", "Zora Renamed"), "Zora Renamed"),
    # Needs are shown to organisers, though no public page shows them.
    ("/manage/events/approval/registrations",
     lambda data: _needs(db.session.get(User, data["delegates"][1]), "No nuts"), "No nuts"),
    # A session retitled.
    ("/manage/events/{event}/sessions?sort=title",
     lambda data: db.session.get(ProgrammeSession, data["session"]).__setattr__("title", "Ferry ride"), "Ferry ride"),
    # An organisation renamed: the people who belong to it.
    ("/manage/people/?sort=organisation",
     lambda data: db.session.get(Organisation, data["city"]).__setattr__("name", "Lunds kommun"), "Lunds kommun"),
    # A network joined: only the association of people and networks is written.
    ("/manage/networks?sort=-members",
     lambda data: _join_network(data),
     '<td class="num">1</td>'),
    ("/manage/events/approval/registrations?sort=name",
     lambda data: _join_network(data),
     "<td>UNH</td>"),
    # A statement (no object flushed) names its table.
    ("/manage/people/?sort=name",
     lambda data: db.session.execute(sa.update(User).where(User.id == data["delegates"][2]).values(name="Stated")),
     "Stated"),
    ("/manage/organisations?sort=-members",
     lambda data: make_user(name="Newcomer", organisation=db.session.get(Organisation, data["city"])),
     '<td class="num">4</td>'),
    # Rows written together, as an import writes its people (by COPY on PostgreSQL).
    ("/manage/people/?sort=name",
     lambda data: insert_rows(User.__table__, [{"email": "copied@example.org", "name": "Copied Person",
                                                "password_hash": "!", "role": Role.DELEGATE}], ids=True),
     "Copied Person"),
])
def test_a_change_shows_on_the_next_request_through_any_server(servers, expo_data, url, edit, shown):
    url = url.format(session=expo_data["session"], event=expo_data["event"].id)
    one, two = signed_in(servers[0], expo_data["admin"]), signed_in(servers[1], expo_data["admin"])
    before, _ = read(one, servers[0], url)
    kept, kept_count = read(two, servers[1], url)
    assert shown not in before and kept_count < 4

    change(servers[0], lambda: edit(expo_data))

    after, after_count = read(two, servers[1], url)
    assert shown in after and after_count > kept_count


def _join_network(data) -> None:
    person = db.session.get(User, data["delegates"][0])
    person.networks.append(db.session.get(Network, data["network"]))


def _needs(person: User, diet: str) -> None:
    from expo.core.timeutil import utcnow

    person.needs_consent_at, person.dietary_needs = utcnow(), diet


def _registration(data):
    from expo.registration.models import Registration

    return db.session.get(Registration, data["registrations"][0])


def test_a_change_made_by_a_bulk_action_shows_too(servers, expo_data):
    url = "/manage/events/approval/registrations?status=pending"
    client = signed_in(servers[1], expo_data["admin"])
    assert "1–3 of 3" in read(client, servers[1], url)[0]
    response = signed_in(servers[0], expo_data["admin"]).post(
        "/manage/events/approval/registrations/bulk?status=pending",
        data={"action": "approve", "scope": "all", "confirmed": "y"})
    assert response.status_code == 302
    assert "No registration matches." in read(client, servers[1], url)[0]


def test_a_booking_keeps_the_list_of_sessions(servers, expo_data):
    newcomer = make_user().id
    db.session.commit()
    url = f"/manage/events/{expo_data['event'].id}/sessions"
    read(signed_in(servers[0], expo_data["admin"]), servers[0], url)

    def book() -> None:
        session = db.session.get(ProgrammeSession, expo_data["session"])
        session.bookings.append(make_booking(session=session, user=db.session.get(User, newcomer),
                                             status=BookingStatus.CONFIRMED))

    change(servers[0], book)
    # Seats show on the session's bookings, not in the list of sessions.
    assert read(signed_in(servers[1], expo_data["admin"]), servers[1], url)[1] == 2


def test_signing_in_keeps_the_regions(servers, expo_data):
    url = "/manage/people/?sort=name"
    read(signed_in(servers[0], expo_data["admin"]), servers[0], url)
    # Someone else signs in (their last sign-in is written): nothing a table shows changed.
    delegate = signed_in(servers[1], db.session.get(User, expo_data["delegates"][0]).email)
    assert delegate.get(url).status_code == 403
    assert read(signed_in(servers[1], expo_data["admin"]), servers[1], url)[1] == 1


def test_an_event_organiser_never_sees_what_an_administrator_was_shown(servers, expo_data):
    event = expo_data["event"]
    team = make_user(email="team@example.org")
    db.session.add(TeamMember(event_id=event.id, user_id=team.id, role=TeamRole.ORGANISER))
    db.session.commit()
    url = f"/manage/events/{event.id}/sessions"
    admin_page, _ = read(signed_in(servers[0], expo_data["admin"]), servers[0], url)
    team_page, team_count = read(signed_in(servers[1], "team@example.org"), servers[1], url)

    # Only administrators manage a team and import programmes.
    assert f'/manage/events/{event.id}/team"' in admin_page
    assert f'/manage/events/{event.id}/team"' not in team_page and "Harbour walk" in team_page
    assert team_count > 3  # drawn for them, not taken from the administrator's


def test_each_language_has_its_own_region(servers, expo_data):
    swedish = make_user(role=Role.ADMIN, email="sven@example.org", locale="sv")
    db.session.commit()
    url = "/manage/events/approval/registrations"
    english, _ = read(signed_in(servers[0], expo_data["admin"]), servers[0], url)
    svenska, _ = read(signed_in(servers[1], swedish.email), servers[1], url)
    assert "Rows per page" in english and "Rows per page" not in svenska
    assert "Rader per sida" in svenska
    assert "Rader per sida" not in read(signed_in(servers[1], expo_data["admin"]), servers[1], url)[0]


def test_without_a_shared_cache_every_request_draws_the_region(client, expo_data):
    # Each process would keep its own copy and miss its neighbours' commits: nothing is kept.
    from tests.conftest import log_in

    log_in(client, db.session.scalar(sa.select(User).where(User.email == expo_data["admin"])))
    url = "/manage/organisations?sort=-members"
    counts = []
    for _ in range(2):
        with count_queries() as log:
            assert "Malmö stad" in client.get(url).get_data(as_text=True)
        counts.append(log.count)
    assert min(counts) > 1


def test_turned_off_every_request_draws_the_region(make_app, expo_data):
    with redis_servers(make_app, count=1, TABLE_CACHE_TIMEOUT=0) as (server,):
        client = signed_in(server, expo_data["admin"])
        url = "/manage/networks?sort=-members"
        counts = [read(client, server, url)[1] for _ in range(3)]
    # Kept, the page would read the reader alone; drawn, it reads the networks' rows each time.
    assert min(counts) > 1
