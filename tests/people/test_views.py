"""Organisers manage networks and organisations."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.people.models import Network, Organisation, OrganisationKind
from tests.factories import make_event, make_network, make_organisation, make_session, make_user
from tests.programme.helpers import assert_organisers_only
from tests.querycount import page_query_count


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


def html(response) -> str:
    return response.get_data(as_text=True)


def test_people_pages_are_for_organisers_only(client, db):
    network = make_network()
    organisation = make_organisation()
    db.session.commit()
    for method, url in [
        ("GET", "/manage/networks"),
        ("GET", "/manage/networks/new"),
        ("POST", "/manage/networks/new"),
        ("GET", f"/manage/networks/{network.id}/edit"),
        ("POST", f"/manage/networks/{network.id}/edit"),
        ("POST", f"/manage/networks/{network.id}/delete"),
        ("GET", "/manage/organisations"),
        ("GET", "/manage/organisations/new"),
        ("POST", "/manage/organisations/new"),
        ("GET", f"/manage/organisations/{organisation.id}/edit"),
        ("POST", f"/manage/organisations/{organisation.id}/edit"),
        ("POST", f"/manage/organisations/{organisation.id}/delete"),
    ]:
        assert_organisers_only(client, db, method, url)
    assert db.session.get(Network, network.id) is not None


def test_organiser_creates_and_edits_a_network(client, db, organiser):
    response = client.post(
        "/manage/networks/new",
        data={"name": "Conference of Peripheral Maritime Regions", "acronym": "CPMR",
              "website": "https://cpmr.org/", "slug": "", "description": ""},
    )
    assert response.status_code == 302
    network = db.session.scalar(sa.select(Network))
    assert (network.slug, network.acronym, network.website) == (
        "conference-of-peripheral-maritime-regions", "CPMR", "https://cpmr.org/"
    )
    client.post(f"/manage/networks/{network.id}/edit",
                data={"name": network.name, "acronym": "CPMR", "website": "", "slug": "cpmr"})
    db.session.refresh(network)
    assert (network.slug, network.website) == ("cpmr", None)
    assert "CPMR" in html(client.get("/manage/networks?q=cpmr"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "UNECE", "website": "ftp://unece.org"}, "starting with http:// or https://"),
        ({"name": "UNECE", "website": "unece.org"}, "starting with http:// or https://"),
        ({"name": ""}, "This field is required."),
        ({"name": "UNECE", "slug": "UN ECE"}, "Use lowercase letters"),
    ],
)
def test_network_form_messages(client, db, organiser, data, message):
    response = client.post("/manage/networks/new", data=data)
    assert response.status_code == 200 and message in html(response)


def test_delete_network_refused_while_it_hosts_sessions_or_has_members(client, db, organiser):
    hosting = make_network(name="NetZeroCities")
    session = make_session()
    session.networks.append(hosting)
    with_members = make_network(name="Eurocities")
    member = make_user()
    member.networks.append(with_members)
    free = make_network(name="Free")
    db.session.commit()
    free_id = free.id
    assert "hosts sessions" in html(client.post(f"/manage/networks/{hosting.id}/delete", follow_redirects=True))
    assert "People belong to this network" in html(
        client.post(f"/manage/networks/{with_members.id}/delete", follow_redirects=True)
    )
    assert client.post(f"/manage/networks/{free_id}/delete").status_code == 302
    assert db.session.get(Network, free_id) is None


def test_organiser_creates_organisations_with_filters(client, db, organiser):
    response = client.post("/manage/organisations/new", data={"name": "Helsingborg", "kind": "city", "country_code": "SE"})
    assert response.status_code == 302
    client.post("/manage/organisations/new", data={"name": "Lund University", "kind": "university", "country_code": "SE"})
    duplicate = client.post("/manage/organisations/new", data={"name": "helsingborg", "kind": "city", "country_code": "SE"})
    assert "already exists in this country" in html(duplicate)
    bad = client.post("/manage/organisations/new", data={"name": "X", "kind": "city", "country_code": "ZZ"})
    assert "Not a valid choice" in html(bad)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 2
    universities = html(client.get("/manage/organisations?kind=university"))
    assert "Lund University" in universities and "Helsingborg" not in universities
    assert "Sweden" in html(client.get("/manage/organisations?country=SE"))
    assert client.get("/manage/organisations?kind=alien&country=??").status_code == 200


def test_edit_and_delete_organisation(client, db, organiser):
    member_of = make_organisation(name="Malmö stad")
    make_user(organisation=member_of)
    empty = make_organisation(name="Empty Ltd", kind=OrganisationKind.COMPANY)
    db.session.commit()
    client.post(f"/manage/organisations/{empty.id}/edit", data={"name": "Empty AB", "kind": "company", "country_code": "SE"})
    db.session.refresh(empty)
    assert (empty.name, empty.country_code) == ("Empty AB", "SE")
    refused = client.post(f"/manage/organisations/{member_of.id}/delete", follow_redirects=True)
    assert "People belong to this organisation" in html(refused)
    empty_id = empty.id
    assert client.post(f"/manage/organisations/{empty_id}/delete").status_code == 302
    assert db.session.get(Organisation, empty_id) is None


def test_list_query_counts_do_not_grow(client, db, organiser):
    def fill(n: int) -> None:
        for _ in range(n):
            network = make_network()
            organisation = make_organisation(country_code="SE")
            member = make_user(organisation=organisation)
            member.networks.append(network)
            db.session.flush()
        db.session.commit()

    fill(3)
    small = (page_query_count(client, "/manage/networks"), page_query_count(client, "/manage/organisations"))
    fill(27)
    large = (page_query_count(client, "/manage/networks"), page_query_count(client, "/manage/organisations"))
    assert small == large


def test_network_list_filters_by_the_event_its_sessions_are_in(client, db, organiser):
    summit, forum = make_event(name="H22 Summit"), make_event(name="Smart City Forum")
    unece, cpmr = make_network(name="UNECE"), make_network(name="CPMR")
    make_network(name="Idle Network")
    make_session(event=summit, networks=[unece, cpmr])
    make_session(event=summit, networks=[unece])
    make_session(event=forum, networks=[cpmr])
    db.session.commit()

    page = html(client.get(f"/manage/networks?event={summit.id}"))
    assert ">UNECE</a>" in page and ">CPMR</a>" in page and "Idle Network" not in page
    assert "Sessions in this event" in page
    rows = re.findall(r'>(UNECE|CPMR)</a></td>\s*<td>[^<]*</td>\s*<td class="num">\d+</td>\s*<td class="num">(\d+)</td>', page)
    assert sorted(rows) == [("CPMR", "1"), ("UNECE", "2")]
    forum_page = html(client.get(f"/manage/networks?event={forum.id}"))
    assert ">CPMR</a>" in forum_page and "UNECE" not in forum_page
    for ignored in ("abc", "999999", "99999999999999999999"):
        page = html(client.get(f"/manage/networks?event={ignored}"))
        assert ">Idle Network</a>" in page and ">UNECE</a>" in page


def test_network_and_organisation_search_take_percent_and_underscore_literally(client, db, organiser):
    make_network(name="Cities_2030", acronym="C_30")
    make_network(name="Cities 2030", acronym="C30")
    make_organisation(name="Region 50%")
    make_organisation(name="Region 500")
    db.session.commit()
    networks = html(client.get("/manage/networks", query_string={"q": "s_2"}))
    assert "Cities_2030" in networks and ">Cities 2030<" not in networks
    organisations = html(client.get("/manage/organisations", query_string={"q": "50%"}))
    assert "Region 50%" in organisations and "Region 500" not in organisations
