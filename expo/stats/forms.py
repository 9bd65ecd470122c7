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

    def __init__(self, *args, events: Sequence[Event] = (), whole_expo: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _l("All events"))] if whole_expo else []
        self.event.choices = every + [(str(e.id), e.name) for e in events]
        if not whole_expo and not self.event.data and events:
            self.event.data = str(events[0].id)  # the figures of one's own first event
