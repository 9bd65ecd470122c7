"""Bookings follow the programme: a cancelled session releases everyone, a moved one tells
them, more seats (in the session or its room) promote the waiting list, an event leaving the
published programme (or coming back) takes its sessions out of calendars (or puts them back). Imported once when the blueprint loads."""
from __future__ import annotations

from typing import Any

from expo.core import signals
from expo.registration import services


@signals.session_cancelled.connect
def _on_session_cancelled(sender: Any, *, session: Any, actor: Any = None, **extra: Any) -> None:
    services.release_cancelled_session(session)


@signals.session_changed.connect
def _on_session_changed(sender: Any, *, session: Any, changes: dict[str, Any] | None = None,
                        actor: Any = None, **extra: Any) -> None:
    services.session_changed(session, changes or {})


@signals.room_capacity_changed.connect
def _on_room_capacity_changed(sender: Any, *, room: Any, actor: Any = None, **extra: Any) -> None:
    services.room_capacity_changed(room)


@signals.event_visibility_changed.connect
def _on_event_visibility_changed(sender: Any, *, event: Any, published: bool, **extra: Any) -> None:
    services.event_visibility_changed(event, published=published)


@signals.session_restored.connect
def _on_session_restored(sender: Any, *, session: Any, give_back: bool = False, actor: Any = None,
                         **extra: Any) -> None:
    if give_back:
        services.give_back_bookings(session)
