"""Forms for networks and organisations (organisers)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional

from expo.core.forms import LongSelect
from expo.people.models import OrganisationKind, organisation_kind_choices
from expo.people.services import NetworkData, OrganisationData, country_choices
from expo.events.queries import event_choices
from expo.programme.forms import SLUG, ListFilters, http_url, optional_int

ORGANISATION_KINDS = organisation_kind_choices()


class NetworkForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Web address"), validators=[Optional(), Length(max=80), SLUG], description=_l("Made from the name when left empty.")
    )
    acronym = StringField(_l("Acronym"), validators=[Optional(), Length(max=40)])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=500), http_url])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])

    def network_data(self) -> NetworkData:
        return NetworkData(
            name=self.name.data, slug=self.slug.data or None, acronym=self.acronym.data,
            website=self.website.data, description=self.description.data,
        )


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=ORGANISATION_KINDS)
    country_code = SelectField(_l("Country"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country_code.choices = [("", _l("— No country —"))] + country_choices()

    def organisation_data(self) -> OrganisationData:
        return OrganisationData(
            name=self.name.data, kind=OrganisationKind(self.kind.data), country_code=self.country_code.data or None
        )


class OrganisationFiltersForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()], widget=LongSelect())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [("", _l("All kinds"))] + ORGANISATION_KINDS
        self.country.choices = [("", _l("All countries"))] + country_choices()


class NetworkFiltersForm(ListFilters):
    q = StringField(_l("Search name or acronym"), validators=[Optional(), Length(max=100)])
    event = SelectField(_l("Hosting sessions in"), coerce=optional_int, validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event.choices = [("", _l("All networks"))] + event_choices()

    def criteria(self) -> dict[str, Any]:
        """The filters as the list's keyword arguments."""
        return {"q": self.value("q") or "", "event_id": self.value("event")}
