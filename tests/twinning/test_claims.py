"""Travel claims up to the cap and replication plans; a city sees only its own."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from expo.accounts.models import Role
from expo.core.errors import InvalidState, NotAllowed
from expo.core.timeutil import utcnow
from expo.twinning import claims
from expo.twinning.models import (
    ApplicationStatus,
    ClaimStatus,
    TravelClaim,
    TravelMode,
    TwinningMeeting,
    TwinningModule,
    TwinningPair,
)
from tests.conftest import log_in
from tests.factories import make_application, make_event, make_pilot, make_programme, make_session, make_user

PDF = b"%PDF-1.4 ticket"


def _world(db):
    event = make_event()
    programme = make_programme(event=event, travel_cap=500, published_at=utcnow())
    module = TwinningModule(programme=programme, name="Getting started", starts_on=event.starts_on,
                            ends_on=event.ends_on)
    db.session.add(module)
    umea_contact = make_user()
    umea = make_pilot(programme=programme, name="Umeå", contacts=[umea_contact])
    gavle = make_application(programme=programme, city="Gävle", status=ApplicationStatus.ACCEPTED)
    tartu = make_application(programme=programme, city="Tartu", status=ApplicationStatus.ACCEPTED)
    db.session.add_all([TwinningPair(programme_id=programme.id, application=a, pilot=umea, score=1.0, reasons=[])
                        for a in (gavle, tartu)])
    pair_meeting = TwinningMeeting(programme_id=programme.id, module=module, pilot=umea, application=gavle,
                                   session=make_session(event=event, title="Umeå and Gävle"))
    group_meeting = TwinningMeeting(programme_id=programme.id, module=module, pilot=umea, application=None,
                                    session=make_session(event=event, title="Umeå and its twins",
                                                         starts_at=utcnow().replace(year=2022, month=6, day=2)))
    db.session.add_all([pair_meeting, group_meeting])
    db.session.flush()
    return programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting


def _claim(meeting, amount="120.50", content_type="application/pdf"):
    return claims.ClaimData(meeting_id=meeting.id, travelled_on=date(2022, 6, 1), mode=TravelMode.TRAIN,
                            amount=Decimal(amount), receipt=claims.Upload("ticket.pdf", content_type, PDF))


def test_claims_are_for_the_city_s_meetings_and_stay_within_the_cap(db):
    programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting = _world(db)

    first = claims.record_claim(programme=programme, data=_claim(pair_meeting), actor=gavle.user)
    claims.record_claim(programme=programme, data=_claim(group_meeting, "300"), actor=gavle.user)
    with pytest.raises(InvalidState):  # 420.50 claimed, 79.50 left
        claims.record_claim(programme=programme, data=_claim(pair_meeting, "80"), actor=gavle.user)
    with pytest.raises(InvalidState):  # not a meeting of Tartu's
        claims.record_claim(programme=programme, data=_claim(pair_meeting), actor=tartu.user)
    with pytest.raises(InvalidState):
        claims.record_claim(programme=programme, data=_claim(group_meeting, content_type="text/html"),
                            actor=tartu.user)
    with pytest.raises(NotAllowed):
        claims.record_claim(programme=programme, data=_claim(pair_meeting), actor=make_user())
    claims.decide_claim(claim=first, approve=False, actor=make_user(role=Role.ADMIN))
    claims.record_claim(programme=programme, data=_claim(pair_meeting, "199.50"), actor=gavle.user)
    pilot_claim = claims.record_claim(programme=programme, data=_claim(group_meeting, "500"), actor=umea_contact)

    assert first.amount_cents == 12050 and first.status is ClaimStatus.REFUSED
    assert claims.claimed_cents(programme, claims.city_of(programme, gavle.user)) == 49950
    assert pilot_claim.pilot_id == umea.id and pilot_claim.city == "Umeå"
    totals = {t.city: (t.approved, t.waiting) for t in claims.totals(programme, claims.all_claims(programme))}
    assert totals == {"Gävle": (0, 49950), "Umeå": (0, 50000)}


def test_plans_show_who_has_uploaded_one(db):
    programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting = _world(db)

    claims.upload_plan(programme=programme, upload=claims.Upload("plan.pdf", "application/pdf", PDF), actor=gavle.user)
    claims.upload_plan(programme=programme, upload=claims.Upload("plan-2.pdf", "application/pdf", PDF),
                       actor=gavle.user)

    assert [(city, plan.filename if plan else None) for city, _kind, plan in claims.plans(programme)] == [
        ("Umeå", None), ("Gävle", "plan-2.pdf"), ("Tartu", None)]


def test_one_city_cannot_see_another_city_s_claims_receipts_or_plan(db, client):
    programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting = _world(db)
    claim = claims.record_claim(programme=programme, data=_claim(pair_meeting), actor=gavle.user)
    plan = claims.upload_plan(programme=programme, upload=claims.Upload("plan.pdf", "application/pdf", PDF),
                              actor=gavle.user)
    db.session.commit()

    log_in(client, tartu.user)
    page = client.get(f"/twinning/{programme.id}/claims").get_data(as_text=True)
    assert "Tartu" in page and "120.50" not in page and "plan.pdf" not in page
    assert client.get(f"/twinning/claims/{claim.id}/receipt").status_code == 403
    assert client.get(f"/twinning/plans/{plan.id}").status_code == 403
    assert client.get(f"/manage/twinning/{programme.id}/claims").status_code == 403
    client.post("/account/logout")

    log_in(client, gavle.user)
    assert client.get(f"/twinning/claims/{claim.id}/receipt").data == PDF
    assert client.get(f"/twinning/plans/{plan.id}").data == PDF
    client.post("/account/logout")
    stranger = make_user()
    db.session.commit()
    log_in(client, stranger)
    assert client.get(f"/twinning/{programme.id}/claims").status_code == 403


def test_a_city_claims_through_the_page_and_the_organiser_approves(db, client, login_as):
    programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting = _world(db)
    db.session.commit()
    log_in(client, gavle.user)

    response = client.post(f"/twinning/{programme.id}/claims", content_type="multipart/form-data", data={
        "meeting_id": pair_meeting.id, "travelled_on": "2022-06-01", "mode": "train", "amount": "89.90",
        "receipt": (io.BytesIO(PDF), "ticket.pdf", "application/pdf")})
    plan = client.post(f"/twinning/{programme.id}/plan", content_type="multipart/form-data", data={
        "plan": (io.BytesIO(PDF), "replication plan.pdf", "application/pdf")})

    assert response.status_code == 302, response.get_data(as_text=True)
    assert plan.status_code == 302
    claim = db.session.query(TravelClaim).one()
    assert claim.amount_cents == 8990
    client.post("/account/logout")
    login_as("admin")
    page = client.get(f"/manage/twinning/{programme.id}/claims").get_data(as_text=True)
    assert "89.90" in page and "replication plan.pdf" in page and "not uploaded yet" in page
    assert client.post(f"/manage/twinning/claims/{claim.id}/decide", data={"decision": "approve"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(TravelClaim, claim.id).status is ClaimStatus.APPROVED


def test_a_claim_s_decision_is_written_to_the_audit_log(db):
    from expo.audit.models import AuditAction, AuditEntry

    programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting = _world(db)
    claim = claims.record_claim(programme=programme, data=_claim(pair_meeting), actor=gavle.user)
    admin = make_user(role=Role.ADMIN)
    claims.decide_claim(claim=claim, approve=True, actor=admin)
    db.session.commit()

    entry = db.session.query(AuditEntry).filter_by(action=AuditAction.TRAVEL_CLAIM_DECIDED).one()
    assert (entry.actor_id, entry.target) == (admin.id, f"{programme.name}: Gävle")
    assert entry.detail.startswith("approved: 120.50 €")
