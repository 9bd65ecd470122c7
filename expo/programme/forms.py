"""Forms for the programme (sessions) and small helpers the other management forms share."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.utils import unset_value
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from expo.core.forms import FullMatch
from expo.core.i18n import language_name
from expo.core.timeutil import (
    WallClock,
    from_local,
    in_planning_range,
    to_local,
    utc_offset,
    wall_clock,
)
from expo.events.models import Event
from expo.events.services import DATE_RANGE_MESSAGE
from expo.programme import services
from expo.programme.models import ProgrammeSession, SessionKind

LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
# The languages sessions are given in, named in the reader's language when the form is built.
SESSION_LANGUAGES = ("en", "sv", "da", "nb", "fi", "de", "fr", "es")
SLUG = FullMatch(
    r"[a-z0-9]+(?:-[a-z0-9]+)*",
    message=_l("Use lowercase letters, digits and hyphens only, e.g. h22-city-expo."),
)


def optional_int(value: Any) -> int | None:
    """Coerce a select's value: the empty choice is None."""
    if value in (None, "", "None"):
        return None
    return int(value)


def http_url(form: FlaskForm, field: Any) -> None:
    """A web address must be a full http:// or https:// address."""
    if field.data and not services.is_http_url(field.data):
        raise ValidationError(_l("Enter a full web address starting with http:// or https://."))


def planning_range(form: FlaskForm, field: Any) -> None:
    """A date or date-time within Expo's planning calendar (years 2000 to 2100)."""
    if field.data is not None and not in_planning_range(field.data):
        raise ValidationError(DATE_RANGE_MESSAGE)


def local_instant(field: Any, tz: str) -> Any:
    """A valid wall-clock field's value as a UTC instant; None when empty or refused. A
    ``LocalDateTimeField`` gives the occurrence of a repeated time its organiser chose."""
    if field.data is None or field.errors:
        return None
    return from_local(field.data, tz, second=getattr(field, "occurrence", None) == SECOND)


FIRST, SECOND = "first", "second"


class LocalDateTimeField(DateTimeLocalField):
    """A date and time on the wall clock of the zone the form sets in ``zone``.

    A time the clocks skip on a spring night (02:30 in Stockholm on the last Sunday of March)
    is refused with the switch named, never quietly moved; a time they show twice on an autumn
    night asks which of the two is meant, with a choice drawn under the field
    (``<name>-occurrence``), and an edited time in the second of them keeps it."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, format=LOCAL_DATETIME_FORMATS, **kwargs)
        self.zone: str | None = None
        self.occurrence: str | None = None
        self.repeated: WallClock | None = None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        if isinstance(data, datetime) and data.tzinfo is not None:  # an instant shown in its zone
            self.occurrence = SECOND if data.fold else FIRST
            data = data.replace(tzinfo=None, fold=0)
        super().process(formdata, data, extra_filters)
        if formdata is not None:
            chosen = formdata.get(f"{self.name}-occurrence")
            self.occurrence = chosen if chosen in (FIRST, SECOND) else None

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if validation_stopped or self.errors or self.data is None or not self.zone:
            return
        clock = wall_clock(self.data, self.zone)
        if clock.skipped:
            raise ValidationError(_l(
                "%(time)s does not exist on %(day)s in %(zone)s: the clocks go forward from %(before)s to "
                "%(after)s. Choose a time before %(before)s or from %(after)s.",
                time=f"{self.data:%H:%M}", day=self.data.date().isoformat(), zone=self.zone,
                before=f"{clock.before:%H:%M}", after=f"{clock.after:%H:%M}"))
        if clock.repeated:
            self.repeated = clock
            if self.occurrence is None:
                raise ValidationError(_l(
                    "%(time)s happens twice on %(day)s in %(zone)s, as the clocks go back. Choose which one you "
                    "mean.", time=f"{self.data:%H:%M}", day=self.data.date().isoformat(), zone=self.zone))
        else:
            self.occurrence = None

    def occurrence_choices(self) -> list[tuple[str, str]]:
        """The two readings of a repeated time, for the choice drawn under the field."""
        if not isinstance(self.data, datetime) or not self.zone:
            return []
        if self.repeated is None:
            clock = wall_clock(self.data, self.zone)
            self.repeated = clock if clock.repeated else None
        if self.repeated is None or self.repeated.offsets is None:
            return []
        time, (first, second) = f"{self.data:%H:%M}", self.repeated.offsets
        return [(FIRST, _l("The first %(time)s (UTC%(offset)s)", time=time, offset=utc_offset(first))),
                (SECOND, _l("The second %(time)s (UTC%(offset)s)", time=time, offset=utc_offset(second)))]


MAX_SEATS = 1_000_000  # far above any room, far below the database's integer limit


def positive() -> NumberRange:
    return NumberRange(min=1, max=MAX_SEATS, message=_l("Must be a positive number (at most a million)."))


class PeopleField(SelectMultipleField):
    """People chosen by id. Its options are only the people chosen (the search finds the
    others), and the ids are checked against the accounts rather than against a list of all."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, coerce=int, validate_choice=False, **kwargs)

    def offer(self, people: dict[int, str]) -> None:
        """Make the chosen people, with their labels, the field's options."""
        self.choices = [(i, people[i]) for i in self.data or [] if i in people]


def typed_emails(value: str | None) -> list[str]:
    """The e-mail addresses typed into a field, separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", value or "") if part]


class WarningsConfirmation:
    """A form's "confirm the warnings" tick, tied to the warnings it was shown with: a hidden
    digest of them goes back with the form, and the service accepts the tick only for those."""

    warnings_digest = HiddenField()

    def ask_again(self, digest: str) -> None:
        """Show the confirmation unticked, for the warnings identified by ``digest``."""
        self.confirm.data = False
        self.warnings_digest.data = digest


class SessionForm(WarningsConfirmation, FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    kind = SelectField(_l("Kind"), default="talk")
    starts_at = LocalDateTimeField(
        _l("Starts"), validators=[InputRequired(_l("Enter a date and time.")), planning_range],
    )
    ends_at = LocalDateTimeField(
        _l("Ends"), validators=[InputRequired(_l("Enter a date and time.")), planning_range],
    )
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])
    meeting_url = URLField(
        _l("Meeting URL"),
        validators=[Optional(), Length(max=500), http_url],
        description=_l("For digital and hybrid meetings."),
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), positive()],
        description=_l("Leave empty to offer as many seats as the room holds."),
    )
    language = SelectField(_l("Language"), default="en")
    track_id = SelectField(_l("Track"), coerce=optional_int, validators=[Optional()])
    network_ids = SelectMultipleField(_l("Hosting networks"), coerce=int, validators=[Optional()])
    speaker_ids = PeopleField(_l("Speakers"), validators=[Optional()])
    moderator_ids = PeopleField(_l("Moderators"), validators=[Optional()])
    host_ids = PeopleField(_l("Hosts"), validators=[Optional()])
    # Without JavaScript there is no search box: people are added by their e-mail address.
    speaker_emails = StringField(_l("Add speakers by e-mail"), validators=[Optional(), Length(max=2000)])
    moderator_emails = StringField(_l("Add moderators by e-mail"), validators=[Optional(), Length(max=2000)])
    host_emails = StringField(_l("Add hosts by e-mail"), validators=[Optional(), Length(max=2000)])
    confirm = BooleanField(_l("I have read the warnings and want to save anyway"))

    def __init__(self, event: Event, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.starts_at.zone = self.ends_at.zone = event.timezone
        self.kind.choices = [(k.value, k.label) for k in SessionKind]  # in the reader's language
        self.language.choices = [(code, language_name(code)) for code in SESSION_LANGUAGES]
        self.room_id.choices = [("", _l("— None (online only) —"))] + services.room_choices()
        self.track_id.choices = [("", _l("— No track —"))] + [(t.id, t.name) for t in event.tracks]
        self.network_ids.choices = services.network_choices()
        self._people = services.picker_people(
            [i for picker, _ in self.people_fields() for i in picker.data or []],
            [e for _, typed in self.people_fields() for e in typed_emails(typed.data)],
        )
        self._offer_people()

    def people_fields(self) -> list[tuple[PeopleField, StringField]]:
        """Each role's picker with the field that adds people to it by e-mail."""
        return [
            (self.speaker_ids, self.speaker_emails),
            (self.moderator_ids, self.moderator_emails),
            (self.host_ids, self.host_emails),
        ]

    def _offer_people(self) -> None:
        inactive = _l("inactive")
        labels = {
            u.id: services.person_label(u) if u.active else f"{services.person_label(u)} ({inactive})"
            for u in self._people
        }
        for picker, _ in self.people_fields():
            picker.offer(labels)

    def _check_people(self) -> bool:
        """Chosen ids must name accounts; typed e-mails active accounts, which then join the
        picker (and the typed text is cleared, so a second save does not add them twice)."""
        by_id = {u.id: u for u in self._people}
        by_email = {u.email: u for u in self._people if u.active}
        valid = True
        for picker, typed in self.people_fields():
            unknown = [str(i) for i in picker.data or [] if i not in by_id]
            if unknown:
                picker.errors.append(_l("Nobody has the id %(ids)s: choose people through the search.",
                                        ids=", ".join(unknown)))
                valid = False
            emails = typed_emails(typed.data)
            missing = [e for e in emails if e.lower() not in by_email]
            if missing:
                typed.errors.append(_l("No active account has the e-mail address %(emails)s.",
                                       emails=", ".join(missing)))
                valid = False
            elif emails and not typed.errors:
                added = [by_email[e.lower()].id for e in emails]
                picker.data = list(dict.fromkeys([*(picker.data or []), *added]))
                typed.data = ""
        self._offer_people()
        return valid

    @classmethod
    def for_session(cls, session: ProgrammeSession, **kwargs: Any) -> SessionForm:
        """The edit form, with times shown in the event's time zone."""
        data, _status = services.working_data(session)  # with its unreleased change, if any
        return cls.for_data(session.event, data, **kwargs)

    @classmethod
    def for_data(cls, event: Event, data: services.SessionData, **kwargs: Any) -> SessionForm:
        """The form filled with a session's data (a released session's, or a staged addition's)."""
        tz = event.timezone
        return cls(
            event,
            title=data.title, description=data.description, kind=data.kind.value,
            starts_at=to_local(data.starts_at, tz), ends_at=to_local(data.ends_at, tz),
            room_id=data.room_id, meeting_url=data.meeting_url, capacity=data.capacity,
            language=data.language, track_id=data.track_id, network_ids=data.network_ids,
            speaker_ids=data.speaker_ids, moderator_ids=data.moderator_ids, host_ids=data.host_ids,
            **kwargs,
        )

    def session_data(self) -> services.SessionData:
        """The form's values as service input, local times turned into UTC instants."""
        tz = self.event.timezone
        return services.SessionData(
            title=self.title.data or "",
            description=self.description.data,
            kind=SessionKind(self.kind.data),
            starts_at=local_instant(self.starts_at, tz),
            ends_at=local_instant(self.ends_at, tz),
            room_id=self.room_id.data,
            meeting_url=(self.meeting_url.data or "").strip() or None,
            capacity=self.capacity.data,
            language=self.language.data,
            track_id=self.track_id.data,
            network_ids=list(self.network_ids.data or []),
            speaker_ids=list(self.speaker_ids.data or []),
            moderator_ids=list(self.moderator_ids.data or []),
            host_ids=list(self.host_ids.data or []),
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        valid = self._check_people() and valid
        if self.kind.errors:
            return False
        for name, message in services.session_data_problems(self.event, self.session_data()).items():
            field = getattr(self, name)
            if not field.errors:
                field.errors.append(message)
            valid = False
        return valid

    def add_error(self, field_name: str | None, message: Any) -> None:
        """Show a service's refusal next to the field it concerns (or on the title)."""
        field = getattr(self, field_name or "", None) or self.title
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(message)


class ListFilters(FlaskForm):
    """The search and filters above an organisers' list (GET, no CSRF): a value with an error
    is shown and ignored, never fatal."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])

    def value(self, name: str) -> Any:
        """The field's value once validated, or None when it is empty or refused."""
        if not hasattr(self, "_validated"):
            self._validated = self.validate()
        field = getattr(self, name)
        # Optional() lets blank input ("\n") past a list of choices as it came: blank is no choice.
        data = field.data.strip() if isinstance(field.data, str) else field.data
        return None if field.errors or data in (None, "") else data

    def presence(self, name: str) -> bool | None:
        """A with / without choice as True / False (None: either)."""
        return {"with": True, "without": False}.get(self.value(name))


def presence_choices(with_label: Any, without_label: Any) -> list[tuple[str, Any]]:
    return [("", _l("Any")), ("with", with_label), ("without", without_label)]


class SessionFiltersForm(FlaskForm):
    """The search and filters above an event's session list (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search title or person"), validators=[Optional(), Length(max=100)])
    track = SelectField(_l("Track"), coerce=optional_int, validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])
    venue = SelectField(_l("Venue"), coerce=optional_int, validators=[Optional()])

    def __init__(self, event: Event, venues: list[tuple[int, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.track.choices = [("", _l("All tracks"))] + [(t.id, t.name) for t in event.tracks]
        self.kind.choices = [("", _l("All kinds"))] + [(k.value, k.label) for k in SessionKind]
        self.status.choices = [("", _l("Any status")), ("scheduled", _l("Scheduled")), ("cancelled", _l("Cancelled"))]
        self.venue.choices = [("", _l("All venues"))] + venues

    def filters(self) -> services.SessionFilters:
        from expo.programme.models import SessionStatus

        valid = self.validate()
        # Optional() lets blank input ("\n") through as it came: blank is no choice.
        kind, status = ((field.data or "").strip() if valid else "" for field in (self.kind, self.status))
        return services.SessionFilters(
            q=(self.q.data or "") if valid else "",
            track_id=self.track.data if valid and not self.track.errors else None,
            kind=SessionKind(kind) if kind else None,
            status=SessionStatus(status) if status else None,
            venue_id=self.venue.data if valid else None,
        )


class ConfirmForm(WarningsConfirmation, FlaskForm):
    """Restoring a session that raises warnings asks for the same confirmation as saving; one
    whose cancellation ended bookings offers to give them back."""

    confirm = BooleanField(_l("I have read the warnings and want to restore it anyway"))
    give_back = BooleanField(_l("Give everyone back their seat or place on the waiting list, in their original order, and tell them"))
    # Set once the page with the question above was shown: an unticked box then means "no".
    answered = HiddenField()


class ProceedForm(FlaskForm):
    """A button whose action asks first: the question page sends ``proceed``."""

    proceed = HiddenField()


class ReleaseForm(FlaskForm):
    """Release the pending changes of a published programme, with a note for the public."""

    note = TextAreaField(_l("Note for the public (optional)"), validators=[Optional(), Length(max=2000)])
