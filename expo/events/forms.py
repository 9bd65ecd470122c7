"""Forms for events and tracks (organisers)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, ColorField, DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from expo.core.forms import FullMatch

from expo.events.models import Event, RegistrationMode, TeamRole
from expo.events.services import EVENT_LENGTH_MESSAGE, EventData, event_too_long
from expo.events.queries import event_choices
from expo.programme.forms import (
    SLUG,
    ListFilters,
    LocalDateTimeField,
    local_instant,
    optional_int,
    planning_range,
    positive,
    presence_choices,
)
from expo.core.timeutil import is_valid_timezone, timezone_choices, to_local

REGISTRATION_MODES = [
    (RegistrationMode.OPEN.value, _l("Open: everyone who registers takes part")),
    (RegistrationMode.APPROVAL.value, _l("Approval: organisers approve each registration")),
    (RegistrationMode.CLOSED.value, _l("Closed: no new registrations")),
]


class EventForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=80), SLUG],
        description=_l("The last part of the event's address; made from the name when left empty."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    timezone = SelectField(_l("Time zone"), default="Europe/Stockholm")
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Enter a date.")), planning_range])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Enter a date.")), planning_range])
    registration_mode = SelectField(_l("Registration"), choices=REGISTRATION_MODES, default="open")
    capacity = IntegerField(
        _l("Capacity"), validators=[Optional(), positive()], description=_l("Leave empty for no limit.")
    )
    registration_deadline = LocalDateTimeField(
        _l("Registration deadline"),
        validators=[Optional(), planning_range],
        description=_l("In the event's time zone. Leave empty to allow registration until the end."),
    )
    transfer_minutes = IntegerField(
        _l("Transfer minutes"),
        default=15,
        validators=[
            InputRequired(_l("Enter a number of minutes.")),
            NumberRange(min=0, max=1440, message=_l("Between 0 and 1440 minutes.")),
        ],
        description=_l("The least time a person needs between sessions at different venues."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(z, z) for z in timezone_choices()]
        self.registration_deadline.zone = self.timezone.data if is_valid_timezone(self.timezone.data or "") else None

    @classmethod
    def for_event(cls, event: Event, **kwargs: Any) -> EventForm:
        deadline = event.registration_deadline
        return cls(
            name=event.name, slug=event.slug, description=event.description, timezone=event.timezone,
            starts_on=event.starts_on, ends_on=event.ends_on,
            registration_mode=event.registration_mode.value, capacity=event.capacity,
            registration_deadline=to_local(deadline, event.timezone) if deadline else None,
            transfer_minutes=event.transfer_minutes, **kwargs,
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        starts, ends = self.starts_on.data, self.ends_on.data
        if starts and ends and not (self.starts_on.errors or self.ends_on.errors):
            if ends < starts:
                self.ends_on.errors.append(_l("The last day cannot be before the first day."))
                valid = False
            elif event_too_long(starts, ends):
                self.ends_on.errors.append(EVENT_LENGTH_MESSAGE)
                valid = False
        return valid

    def event_data(self) -> EventData:
        tz = self.timezone.data if is_valid_timezone(self.timezone.data or "") else "UTC"
        return EventData(
            name=self.name.data,
            slug=self.slug.data or None,
            description=self.description.data,
            starts_on=self.starts_on.data,
            ends_on=self.ends_on.data,
            timezone=self.timezone.data,
            registration_mode=RegistrationMode(self.registration_mode.data),
            capacity=self.capacity.data,
            registration_deadline=local_instant(self.registration_deadline, tz),
            transfer_minutes=self.transfer_minutes.data,
        )


class TrackForm(FlaskForm):
    name = StringField(_l("Track name"), validators=[DataRequired(), Length(max=120)])
    colour = ColorField(
        _l("Colour"),
        default="#1d5b79",
        validators=[DataRequired(), FullMatch(r"#[0-9a-fA-F]{6}", message=_l("Choose a colour such as #1d5b79."))],
    )


class TrackFiltersForm(ListFilters):
    """Above an event's tracks: another event's tracks, a search, used or unused ones."""

    event = SelectField(_l("Event"), coerce=optional_int, validators=[Optional()])
    q = StringField(_l("Search track names"), validators=[Optional(), Length(max=100)])
    sessions = SelectField(
        _l("Sessions"), validators=[Optional()],
        choices=presence_choices(_l("With sessions"), _l("Without sessions")),
    )

    def __init__(self, event: Event, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event.choices = event_choices()
        if self.event.data is None:
            self.event.data = event.id

    def criteria(self) -> dict[str, Any]:
        """The filters as the list's keyword arguments."""
        return {"q": self.value("q") or "", "used": self.presence("sessions")}

    def other_event(self, event: Event) -> dict[str, Any] | None:
        """The address arguments of the same filters on another event's tracks, if one is chosen."""
        chosen = self.value("event")
        if chosen is None or chosen == event.id:
            return None
        return {"event_id": chosen, "q": self.value("q"), "sessions": self.value("sessions")}


TEAM_ROLE_LABELS = {TeamRole.ORGANISER: _l("Event organiser"), TeamRole.STAFF: _l("Event staff")}


class TeamMemberForm(FlaskForm):
    """Put a person, by their account's e-mail address, on an event's team."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in TEAM_ROLE_LABELS.items()])


class BrandingForm(FlaskForm):
    """Settings → Branding: the expo's name, colours and logo (checked by events.branding)."""

    name = StringField(_l("Name of the expo"), validators=[DataRequired(), Length(max=200)],
                       description=_l("Shown in every page's header and title, in e-mails and on badges."))
    primary_colour = ColorField(_l("Main colour"), validators=[DataRequired()],
                                description=_l("The header, buttons and badges; white text is written on it."))
    accent_colour = ColorField(_l("Accent colour"), validators=[DataRequired()],
                               description=_l("Lines, charts and highlights beside the main colour."))
    logo = FileField(_l("Logo"), description=_l("A PNG, JPEG or SVG file of at most 256 KB."))
    remove_logo = BooleanField(_l("Remove the logo"))
