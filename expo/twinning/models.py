"""A twinning programme, its modules and pilot cities, the applications to its call, and the
pairs its matching makes (with the organiser's locked and forbidden pairs)."""
from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from expo.accounts.models import User
from expo.core.db import enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.programme.models import ProgrammeSession, SessionKind

# The challenge themes a programme may use, in the order forms show them.
THEMES = {
    "mobility": _l("Mobility"),
    "energy": _l("Energy"),
    "buildings": _l("Buildings"),
    "waste": _l("Waste"),
    "industry": _l("Industry"),
    "finance": _l("Finance"),
    "governance": _l("Governance"),
    "citizens": _l("Citizen engagement"),
    "nature": _l("Nature-based solutions"),
}

# How much a city cares about a theme: 1 (a little) … 3 (a top priority).
PRIORITIES = (1, 2, 3)


def theme_label(code: str) -> str:
    return str(THEMES.get(code, code))


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(APPLICATION_STATUS_LABELS[self])


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("Submitted"),
    ApplicationStatus.SHORTLISTED: _l("Shortlisted"),
    ApplicationStatus.ACCEPTED: _l("Accepted"),
    ApplicationStatus.DECLINED: _l("Declined"),
}


class OneToOneStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return str(ONE_TO_ONE_STATUS_LABELS[self])


ONE_TO_ONE_STATUS_LABELS = {
    OneToOneStatus.REQUESTED: _l("Requested"),
    OneToOneStatus.ACCEPTED: _l("Accepted"),
    OneToOneStatus.DECLINED: _l("Declined"),
}


class TravelMode(enum.StrEnum):
    TRAIN = "train"
    BUS = "bus"
    CAR = "car"
    PLANE = "plane"
    BOAT = "boat"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(TRAVEL_MODE_LABELS[self])


TRAVEL_MODE_LABELS = {
    TravelMode.TRAIN: _l("Train"),
    TravelMode.BUS: _l("Bus"),
    TravelMode.CAR: _l("Car"),
    TravelMode.PLANE: _l("Plane"),
    TravelMode.BOAT: _l("Boat"),
    TravelMode.OTHER: _l("Other"),
}


class ClaimStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return str(CLAIM_STATUS_LABELS[self])


CLAIM_STATUS_LABELS = {
    ClaimStatus.SUBMITTED: _l("Submitted"),
    ClaimStatus.APPROVED: _l("Approved"),
    ClaimStatus.REFUSED: _l("Refused"),
}


class PairRuleKind(enum.StrEnum):
    LOCK = "lock"  # the pair is made whatever the scores
    FORBID = "forbid"  # the pair is never made


application_contacts = sa.Table(
    "twinning_application_contacts",
    db.metadata,
    sa.Column("application_id", sa.ForeignKey("twinning_applications.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

pilot_contacts = sa.Table(
    "twinning_pilot_contacts",
    db.metadata,
    sa.Column("pilot_id", sa.ForeignKey("twinning_pilots.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class TwinningProgramme(db.Model):
    """A programme such as NetZeroCities' Twin Cities: its call, modules and pilot cities."""

    __tablename__ = "twinning_programmes"
    __table_args__ = (
        sa.CheckConstraint("travel_cap >= 0", name="travel_cap_not_negative"),
        sa.CheckConstraint("max_twins >= 1", name="max_twins_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # Theme codes (keys of THEMES) the call asks about.
    themes: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Travel costs reimbursed per city, in whole euros.
    travel_cap: Mapped[int] = mapped_column(default=0)
    # How many applicant cities one pilot city twins with at most.
    max_twins: Mapped[int] = mapped_column(default=1)
    # The call is open to applications until this instant (none: not open yet).
    deadline: Mapped[datetime | None]
    # Weights of the affinity score's parts, by name (see expo/twinning/matching.py).
    weights: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The expo event whose programme holds the pairs' workshops, site visits and digital meetings.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    # One-to-one meetings: how many numbered tables the meeting area has.
    one_to_one_tables: Mapped[int] = mapped_column(default=10)
    # Never pair two cities of the same country.
    separate_countries: Mapped[bool] = mapped_column(default=False)
    matched_at: Mapped[datetime | None]
    # Total affinity of the last matching, and of a greedy matching of the same cities.
    matched_total: Mapped[float | None]
    greedy_total: Mapped[float | None]
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event | None] = relationship()
    modules: Mapped[list[TwinningModule]] = relationship(
        back_populates="programme", order_by="TwinningModule.position", cascade="all, delete-orphan"
    )
    pilots: Mapped[list[PilotCity]] = relationship(
        back_populates="programme", order_by="PilotCity.name", passive_deletes="all"
    )
    applications: Mapped[list[TwinningApplication]] = relationship(
        back_populates="programme", passive_deletes="all"
    )

    def member_ids(self) -> set[int]:
        """Everyone who speaks for a city of the programme: pilot cities' contacts, and the
        applicants and contact people of accepted cities (one query)."""
        pilots = sa.select(pilot_contacts.c.user_id).join(PilotCity, PilotCity.id == pilot_contacts.c.pilot_id).where(
            PilotCity.programme_id == self.id)
        accepted = sa.select(TwinningApplication.id).where(
            TwinningApplication.programme_id == self.id, TwinningApplication.status == ApplicationStatus.ACCEPTED)
        applicants = sa.select(TwinningApplication.user_id).where(TwinningApplication.id.in_(accepted))
        contacts = sa.select(application_contacts.c.user_id).where(application_contacts.c.application_id.in_(accepted))
        return set(db.session.scalars(sa.union(pilots, applicants, contacts)))

    def is_open(self, now: datetime | None = None) -> bool:
        return self.deadline is not None and (now or utcnow()) < self.deadline


class TwinningModule(db.Model):
    """A stage of the programme (getting started, co-creation, capitalisation) with its dates."""

    __tablename__ = "twinning_modules"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    programme: Mapped[TwinningProgramme] = relationship(back_populates="modules")


class PilotCity(db.Model):
    """A pilot city that twins with applicant cities; recorded by the organisers."""

    __tablename__ = "twinning_pilots"
    __table_args__ = (sa.UniqueConstraint("programme_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("countries.code", ondelete="SET NULL"))
    population: Mapped[int | None]
    themes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    # What the pilot city has learnt and can show its twins.
    offers: Mapped[str] = mapped_column(sa.Text, default="")

    programme: Mapped[TwinningProgramme] = relationship(back_populates="pilots")
    contacts: Mapped[list[User]] = relationship(secondary=pilot_contacts, order_by="User.name")


class TwinningApplication(db.Model):
    """A city's application to a programme's call, made and edited by one signed-in delegate."""

    __tablename__ = "twinning_applications"
    __table_args__ = (sa.UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation: Mapped[str] = mapped_column(sa.String(200))
    city: Mapped[str] = mapped_column(sa.String(200))
    country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("countries.code", ondelete="SET NULL"))
    population: Mapped[int | None]
    themes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    challenges: Mapped[str] = mapped_column(sa.Text, default="")
    offers: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus), default=ApplicationStatus.SUBMITTED, index=True
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    programme: Mapped[TwinningProgramme] = relationship(back_populates="applications")
    user: Mapped[User] = relationship()
    contacts: Mapped[list[User]] = relationship(secondary=application_contacts, order_by="User.name")

    @property
    def name(self) -> str:
        return self.city


class PairRule(db.Model):
    """An organiser's decision about one applicant and one pilot: lock the pair or forbid it."""

    __tablename__ = "twinning_pair_rules"
    __table_args__ = (sa.UniqueConstraint("application_id", "pilot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_applications.id", ondelete="CASCADE"))
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_pilots.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PairRuleKind] = mapped_column(enum_column(PairRuleKind))

    application: Mapped[TwinningApplication] = relationship()
    pilot: Mapped[PilotCity] = relationship()


class TwinningPair(db.Model):
    """An applicant city twinned with a pilot city by the last run of the matching."""

    __tablename__ = "twinning_pairs"
    __table_args__ = (sa.UniqueConstraint("application_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_applications.id", ondelete="CASCADE"))
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_pilots.id", ondelete="CASCADE"), index=True)
    score: Mapped[float]
    # The score's explanation: [[message id, {parameters}], …] rendered in the reader's language.
    reasons: Mapped[list] = mapped_column(sa.JSON, default=list)
    locked: Mapped[bool] = mapped_column(default=False)

    application: Mapped[TwinningApplication] = relationship()
    pilot: Mapped[PilotCity] = relationship()


# The kinds of session a pair's meeting can be.
MEETING_KINDS = (SessionKind.WORKSHOP, SessionKind.SITE_VISIT, SessionKind.DIGITAL)


class TwinningMeeting(db.Model):
    """A meeting of a pair, or of a pilot city with all its twins, in one of the programme's
    modules: a session of the programme's event, on which both cities' contacts are booked."""

    __tablename__ = "twinning_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_modules.id", ondelete="CASCADE"), index=True)
    pilot_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_pilots.id", ondelete="CASCADE"), index=True)
    # One twin city; none: the pilot city with all its twins.
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("twinning_applications.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programme_sessions.id", ondelete="CASCADE"), unique=True
    )

    module: Mapped[TwinningModule] = relationship()
    pilot: Mapped[PilotCity] = relationship()
    application: Mapped[TwinningApplication | None] = relationship()
    session: Mapped[ProgrammeSession] = relationship()


class OneToOne(db.Model):
    """A 20-minute meeting one delegate of the programme asks of another city's contact, at a
    numbered table or online (``table`` None)."""

    __tablename__ = "twinning_one_to_ones"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="times_in_order"),
        sa.CheckConstraint("requester_id <> invitee_id", name="two_people"),
        sa.Index("ix_twinning_one_to_ones_table_starts", "programme_id", "table", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invitee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    table: Mapped[int | None]
    status: Mapped[OneToOneStatus] = mapped_column(enum_column(OneToOneStatus), default=OneToOneStatus.REQUESTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    programme: Mapped[TwinningProgramme] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    invitee: Mapped[User] = relationship(foreign_keys=[invitee_id])


class TravelClaim(db.Model):
    """Travel costs a city asks back for one of its meetings, with the receipt."""

    __tablename__ = "twinning_travel_claims"
    __table_args__ = (
        sa.CheckConstraint("(application_id IS NULL) <> (pilot_id IS NULL)", name="one_city"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("twinning_applications.id", ondelete="CASCADE"), index=True)
    pilot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("twinning_pilots.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_meetings.id", ondelete="CASCADE"), index=True)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    travelled_on: Mapped[date]
    mode: Mapped[TravelMode] = mapped_column(enum_column(TravelMode))
    amount_cents: Mapped[int]
    receipt_name: Mapped[str] = mapped_column(sa.String(200))
    receipt_type: Mapped[str] = mapped_column(sa.String(100))
    receipt: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    status: Mapped[ClaimStatus] = mapped_column(enum_column(ClaimStatus), default=ClaimStatus.SUBMITTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    meeting: Mapped[TwinningMeeting] = relationship()
    application: Mapped[TwinningApplication | None] = relationship()
    pilot: Mapped[PilotCity | None] = relationship()

    @property
    def city(self) -> str:
        return self.application.city if self.application is not None else self.pilot.name


class ReplicationPlan(db.Model):
    """The replication plan a city uploads at the end of the programme (one per city)."""

    __tablename__ = "twinning_replication_plans"
    __table_args__ = (
        sa.CheckConstraint("(application_id IS NULL) <> (pilot_id IS NULL)", name="one_city"),
        sa.UniqueConstraint("application_id"),
        sa.UniqueConstraint("pilot_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("twinning_programmes.id", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(sa.ForeignKey("twinning_applications.id", ondelete="CASCADE"))
    pilot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("twinning_pilots.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[TwinningApplication | None] = relationship()
    pilot: Mapped[PilotCity | None] = relationship()
