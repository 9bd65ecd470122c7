"""The organisers' twinning pages and the delegate's call and application."""
from __future__ import annotations

from datetime import timedelta

from expo.core.timeutil import utcnow
from expo.twinning.models import ApplicationStatus, PairRule, TwinningApplication, TwinningProgramme
from tests.conftest import log_in
from tests.factories import make_application, make_expo, make_pilot, make_programme, make_user
from tests.querycount import page_query_count


def test_an_administrator_creates_a_programme_with_a_deadline_in_the_expo_s_zone(db, client, login_as):
    make_expo(timezone="Europe/Stockholm")
    login_as("admin")

    response = client.post("/manage/twinning/new", data={
        "name": "Twin Cities", "themes": ["mobility", "waste"], "travel_cap": "6000", "max_twins": "3",
        "deadline": "2030-06-30T23:59", "modules-0-name": "Getting started", "modules-0-starts_on": "2030-09-01",
        "modules-0-ends_on": "2031-01-31", "modules-1-name": "", "modules-2-name": "",
    })

    assert response.status_code == 302, response.get_data(as_text=True)
    programme = db.session.query(TwinningProgramme).one()
    assert programme.deadline.isoformat() == "2030-06-30T21:59:00+00:00"  # CEST is UTC+2
    assert [m.name for m in programme.modules] == ["Getting started"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Twin Cities" in page and "Getting started" in page


def test_a_delegate_applies_sees_only_their_own_application_and_the_form_closes(db, client):
    programme = make_programme(themes=["mobility", "energy"])
    theirs = make_application(programme=programme, city="Secretville", challenges="Our secret troubles.")
    delegate = make_user()
    db.session.commit()
    log_in(client, delegate)

    empty = client.get(f"/twinning/{programme.id}/apply").get_data(as_text=True)
    response = client.post(f"/twinning/{programme.id}/apply", data={
        "organisation": "Gävle kommun", "name": "Gävle", "country_code": "SE", "population": "103000",
        "theme_mobility": "3", "theme_energy": "0", "languages": ["sv", "en"],
        "challenges": "Car traffic in the centre.", "offers": "Cycling.",
    })

    assert "Secretville" not in empty and "secret troubles" not in empty
    assert response.status_code == 302, response.get_data(as_text=True)
    mine = db.session.query(TwinningApplication).filter_by(user_id=delegate.id).one()
    assert (mine.city, mine.themes, mine.languages) == ("Gävle", {"mobility": 3}, ["en", "sv"])
    assert client.get(f"/manage/twinning/applications/{theirs.id}").status_code == 403
    assert "Twinning" in client.get("/twinning/").get_data(as_text=True)

    programme.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    closed = client.get(f"/twinning/{programme.id}/apply").get_data(as_text=True)
    refused = client.post(f"/twinning/{programme.id}/apply", data={
        "organisation": "Gävle kommun", "name": "Gävle changed", "theme_mobility": "3", "challenges": "x"})
    assert "applications are no longer taken" in closed
    assert "Gävle" in closed  # their own application, read-only
    assert refused.status_code == 200 and "applications are no longer taken" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TwinningApplication, mine.id).city == "Gävle"


def test_an_organiser_decides_runs_the_matching_locks_a_pair_and_publishes(db, client, login_as, outbox):
    programme = make_programme(max_twins=1)
    umea = make_pilot(programme=programme, name="Umeå", themes={"mobility": 3})
    espoo = make_pilot(programme=programme, name="Espoo", themes={"energy": 3})
    gavle = make_application(programme=programme, city="Gävle", themes={"mobility": 3})
    tartu = make_application(programme=programme, city="Tartu", themes={"energy": 3})
    login_as("admin")

    for application in (gavle, tartu):
        assert client.post(f"/manage/twinning/applications/{application.id}",
                           data={"decision": "accept"}).status_code == 302
    client.post(f"/manage/twinning/{programme.id}/rules",
                data={"application_id": gavle.id, "pilot_id": espoo.id, "kind": "lock"})
    run = client.post(f"/manage/twinning/{programme.id}/matching/run",
                      data={"themes": "4", "size": "1", "language": "2", "complement": "3"})
    page = client.get(f"/manage/twinning/{programme.id}/matching").get_data(as_text=True)
    published = client.post(f"/manage/twinning/{programme.id}/publish")

    assert run.status_code == 302
    assert db.session.query(PairRule).one().pilot_id == espoo.id
    assert "Gävle" in page and "locked" in page and "greedy matching" in page
    assert published.status_code == 302
    assert db.session.get(TwinningProgramme, programme.id).published_at is not None
    assert {m.to for m in outbox} >= {gavle.user.email, tartu.user.email}
    assert all(a.status is ApplicationStatus.ACCEPTED for a in db.session.query(TwinningApplication))


def test_the_applicant_sees_their_published_pair(db, client):
    programme = make_programme(max_twins=1, published_at=utcnow())
    pilot = make_pilot(programme=programme, name="Umeå")
    application = make_application(programme=programme, city="Gävle", status=ApplicationStatus.ACCEPTED)
    from expo.twinning.models import TwinningPair

    db.session.add(TwinningPair(programme_id=programme.id, application=application, pilot=pilot, score=50.0,
                                reasons=[["size", {}]]))
    db.session.commit()
    log_in(client, application.user)

    page = client.get("/twinning/").get_data(as_text=True)

    assert "Twinned with the pilot city Umeå (similar size)" in page


def test_delegates_cannot_reach_the_organisers_pages(db, client, login_as):
    programme = make_programme()
    application = make_application(programme=programme)
    login_as("delegate")

    for url in (f"/manage/twinning/{programme.id}", f"/manage/twinning/applications/{application.id}",
                f"/manage/twinning/{programme.id}/matching"):
        assert client.get(url).status_code == 403
    assert client.post(f"/manage/twinning/{programme.id}/publish").status_code == 403


def test_the_programme_page_needs_the_same_queries_for_more_applications(db, client, login_as):
    programme = make_programme()
    make_pilot(programme=programme, contacts=[make_user()])
    make_application(programme=programme)
    login_as("admin")
    few = page_query_count(client, f"/manage/twinning/{programme.id}")
    for _ in range(5):
        make_pilot(programme=programme, contacts=[make_user()])
        make_application(programme=programme)
    db.session.commit()

    assert page_query_count(client, f"/manage/twinning/{programme.id}") == few


def test_the_list_and_matching_pages_need_the_same_queries_for_more_cities(db, client, login_as):
    from expo.twinning import services

    admin = login_as("admin")
    programme = make_programme(max_twins=3)

    def grow(count):
        for _ in range(count):
            make_programme()
            pilot = make_pilot(programme=programme)
            application = make_application(programme=programme, status=ApplicationStatus.ACCEPTED)
            services.set_pair_rule(programme=programme, application=application, pilot=pilot,
                                   kind=services.PairRuleKind.FORBID, actor=admin)
        services.run_matching(programme=programme, actor=admin)
        db.session.commit()

    grow(2)
    few = [page_query_count(client, url) for url in ("/manage/twinning/", f"/manage/twinning/{programme.id}/matching")]
    grow(4)
    many = [page_query_count(client, url) for url in ("/manage/twinning/", f"/manage/twinning/{programme.id}/matching")]

    assert many == few


def test_the_twinning_link_follows_who_takes_part_without_a_query_per_page(db, client):
    from tests.querycount import count_queries

    delegate = make_user()
    programme = make_programme(themes=["mobility"])
    db.session.commit()
    log_in(client, delegate)
    assert 'href="/twinning/"' not in client.get("/account/profile").get_data(as_text=True)

    client.post(f"/twinning/{programme.id}/apply", data={
        "organisation": "Gävle kommun", "name": "Gävle", "theme_mobility": "3", "challenges": "Cars."})
    with count_queries() as first:
        assert 'href="/twinning/"' in client.get("/account/profile").get_data(as_text=True)
    with count_queries() as second:
        client.get("/account/profile")

    def reads_twinning(log):
        return sum("twinning" in statement for statement in log.statements)

    assert (reads_twinning(first), reads_twinning(second)) == (1, 0)  # read once, then kept
