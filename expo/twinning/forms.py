"""Forms of twinning programmes: the programme, a pilot city, an application, the matching."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from expo.core.i18n import language_name
from expo.people.services import country_choices
from expo.events.queries import event_choices
from expo.programme.forms import LocalDateTimeField, http_url, local_instant, optional_int, planning_range
from expo.programme.models import SessionKind
from expo.programme.services import room_choices
from expo.twinning import services
from expo.twinning import meetings
from expo.twinning.claims import ClaimData, Upload
from expo.twinning.models import MEETING_KINDS, THEMES, TravelMode, PilotCity, TwinningApplication, TwinningProgramme

# The working languages a city may name, as their names in the reader's language.
CITY_LANGUAGES = ("en", "sv", "da", "nb", "fi", "de", "fr", "es", "it", "nl", "pl", "pt", "cs", "et", "lv",
                  "lt", "el", "hu", "ro", "sk", "sl", "hr", "bg", "ga", "mt")
MODULE_ROWS = 3
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ModuleForm(Form):
    name = StringField(_l("Module"), validators=[Optional(), Length(max=200)])
    starts_on = DateField(_l("Starts on"), validators=[Optional(), planning_range])
    ends_on = DateField(_l("Ends on"), validators=[Optional(), planning_range])

    def validate_name(self, field: Any) -> None:
        if field.data and (self.starts_on.data is None or self.ends_on.data is None):
            raise ValidationError(_l("Give the module's first and last day."))


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    themes = CheckboxesField(_l("Challenge themes"), choices=[(code, label) for code, label in THEMES.items()])
    travel_cap = IntegerField(_l("Travel costs reimbursed per city (euros)"), default=0,
                              validators=[Optional(), NumberRange(min=0, max=10_000_000)])
    max_twins = IntegerField(_l("Twins per pilot city at most"), default=1,
                             validators=[DataRequired(), NumberRange(min=1, max=100)])
    deadline = LocalDateTimeField(_l("Applications close at"), validators=[Optional(), planning_range],
                                  description=_l("In the expo's time zone. Leave empty while the call is not open."))
    separate_countries = BooleanField(_l("Never pair two cities of the same country"))
    event_id = SelectField(_l("Event that holds the meetings"), coerce=optional_int, validators=[Optional()],
                           description=_l("The pairs' workshops and site visits become sessions of this event."))
    modules = FieldList(FormField(ModuleForm), min_entries=MODULE_ROWS, max_entries=6)

    def __init__(self, *args: Any, zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline.zone = zone
        self.zone = zone
        self.event_id.choices = [("", _l("— None yet —"))] + event_choices()

    @classmethod
    def for_programme(cls, programme: TwinningProgramme, zone: str) -> ProgrammeForm:
        from expo.core.timeutil import to_local

        form = cls(zone=zone, data={
            "name": programme.name, "description": programme.description or "", "themes": programme.themes,
            "travel_cap": programme.travel_cap, "max_twins": programme.max_twins,
            "deadline": to_local(programme.deadline, zone) if programme.deadline else None,
            "separate_countries": programme.separate_countries, "event_id": programme.event_id,
            "modules": [{"name": m.name, "starts_on": m.starts_on, "ends_on": m.ends_on} for m in programme.modules],
        })
        while len(form.modules) < MODULE_ROWS:
            form.modules.append_entry()
        return form

    def programme_data(self) -> services.ProgrammeData:
        return services.ProgrammeData(
            name=self.name.data, description=self.description.data or "", themes=self.themes.data or [],
            travel_cap=self.travel_cap.data or 0, max_twins=self.max_twins.data,
            deadline=local_instant(self.deadline, self.zone), separate_countries=self.separate_countries.data,
            event_id=self.event_id.data,
            modules=[services.ModuleData(name=m.data["name"], starts_on=m.data["starts_on"], ends_on=m.data["ends_on"])
                     for m in self.modules if m.data["name"]],
        )


def _emails(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


class CityForm(FlaskForm):
    """The fields a pilot city and an applicant share; one priority field per programme theme
    is added by ``for_programme``."""

    name = StringField(_l("City"), validators=[DataRequired(), Length(max=200)])
    country_code = SelectField(_l("Country"), validators=[Optional()])
    population = IntegerField(_l("Population"), validators=[Optional(), NumberRange(min=1, max=100_000_000)])
    languages = CheckboxesField(_l("Working languages"))
    offers = TextAreaField(_l("What the city offers others"), validators=[Optional(), Length(max=10000)])
    contacts = TextAreaField(_l("Contact people"), validators=[Optional(), Length(max=5000)],
                             description=_l("Their e-mail addresses, one per line: each must have an account."))

    theme_codes: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country_code.choices = [("", _l("— Choose a country —"))] + country_choices()
        self.languages.choices = [(code, language_name(code)) for code in CITY_LANGUAGES]

    @classmethod
    def for_programme(cls, programme: TwinningProgramme, **kwargs: Any) -> CityForm:
        """A form class with a priority for each of the programme's themes."""
        fields = {
            f"theme_{code}": SelectField(THEMES[code], choices=[
                ("0", _l("Not a priority")), ("1", _l("1 – some interest")), ("2", _l("2 – important")),
                ("3", _l("3 – a top priority"))], default="0")
            for code in programme.themes
        }
        form_class = type(f"{cls.__name__}ForProgramme", (cls,), {**fields, "theme_codes": list(programme.themes)})
        return form_class(**kwargs)

    def theme_fields(self) -> list[Any]:
        return [getattr(self, f"theme_{code}") for code in self.theme_codes]

    def validate_contacts(self, field: Any) -> None:
        for address in _emails(field.data or ""):
            if not _ADDRESS.fullmatch(address):
                raise ValidationError(_l("%(value)s is not an e-mail address.", value=address))

    def fill(self, city: PilotCity | TwinningApplication) -> None:
        self.name.data = city.name
        self.country_code.data = city.country_code or ""
        self.population.data = city.population
        self.languages.data = list(city.languages or [])
        self.offers.data = city.offers
        self.contacts.data = "\n".join(contact.email for contact in city.contacts)
        for code in self.theme_codes:
            getattr(self, f"theme_{code}").data = str((city.themes or {}).get(code, 0))

    def _city(self) -> dict[str, Any]:
        return dict(
            name=self.name.data, country_code=self.country_code.data or None, population=self.population.data,
            themes={code: int(getattr(self, f"theme_{code}").data) for code in self.theme_codes
                    if getattr(self, f"theme_{code}").data not in ("0", None)},
            languages=self.languages.data or [], offers=self.offers.data or "",
            contact_emails=_emails(self.contacts.data or ""),
        )

    def city_data(self) -> services.CityData:
        return services.CityData(**self._city())


class ApplicationForm(CityForm):
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)],
                               description=_l("The local authority or city administration applying."))
    challenges = TextAreaField(_l("The city's challenges"), validators=[DataRequired(), Length(max=10000)],
                               description=_l("What the city needs help with, in a few sentences."))

    def fill(self, city: TwinningApplication) -> None:  # type: ignore[override]
        super().fill(city)
        self.organisation.data = city.organisation
        self.challenges.data = city.challenges

    def application_data(self) -> services.ApplicationData:
        return services.ApplicationData(**self._city(), organisation=self.organisation.data,
                                        challenges=self.challenges.data)


class WeightsForm(FlaskForm):
    themes = DecimalField(_l("Themes and priorities"), places=1, validators=[InputRequired(), NumberRange(min=0, max=10)])
    size = DecimalField(_l("City size"), places=1, validators=[InputRequired(), NumberRange(min=0, max=10)])
    language = DecimalField(_l("A language in common"), places=1, validators=[InputRequired(), NumberRange(min=0, max=10)])
    complement = DecimalField(_l("Offers meet needs"), places=1, validators=[InputRequired(), NumberRange(min=0, max=10)])
    separate_countries = BooleanField(_l("Never pair two cities of the same country"))

    def weights(self) -> dict[str, float]:
        return {name: float(getattr(self, name).data) for name in ("themes", "size", "language", "complement")}


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[("shortlist", _l("Shortlist")), ("accept", _l("Accept")),
                                                    ("decline", _l("Decline"))])


class PairRuleForm(FlaskForm):
    application_id = IntegerField(_l("Applicant city"), validators=[DataRequired()])
    pilot_id = IntegerField(_l("Pilot city"), validators=[DataRequired()])
    kind = SelectField(_l("Rule"), choices=[("lock", _l("Lock this pair")), ("forbid", _l("Forbid this pair")),
                                            ("clear", _l("Leave it to the matching"))])


class MeetingForm(FlaskForm):
    """A pair's meeting; times on the wall clock of the programme's event."""

    module_id = SelectField(_l("Module"), coerce=int)
    pair = SelectField(_l("Cities"))
    kind = SelectField(_l("Kind"))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired(), planning_range])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[DataRequired(), planning_range])
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])
    meeting_url = StringField(_l("Meeting link"), validators=[Optional(), Length(max=500), http_url],
                              description=_l("For a digital meeting."))
    confirm = BooleanField(_l("Save despite the warnings"))

    def __init__(self, *args: Any, programme: TwinningProgramme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = programme.event.timezone if programme.event else "Europe/Stockholm"
        self.starts_at.zone = self.ends_at.zone = self.zone
        self.module_id.choices = [(m.id, m.name) for m in programme.modules]
        self.pair.choices = meetings.pair_choices(programme)
        self.kind.choices = [(k.value, k.label) for k in MEETING_KINDS]
        self.room_id.choices = [("", _l("— None (online only) —"))] + room_choices()

    def meeting_data(self) -> meetings.MeetingData:
        pilot, _, application = self.pair.data.partition(":")
        return meetings.MeetingData(
            module_id=self.module_id.data, pilot_id=int(pilot), application_id=int(application) if application else None,
            kind=SessionKind(self.kind.data), title=self.title.data,
            starts_at=local_instant(self.starts_at, self.zone), ends_at=local_instant(self.ends_at, self.zone),
            room_id=self.room_id.data, meeting_url=self.meeting_url.data, confirm=self.confirm.data,
        )


class OneToOneForm(FlaskForm):
    """Ask for a one-to-one: whom, which slot (shown on the event's wall clock), where."""

    invitee_id = SelectField(_l("Whom to meet"), coerce=int)
    starts_at = SelectField(_l("Slot"))
    place = SelectField(_l("Where"), choices=[("table", _l("At a table")), ("online", _l("Online"))])

    def __init__(self, *args: Any, people: list[tuple[int, str]], slots: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitee_id.choices = people
        self.starts_at.choices = slots

    def instant(self) -> Any:
        from datetime import datetime

        return datetime.fromisoformat(self.starts_at.data)


class AnswerForm(FlaskForm):
    answer = SelectField(_l("Answer"), choices=[("accept", _l("Accept")), ("decline", _l("Decline"))])


def _upload(field: Any) -> Upload:
    storage = field.data
    return Upload(filename=storage.filename or "upload", content_type=storage.mimetype or "",
                  content=storage.read())


class ClaimForm(FlaskForm):
    meeting_id = SelectField(_l("Meeting"), coerce=int)
    travelled_on = DateField(_l("Date of travel"), validators=[DataRequired(), planning_range])
    mode = SelectField(_l("Travelled by"))
    amount = DecimalField(_l("Amount (euros)"), places=2, validators=[DataRequired(), NumberRange(min=0.01, max=1_000_000)])
    receipt = FileField(_l("Receipt"), validators=[FileRequired(_l("Attach the receipt."))],
                        description=_l("PDF, JPEG or PNG, at most 5 MB."))

    def __init__(self, *args: Any, meetings: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meeting_id.choices = meetings
        self.mode.choices = [(m.value, m.label) for m in TravelMode]

    def claim_data(self) -> ClaimData:
        return ClaimData(meeting_id=self.meeting_id.data, travelled_on=self.travelled_on.data,
                         mode=TravelMode(self.mode.data), amount=self.amount.data, receipt=_upload(self.receipt))


class PlanForm(FlaskForm):
    plan = FileField(_l("Replication plan"), validators=[FileRequired(_l("Choose the file of the plan."))],
                     description=_l("PDF, JPEG or PNG, at most 5 MB."))

    def upload(self) -> Upload:
        return _upload(self.plan)


class ClaimDecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[("approve", _l("Approve")), ("refuse", _l("Refuse"))])
