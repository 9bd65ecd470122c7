"""From the programme to the assistant's model and back: which sessions move and which stay,
time as steps, the rooms' opening hours as windows, who wants what; then the proposal with its
figures (wanted clashes before and after, conflicts by the programme's own rules, rooms, transfers)
and the reasons each session went where it went."""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from expo.assistant import queries
from expo.assistant.models import TimePreference
from expo.assistant.solver import (
    NO_FREE_TIME, NO_ROOM, NO_TIME, Item, Placement, Problem, RoomSpec, Weights, candidate_rooms, room_windows,
    wanted_clashes,
)
from expo.core.extensions import db
from expo.core.timeutil import local_day_bounds, to_local
from expo.events.models import Event
from expo.programme import conflicts
from expo.programme import services as programme
from expo.programme.models import ProgrammeSession, SessionRole, SessionStatus
from expo.programme.models import SessionKind
from expo.venues.models import Room, RoomKind, Venue

STEP_MINUTES = 15
# Sessions that need a kind of room: site visits start outdoors or from an off-site meeting
# point. (Other sessions may use any room: outdoor stages host talks too.)
NEEDS_ROOM_KIND = {SessionKind.SITE_VISIT: RoomKind.OUTDOOR}
# Hours the assistant plans in where a venue is open around the clock.
PLANNING_DAY = (time(8, 0), time(21, 0))


@dataclass(frozen=True)
class Settings:
    """What an organiser asks of a run."""

    session_ids: tuple[int, ...]
    weights: Weights = Weights()
    popular: int = 5  # extra weight for two of the most wanted sessions held at once
    move_published: bool = False
    same_day: bool = True  # a session moves within its day (keeps the model small, and delegates' plans)
    # What keeps a large programme tractable: the heaviest wanted pairs, and for each session the
    # rooms nearest its size (its own room always among them).
    max_pairs: int = 4000
    rooms_per_session: int = 8


@dataclass
class Context:
    """The model and what is needed to read its answer."""

    problem: Problem
    origin: datetime
    sessions: dict[int, Any]  # id -> row (title, event, times, room)
    movable: set[int]
    demand: dict[int, int]
    wanted: dict[tuple[int, int], int]  # delegates wanting both
    rooms: dict[int, Any] = field(default_factory=dict)  # id -> row (name, venue, capacity)

    def at(self, step: int) -> datetime:
        return self.origin + timedelta(minutes=STEP_MINUTES * step)

    def step(self, instant: datetime) -> int:
        return math.floor((instant - self.origin).total_seconds() / 60 / STEP_MINUTES)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _window(day: date, opens: time | None, closes: time | None, tz: str, ctx_origin: datetime) -> tuple[int, int]:
    if opens is None and closes is None:
        opens, closes = PLANNING_DAY
    start, end = local_day_bounds(day, tz)
    lo = start + timedelta(hours=(opens or time(0)).hour, minutes=(opens or time(0)).minute)
    hi = end if closes is None else start + timedelta(hours=closes.hour, minutes=closes.minute)
    step = timedelta(minutes=STEP_MINUTES)
    return math.ceil((lo - ctx_origin) / step), math.floor((hi - ctx_origin) / step)


def build(*, event: Event | None, settings: Settings) -> Context:
    """The model for placing ``settings.session_ids`` of the event (or the expo) among the rest."""
    events = [event] if event is not None else list(db.session.scalars(sa.select(Event)))
    first = min(e.starts_on for e in events)
    last = max(e.ends_on for e in events)
    tz = events[0].timezone
    origin, _ = local_day_bounds(first, tz)
    horizon_start, _ = local_day_bounds(first - timedelta(days=1), tz)
    _, horizon_end = local_day_bounds(last + timedelta(days=1), tz)
    s = ProgrammeSession
    rows = db.session.execute(
        sa.select(s.id, s.title, s.event_id, s.starts_at, s.ends_at, s.room_id, s.track_id, s.capacity, s.kind,
                  Event.is_published, Event.timezone, Event.starts_on, Event.ends_on, Event.transfer_minutes)
        .join(Event, s.event_id == Event.id)
        .where(s.status != SessionStatus.CANCELLED, s.starts_at < horizon_end, s.ends_at > horizon_start)
    ).all()
    sessions = {r.id: r for r in rows}
    scope = {r.id for r in rows if event is None or r.event_id == event.id}
    movable = {
        i for i in settings.session_ids
        if i in scope and (settings.move_published or not sessions[i].is_published)
    }
    people: dict[int, set[int]] = defaultdict(set)
    for session_id, user_id in db.session.execute(
        sa.select(SessionRole.session_id, SessionRole.user_id).where(SessionRole.session_id.in_(sessions))
    ):
        people[session_id].add(user_id)
    room_rows = {r.id: r for r in db.session.execute(
        sa.select(Room.id, Room.name, Room.capacity, Room.kind, Room.venue_id, Venue.name.label("venue"), Venue.opens_at,
                  Venue.closes_at).join(Venue, Room.venue_id == Venue.id)
    )}
    days = _days(first, last)
    rooms = [
        RoomSpec(r.id, r.venue_id, r.capacity,
                 tuple(w for w in (_window(d, r.opens_at, r.closes_at, tz, origin) for d in days) if w[0] < w[1]))
        for r in room_rows.values()
    ]
    event_days = {
        e.id: tuple(_window(d, None, None, e.timezone, origin) for d in _days(e.starts_on, e.ends_on))
        for e in events
    }
    stated: dict[tuple[int, int], TimePreference] = {
        (p.user_id, p.event_id): p for p in db.session.scalars(
            sa.select(TimePreference).where(TimePreference.event_id.in_([e.id for e in events])))
    }
    event_tz = {e.id: e.timezone for e in events}
    event_dates = {e.id: _days(e.starts_on, e.ends_on) for e in events}
    demand = queries.demand(sorted(scope))
    largest = max((r.capacity for r in rooms), default=0)
    step = timedelta(minutes=STEP_MINUTES)
    items = []
    for r in rows:
        start = math.floor((r.starts_at - origin) / step)
        duration = max(1, math.ceil((r.ends_at - origin) / step) - start)
        seats = max(min(demand.get(r.id, 0), largest), r.capacity or 0)
        windows = event_days.get(r.event_id)
        preferred: list[tuple[tuple[int, int], ...]] = []
        if r.id in movable and windows:
            wishes = [stated[(p, r.event_id)] for p in sorted(people[r.id]) if (p, r.event_id) in stated]
            away = {d for wish in wishes for d in wish.unavailable}
            windows = tuple(w for d, w in zip(event_dates[r.event_id], windows) if d not in away)
            preferred = [
                tuple(_window(d, *wish.part_of_day.hours, event_tz[r.event_id], origin) for d in event_dates[r.event_id])
                for wish in wishes if wish.part_of_day is not None
            ]
        if settings.same_day and windows:
            windows = tuple(w for w in windows if w[0] <= start < w[1]) or windows
        items.append(Item(
            id=r.id, duration=duration, start=start, room_id=r.room_id, fixed=r.id not in movable,
            in_person=r.room_id is not None, seats=seats, people=frozenset(people[r.id]),
            track_id=r.track_id, windows=windows, preferred=tuple(preferred),
            rooms=_nearest_rooms(rooms, room_rows, r.room_id, seats, settings.rooms_per_session, NEEDS_ROOM_KIND.get(r.kind))
            if r.id in movable and r.room_id is not None else None,
        ))
    wants = queries.pair_wants(sorted(scope))
    popular = set(sorted(demand, key=demand.get, reverse=True)[: max(1, len(scope) // 10)]) if demand else set()
    weighted = {}
    for pair, want in wants.items():
        weight = want.weight(prior=1) + (settings.popular if set(pair) <= popular else 0)
        if weight and (pair[0] in movable or pair[1] in movable):
            weighted[pair] = weight
    heaviest = sorted(weighted, key=lambda pair: (-weighted[pair], pair))[: settings.max_pairs]
    pairs = {pair: weighted[pair] for pair in heaviest}
    transfer = max((e.transfer_minutes for e in events), default=0)
    problem = Problem(
        rooms=rooms, items=items, day_windows=tuple(w for e in events for w in event_days[e.id]),
        pairs=pairs, transfer_steps=math.ceil(transfer / STEP_MINUTES), weights=settings.weights,
    )
    return Context(problem, origin, sessions, movable, demand,
                   {pair: want.delegates for pair, want in wants.items() if want.delegates}, room_rows)


def _nearest_rooms(rooms: list[RoomSpec], rows: dict[int, Any], current: int | None, seats: int,
                   limit: int, kind: RoomKind | None = None) -> frozenset[int]:
    """The rooms that seat the session with the fewest seats to spare, those at its own venue
    first, and its own room (when it seats it); of the kind it needs, if any (none at all: the
    session cannot be placed, and the organiser is told why)."""
    venue = rows[current].venue_id if current in rows else None
    fitting = [r for r in rooms if r.capacity >= seats and (kind is None or rows[r.id].kind is kind)]
    own = [current] if current is not None and any(r.id == current for r in fitting) else []
    fitting.sort(key=lambda r: (r.venue_id != venue, r.capacity, r.id))
    return frozenset([r.id for r in fitting[:limit]] + own)


def unplaced_entries(ctx: Context, unplaced: dict[int, str]) -> list[dict[str, Any]]:
    """The sessions a proposal leaves where they stand, each with why, as JSON: what it needs
    (its kind of room, its seats, its length, its people's days) against what the expo has."""
    items = {i.id: i for i in ctx.problem.items}
    out = []
    for session_id, code in sorted(unplaced.items(), key=lambda kv: (ctx.sessions[kv[0]].starts_at, kv[0])):
        row, item = ctx.sessions[session_id], items[session_id]
        entry: dict[str, Any] = {"session_id": session_id, "title": row.title, "start": row.starts_at.isoformat(),
                                 "room_id": row.room_id, "seats": item.seats,
                                 "minutes": item.duration * STEP_MINUTES, "reason": code}
        kind = NEEDS_ROOM_KIND.get(row.kind)
        if code in (NO_ROOM, NO_TIME):
            of_kind = [r for r in ctx.rooms.values() if kind is None or r.kind is kind]
            largest = max((r.capacity for r in of_kind), default=0)
            if item.windows == ():
                entry["reason"] = "away"  # its people cannot come on any day of the event
            elif kind is not None and not of_kind:
                entry.update(reason="kind_none", kind=kind.value)
            elif item.in_person and largest < item.seats:
                entry.update(reason="kind_seats" if kind is not None else "seats", kind=kind.value if kind else None,
                             largest=largest)
            else:
                entry["reason"] = "hours"
        out.append(entry)
    return out


def describe_unplaced(entry: dict[str, Any]) -> str:
    """Why a session was not placed, in a sentence."""
    reason = entry["reason"]
    if reason == "kind_none":
        return _("needs an outdoor place or off-site meeting point: there is none in the expo's venues")
    if reason == "kind_seats":
        return _("needs an outdoor place or off-site meeting point for %(seats)s people: none has more than "
                 "%(largest)s places", seats=entry["seats"], largest=entry["largest"])
    if reason == "seats":
        return _("expects %(seats)s people: no room has more than %(largest)s seats",
                 seats=entry["seats"], largest=entry["largest"])
    if reason == "away":
        return _("its speakers, moderators or hosts cannot come on any day of the event")
    if reason == "hours":
        return _("lasts %(minutes)s minutes: longer than the opening hours of any room that seats it, on its days",
                 minutes=entry["minutes"])
    if reason == NO_FREE_TIME:
        return _("no free time in the rooms of its kind and size within opening hours: sessions that stay hold them")
    return _("no free time left for it in the rooms of its kind and size within opening hours, beside the sessions "
             "placed (its rooms, its people)")


# --- reading the answer -----------------------------------------------------------------------

def _slots_with(placements: dict[int, Placement], ctx: Context) -> list[conflicts.Slot]:
    """Every session of the expo as the conflict rules see it, the proposal's moves applied."""
    moved = []
    for slot in programme.all_slots():
        place = placements.get(slot.key) if slot.key in ctx.movable else None
        if place is not None:
            item_len = ctx.sessions[slot.key].ends_at - ctx.sessions[slot.key].starts_at
            room = ctx.rooms.get(place.room_id)
            slot = replace(
                slot, starts_at=ctx.at(place.start), ends_at=ctx.at(place.start) + item_len,
                room_id=place.room_id, venue_id=room.venue_id if room else None,
                room_capacity=room.capacity if room else None, opens_at=room.opens_at if room else None,
                closes_at=room.closes_at if room else None,
            )
        moved.append(slot)
    return moved


def _transfers(slots: list[conflicts.Slot]) -> int:
    """People's moves between venues from one session to their next."""
    by_person: dict[int, list[conflicts.Slot]] = defaultdict(list)
    for slot in slots:
        for person in slot.person_ids:
            if slot.venue_id is not None:
                by_person[person].append(slot)
    return sum(
        1 for person_slots in by_person.values() for a, b in conflicts.consecutive_pairs(person_slots)
        if a.venue_id != b.venue_id
    )


def figures(ctx: Context, placements: dict[int, Placement]) -> dict[str, int]:
    """Wanted clashes, conflicts (refused and warned), rooms used and transfers of a placement."""
    items = {i.id: i for i in ctx.problem.items}
    current = {i.id: Placement(i.start, i.room_id) for i in ctx.problem.items}
    slots = _slots_with(placements, ctx)
    findings = conflicts.find_conflicts(slots)
    in_scope = {k for k in ctx.sessions}
    placed = {**current, **placements}
    kinds_there = {row.kind for row in ctx.rooms.values()}
    return {
        "wanted_clashes": wanted_clashes(ctx.wanted, items, placed),
        "wrong_room_kind": sum(
            1 for session_id, row in ctx.sessions.items()
            if session_id in ctx.movable and NEEDS_ROOM_KIND.get(row.kind) in kinds_there
            and placed[session_id].room_id in ctx.rooms
            and ctx.rooms[placed[session_id].room_id].kind is not NEEDS_ROOM_KIND[row.kind]
        ),
        "conflicts": sum(1 for f in findings if any(k in ctx.movable for k in f.keys)),
        "hard_conflicts": sum(1 for f in findings if f.refused and any(k in ctx.movable for k in f.keys)),
        "rooms_used": len({s.room_id for s in slots if s.key in in_scope and s.room_id is not None}),
        "transfers": _transfers([s for s in slots if s.key in in_scope]),
    }


def certain_clashes(ctx: Context, staying: set[int]) -> int:
    """A floor under the wanted clashes of any proposal: delegates wanting two sessions that are
    held at once and both stay where they are (not chosen, published, or not placed)."""
    items = {i.id: i for i in ctx.problem.items}
    still = {i.id for i in ctx.problem.items if i.id not in ctx.movable} | staying
    current = {i.id: Placement(i.start, i.room_id) for i in ctx.problem.items if i.id in still}
    return wanted_clashes({pair: n for pair, n in ctx.wanted.items() if set(pair) <= still}, items, current)


def placements_payload(ctx: Context, placements: dict[int, Placement]) -> list[dict[str, Any]]:
    """The proposal as JSON: for each session that may move, where it is and where it would go."""
    out = []
    for session_id in sorted(ctx.movable, key=lambda i: (placements[i].start, i) if i in placements else (0, i)):
        row, place = ctx.sessions[session_id], placements.get(session_id)
        if place is None:
            continue
        length = row.ends_at - row.starts_at
        new_start = ctx.at(place.start)
        out.append({
            "session_id": session_id,
            "title": row.title,
            "old_start": row.starts_at.isoformat(),
            "old_end": row.ends_at.isoformat(),
            "old_room_id": row.room_id,
            "new_start": new_start.isoformat(),
            "new_end": (new_start + length).isoformat(),
            "new_room_id": place.room_id,
            "moved": new_start != row.starts_at or place.room_id != row.room_id,
            "interested": ctx.demand.get(session_id, 0),
        })
    return out


def explain(ctx: Context, placements: dict[int, Placement], session_id: int) -> dict[str, Any]:
    """Why a session went where it went: the rooms that seat its delegates at that time, and what
    the best other time would cost in delegates facing a clash (with the worst such session)."""
    items = {i.id: i for i in ctx.problem.items}
    item, place = items[session_id], placements[session_id]
    others = {k: v for k, v in placements.items() if k != session_id}
    current = {i.id: Placement(i.start, i.room_id) for i in ctx.problem.items if i.id != session_id}
    others = {**current, **others}
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for other_id, other in others.items():
        if other.room_id is not None:
            busy[other.room_id].append((other.start, other.start + items[other_id].duration))

    def free(room: RoomSpec, start: int) -> bool:
        return all(e <= start or start + item.duration <= s for s, e in busy[room.id])

    candidates = candidate_rooms(ctx.problem, item) if item.in_person else []
    rooms = [r for r in candidates if free(r, place.start)]
    neighbours = [(b if a == session_id else a, count) for (a, b), count in ctx.wanted.items() if session_id in (a, b)]

    def cost(start: int) -> tuple[int, int | None, int]:
        total, worst, worst_count = 0, None, 0
        for other, count in neighbours:
            o = others.get(other)
            if o is not None and o.start < start + item.duration and start < o.start + items[other].duration:
                total += count
                if count > worst_count:
                    worst, worst_count = other, count
        return total, worst, worst_count

    here, _, _ = cost(place.start)
    starts = sorted({start for r in candidates for lo, hi in room_windows(r, item)
                     for start in range(lo, hi - item.duration + 1, max(1, 60 // STEP_MINUTES))})
    alternatives = [(cost(start), start) for start in starts
                    if start != place.start and any(free(r, start) for r in candidates)]
    best = min(alternatives, default=None, key=lambda a: (a[0][0], abs(a[1] - place.start)))
    return {
        "rooms_free": [r.id for r in rooms],
        "seats": item.seats,
        "clash_here": here,
        "alternative_start": ctx.at(best[1]).isoformat() if best else None,
        "alternative_clash": best[0][0] if best else None,
        "alternative_with": ctx.sessions[best[0][1]].title if best and best[0][1] else None,
        "alternative_with_count": best[0][2] if best else None,
    }


def local_label(instant: datetime, tz: str) -> str:
    return f"{to_local(instant, tz):%a %d %b %H:%M}"
