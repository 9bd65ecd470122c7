"""Validators every form uses where WTForms' own fall short."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import Regexp, ValidationError


class FullMatch(Regexp):
    """Like WTForms' ``Regexp``, but the pattern must match the whole value: ``re.match`` with
    ``$`` also accepts a trailing line break (``"#1d5b79\\n"``), which then overflows a
    fixed-length column or lands in an address."""

    def __call__(self, form: Any, field: Any, message: str | None = None) -> None:
        match = self.regex.fullmatch(field.data or "")
        if match is not None:
            return
        raise ValidationError(message or self.message or _l("Invalid input."))

