"""Accounts: the people who use Expo, their role and their secrets."""
from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from expo.accounts.passwords import password_work
from expo.core.db import collated_indexes, enum_column
from expo.core.extensions import db
from expo.core.timeutil import utcnow

if TYPE_CHECKING:
    from expo.events.models import TeamMember
    from expo.people.models import Country, Network, Organisation

# Short check-in codes avoid letters and digits that are easy to confuse at the door.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_token() -> str:
    """An unguessable URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def new_code() -> str:
    """A short code a person can type: 8 characters from a 32-letter alphabet (40 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def password_hash_method() -> str:
    """Werkzeug's hashing method from the configuration (scrypt unless a test speeds it up)."""
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


class Role(enum.StrEnum):
    """A person's role across the whole expo; event teams add roles for single events."""

    ADMIN = "admin"  # expo administrator: everything, venues, networks and teams included
    STAFF = "staff"  # at the door of every event
    DELEGATE = "delegate"
    # Before event teams, expo administrators were called organisers: the old name still
    # reads (``Role.ORGANISER``, ``Role("organiser")``) so scripts written for it keep working.
    ORGANISER = "admin"

    @classmethod
    def _missing_(cls, value: object) -> Role | None:
        return cls.ADMIN if value == "organiser" else None


ROLE_LABELS = {
    Role.ADMIN: _l("Expo administrator"),
    Role.STAFF: _l("Staff at every event"),
    Role.DELEGATE: _l("Delegate"),
}


user_networks = sa.Table(
    "user_networks",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True),
    # A network's members are counted and filtered by the network (the key leads with the person).
    sa.Index("ix_user_networks_network_id", "network_id"),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "(accessibility_needs IS NULL AND dietary_needs IS NULL) OR needs_consent_at IS NOT NULL",
            name="needs_only_with_consent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.DELEGATE, index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    country_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("countries.code", ondelete="RESTRICT"), index=True
    )
    # None: no choice made, pages follow the browser's Accept-Language (e-mails go in English).
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # Booking e-mails carry calendar invitations (invite.ics / cancel.ics) unless turned off.
    wants_invitations: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    accessibility_needs: Mapped[str | None] = mapped_column(sa.Text)
    dietary_needs: Mapped[str | None] = mapped_column(sa.Text)
    needs_consent_at: Mapped[datetime | None]
    feed_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    badge_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    badge_code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH), unique=True, default=new_code)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # None until the owner follows the link mailed to the address (accounts made before
    # verification existed count as verified: the migration sets it).
    email_verified_at: Mapped[datetime | None]
    # A new address the owner asked for, taking effect once its link is followed.
    pending_email: Mapped[str | None] = mapped_column(sa.String(254))
    # Raised to end every session of the account (log-out, a password reset, deactivation):
    # session cookies and "keep me signed in" cookies name the version they were made under.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    country: Mapped[Country | None] = relationship()
    networks: Mapped[list[Network]] = relationship(secondary=user_networks, back_populates="members")
    # Read by the permission rules, once per request for the signed-in person.
    team_roles: Mapped[list[TeamMember]] = relationship(back_populates="user", passive_deletes="all")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def session_fingerprint(self) -> str:
        """A short one-way fingerprint of the password hash and the session version: it
        changes with a new password and whenever every session is ended."""
        return hashlib.sha256(f"{self.session_version}:{self.password_hash}".encode()).hexdigest()[:16]

    def get_id(self) -> str:
        """What the session cookie (and the "keep me signed in" cookie) holds: with the
        fingerprint, a new password or a new session version leaves every cookie made
        before it pointing at nobody."""
        return f"{self.id}:{self.session_fingerprint}"

    def set_password(self, password: str) -> None:
        with password_work():
            self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        with password_work():
            return check_password_hash(self.password_hash, password)

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()


# Long lists of people sorted by name read one page of these.
collated_indexes(User.name)
