"""Expo administrators put people on an event's team and take them off it."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expo.core.db import get_or_404
from expo.events import teams
from expo.events.forms import TEAM_ROLE_LABELS, TeamMemberForm
from expo.events.models import Event, TeamMember, TeamRole
from expo.permissions import can_manage_team, require
from expo.programme.pages import guard, perform, submit

bp = Blueprint("teams", __name__, url_prefix="/manage")


def _team_page(event_id: int) -> str:
    return url_for("teams.show_team", event_id=event_id)


@bp.route("/events/<int:event_id>/team", methods=["GET", "POST"])
@guard(can_manage_team)
def show_team(event_id: int):
    event = get_or_404(Event, event_id)
    require(can_manage_team(current_user, event))
    form = TeamMemberForm()
    return submit(
        form,
        lambda: teams.add_to_team(event=event, email=form.email.data, role=TeamRole(form.role.data), actor=current_user),
        _("The team is changed."), lambda _member: _team_page(event.id),
    ) or render_template("manage/team.html", event=event, form=form, team=teams.team_of(event),
                         role_labels=TEAM_ROLE_LABELS)


@bp.route("/team/<int:member_id>/remove", methods=["POST"])
@guard(can_manage_team)
def remove_team_member(member_id: int):
    member = get_or_404(TeamMember, member_id)
    require(can_manage_team(current_user, member.event))
    event_id = member.event_id
    return perform(lambda: teams.remove_from_team(member=member, actor=current_user),
                   _("The team is changed."), _team_page(event_id))
