"""Forms of the import pages: the upload, the room mapping of a schedule, the confirmation."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, URLField
from wtforms.validators import DataRequired, Length

from expo.programme.forms import optional_int


class UploadForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a file to upload."))],
        description=_l("CSV or Excel (.xlsx) with the template's columns, or a frab / pretalx schedule (XML or JSON)."),
    )


class PeopleUploadForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a file to upload."))],
        description=_l("CSV or Excel (.xlsx) with the template's columns, or the people export."),
    )


class ScheduleUrlForm(FlaskForm):
    url = URLField(
        _l("Schedule address"),
        validators=[DataRequired(_l("Give the schedule's address.")), Length(max=2000)],
        description=_l("The address of a frab or pretalx schedule export (schedule.xml or schedule.json)."),
    )


class ConfirmImportForm(FlaskForm):
    digest = HiddenField(validators=[DataRequired()])


class RoomMappingForm(FlaskForm):
    """One choice of expo room per room of the schedule (fields added per schedule)."""

    def mapping(self) -> dict[str, int]:
        return {f.label.text: f.data for f in self.room_fields() if f.data is not None}

    def room_fields(self) -> list[Any]:
        return [f for f in self if f.name.startswith("room_")]


def room_mapping_form(names: list[str], choices: list[tuple[int, str]], current: dict[str, int]) -> RoomMappingForm:
    """The mapping form for these schedule rooms, each preset to the room it was mapped to."""

    class Form(RoomMappingForm):
        pass

    for index, name in enumerate(names):
        setattr(Form, f"room_{index}", SelectField(
            name, coerce=optional_int, default=current.get(name),
            choices=[("", _l("— Choose a room —"))] + choices,
            validators=[DataRequired(_l("Choose an expo room for this room."))],
        ))
    return Form()
