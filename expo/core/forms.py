"""Site-wide forms: the language switch in every page's footer."""
from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from expo.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    lang = SelectField(validators=[DataRequired()], validate_choice=True)
    # Where to go back to; only a path on this site is followed (see safe_next).
    next = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]
