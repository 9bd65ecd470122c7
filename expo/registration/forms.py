"""Forms of registrations and bookings: what a delegate or organiser sends."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from expo.core.db import is_database_id
from expo.core.forms import LongSelect
from expo.core.i18n import translated
from expo.registration.models import BookingEndReason, BookingStatus, RegistrationStatus



def _registration_ids(form: FlaskForm, field: SelectMultipleField) -> None:
    if not all(is_database_id(value) for value in field.data or []):
        raise ValidationError(_l("Unknown registration."))


_ONE_DECISION = re.compile(r"([0-9]{1,10}):(approve|decline)")


def _one_registration(form: FlaskForm, field: StringField) -> None:
    """``<registration id>:<approve|decline>`` from a row's own button."""
    match = _ONE_DECISION.fullmatch(field.data or "")
    if match is None or not is_database_id(int(match[1])):
        raise ValidationError(_l("Unknown registration."))


class BookForm(FlaskForm):
    """Book a seat; ``waitlist`` joins the waiting list when full, ``confirm_overlap`` accepts a clash."""

    waitlist = BooleanField(_l("Join the waiting list if the session is full"))
    confirm_overlap = BooleanField(_l("Book it even though it overlaps"))
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A button that may need a second, explicit confirmation."""

    confirm = BooleanField(_l("Yes, go ahead"))
    next = HiddenField()


class DecideForm(FlaskForm):
    """Approve or decline the ticked registrations of one event."""

    ids = SelectMultipleField(_l("Registrations"), coerce=int, validate_choice=False,
                              validators=[DataRequired(message=_l("Tick at least one registration.")),
                                          _registration_ids])
    decision = SelectField(_l("Decision"), choices=[("approve", _l("Approve")), ("decline", _l("Decline"))],
                           validators=[DataRequired()])
    # A row's own Approve/Decline button sends "<id>:<decision>" and wins over the ticks.
    one = StringField(validators=[Optional(), _one_registration])

    def validate(self, extra_validators=None) -> bool:
        if self.one.data and self.one.validate(self):
            registration_id, _sep, decision = self.one.data.partition(":")
            self.ids.data = [int(registration_id)]
            self.decision.data = decision
        return super().validate(extra_validators)


class AddPersonForm(FlaskForm):
    """An organiser adds a delegate by e-mail address."""

    email = EmailField(_l("Delegate's e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    confirm = BooleanField(_l("Allow going over capacity"))


def _mail_ids(form: FlaskForm, field: SelectMultipleField) -> None:
    if not all(is_database_id(value) for value in field.data or []):
        raise ValidationError(_l("Unknown e-mail."))


class SendAgainForm(FlaskForm):
    """Send the ticked failed e-mails again (a row's own button sends just its own)."""

    ids = SelectMultipleField(_l("E-mails"), coerce=int, validate_choice=False,
                              validators=[DataRequired(message=_l("Tick at least one e-mail.")), _mail_ids])


class PeopleFilterForm(FlaskForm):
    """Filters of the organiser lists (a GET form, no CSRF token needed)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=True)
    country = SelectField(_l("Country"), validators=[Optional()], validate_choice=True, widget=LongSelect())
    network = SelectField(_l("Network"), validators=[Optional()], coerce=str, validate_choice=True,
                          widget=LongSelect())
    organisation = SelectField(_l("Organisation"), validators=[Optional()], coerce=str, validate_choice=True,
                               widget=LongSelect())
    q = SearchField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])

    def fill(self, choices: dict, statuses: type[RegistrationStatus] | type[BookingStatus]) -> None:
        every = [("", _l("All"))]
        self.status.choices = every + [(s.value, status_label(s)) for s in statuses]
        self.country.choices = every + [(code, name) for code, name in choices["countries"]]
        self.network.choices = every + [(str(i), name) for i, name in choices["networks"]]
        self.organisation.choices = every + [(str(i), name) for i, name in choices["organisations"]]


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.PENDING: _l("Awaiting approval"),
    RegistrationStatus.APPROVED: lazy_pgettext("registration status", "Approved"),
    RegistrationStatus.DECLINED: _l("Declined"),
    RegistrationStatus.CANCELLED: lazy_pgettext("registration status", "Cancelled"),
}
BOOKING_STATUS_LABELS = {
    BookingStatus.CONFIRMED: lazy_pgettext("booking status", "Booked"),
    BookingStatus.WAITLISTED: _l("Waiting list"),
    BookingStatus.CANCELLED: lazy_pgettext("booking status", "Cancelled"),
}


END_REASON_LABELS = {
    BookingEndReason.DELEGATE: _l("the delegate cancelled"),
    BookingEndReason.ORGANISER: _l("removed by an organiser"),
    BookingEndReason.REGISTRATION: _l("left the event"),
    BookingEndReason.SESSION_CANCELLED: _l("the session was cancelled"),
    BookingEndReason.CHECK_IN_UNDONE: _l("check-in undone"),
}


def end_reason_label(reason: BookingEndReason | None) -> str:
    """Why a booking ended, in words; empty when Expo did not keep it."""
    return str(END_REASON_LABELS[reason]) if reason else ""


# Every status a badge shows: its tone (colour) and its word. Cancelled and declined are red,
# waiting and pending amber, booked, approved and checked in green, drafts grey.
STATUS_BADGES = {
    BookingStatus.CONFIRMED.value: ("ok", BOOKING_STATUS_LABELS[BookingStatus.CONFIRMED]),
    BookingStatus.WAITLISTED.value: ("warning", BOOKING_STATUS_LABELS[BookingStatus.WAITLISTED]),
    "cancelled": ("danger", lazy_pgettext("booking status", "Cancelled")),
    RegistrationStatus.PENDING.value: ("warning", REGISTRATION_STATUS_LABELS[RegistrationStatus.PENDING]),
    RegistrationStatus.APPROVED.value: ("ok", REGISTRATION_STATUS_LABELS[RegistrationStatus.APPROVED]),
    RegistrationStatus.DECLINED.value: ("danger", REGISTRATION_STATUS_LABELS[RegistrationStatus.DECLINED]),
    "checked_in": ("ok", _l("Checked in")),
    "draft": ("neutral", _l("Draft")),
    "published": ("info", _l("Published")),
    "scheduled": ("info", _l("Scheduled")),
    "added": ("ok", _l("Added")),
    # A twinning one-to-one: asked, and accepted by the person asked.
    "requested": ("warning", _l("Requested")),
    "accepted": ("ok", _l("Accepted")),
}


def status_badge(status: object) -> tuple[str, str]:
    """A status's badge: its tone and its word (an unknown status is shown as it is, in grey)."""
    key = getattr(status, "value", status)
    tone, label = STATUS_BADGES.get(str(key), ("neutral", str(key)))
    return tone, str(label)


def status_label(status: RegistrationStatus | BookingStatus) -> str:
    """The translated name of a registration or booking status."""
    labels = REGISTRATION_STATUS_LABELS if isinstance(status, RegistrationStatus) else BOOKING_STATUS_LABELS
    return translated(labels[status])
