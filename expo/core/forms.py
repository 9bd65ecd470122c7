"""Validators every form uses where WTForms' own fall short, and the form of bulk actions."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Regexp, ValidationError

from expo.core.db import MAX_DATABASE_INTEGER


class FullMatch(Regexp):
    """Like WTForms' ``Regexp``, but the pattern must match the whole value: ``re.match`` with
    ``$`` also accepts a trailing line break (``"#1d5b79\\n"``), which then overflows a
    fixed-length column or lands in an address."""

    def __call__(self, form: Any, field: Any, message: str | None = None) -> None:
        match = self.regex.fullmatch(field.data or "")
        if match is not None:
            return
        raise ValidationError(message or self.message or _l("Invalid input."))



class BulkForm(FlaskForm):
    """An action on the ticked rows of a table, or on every row its filters match; the
    question with the number of rows is answered by sending ``confirmed``."""

    action = SelectField(_l("Action"), validators=[DataRequired()])
    ids = SelectMultipleField(_l("Rows"), coerce=int, validate_choice=False)
    scope = RadioField(_l("Rows"), choices=[("ticked", _l("The ticked rows")),
                                            ("all", _l("Every row that matches the filters"))],
                       default="ticked", validators=[DataRequired()])
    confirmed = HiddenField()

    def __init__(self, actions: Sequence[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [(a.key, a.label) for a in actions]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if valid and any(not 1 <= i <= MAX_DATABASE_INTEGER for i in self.ids.data or []):
            self.ids.errors = [_l("Unknown row.")]
            return False
        if valid and self.scope.data == "ticked" and not self.ids.data:
            self.ids.errors = [_l("Tick at least one row.")]
            return False
        return valid

    def chosen(self) -> list[int] | None:
        """The ticked ids, or None for every row that matches."""
        return None if self.scope.data == "all" else list(self.ids.data or [])
