"""The filters above the audit log (GET, no CSRF)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from expo.audit.models import ACTION_LABELS, AuditAction
from expo.audit.services import AuditFilter
from expo.programme.forms import ListFilters


class AuditFilterForm(ListFilters):
    q = None  # the log is searched by who and on whom instead
    who = StringField(_l("Who"), validators=[Optional(), Length(max=100)])
    action = SelectField(_l("What"), validators=[Optional()])
    whom = StringField(_l("On whom or what"), validators=[Optional(), Length(max=100)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("Every action"))] + [(a.value, label) for a, label in ACTION_LABELS.items()]

    def criteria(self) -> AuditFilter:
        action = self.value("action")
        return AuditFilter(
            who=self.value("who"), action=AuditAction(action) if action else None, whom=self.value("whom"),
            since=self.value("since"), until=self.value("until"),
        )
