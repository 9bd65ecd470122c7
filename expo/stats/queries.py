"""Statistics for organisers, built on a handful of GROUP BY queries.

``StatsData`` runs each aggregate query at most once (on first use), so the statistics page
sends the same few statements whatever the size of the expo, and a CSV export runs only the
query its table needs. Tables (``TABLES``) turn those rows into columns, rows and bars."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.permissions import managed_events_clause
from expo.people.models import ORGANISATION_KIND_LABELS
from expo.accounts.models import User, user_networks
from expo.attendance.models import CheckIn
from expo.events.models import Event
from expo.core.extensions import db
from expo.people.countries import country_name
from expo.people.models import Country, Network, Organisation, OrganisationKind
from expo.programme.models import ProgrammeSession, SessionStatus
from expo.registration.models import Booking, BookingStatus, Registration, RegistrationStatus
from expo.core.timeutil import from_local, to_local
from expo.venues.models import Room, Venue

# PostgreSQL groups instants by local day itself (its time zone database knows every zone).
# SQLite has no time zones: there instants are grouped by quarter hour (UTC) and the quarters
# folded into local days in Python; every time zone in use is a whole number of quarter hours
# from UTC, so the days are exact in any zone.
BUCKET_SECONDS = 900

FILL_BANDS = (
    (0.25, _l("Under 25 %")),
    (0.50, _l("25–49 %")),
    (0.75, _l("50–74 %")),
    (1.00, _l("75–99 %")),
)


def _bucket(column: Any) -> Any:
    """The quarter hour (seconds since 1970 / 900) an instant falls in, as an integer."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(sa.extract("epoch", column) / BUCKET_SECONDS), sa.BigInteger)
    # SQLite keeps UTC instants as text; strftime('%s') gives whole seconds since 1970.
    return sa.cast(sa.func.strftime("%s", column), sa.Integer) // BUCKET_SECONDS


def _day_bucket(column: Any, tz: str) -> Any:
    """What instants are grouped by: the local day in ``tz`` (PostgreSQL), else the quarter hour."""
    if db.engine.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(tz, column), sa.Date)
    return _bucket(column)


def _local_day(bucket: int | date, tz: str) -> date:
    """The local day of a group made by ``_day_bucket``."""
    if isinstance(bucket, date):
        return bucket
    return to_local(datetime.fromtimestamp(bucket * BUCKET_SECONDS, timezone.utc), tz).date()


def _rate(part: int, whole: int | None) -> float | None:
    return round(part / whole, 4) if whole else None


# The key of the row for people whose account was deleted since they registered.
DELETED = "deleted"


def _tidy(rows: Any) -> list[tuple[Any, Any, int]]:
    """(key, label, count) rows, largest count first and then by label; the rows for "not
    given" (label None) and deleted accounts come last (the same order on every database)."""
    tidy = [(DELETED, None, n) if deleted else (key, label, n) for deleted, key, label, n in rows]
    return sorted(
        tidy, key=lambda row: (row[0] == DELETED, row[1] is None, -row[2], str(row[1] or ""))
    )


@dataclass(frozen=True)
class SessionRow:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    venue: str | None
    capacity: int | None
    confirmed: int
    attended: int
    check_ins: int
    walk_ins: int

    @property
    def fill_rate(self) -> float | None:
        return _rate(self.confirmed, self.capacity)

    def has_ended(self, now: datetime) -> bool:
        return self.ends_at <= now and not self.cancelled

    @property
    def no_shows(self) -> int:
        return self.confirmed - self.attended


@dataclass(frozen=True)
class AttendanceRow:
    day: date
    venue_id: int | None
    venue: str | None
    check_ins: int
    walk_ins: int


class StatsData:
    """The aggregate figures for the whole expo or one event; each query runs once, on use."""

    def __init__(self, *, event: Event | None, timezone: str, now: datetime,
                 first_day: date | None = None, last_day: date | None = None) -> None:
        self.event = event
        self.timezone = timezone
        self.now = now
        self.first_day = first_day
        self.last_day = last_day

    def _in_range(self, column: Any) -> list[Any]:
        """Conditions keeping ``column``'s instants within the chosen days (local, inclusive)."""
        conditions = []
        if self.first_day is not None:
            conditions.append(column >= from_local(datetime.combine(self.first_day, time.min), self.timezone))
        if self.last_day is not None:
            next_day = datetime.combine(self.last_day + timedelta(days=1), time.min)
            conditions.append(column < from_local(next_day, self.timezone))
        return conditions

    def _delegates(self) -> tuple[Any, Any, Any]:
        """Approved registrations (for the event, if one is chosen) with their people: the
        query to group, a column telling deleted accounts apart, and the count of people.

        A deleted account leaves its registration without a person (so figures stay right);
        each such registration counts as one person of whom nothing more is known."""
        person = sa.case((Registration.user_id.is_(None), -Registration.id), else_=Registration.user_id)
        deleted = sa.case((Registration.user_id.is_(None), 1), else_=0)
        # Each person once (a person registered for several events counts once), so the
        # grouping below counts rows instead of sorting every registration for a DISTINCT.
        people = (
            sa.select(person.label("person"), Registration.user_id.label("user_id"), deleted.label("deleted"))
            .where(Registration.status == RegistrationStatus.APPROVED, *self._in_range(Registration.created_at))
            .distinct()
        )
        if self.event is not None:
            people = people.where(Registration.event_id == self.event.id)
        people_sq = people.subquery("people")
        query = sa.select().select_from(people_sq).outerjoin(User, User.id == people_sq.c.user_id)
        return query, people_sq.c.deleted, sa.func.count().label("n")

    @cached_property
    def by_country(self) -> list[tuple[str | None, str | None, int]]:
        """(code, name, delegates): the person's own country, else their organisation's."""
        base, deleted, people = self._delegates()
        code = sa.func.coalesce(User.country_code, Organisation.country_code).label("code")
        query = (
            base.add_columns(deleted, code, Country.name, people)
            .outerjoin(Organisation, Organisation.id == User.organisation_id)
            .outerjoin(Country, Country.code == code)
            .group_by(deleted, code, Country.name)
        )
        return _tidy(db.session.execute(query))

    @cached_property
    def by_network(self) -> list[tuple[int | None, str | None, int]]:
        """(network id, label, delegates); a person in two networks counts in both."""
        base, deleted, people = self._delegates()
        label = sa.func.coalesce(Network.acronym, Network.name)
        query = (
            base.add_columns(deleted, Network.id, label.label("label"), people)
            .outerjoin(user_networks, user_networks.c.user_id == User.id)
            .outerjoin(Network, Network.id == user_networks.c.network_id)
            .group_by(deleted, Network.id, label)
        )
        return _tidy(db.session.execute(query))

    @cached_property
    def by_kind(self) -> list[tuple[OrganisationKind | None, OrganisationKind | None, int]]:
        base, deleted, people = self._delegates()
        query = (
            base.add_columns(deleted, Organisation.kind, Organisation.kind, people)
            .outerjoin(Organisation, Organisation.id == User.organisation_id)
            .group_by(deleted, Organisation.kind)
        )
        return _tidy(db.session.execute(query))

    @cached_property
    def registrations_per_day(self) -> list[tuple[date, int, int]]:
        """(local day, registrations made, of which approved now), every registration counted,
        those of deleted accounts too."""
        bucket = _day_bucket(Registration.created_at, self.timezone).label("bucket")
        is_approved = sa.case((Registration.status == RegistrationStatus.APPROVED, 1), else_=0)
        query = (
            sa.select(bucket, sa.func.count(Registration.id), sa.func.sum(is_approved))
            .where(*self._in_range(Registration.created_at))
            .group_by(bucket)
        )
        if self.event is not None:
            query = query.where(Registration.event_id == self.event.id)
        days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        for quarter, made, approved in db.session.execute(query):
            totals = days[_local_day(quarter, self.timezone)]
            totals[0] += made
            totals[1] += approved or 0
        return [(day, made, approved) for day, (made, approved) in sorted(days.items())]

    @cached_property
    def sessions(self) -> list[SessionRow]:
        """Every session with seats, confirmed bookings, those checked in, and all check-ins."""
        bookings = (
            sa.select(
                Booking.session_id,
                sa.func.count(Booking.id).label("confirmed"),
                sa.func.count(CheckIn.id).label("attended"),
            )
            .outerjoin(CheckIn, CheckIn.booking_id == Booking.id)
            .where(Booking.status == BookingStatus.CONFIRMED)
            .group_by(Booking.session_id)
            .subquery("confirmed_bookings")
        )
        check_ins = self._check_ins_by_session()
        query = (
            sa.select(
                ProgrammeSession.id,
                ProgrammeSession.title,
                ProgrammeSession.starts_at,
                ProgrammeSession.ends_at,
                ProgrammeSession.status,
                Venue.name,
                sa.func.coalesce(ProgrammeSession.capacity, Room.capacity),
                sa.func.coalesce(bookings.c.confirmed, 0),
                sa.func.coalesce(bookings.c.attended, 0),
                sa.func.coalesce(check_ins.c.check_ins, 0),
                sa.func.coalesce(check_ins.c.walk_ins, 0),
            )
            .outerjoin(Room, Room.id == ProgrammeSession.room_id)
            .outerjoin(Venue, Venue.id == Room.venue_id)
            .outerjoin(bookings, bookings.c.session_id == ProgrammeSession.id)
            .outerjoin(check_ins, check_ins.c.session_id == ProgrammeSession.id)
            .where(*self._in_range(ProgrammeSession.starts_at))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.title, ProgrammeSession.id)
        )
        if self.event is not None:
            query = query.where(ProgrammeSession.event_id == self.event.id)
        return [
            SessionRow(
                id=row[0], title=row[1], starts_at=row[2], ends_at=row[3],
                cancelled=row[4] is SessionStatus.CANCELLED, venue=row[5], capacity=row[6],
                confirmed=row[7], attended=row[8], check_ins=row[9], walk_ins=row[10],
            )
            for row in db.session.execute(query)
        ]

    @staticmethod
    def _walk_in() -> Any:
        """A check-in without a booking (standing), or whose seat was booked at the door."""
        return sa.case(
            (sa.or_(CheckIn.is_walk_in, Booking.confirmed_at == CheckIn.checked_in_at), 1), else_=0
        )

    def _check_ins_by_session(self) -> Any:
        return (
            sa.select(
                CheckIn.session_id,
                sa.func.count(CheckIn.id).label("check_ins"),
                sa.func.sum(self._walk_in()).label("walk_ins"),
            )
            .outerjoin(Booking, Booking.id == CheckIn.booking_id)
            .group_by(CheckIn.session_id)
            .subquery("session_check_ins")
        )

    @cached_property
    def attendance(self) -> list[AttendanceRow]:
        """Check-ins by local day and venue (online sessions have no venue)."""
        bucket = _day_bucket(CheckIn.checked_in_at, self.timezone).label("bucket")
        query = (
            sa.select(bucket, Venue.id, Venue.name, sa.func.count(CheckIn.id), sa.func.sum(self._walk_in()))
            .join(ProgrammeSession, ProgrammeSession.id == CheckIn.session_id)
            .outerjoin(Booking, Booking.id == CheckIn.booking_id)
            .outerjoin(Room, Room.id == ProgrammeSession.room_id)
            .outerjoin(Venue, Venue.id == Room.venue_id)
            .where(*self._in_range(CheckIn.checked_in_at))
            .group_by(bucket, Venue.id, Venue.name)
        )
        if self.event is not None:
            query = query.where(ProgrammeSession.event_id == self.event.id)
        folded: dict[tuple[date, int | None, str | None], list[int]] = defaultdict(lambda: [0, 0])
        for quarter, venue_id, venue, count, walk_ins in db.session.execute(query):
            totals = folded[(_local_day(quarter, self.timezone), venue_id, venue)]
            totals[0] += count
            totals[1] += walk_ins or 0
        return [
            AttendanceRow(day, venue_id, venue, count, walk_ins)
            for (day, venue_id, venue), (count, walk_ins) in sorted(
                folded.items(), key=lambda item: (item[0][0], item[0][2] or "")
            )
        ]

    # --- figures for the summary ------------------------------------------------------------

    @property
    def delegate_count(self) -> int:
        return sum(n for _, _, n in self.by_country)

    @property
    def country_count(self) -> int:
        return sum(1 for code, _, _ in self.by_country if code not in (None, DELETED))

    @property
    def ended_sessions(self) -> list[SessionRow]:
        return [s for s in self.sessions if s.has_ended(self.now)]

    @property
    def no_show_rate(self) -> float | None:
        ended = self.ended_sessions
        return _rate(sum(s.no_shows for s in ended), sum(s.confirmed for s in ended))

    @property
    def fill_rate(self) -> float | None:
        """Confirmed bookings over seats, for the scheduled sessions with a seat limit."""
        limited = [s for s in self.sessions if s.capacity and not s.cancelled]
        return _rate(sum(s.confirmed for s in limited), sum(s.capacity or 0 for s in limited))

    @property
    def check_in_count(self) -> int:
        return sum(row.check_ins for row in self.attendance)


# --- tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    label: Any
    kind: str = "text"  # text, int, rate (a fraction shown as a percentage), date, datetime


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str


@dataclass
class Table:
    id: str
    title: Any
    columns: list[Column]
    rows: list[list[Any]]
    # What the chart draws: one bar per row of the table (or per band, for sessions).
    bars: list[Bar] = field(default_factory=list)
    chart_title: Any = None
    note: Any = None
    # Which question of the dashboard the table answers: who (is coming), chose, happened.
    section: str = "who"
    # A time series: (day, value) points drawn as columns on a date axis instead of bars.
    series: list[tuple[date, float]] | None = None
    # The order of the dashboard's top rows (the table's own order when None).
    rank: Callable[[list[Any]], Any] | None = None

    @property
    def bar_max(self) -> float:
        return max((bar.value for bar in self.bars), default=0)

    def top(self, n: int) -> list[list[Any]]:
        """The rows the dashboard shows: the first ``n`` in the table's ranking."""
        return (sorted(self.rows, key=self.rank) if self.rank else self.rows)[:n]


def _count_bars(rows: list[list[Any]], value_index: int = 1) -> list[Bar]:
    return [Bar(str(row[0]), row[value_index], str(row[value_index])) for row in rows]


def _label(key: Any, label: Any, none: Any) -> Any:
    """What a row of delegates is called: its own label, or why there is none."""
    if key == DELETED:
        return _l("Account deleted")
    return none if label is None else label


def _delegates_table(
    data: StatsData, table_id: str, title: Any, heading: Any, counts: list[tuple[Any, Any, int]],
    none: Any, note: Any = None,
) -> Table:
    """Delegates counted by one property, with each group's share of all delegates."""
    rows = [[_label(key, label, none), n, _rate(n, data.delegate_count)] for key, label, n in counts]
    columns = [Column(heading), Column(_l("Delegates"), "int"), Column(_l("Share"), "rate")]
    return Table(table_id, title, columns, rows, _count_bars(rows), note=note)


def countries_table(data: StatsData) -> Table:
    counts = [(code, name if code in (None, DELETED) else country_name(code, name), n)
              for code, name, n in data.by_country]
    return _delegates_table(
        data, "countries", _l("Delegates by country"), _l("Country"), counts, _l("Not given"),
        note=_l("Countries represented: %(countries)s.", countries=data.country_count),
    )


def networks_table(data: StatsData) -> Table:
    return _delegates_table(
        data, "networks", _l("Delegates by network"), _l("Network"), data.by_network, _l("No network"),
        note=_l("A delegate in several networks counts in each of them."),
    )


def kinds_table(data: StatsData) -> Table:
    counts = [(kind, ORGANISATION_KIND_LABELS.get(kind), n) for kind, _, n in data.by_kind]
    return _delegates_table(
        data, "organisation_kinds", _l("Delegates by kind of organisation"), _l("Kind of organisation"),
        counts, _l("No organisation"),
    )


def registrations_table(data: StatsData) -> Table:
    rows = [[day, made, approved] for day, made, approved in data.registrations_per_day]
    return Table(
        "registrations_per_day", _l("Registrations per day"),
        [Column(_l("Day"), "date"), Column(_l("Registrations"), "int"), Column(_l("Approved"), "int")],
        rows, note=_l("Registrations made each day (in %(tz)s), and how many of them are approved now.", tz=data.timezone),
        section="who", series=[(day, made) for day, made, _ in rows],
    )


def sessions_table(data: StatsData) -> Table:
    rows = []
    bands: dict[Any, int] = {label: 0 for _, label in FILL_BANDS}
    full, unlimited = _l("Full"), _l("No seat limit")
    bands[full] = bands[unlimited] = 0
    for s in data.sessions:
        ended = s.has_ended(data.now)
        rows.append([
            _l("%(title)s (cancelled)", title=s.title) if s.cancelled else s.title,
            to_local(s.starts_at, data.timezone),
            s.venue or _l("Online"),
            s.capacity, s.confirmed, s.fill_rate,
            s.attended if ended else None,
            s.no_shows if ended else None,
            _rate(s.no_shows, s.confirmed) if ended else None,
            s.check_ins, s.walk_ins,
        ])
        if s.cancelled:
            continue
        if s.fill_rate is None:
            bands[unlimited] += 1
        elif s.fill_rate >= 1:
            bands[full] += 1
        else:
            bands[next(label for limit, label in FILL_BANDS if s.fill_rate < limit)] += 1
    return Table(
        "sessions", _l("Sessions: fill and no-show rates"),
        [
            Column(_l("Session")), Column(_l("Starts"), "datetime"), Column(_l("Venue")),
            Column(_l("Seats"), "int"), Column(_l("Confirmed"), "int"), Column(_l("Fill rate"), "rate"),
            Column(_l("Came"), "int"), Column(_l("No-shows"), "int"), Column(_l("No-show rate"), "rate"),
            Column(_l("Check-ins"), "int"), Column(_l("Walk-ins"), "int"),
        ],
        rows, [Bar(str(label), n, str(n)) for label, n in bands.items()],
        chart_title=_l("Scheduled sessions by fill rate"),
        note=_l(
            "Fill rate: confirmed bookings over seats. No-shows: confirmed bookings without a "
            "check-in, for sessions that have ended. Check-ins include walk-ins."
        ),
        section="chose", rank=lambda row: (-(row[5] or 0), -row[4]),
    )


def venues_fill_table(data: StatsData) -> Table:
    venues: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in data.sessions:
        if s.cancelled:
            continue
        totals = venues[s.venue]
        totals[0] += 1
        if s.capacity:
            totals[1] += s.capacity
            totals[2] += s.confirmed
    rows = [[venue or _l("Online"), n, seats or None, confirmed, _rate(confirmed, seats or None)]
            for venue, (n, seats, confirmed) in venues.items()]
    rows.sort(key=lambda row: (-(row[4] or 0), str(row[0])))
    return Table(
        "venues_fill", _l("Fill rate per venue"),
        [Column(_l("Venue")), Column(_l("Sessions"), "int"), Column(_l("Seats"), "int"),
         Column(_l("Confirmed"), "int"), Column(_l("Fill rate"), "rate")],
        rows, [Bar(str(row[0]), row[4] * 100, f"{row[4]:.0%}") for row in rows if row[4] is not None],
        note=_l("Scheduled sessions with a seat limit: confirmed bookings over their seats."),
        section="chose",
    )


def no_shows_table(data: StatsData) -> Table:
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for s in data.ended_sessions:
        totals = days[to_local(s.starts_at, data.timezone).date()]
        totals[0] += s.confirmed
        totals[1] += s.no_shows
    rows = [[day, confirmed, no_shows, _rate(no_shows, confirmed)] for day, (confirmed, no_shows) in sorted(days.items())]
    return Table(
        "no_shows_per_day", _l("No-shows per day"),
        [Column(_l("Day"), "date"), Column(_l("Confirmed"), "int"), Column(_l("No-shows"), "int"),
         Column(_l("No-show rate"), "rate")],
        rows, note=_l("Sessions that have ended, by the day they were held."),
        section="happened", series=[(day, no_shows) for day, _, no_shows, _ in rows],
    )


def attendance_days_table(data: StatsData) -> Table:
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for row in data.attendance:
        days[row.day][0] += row.check_ins
        days[row.day][1] += row.walk_ins
    rows = [[day, n, walk_ins] for day, (n, walk_ins) in sorted(days.items())]
    return Table(
        "attendance_per_day", _l("Check-ins per day"),
        [Column(_l("Day"), "date"), Column(_l("Check-ins"), "int"), Column(_l("Walk-ins"), "int")],
        rows, section="happened", series=[(day, n) for day, n, _ in rows],
    )


def attendance_venues_table(data: StatsData) -> Table:
    venues: dict[tuple[int | None, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for row in data.attendance:
        venues[(row.venue_id, row.venue)][0] += row.check_ins
        venues[(row.venue_id, row.venue)][1] += row.walk_ins
    ordered = sorted(venues.items(), key=lambda item: (-item[1][0], item[0][1] or ""))
    rows = [[venue or _l("Online"), n, walk_ins] for (_, venue), (n, walk_ins) in ordered]
    return Table(
        "attendance_per_venue", _l("Check-ins per venue"),
        [Column(_l("Venue")), Column(_l("Check-ins"), "int"), Column(_l("Walk-ins"), "int")],
        rows, _count_bars(rows), section="happened",
    )


TABLES: dict[str, Callable[[StatsData], Table]] = {
    "countries": countries_table,
    "networks": networks_table,
    "organisation_kinds": kinds_table,
    "registrations_per_day": registrations_table,
    "sessions": sessions_table,
    "venues_fill": venues_fill_table,
    "no_shows_per_day": no_shows_table,
    "attendance_per_day": attendance_days_table,
    "attendance_per_venue": attendance_venues_table,
}


def stats_events(user: Any) -> list[Event]:
    """The events ``user`` can narrow the statistics to: those they manage."""
    return list(db.session.scalars(
        sa.select(Event).where(managed_events_clause(user)).order_by(Event.starts_on, Event.name)))
