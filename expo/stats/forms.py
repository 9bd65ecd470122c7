from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from expo.events.models import Event


class StatsFilterForm(FlaskForm):
    """Narrow the statistics to one event and a span of days (a GET form: nothing changes, so no
    CSRF token)."""

    class Meta:
        csrf = False

    event = SelectField(_l("Event"), default="")
    first_day = DateField(_l("From"), validators=[Optional()])
    last_day = DateField(_l("To"), validators=[Optional()])

    def validate_last_day(self, field: DateField) -> None:
        if field.data and self.first_day.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day comes before the first."))

    def __init__(self, *args, events: Sequence[Event] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.event.choices = [("", _l("All events"))] + [(str(e.id), e.name) for e in events]
