from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from expo.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from expo.core.i18n import LANGUAGE_NAMES
from expo.people.models import organisation_kind_choices

NEW_ORGANISATION = "new"



class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    next = HiddenField()


class ProfileFields(FlaskForm):
    """Who a delegate is: shared by sign-up and the profile page."""

    # Set on the profile page when needs are stored: unticking consent then withdraws it.
    had_consent = False

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    organisation = SelectField(_l("Organisation"), validators=[Optional()], validate_choice=True,
                               description=_l("Pick yours, or choose “Another organisation” to add it."))
    new_organisation_name = StringField(_l("Name of the new organisation"), validators=[Optional(), Length(max=200)])
    new_organisation_kind = SelectField(
        _l("Kind of organisation"),
        choices=organisation_kind_choices(),
        validators=[Optional()],
    )
    new_organisation_country = SelectField(_l("Country of the organisation"), validators=[Optional()],
                                           validate_choice=True)
    country = SelectField(_l("Country"), validators=[Optional()], validate_choice=True)
    networks = SelectMultipleField(_l("Networks"), coerce=int, validators=[Optional()], validate_choice=True)
    # "": no choice, pages follow the browser's language (Accept-Language).
    locale = SelectField(
        _l("Preferred language"), choices=[("", _l("As my browser asks")), ("en", "English"), ("sv", "Svenska")],
        default="en", filters=[lambda value: value if value is not None else ""],
    )
    accessibility_needs = TextAreaField(
        _l("Accessibility needs (optional)"), validators=[Optional(), Length(max=2000)],
        description=_l("For example step-free access, a sign language interpreter, a hearing loop."),
    )
    dietary_needs = TextAreaField(_l("Dietary needs (optional)"), validators=[Optional(), Length(max=2000)])
    needs_consent = BooleanField(
        _l("I consent to Expo storing these needs and showing them to the organisers only"),
        description=_l("Without your consent nothing you write about needs is stored. "
                       "Untick it at any time to have them erased."),
    )

    def fill(self, *, countries: list, organisations: list, networks: list) -> None:
        none = [("", "—")]
        self.country.choices = none + countries
        self.new_organisation_country.choices = none + countries
        self.organisation.choices = none + [(str(i), label) for i, label in organisations] + [
            (NEW_ORGANISATION, str(_l("Another organisation…")))
        ]
        self.networks.choices = networks

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        withdrawing = self.had_consent and not self.needs_consent.data  # erases the needs, no question
        if (self.accessibility_needs.data or self.dietary_needs.data) and not self.needs_consent.data \
                and not withdrawing:
            self.needs_consent.errors.append(
                _l("Tick the consent box to store your needs, or leave the needs empty.")
            )
            valid = False
        if self.organisation.data == NEW_ORGANISATION and not (self.new_organisation_name.data or "").strip():
            self.new_organisation_name.errors.append(_l("Name the organisation."))
            valid = False
        return valid


class SignupForm(ProfileFields):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


INVITATIONS_LABEL = _l("Send calendar invitations with my booking e-mails")
INVITATIONS_HELP = _l(
    "Each booking e-mail then carries an invitation your mail program can add to your calendar, and later "
    "e-mails move or remove it. If you also subscribe to your agenda's feed, your calendar shows each "
    "session twice: choose one of the two."
)


class ProfileForm(ProfileFields):
    wants_invitations = BooleanField(INVITATIONS_LABEL, description=INVITATIONS_HELP)


class InvitationsForm(FlaskForm):
    """The choice of calendar invitations, offered on the agenda beside the feed."""

    wants_invitations = BooleanField(INVITATIONS_LABEL)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])


class ResendVerificationForm(FlaskForm):
    # Where to go back to; only a path on this site is followed (see safe_next).
    next = HiddenField()


# Password managers offer to make up a strong one for fields marked so.
NEW_PASSWORD = {"autocomplete": "new-password"}


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
        render_kw=NEW_PASSWORD,
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
        render_kw=NEW_PASSWORD,
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired()])
    confirm = BooleanField(_l("I understand that my account is deleted for good"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class LanguageForm(FlaskForm):
    """The language switch in every page's footer."""

    lang = SelectField(validators=[DataRequired()], validate_choice=True)
    # Where to go back to; only a path on this site is followed (see safe_next).
    next = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]
