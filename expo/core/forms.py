"""Validators every form uses where WTForms' own fall short, and the form of bulk actions."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import HiddenField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, Regexp, ValidationError
from wtforms.widgets import Select, html_params

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



class LongSelect(Select):
    """WTForms' select, the same HTML written faster, for lists of hundreds of choices (every
    organisation, every country) drawn on each page of a table."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        for value, label, selected, render_kw in field.iter_choices():
            if render_kw or value is True:
                html.append(self.render_option(value, label, selected, **render_kw))
            else:  # as render_option writes it: attributes in name order
                html.append(f'<option {"selected " if selected else ""}value="{escape(value)}">{escape(label)}</option>')
        html.append("</select>")
        return Markup("".join(html))


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
