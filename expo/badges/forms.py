from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length


class ResetBadgeForm(FlaskForm):
    email = EmailField(
        _l("Delegate's e-mail"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("Their old badge and code stop working; print the new badge from the event's sheet."),
    )
