"""Calendars follow the schedule: after a change is committed, its feeds are built ahead in a
job (see prebuild). Imported once when the blueprint loads."""
from __future__ import annotations

from typing import Any

from expo.calendar import prebuild
from expo.core import signals


@signals.schedule_committed.connect
def _on_schedule_committed(sender: Any, **extra: Any) -> None:
    prebuild.after_schedule_change(sender)
