"""What a generated expo is made of: the plan, the summary, and the state that each building
step (expo/demo/generate.py, expo/demo/generate_attendance.py) reads and fills."""
from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from expo.demo.bulk import Agendas, Progress
from expo.programme.models import SessionKind, SessionRoleKind

TRANSFER_MINUTES = 15  # every event's transfer time between venues


@dataclass(frozen=True)
class Plan:
    """How big the expo is; the same plan always builds the same expo."""

    seed: int
    sessions: int
    delegates: int
    bookings: int
    cancelled_sessions: int = 5
    check_in_days: int = 3
    organisers: int = 3
    staff: int = 8


@dataclass
class Summary:
    events: int = 0
    venues: int = 0
    rooms: int = 0
    sessions: int = 0
    delegates: int = 0
    countries: int = 0
    registrations: int = 0
    bookings: int = 0
    waitlisted: int = 0
    check_ins: int = 0

    def line(self) -> str:
        return (
            f"{self.events} events, {self.venues} venues, {self.rooms} rooms, {self.sessions} sessions, "
            f"{self.delegates} delegates from {self.countries} countries, {self.registrations} registrations, "
            f"{self.bookings} bookings ({self.waitlisted} waitlisted), {self.check_ins} check-ins"
        )


@dataclass
class PlannedSession:
    """A session being planned, before it has an id."""

    event: int  # index into cat.EVENTS
    kind: SessionKind
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    venue_id: int | None
    capacity: int | None
    popularity: float
    row: dict[str, Any]
    people: list[tuple[int, SessionRoleKind]] = field(default_factory=list)
    cancelled_at: datetime | None = None
    id: int = 0


class BuildState:
    """What the building steps share: the plan and its random source, and what earlier steps made."""

    # Filled by the steps in ExpoBuilder.build(), in this order.
    organisers: list[int]
    staff: list[int]
    people: dict[str, int]
    demo_delegate: int
    delegates: list[int]
    event_rows: list[dict[str, Any]]
    event_ids: list[int]
    sessions: list[PlannedSession]

    def __init__(self, plan: Plan, progress: Progress | None) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.progress = progress
        self.summary = Summary()
        self.agendas = Agendas(timedelta(minutes=TRANSFER_MINUTES))
        # Filled by register(): the events each delegate was approved for, and since when.
        self.approved: dict[int, list[int]] = defaultdict(list)
        self.registered_at: dict[tuple[int, int], datetime] = {}
