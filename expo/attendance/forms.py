from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional


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


class DayForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only chooses what to show

    day = DateField(_l("Day"), validators=[Optional()])
