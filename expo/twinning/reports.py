"""The organisers' reports of a twinning programme, each a table (a header and rows) shown on
the reports page and downloaded as CSV: applications over time, the pairs and their scores,
the meetings of each module with their check-ins at the door, and claims against the caps."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.attendance.models import CheckIn
from expo.core.extensions import db
from expo.core.timeutil import to_local
from expo.registration.models import Booking, BookingStatus
from expo.twinning import claims, meetings, services
from expo.twinning.models import TwinningApplication, TwinningProgramme
from expo.twinning.queries import explain


@dataclass(frozen=True)
class Table:
    header: list[Any]
    rows: list[list[Any]]


def applications_over_time(programme: TwinningProgramme, tz: str) -> Table:
    """Applications received each day (in the expo's zone), and the running total."""
    days = Counter(to_local(at, tz).date() for at in db.session.scalars(
        sa.select(TwinningApplication.submitted_at).where(TwinningApplication.programme_id == programme.id)))
    rows, total = [], 0
    for day in sorted(days):
        total += days[day]
        rows.append([day.isoformat(), days[day], total])
    return Table([_l("Day"), _l("Applications"), _l("In all")], rows)


def pairs_and_scores(programme: TwinningProgramme, tz: str) -> Table:
    """Each pair with its affinity, whether it was locked and why it was made."""
    rows = [[p.pilot.name, p.application.city, p.application.country_code or "", f"{p.score:.1f}",
             _l("yes") if p.locked else "", explain(p.reasons)] for p in services.list_pairs(programme)]
    return Table([_l("Pilot city"), _l("Twin city"), _l("Country"), _l("Affinity"), _l("Locked"), _l("Why")], rows)


def meetings_per_module(programme: TwinningProgramme, tz: str) -> Table:
    """Each meeting by module: when, what, who was booked and who came through the door."""
    found = meetings.list_meetings(programme)
    ids = [m.session_id for m in found]
    booked = dict(db.session.execute(sa.select(Booking.session_id, sa.func.count()).where(
        Booking.session_id.in_(ids), Booking.status == BookingStatus.CONFIRMED).group_by(Booking.session_id)).all())
    came = dict(db.session.execute(sa.select(CheckIn.session_id, sa.func.count()).where(
        CheckIn.session_id.in_(ids)).group_by(CheckIn.session_id)).all())
    rows = [[m.module.name, to_local(m.session.starts_at, tz).strftime("%Y-%m-%d %H:%M"), m.session.title,
             m.session.kind.label, m.pilot.name, m.application.city if m.application else _l("all its twins"),
             booked.get(m.session_id, 0), came.get(m.session_id, 0)] for m in found]
    return Table([_l("Module"), _l("Starts"), _l("Meeting"), _l("Kind"), _l("Pilot city"), _l("Twin city"),
                  _l("Booked"), _l("Checked in")], rows)


def claims_against_caps(programme: TwinningProgramme, tz: str) -> Table:
    """Each city's approved and waiting claims against its cap, and what is left."""
    rows = [[t.city, f"{t.approved / 100:.2f}", f"{t.waiting / 100:.2f}", f"{t.cap / 100:.2f}",
             f"{(t.cap - t.approved - t.waiting) / 100:.2f}"]
            for t in claims.totals(programme, claims.all_claims(programme))]
    return Table([_l("City"), _l("Approved"), _l("Waiting"), _l("Cap"), _l("Left")], rows)


@dataclass(frozen=True)
class Report:
    title: Any
    build: Callable[[TwinningProgramme, str], Table]


REPORTS = {
    "applications": Report(_l("Applications over time"), applications_over_time),
    "pairs": Report(_l("Pairs and their scores"), pairs_and_scores),
    "meetings": Report(_l("Meetings per module"), meetings_per_module),
    "claims": Report(_l("Claims against the caps"), claims_against_caps),
}
