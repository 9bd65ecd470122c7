"""Organisers administer people (find, invite, change roles, deactivate); invited people accept
their invitation and choose a password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from expo.accounts import admin
from expo.accounts.admin_forms import (
    ROLE_LABELS,
    AcceptInvitationForm,
    InviteForm,
    PeopleFilterForm,
    RoleForm,
)
from expo.accounts.models import Role, User
from expo.core import mail
from expo.audit import services as audit
from expo.audit.models import AuditAction
from expo.core.db import get_or_404
from expo.core.extensions import db
from expo.core.forms import BulkForm
from expo.core.fragments import table_page
from expo.core.tables import BulkAction, download, run_bulk
from expo.permissions import can_administer_account, can_manage_people, require
from expo.programme.pages import guard, perform, submit
from expo.registration.notifications import queue

bp = Blueprint("people_admin", __name__, url_prefix="/manage/people")
invitations_bp = Blueprint("invitations", __name__, url_prefix="/account/invitation")


def _person_page(user: User) -> str:
    return url_for("people_admin.show_person", user_id=user.id)


def _people_actions() -> list[BulkAction]:
    actor = current_user._get_current_object()
    return [BulkAction("deactivate", _l("Deactivate the accounts"),
                       lambda ids: len(admin.deactivate_people(user_ids=ids, actor=actor)))]


@bp.route("/")
@guard(can_manage_people)
def list_people():
    def build() -> dict[str, Any]:
        filters = PeopleFilterForm(formdata=request.args)
        table = admin.people_table()
        page = table.page(admin.people_query(filters.criteria()), table.state(request.args))
        return {"filters": filters, "page": page, "role_labels": ROLE_LABELS, "bulk_form": BulkForm(_people_actions())}

    return table_page("accounts/admin/people.html", reads=("users", "organisations", "countries"),
                      context={}, build=build)


@bp.route("/bulk", methods=["POST"])
@guard(can_manage_people)
def bulk_people():
    """Deactivate the ticked accounts, or every one the filters match."""
    filters = PeopleFilterForm(formdata=request.args)
    return run_bulk(table=admin.people_table(), query=admin.people_query(filters.criteria()),
                    actions=_people_actions(), what=_("People"),
                    back=url_for("people_admin.list_people", **request.args))


@bp.route("/people.<any(csv, xlsx):fmt>")
@guard(can_manage_people)
def export_people(fmt: str):
    """Every account the filters match, with its e-mail address, as a download (audited)."""
    filters = PeopleFilterForm(formdata=request.args)
    table = admin.people_table()
    rows = table.all_rows(admin.people_query(filters.criteria()), table.state(request.args))
    audit.record(actor=current_user._get_current_object(), action=AuditAction.EXPORT_PEOPLE, target=_("People"),
                 detail=f"people.{fmt}")
    db.session.commit()
    header, body = admin.people_rows(rows, ROLE_LABELS)
    return download(fmt, header, body, filename="people", title=_("People"))


@bp.route("/<int:user_id>")
@guard(can_manage_people)
def show_person(user_id: int):
    person = get_or_404(User, user_id)
    return render_template("accounts/admin/person.html", person=person, activity=admin.person_activity(person),
                           role_form=RoleForm(data={"role": person.role.value}), role_labels=ROLE_LABELS)


@bp.route("/invite", methods=["GET", "POST"])
@guard(can_manage_people)
def invite_person():
    form = InviteForm()
    return submit(
        form,
        lambda: admin.send_invitation(user=admin.invite_person(email=form.email.data, name=form.name.data,
                                                               role=Role(form.role.data), actor=current_user),
                                      actor=current_user),
        _("Invitation sent."), _person_page,
    ) or render_template("accounts/admin/invite.html", form=form)


def _administered(user_id: int) -> User:
    person = get_or_404(User, user_id)
    require(can_administer_account(current_user, person))
    return person


@bp.route("/<int:user_id>/role", methods=["POST"])
@guard(can_manage_people)
def change_role(user_id: int):
    person = _administered(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400)
    return perform(lambda: admin.change_role(user=person, role=Role(form.role.data), actor=current_user),
                   _("Role changed."), _person_page(person))


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@guard(can_manage_people)
def deactivate_person(user_id: int):
    person = _administered(user_id)
    return perform(lambda: admin.deactivate(user=person, actor=current_user),
                   _("Account deactivated: it cannot sign in, and its places are released."), _person_page(person))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@guard(can_manage_people)
def reactivate_person(user_id: int):
    person = _administered(user_id)
    return perform(lambda: admin.reactivate(user=person, actor=current_user),
                   _("Account reactivated."), _person_page(person))


@invitations_bp.route("/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """Public: the signed link is the credential; it works once and for a week."""
    user = admin.invited_user(token)
    if user is None:
        return render_template("accounts/admin/invitation_invalid.html"), 404
    form = AcceptInvitationForm(data={"name": user.name} if request.method == "GET" else None)
    done = submit(form, lambda: admin.accept_invitation(user=user, name=form.name.data, password=form.password.data),
                  _("Your password is set. Welcome to Expo."), lambda _user: url_for("programme.manage_index")
                  if can_manage_people(user) else url_for("events.home"))
    if done is not None:
        logout_user()
        login_user(user)
        return done
    return render_template("accounts/admin/accept_invitation.html", form=form, user=user)
