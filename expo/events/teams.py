"""Event teams: the people who organise one event, or work at its doors."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from expo.accounts.models import User
from expo.accounts.services import find_user_by_email
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.errors import Conflict, ExpoError
from expo.core.extensions import db
from expo.events.models import Event, TeamMember, TeamRole


def team_of(event: Event) -> list[TeamMember]:
    """The event's team, organisers first, by name (one query)."""
    return list(db.session.scalars(
        sa.select(TeamMember).join(TeamMember.user).where(TeamMember.event_id == event.id)
        .options(joinedload(TeamMember.user)).order_by(TeamMember.role, User.name)
    ))


def add_to_team(*, event: Event, email: str, role: TeamRole, actor: User) -> TeamMember:
    """Put the person with this e-mail address on the event's team (or give them this role in it)."""
    user = find_user_by_email(email)
    if user is None:
        raise ExpoError(_l("Nobody has an account with this e-mail address: invite them first."), field="email")
    member = db.session.scalar(
        sa.select(TeamMember).where(TeamMember.event_id == event.id, TeamMember.user_id == user.id))
    if member is not None and member.role is role:
        raise Conflict(_l("%(name)s is on the team in this role already.", name=user.name), field="email")
    if member is None:
        member = TeamMember(event=event, user=user, role=role)
        db.session.add(member)
    member.role = role
    audit.record(actor=actor, action=AuditAction.TEAM_MEMBER_ADDED, subject=user, target=event.name,
                 detail=role.value)
    db.session.flush()
    return member


def remove_from_team(*, member: TeamMember, actor: User) -> None:
    """Take the person off the event's team; their own account stays as it is."""
    audit.record(actor=actor, action=AuditAction.TEAM_MEMBER_REMOVED, subject=member.user,
                 target=member.event.name, detail=member.role.value)
    db.session.delete(member)
    db.session.flush()
