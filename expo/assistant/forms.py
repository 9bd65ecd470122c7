"""The organiser's questions to the scheduling assistant."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from expo.assistant.models import DayPart
from expo.assistant.solver import Weights


def _weight(label, default: int, description) -> IntegerField:
    return IntegerField(label, default=default, description=description,
                        validators=[InputRequired(), NumberRange(min=0, max=1000)])


class RunForm(FlaskForm):
    session_ids = SelectMultipleField(
        _l("Sessions to place"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("The others stay where they are; their rooms and people are taken into account."),
    )
    time_limit = IntegerField(_l("Time limit (seconds)"), default=30,
                              validators=[InputRequired(), NumberRange(min=1, max=300)])
    clash = _weight(_l("Weight: a delegate facing two wanted sessions at once"), Weights.clash, None)
    track_venues = _weight(_l("Weight: each extra venue a track uses"), Weights.track_venues, None)
    track_rooms = _weight(_l("Weight: each extra room a track uses"), Weights.track_rooms, None)
    track_gaps = IntegerField(
        _l("Weight: each quarter of an hour between a track's sessions of a day"), default=Weights.track_gaps,
        description=_l("Keeps a track's sessions back to back."),
        validators=[Optional(), NumberRange(min=0, max=1000)])
    move = _weight(_l("Weight: each session moved"), Weights.move,
                   _l("Keeps the proposal close to the schedule as it stands."))
    move_published = BooleanField(_l("Sessions of a published programme may move"))
    same_day = BooleanField(_l("Keep each session on its day"), default=True)

    def __init__(self, choices: list[tuple[int, str]], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session_ids.choices = choices
        if not self.is_submitted():
            self.session_ids.data = [value for value, _label in choices]

    def weights(self) -> Weights:
        return Weights(clash=self.clash.data, track_venues=self.track_venues.data,
                       track_rooms=self.track_rooms.data, move=self.move.data,
                       track_gaps=Weights.track_gaps if self.track_gaps.data is None else self.track_gaps.data)


class ApplyForm(FlaskForm):
    """Which of the proposal's moves to make: all of them, or those ticked."""

    session_ids = SelectMultipleField(_l("Moves to apply"), coerce=int, validate_choice=False)
    everything = BooleanField(_l("All moves"))

    def chosen(self) -> list[int] | None:
        return None if self.everything.data else list(self.session_ids.data or [])


class TimePreferenceForm(FlaskForm):
    """When a speaker, moderator or host would rather be on stage at one event."""

    part_of_day = SelectField(_l("Preferred part of the day"))
    unavailable_dates = SelectMultipleField(
        _l("Days I cannot come"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("Sessions are never planned on these days."))

    def __init__(self, days: list[tuple[str, str]], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.part_of_day.choices = [("", str(_l("Any time")))] + [(part.value, part.label) for part in DayPart]
        self.unavailable_dates.choices = days

    def part(self) -> DayPart | None:
        return DayPart(self.part_of_day.data) if self.part_of_day.data else None

    def dates(self) -> list[date]:
        return [date.fromisoformat(d) for d in self.unavailable_dates.data or []]
