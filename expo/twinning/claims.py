"""Travel claims and replication plans of the programme's cities.

A city (its applicant, contact people or, for a pilot city, its contacts) records what it spent
travelling to each of its meetings, with the receipt, up to the programme's cap per city;
organisers approve or refuse each claim. At the end each city uploads its replication plan.
A city sees its own claims and plan only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.errors import InvalidState, NotAllowed
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.twinning.models import (
    ApplicationStatus,
    ClaimStatus,
    PilotCity,
    ReplicationPlan,
    TravelClaim,
    TravelMode,
    TwinningApplication,
    TwinningMeeting,
    TwinningPair,
    TwinningProgramme,
)
from expo.twinning.one_to_one import Member, members

MAX_UPLOAD = 5 * 1024 * 1024
UPLOAD_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass
class Upload:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ClaimData:
    meeting_id: int
    travelled_on: date
    mode: TravelMode
    amount: Decimal
    receipt: Upload


def city_of(programme: TwinningProgramme, user: User) -> Member | None:
    """The city the person speaks for in the programme, if any."""
    return members(programme).get(user.id)


def _city_filter(model: type, member: Member) -> sa.ColumnElement[bool]:
    if member.pilot_id is not None:
        return model.pilot_id == member.pilot_id
    return model.application_id == member.application_id


def _check_upload(upload: Upload, field: str) -> None:
    if upload.content_type not in UPLOAD_TYPES:
        raise InvalidState(_l("Upload a PDF, JPEG or PNG file."), field=field)
    if not upload.content or len(upload.content) > MAX_UPLOAD:
        raise InvalidState(_l("The file must hold something and be at most 5 MB."), field=field)


def city_meetings(programme: TwinningProgramme, member: Member) -> list[TwinningMeeting]:
    """The meetings the city takes part in: its pair's, and its pilot city's group meetings."""
    query = sa.select(TwinningMeeting).where(TwinningMeeting.programme_id == programme.id).options(
        selectinload(TwinningMeeting.session), selectinload(TwinningMeeting.module))
    if member.pilot_id is not None:
        query = query.where(TwinningMeeting.pilot_id == member.pilot_id)
    else:
        my_pilot = sa.select(TwinningPair.pilot_id).where(TwinningPair.application_id == member.application_id)
        query = query.where(sa.or_(
            TwinningMeeting.application_id == member.application_id,
            sa.and_(TwinningMeeting.application_id.is_(None), TwinningMeeting.pilot_id.in_(my_pilot))))
    return sorted(db.session.scalars(query), key=lambda m: m.session.starts_at)


def claimed_cents(programme: TwinningProgramme, member: Member) -> int:
    """What the city has asked back so far, refused claims aside."""
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(TravelClaim.amount_cents), 0)).where(
        TravelClaim.programme_id == programme.id, _city_filter(TravelClaim, member),
        TravelClaim.status != ClaimStatus.REFUSED)) or 0


def record_claim(*, programme: TwinningProgramme, data: ClaimData, actor: User) -> TravelClaim:
    """A city's claim for a meeting it took part in, within what is left of the cap."""
    member = city_of(programme, actor)
    if member is None:
        raise NotAllowed(_l("Only the programme's cities claim travel costs."))
    if data.meeting_id not in {m.id for m in city_meetings(programme, member)}:
        raise InvalidState(_l("Choose one of your city's meetings."), field="meeting_id")
    cents = int((data.amount * 100).to_integral_value())
    if cents <= 0:
        raise InvalidState(_l("The amount is a positive number."), field="amount")
    left = programme.travel_cap * 100 - claimed_cents(programme, member)
    if cents > left:
        raise InvalidState(_l("That is more than what is left of your city's cap: %(left)s €.",
                              left=f"{max(left, 0) / 100:.2f}"), field="amount")
    _check_upload(data.receipt, "receipt")
    claim = TravelClaim(
        programme_id=programme.id, pilot_id=member.pilot_id, application_id=member.application_id,
        meeting_id=data.meeting_id, claimed_by_id=actor.id, travelled_on=data.travelled_on, mode=data.mode,
        amount_cents=cents, receipt_name=data.receipt.filename[:200], receipt_type=data.receipt.content_type,
        receipt=data.receipt.content)
    db.session.add(claim)
    db.session.flush()
    return claim


def decide_claim(*, claim: TravelClaim, approve: bool, actor: User) -> TravelClaim:
    """An organiser approves or refuses a claim."""
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REFUSED
    claim.decided_at = utcnow()
    db.session.flush()
    programme = db.session.get(TwinningProgramme, claim.programme_id)
    audit.record(actor=actor, action=AuditAction.TRAVEL_CLAIM_DECIDED, target=f"{programme.name}: {claim.city}",
                 detail=f"{claim.status.value}: {claim.amount_cents / 100:.2f} € ({claim.travelled_on.isoformat()})")
    return claim


def city_claims(programme: TwinningProgramme, member: Member) -> list[TravelClaim]:
    return list(db.session.scalars(
        sa.select(TravelClaim).where(TravelClaim.programme_id == programme.id, _city_filter(TravelClaim, member))
        .options(selectinload(TravelClaim.meeting).selectinload(TwinningMeeting.session))
        .order_by(TravelClaim.travelled_on, TravelClaim.id)))


def all_claims(programme: TwinningProgramme) -> list[TravelClaim]:
    """Every claim of the programme, with its city and meeting, newest last."""
    return list(db.session.scalars(
        sa.select(TravelClaim).where(TravelClaim.programme_id == programme.id)
        .options(selectinload(TravelClaim.application), selectinload(TravelClaim.pilot),
                 selectinload(TravelClaim.meeting).selectinload(TwinningMeeting.session),
                 selectinload(TravelClaim.meeting).selectinload(TwinningMeeting.module))
        .order_by(TravelClaim.created_at, TravelClaim.id)))


@dataclass
class CityTotal:
    city: str
    by_module: dict[str, int]  # approved cents by module name
    approved: int
    waiting: int
    cap: int


def totals(programme: TwinningProgramme, claims: list[TravelClaim]) -> list[CityTotal]:
    """Approved and waiting amounts per city, the approved ones per module, against the cap."""
    found: dict[str, CityTotal] = {}
    for claim in claims:
        total = found.setdefault(claim.city, CityTotal(claim.city, {}, 0, 0, programme.travel_cap * 100))
        if claim.status is ClaimStatus.APPROVED:
            total.approved += claim.amount_cents
            module = claim.meeting.module.name
            total.by_module[module] = total.by_module.get(module, 0) + claim.amount_cents
        elif claim.status is ClaimStatus.SUBMITTED:
            total.waiting += claim.amount_cents
    return sorted(found.values(), key=lambda t: t.city)


def upload_plan(*, programme: TwinningProgramme, upload: Upload, actor: User) -> ReplicationPlan:
    """The city's replication plan; a new upload replaces the one before."""
    member = city_of(programme, actor)
    if member is None:
        raise NotAllowed(_l("Only the programme's cities upload replication plans."))
    _check_upload(upload, "plan")
    plan = db.session.scalar(sa.select(ReplicationPlan).where(_city_filter(ReplicationPlan, member)))
    if plan is None:
        plan = ReplicationPlan(programme_id=programme.id, pilot_id=member.pilot_id,
                               application_id=member.application_id)
        db.session.add(plan)
    plan.filename, plan.content_type, plan.content = upload.filename[:200], upload.content_type, upload.content
    plan.uploaded_by_id, plan.uploaded_at = actor.id, utcnow()
    db.session.flush()
    return plan


def plan_of(programme: TwinningProgramme, member: Member) -> ReplicationPlan | None:
    return db.session.scalar(sa.select(ReplicationPlan).where(
        ReplicationPlan.programme_id == programme.id, _city_filter(ReplicationPlan, member)))


def plans(programme: TwinningProgramme) -> list[tuple[str, str, ReplicationPlan | None]]:
    """Every city of the programme (pilot or accepted twin) with its plan, or None: who has one and who not."""
    by_pilot = {p.pilot_id: p for p in db.session.scalars(sa.select(ReplicationPlan).where(
        ReplicationPlan.programme_id == programme.id, ReplicationPlan.pilot_id.is_not(None)))}
    by_application = {p.application_id: p for p in db.session.scalars(sa.select(ReplicationPlan).where(
        ReplicationPlan.programme_id == programme.id, ReplicationPlan.application_id.is_not(None)))}
    rows = [(p.name, "pilot", by_pilot.get(p.id)) for p in db.session.scalars(
        sa.select(PilotCity).where(PilotCity.programme_id == programme.id).order_by(PilotCity.name))]
    rows += [(a.city, "twin", by_application.get(a.id)) for a in db.session.scalars(
        sa.select(TwinningApplication).where(TwinningApplication.programme_id == programme.id,
                                             TwinningApplication.status == ApplicationStatus.ACCEPTED)
        .order_by(TwinningApplication.city))]
    return rows
