from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from expo.events.models import Event


class StatsFilterForm(FlaskForm):
    """Narrow the statistics to one event (a GET form: nothing changes, so no CSRF token)."""

    class Meta:
        csrf = False

    event = SelectField(_l("Event"), default="")

    def __init__(self, *args, events: Sequence[Event] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.event.choices = [("", _l("All events"))] + [(str(e.id), e.name) for e in events]
