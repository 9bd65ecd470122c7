"""Check-ins follow the bookings: someone let in standing who is then given a seat counts as
having come to that seat. Imported once when the blueprint loads."""
from __future__ import annotations

from typing import Any

from expo.attendance import services
from expo.core import signals


@signals.booking_confirmed.connect
def _on_booking_confirmed(sender: Any, *, booking: Any, **extra: Any) -> None:
    services.seat_check_in(booking)
