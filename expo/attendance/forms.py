from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

# The days the door can show: far enough either way for any expo, and well inside what
# dates and time zones can compute (year 1 or 9999 plus a day does not exist).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


class DoorActionForm(FlaskForm):
    """A one-button form (check in, undo, walk in): only the CSRF token travels."""


class CodeForm(FlaskForm):
    code = StringField(
        _l("Badge code"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("The 8 characters under the QR code on the badge."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "inputmode": "text"},
    )


class DayField(DateField):
    """A date typed as YYYY-MM-DD, with the door's own words when it is not one."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Not a date: use the form YYYY-MM-DD.")) from None


def is_door_day(day: date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


class DayForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses what to show

    day = DayField(_l("Day"), validators=[Optional()],
                   render_kw={"min": FIRST_DAY.isoformat(), "max": LAST_DAY.isoformat()})

    def validate_day(self, field: DayField) -> None:
        if field.data is not None and not is_door_day(field.data):
            raise ValidationError(_("Choose a day from %(first)s to %(last)s.",
                                    first=FIRST_DAY.year, last=LAST_DAY.year))
