"""Forms of people administration and of accepting an invitation."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from expo.accounts.admin import INVITABLE_ROLES, PeopleFilter
from expo.accounts.models import ROLE_LABELS, Role  # noqa: F401 - the views name roles with ROLE_LABELS from here
from expo.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from expo.core.forms import LongSelect
from expo.people.services import country_choices
from expo.programme.forms import ListFilters



class PeopleFilterForm(ListFilters):
    q = StringField(_l("Name, e-mail or organisation"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()], widget=LongSelect())
    status = SelectField(_l("Account"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Every role"))] + [(r.value, label) for r, label in ROLE_LABELS.items()]
        self.country.choices = [("", _l("All countries"))] + country_choices()
        self.status.choices = [("", _l("Active or not")), ("active", _l("Active")),
                               ("deactivated", _l("Deactivated"))]

    def criteria(self) -> PeopleFilter:
        role, status = self.value("role"), self.value("status")
        return PeopleFilter(
            q=self.value("q"), role=Role(role) if role else None, country=self.value("country"),
            active={"active": True, "deactivated": False}.get(status or ""),
        )


class InviteForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(
        _l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in INVITABLE_ROLES],
        description=_l("For one event's organisers or door staff, invite them as delegates, then add them "
                       "to the event's team."),
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])


class AcceptInvitationForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))]
    )
