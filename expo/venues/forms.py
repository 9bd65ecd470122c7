"""Forms for venues and rooms (organisers)."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from expo.programme.forms import SLUG, ListFilters, positive, presence_choices
from expo.venues.models import RoomKind, Venue
from expo.venues.services import VenueData


class VenueForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Web address"),
        validators=[Optional(), Length(max=80), SLUG],
        description=_l("Made from the name when left empty."),
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    latitude = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(min=-90, max=90, message=_l("Between -90 and 90."))],
    )
    longitude = FloatField(
        _l("Longitude"),
        validators=[Optional(), NumberRange(min=-180, max=180, message=_l("Between -180 and 180."))],
    )
    opens_at = TimeField(
        _l("Opens at"), validators=[Optional()], description=_l("Local time; leave empty if always open.")
    )
    closes_at = TimeField(_l("Closes at"), validators=[Optional()])
    accessibility_notes = TextAreaField(_l("Accessibility"), validators=[Optional(), Length(max=5000)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])

    @classmethod
    def for_venue(cls, venue: Venue) -> VenueForm:
        return cls(obj=venue)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.opens_at.data and self.closes_at.data and self.closes_at.data <= self.opens_at.data:
            self.closes_at.errors.append(_l("The venue must close after it opens."))
            valid = False
        return valid

    def venue_data(self) -> VenueData:
        return VenueData(
            name=self.name.data, slug=self.slug.data or None, address=self.address.data or "",
            latitude=self.latitude.data, longitude=self.longitude.data,
            opens_at=self.opens_at.data, closes_at=self.closes_at.data,
            accessibility_notes=self.accessibility_notes.data, description=self.description.data,
        )


class RoomForm(FlaskForm):
    name = StringField(_l("Room name"), validators=[DataRequired(), Length(max=200)])
    capacity = IntegerField(_l("Seats"), validators=[InputRequired(_l("Enter the number of seats.")), positive()])
    kind = SelectField(_l("Kind of room"), choices=[(k.value, k.label) for k in RoomKind], default=RoomKind.INDOOR.value,
                       coerce=RoomKind, description=_l("Site visits start from an outdoor or off-site meeting point."))


class VenueFiltersForm(ListFilters):
    q = StringField(_l("Search name or address"), validators=[Optional(), Length(max=100)])
    accessibility = SelectField(
        _l("Accessibility notes"), validators=[Optional()],
        choices=presence_choices(_l("With accessibility notes"), _l("Without accessibility notes")),
    )
    rooms = SelectField(
        _l("Rooms"), validators=[Optional()], choices=presence_choices(_l("With rooms"), _l("Without rooms"))
    )

    def criteria(self) -> dict[str, Any]:
        """The filters as the list's keyword arguments."""
        return {"q": self.value("q") or "", "accessibility": self.presence("accessibility"),
                "has_rooms": self.presence("rooms")}
