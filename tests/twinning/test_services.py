"""Programmes, the call's applications, decisions and the matching, through the services."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core.errors import InvalidState, NotAllowed
from expo.core.timeutil import utcnow
from expo.twinning import services
from expo.twinning.models import ApplicationStatus, PairRuleKind, TwinningPair
from tests.factories import make_application, make_pilot, make_programme, make_user


def _application_data(**fields) -> services.ApplicationData:
    fields.setdefault("name", "Gävle")
    fields.setdefault("organisation", "Gävle kommun")
    fields.setdefault("country_code", "SE")
    fields.setdefault("population", 103_000)
    fields.setdefault("themes", {"mobility": 3, "waste": 2})
    fields.setdefault("languages", ["sv", "en"])
    fields.setdefault("challenges", "Car traffic in the centre and district heating from fossil fuel.")
    return services.ApplicationData(**fields)


def test_an_administrator_creates_a_programme_with_its_modules(db):
    admin = make_user(role=Role.ADMIN)
    data = services.ProgrammeData(
        name="Twin Cities", themes=["waste", "mobility"], travel_cap=6000, max_twins=3,
        deadline=utcnow() + timedelta(days=10),
        modules=[services.ModuleData("Getting started", date(2023, 9, 1), date(2024, 1, 31)),
                 services.ModuleData("Co-creation", date(2024, 2, 1), date(2024, 11, 30))],
    )

    programme = services.create_programme(data=data, actor=admin)

    assert programme.themes == ["mobility", "waste"]  # in the order of THEMES
    assert [m.name for m in programme.modules] == ["Getting started", "Co-creation"]
    assert programme.is_open()
    with pytest.raises(InvalidState):
        services.create_programme(data=services.ProgrammeData(name="X", themes=["space"]), actor=admin)


def test_a_delegate_applies_edits_and_is_stopped_by_the_deadline(db, outbox):
    programme = make_programme()
    delegate = make_user(locale="sv")
    contact = make_user(email="hallbarhet@gavle.se")

    application = services.submit_application(
        programme=programme, data=_application_data(contact_emails=["Hallbarhet@gavle.se"]), actor=delegate)
    again = services.submit_application(programme=programme, data=_application_data(population=104_000),
                                        actor=delegate)
    db.session.commit()

    assert again.id == application.id and again.population == 104_000
    assert application.contacts == []  # the second version named no contact
    assert [m.to for m in outbox] == [delegate.email]
    assert outbox[0].subject.startswith("Ansökan mottagen")
    with pytest.raises(InvalidState):
        services.submit_application(programme=programme, data=_application_data(contact_emails=["nobody@x.se"]),
                                    actor=delegate)
    with pytest.raises(NotAllowed):
        services.submit_application(programme=programme, data=_application_data(), actor=contact,
                                    now=programme.deadline)


def test_priorities_are_for_the_programme_s_themes_only(db):
    programme = make_programme(themes=["energy"])
    with pytest.raises(InvalidState):
        services.submit_application(programme=programme, data=_application_data(themes={"mobility": 3}),
                                    actor=make_user())
    with pytest.raises(InvalidState):
        services.submit_application(programme=programme, data=_application_data(themes={"energy": 4}),
                                    actor=make_user())


def test_decisions_are_mailed_in_the_applicant_s_language(db, outbox):
    admin = make_user(role=Role.ADMIN)
    swede, briton = make_user(locale="sv"), make_user(locale="en")
    programme = make_programme()
    a, b = make_application(programme=programme, user=swede), make_application(programme=programme, user=briton)

    services.decide_application(application=a, decision="accept", actor=admin)
    services.decide_application(application=b, decision="decline", actor=admin)
    db.session.commit()

    assert a.status is ApplicationStatus.ACCEPTED and b.status is ApplicationStatus.DECLINED
    by_person = {m.to: m for m in outbox}
    assert "antagen" in by_person[swede.email].body
    assert "was not accepted" in by_person[briton.email].body
    with pytest.raises(InvalidState):
        services.submit_application(programme=programme, data=_application_data(), actor=swede)


def _matched_programme(db):
    admin = make_user(role=Role.ADMIN)
    programme = make_programme(max_twins=1)
    umea = make_pilot(programme=programme, name="Umeå", country_code="SE", population=130_000,
                      themes={"mobility": 3, "waste": 3}, languages=["sv", "en"],
                      offers="Bus lanes cut car traffic; district heating from waste.")
    espoo = make_pilot(programme=programme, name="Espoo", country_code="FI", population=300_000,
                       themes={"energy": 3}, languages=["fi", "en"], offers="Heat pumps and smart grids.")
    gavle = make_application(programme=programme, city="Gävle", country_code="SE", population=103_000,
                             themes={"mobility": 3, "waste": 2}, languages=["sv"],
                             challenges="Car traffic and waste.", status=ApplicationStatus.ACCEPTED)
    tartu = make_application(programme=programme, city="Tartu", country_code="EE", population=97_000,
                             themes={"energy": 3}, languages=["et", "en"],
                             challenges="Heat for old buildings.", status=ApplicationStatus.ACCEPTED)
    make_application(programme=programme, city="Declined", status=ApplicationStatus.DECLINED)
    return admin, programme, umea, espoo, gavle, tartu


def test_the_matching_pairs_accepted_cities_and_explains_why(db):
    admin, programme, umea, espoo, gavle, tartu = _matched_programme(db)

    run = services.run_matching(programme=programme, actor=admin)

    assert {(p.application.city, p.pilot.name) for p in run.pairs} == {("Gävle", "Umeå"), ("Tartu", "Espoo")}
    gavle_pair = next(p for p in run.pairs if p.application_id == gavle.id)
    assert [key for key, _ in gavle_pair.reasons][:2] == ["themes", "size"]
    assert run.total >= run.greedy_total
    assert programme.matched_total == pytest.approx(run.total, abs=0.01)


def test_locked_and_forbidden_pairs_and_the_same_country_rule(db):
    admin, programme, umea, espoo, gavle, tartu = _matched_programme(db)

    services.set_pair_rule(programme=programme, application=tartu, pilot=umea, kind=PairRuleKind.LOCK, actor=admin)
    run = services.run_matching(programme=programme, actor=admin)
    assert {(p.application.city, p.pilot.name, p.locked) for p in run.pairs} == {
        ("Tartu", "Umeå", True), ("Gävle", "Espoo", False)}

    services.set_pair_rule(programme=programme, application=tartu, pilot=umea, kind=None, actor=admin)
    services.set_pair_rule(programme=programme, application=gavle, pilot=umea, kind=PairRuleKind.FORBID, actor=admin)
    run = services.run_matching(programme=programme, actor=admin)
    assert {(p.application.city, p.pilot.name) for p in run.pairs} == {("Gävle", "Espoo"), ("Tartu", "Umeå")}

    services.set_pair_rule(programme=programme, application=gavle, pilot=umea, kind=None, actor=admin)
    run = services.run_matching(programme=programme, actor=admin, separate_countries=True)
    assert ("Gävle", "Umeå") not in {(p.application.city, p.pilot.name) for p in run.pairs}


def test_publishing_freezes_the_pairs_and_tells_each_city(db, outbox):
    admin, programme, umea, espoo, gavle, tartu = _matched_programme(db)
    services.run_matching(programme=programme, actor=admin)
    db.session.commit()
    outbox.clear()

    services.publish_pairs(programme=programme, actor=admin)
    db.session.commit()

    assert sorted(m.to for m in outbox) == sorted([gavle.user.email, tartu.user.email])
    assert services.pair_of(gavle).pilot == umea
    with pytest.raises(InvalidState):
        services.run_matching(programme=programme, actor=admin)
    with pytest.raises(InvalidState):
        services.set_pair_rule(programme=programme, application=gavle, pilot=espoo, kind=PairRuleKind.LOCK,
                               actor=admin)


def test_declining_an_application_takes_its_pair_away(db):
    admin, programme, umea, espoo, gavle, tartu = _matched_programme(db)
    services.run_matching(programme=programme, actor=admin)

    services.decide_application(application=gavle, decision="decline", actor=admin)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(TwinningPair)) == 1


def test_decisions_and_publication_are_written_to_the_audit_log(db, outbox):
    from expo.audit.models import AuditAction, AuditEntry

    admin, programme, umea, espoo, gavle, tartu = _matched_programme(db)
    late = make_application(programme=programme, city="Lund")
    services.decide_application(application=late, decision="decline", actor=admin)
    services.run_matching(programme=programme, actor=admin)
    services.publish_pairs(programme=programme, actor=admin)
    db.session.commit()

    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    decided = [e for e in entries if e.action is AuditAction.TWINNING_APPLICATION_DECIDED]
    assert [(e.actor_id, e.subject_id, e.target, e.detail) for e in decided] == [
        (admin.id, late.user_id, f"{programme.name}: Lund", "declined")]
    published = [e for e in entries if e.action is AuditAction.TWINNING_PAIRS_PUBLISHED]
    assert len(published) == 1 and published[0].target == programme.name
    assert "Umeå – Gävle" in published[0].detail
