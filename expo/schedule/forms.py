"""The schedule's filter form: a GET form, so filtered lists are bookmarkable URLs."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import Form, SearchField, SelectField
from wtforms.validators import Length

from expo.core.i18n import language_name
from expo.programme.models import SessionKind
from expo.schedule.queries import SEARCH_MAX_LENGTH, FilterChoices, SessionFilters


# The query arguments of an event's list: the filters below and the day tab.
FILTER_ARGS = ("q", "track", "kind", "venue", "network", "language", "day")


class ScheduleFilterForm(Form):
    """Narrow an event's list. Invalid values are reported and ignored, never fatal."""

    q = SearchField(_l("Search"), validators=[Length(max=SEARCH_MAX_LENGTH)],
                    description=_l("Title, description or a speaker's name"))
    track = SelectField(_l("Track"), default="")
    kind = SelectField(_l("Kind"), default="")
    venue = SelectField(_l("Venue"), default="")
    network = SelectField(_l("Network"), default="")
    language = SelectField(_l("Language"), default="")

    def __init__(self, formdata: MultiDict, choices: FilterChoices) -> None:
        super().__init__(formdata=formdata)
        everything = [("", _l("All"))]
        self.track.choices = everything + [(str(t.id), t.name) for t in choices.tracks]
        self.kind.choices = everything + [(k.value, k.label) for k in SessionKind]
        self.venue.choices = everything + [(v.slug, v.name) for v in choices.venues]
        self.network.choices = everything + [(n.slug, n.label) for n in choices.networks]
        self.language.choices = everything + [(code, language_name(code)) for code in choices.languages]

    def filters(self) -> SessionFilters:
        """The valid, non-empty values as filters; a field with an error is left out."""
        self.validate()

        def value(field) -> str | None:
            if field.errors or not field.data:
                return None
            return str(field.data).strip() or None

        track = value(self.track)
        kind = value(self.kind)
        return SessionFilters(
            track_id=int(track) if track else None,
            kind=SessionKind(kind) if kind else None,
            venue_slug=value(self.venue),
            network_slug=value(self.network),
            language=value(self.language),
            text=value(self.q),
        )
