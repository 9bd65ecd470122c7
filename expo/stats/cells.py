"""The cells of the statistics tables as text, in the reader's language.

A large expo's session table has tens of thousands of cells, most of them small numbers that
repeat; each distinct value is formatted once per page instead of once per cell."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_number, format_percent, gettext as _
from markupsafe import Markup

from expo.core.i18n import local_date
from expo.stats.queries import Column


class CellFormatter:
    """``formatter(value, column)``: what a table cell shows (call it within one request)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, Any], str] = {}
        self._none = Markup('<span aria-label="%s">—</span>') % _("none")

    def __call__(self, value: Any, column: Column) -> Any:
        if value is None:
            return self._none
        kind = column.kind
        if kind not in ("rate", "int", "date", "datetime"):
            return value
        key = (kind, value)
        text = self._seen.get(key)
        if text is None:
            text = self._seen[key] = self._format(value, kind)
        return text

    def _format(self, value: Any, kind: str) -> str:
        if kind == "rate":
            return format_percent(value, "#,##0.0%")
        if kind == "int":
            return format_number(value)
        if kind == "date":
            return local_date(value, fmt="medium")
        assert isinstance(value, datetime)
        return f"{self(value.date(), Column('', 'date'))} {value.strftime('%H:%M')}"

