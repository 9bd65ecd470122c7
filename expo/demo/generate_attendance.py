"""Registrations, bookings and check-ins of a generated expo (see expo/demo/generate.py and expo/demo/plan.py).

Delegates register for a few events (approval events approve, decline or keep pending, never
beyond the event's capacity), book sessions of the events they were approved for without
clashes in their agenda, and come to the door of the first days' sessions."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from expo.attendance.models import CheckIn
from expo.core.errors import ExpoError
from expo.core.extensions import db
from expo.core.timeutil import from_local
from expo.demo import catalogue as cat
from expo.demo.bulk import allocate_bookings, insert_rows
from expo.demo.plan import BuildState, PlannedSession
from expo.events.models import RegistrationMode
from expo.programme.models import ProgrammeSession
from expo.registration.models import (
    Booking,
    BookingStatus,
    Registration,
    RegistrationStatus,
)

TZ = cat.EXPO_TIMEZONE
MAIN_EVENT = 0  # cat.EVENTS[0]: the open programme that runs through the whole expo


def register(b: BuildState) -> None:
    """Registrations of the delegates for the published events."""
    rng = b.rng
    demo_statuses = {i: RegistrationStatus(cat.DEMO_DELEGATE_EVENTS[spec.slug])
                     for i, spec in enumerate(cat.EVENTS) if spec.slug in cat.DEMO_DELEGATE_EVENTS}
    event_start = {i: from_local(datetime.combine(spec.starts_on, time.min), TZ)
                   for i, spec in enumerate(cat.EVENTS)}
    wishes: list[tuple[int, int]] = []  # (event index, user id)
    featured_in = defaultdict(set)
    for i, spec in enumerate(cat.EVENTS):
        for f in spec.featured:
            for name in f.speakers:
                featured_in[b.people[name]].add(i)
    special = {b.demo_delegate, *b.people.values()}
    for user_id in b.delegates:
        for i, spec in enumerate(cat.EVENTS):
            if not spec.published:
                continue
            if user_id == b.demo_delegate:
                wanted = i in demo_statuses
            elif i in featured_in.get(user_id, ()) or (i == MAIN_EVENT and user_id in special):
                wanted = True
            else:
                wanted = rng.random() < (0.85 if i == MAIN_EVENT else min(0.5, spec.share * 0.022))
            if wanted:
                wishes.append((i, user_id))
    rows: list[dict[str, Any]] = []
    by_event: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    closes = {i: row["registration_deadline"] or event_start[i] - timedelta(days=2)
              for i, row in enumerate(b.event_rows)}
    for i, user_id in wishes:
        window = (closes[i] - cat.PUBLISHED_AT).total_seconds()
        by_event[i].append((cat.PUBLISHED_AT + timedelta(seconds=rng.uniform(0, window)), user_id))
    for i, wished in sorted(by_event.items()):
        spec, row = cat.EVENTS[i], b.event_rows[i]
        capacity = row["capacity"]
        approval = row["registration_mode"] is RegistrationMode.APPROVAL
        approved = 0
        for created_at, user_id in sorted(wished):
            status = RegistrationStatus.APPROVED
            if user_id == b.demo_delegate:
                status = demo_statuses[i]
            elif approval and user_id not in special:
                draw = rng.random()
                status = (RegistrationStatus.PENDING if draw < 0.12 else
                          RegistrationStatus.DECLINED if draw < 0.2 else RegistrationStatus.APPROVED)
            elif not approval and user_id not in special and rng.random() < 0.02:
                status = RegistrationStatus.CANCELLED
            if status is RegistrationStatus.APPROVED and capacity is not None and approved >= capacity:
                if not approval:
                    continue  # an open event that is full takes no more registrations
                status = RegistrationStatus.PENDING
            decided = approval and status in (RegistrationStatus.APPROVED, RegistrationStatus.DECLINED)
            decided_at = min(created_at + timedelta(hours=rng.randrange(2, 72)),
                             event_start[i] - timedelta(days=1))
            rows.append({
                "event_id": b.event_ids[i], "user_id": user_id, "status": status, "created_at": created_at,
                "decided_at": (decided_at if decided else
                               created_at if status is RegistrationStatus.APPROVED else None),
                "decided_by_id": b.organisers[0] if decided else None,
            })
            if status is RegistrationStatus.APPROVED:
                approved += 1
                b.approved[user_id].append(i)
                b.registered_at[(i, user_id)] = created_at
    insert_rows(Registration, rows)
    b.summary.registrations = len(rows)


def book(b: BuildState) -> None:
    """Exactly ``plan.bookings`` bookings: seats first come, first served, then waiting lists."""
    rng, plan = b.rng, b.plan
    by_event: dict[int, list[PlannedSession]] = defaultdict(list)
    for s in b.sessions:
        by_event[s.event].append(s)
    cumulative = {}
    for i, sessions in by_event.items():
        total, cw = 0.0, []
        for s in sessions:
            total += s.popularity * (0.2 if s.cancelled_at else 1)
            cw.append(total)
        cumulative[i] = cw
    users = [u for u in b.delegates if b.approved.get(u)]
    reachable = {u: sum(len(by_event[i]) for i in b.approved[u]) for u in users}
    if plan.bookings > sum(reachable.values()):
        raise ExpoError(f"At most {sum(reachable.values())} bookings fit these sessions and delegates.")
    activity = [rng.lognormvariate(0, 0.5) for _ in users]
    quota = Counter(rng.choices(users, activity, k=plan.bookings)) if users else Counter()
    quota[b.demo_delegate] = max(quota[b.demo_delegate], min(8, reachable.get(b.demo_delegate, 0)))
    spare = sum(quota.values()) - plan.bookings
    for user_id in sorted(users, key=lambda u: -quota[u]):  # the demo delegate's extra comes from the busiest
        if spare <= 0:
            break
        if user_id != b.demo_delegate:
            take = min(spare, quota[user_id] - 1)
            quota[user_id] -= take
            spare -= take
    excess = 0
    for user_id in users:
        if quota[user_id] > reachable[user_id]:
            excess += quota[user_id] - reachable[user_id]
            quota[user_id] = reachable[user_id]
    order = users[:]
    rng.shuffle(order)
    while excess:
        for user_id in order:
            if excess and quota[user_id] < reachable[user_id]:
                quota[user_id] += 1
                excess -= 1

    requests: dict[int, list[tuple[datetime, int, datetime | None]]] = defaultdict(list)
    for user_id in users:
        for s in _choose(b, user_id, quota[user_id], by_event, cumulative):
            requested = _request_time(b, s, user_id)
            withdrawn = None
            if s.cancelled_at is not None:
                withdrawn = s.cancelled_at
            elif rng.random() < 0.03 and user_id != b.demo_delegate:
                withdrawn = requested + (s.starts_at - requested) / 2
            requests[s.id].append((requested, user_id, withdrawn))
    _demo_examples(b, requests, by_event)

    rows: list[dict[str, Any]] = []
    for s in b.sessions:
        rows.extend(allocate_bookings(s.id, s.capacity, requests.get(s.id, ())))
    insert_rows(Booking, rows, progress=b.progress)
    b.summary.bookings = len(rows)
    b.summary.waitlisted = sum(1 for r in rows if r["status"] is BookingStatus.WAITLISTED)


def _choose(b: BuildState, user_id: int, count: int, by_event: dict[int, list[PlannedSession]],
            cumulative: dict[int, list[float]]) -> list[PlannedSession]:
    """``count`` distinct sessions of the user's events, popular ones likelier, without clashes."""
    rng = b.rng
    events = b.approved[user_id]
    weights = [cumulative[i][-1] for i in events]
    chosen: dict[int, PlannedSession] = {}
    for _ in range(10 * count + 20):
        if len(chosen) == count:
            return list(chosen.values())
        i = rng.choices(events, weights)[0]
        s = rng.choices(by_event[i], cum_weights=cumulative[i])[0]
        if s.id in chosen or not b.agendas.is_free(user_id, s.starts_at, s.ends_at, s.venue_id):
            continue
        chosen[s.id] = s
        if s.cancelled_at is None:
            b.agendas.take(user_id, s.starts_at, s.ends_at, s.venue_id)
    rest = [s for i in events for s in by_event[i] if s.id not in chosen]
    rng.shuffle(rest)
    for s in rest[: count - len(chosen)]:  # a full agenda: overlapping wishes are allowed
        chosen[s.id] = s
    return list(chosen.values())


def _request_time(b: BuildState, s: PlannedSession, user_id: int) -> datetime:
    registered = b.registered_at[(s.event, user_id)]
    latest = (s.cancelled_at or s.starts_at) - timedelta(hours=1)
    return registered + (latest - registered) * b.rng.random()


def _demo_examples(b: BuildState, requests: dict[int, list[tuple[datetime, int, datetime | None]]],
                   by_event: dict[int, list[PlannedSession]]) -> None:
    """The demo delegate waits on one full session and holds a seat in one checked-in session."""
    me = b.demo_delegate
    mine = [s for i in b.approved.get(me, ()) for s in by_event[i] if s.cancelled_at is None]
    booked = {s.id for s in mine if any(u == me for _, u, _ in requests.get(s.id, ()))}
    cutoff = _check_in_cutoff(b)

    def swap(new: PlannedSession, at: datetime) -> None:
        for s in mine:
            if s.id in booked and s.starts_at >= cutoff:
                requests[s.id] = [r for r in requests[s.id] if r[1] != me]
                booked.discard(s.id)
                break
        else:
            return
        requests[new.id].append((at, me, None))
        booked.add(new.id)

    def held(s: PlannedSession) -> int:
        return sum(1 for _, _, withdrawn in requests.get(s.id, ()) if withdrawn is None)

    full = [s for s in mine if s.id not in booked and s.capacity is not None
            and held(s) >= s.capacity and s.starts_at >= cutoff]
    if full:
        s = max(full, key=lambda s: held(s) - s.capacity)
        swap(s, max(r[0] for r in requests[s.id]) + timedelta(minutes=1))
    early = [s for s in mine if s.id not in booked and s.room_id is not None and s.starts_at < cutoff
             and (s.capacity is None or held(s) < s.capacity)]
    if early:
        s = early[0]
        swap(s, b.registered_at[(s.event, me)] + timedelta(hours=1))


def _check_in_cutoff(b: BuildState) -> datetime:
    return from_local(datetime.combine(cat.EXPO_FIRST_DAY + timedelta(days=b.plan.check_in_days), time.min), TZ)


def check_in_at_the_door(b: BuildState) -> None:
    """Most of the seated delegates and a few walk-ins at the first days' sessions."""
    rng = b.rng
    cutoff = _check_in_cutoff(b)
    door = [s for s in b.sessions if s.starts_at < cutoff and s.room_id is not None
            and s.cancelled_at is None and cat.EVENTS[s.event].published]
    by_id = {s.id: s for s in door}
    confirmed: dict[int, list[tuple[int, int]]] = defaultdict(list)
    booked: dict[int, set[int]] = defaultdict(set)
    for booking_id, session_id, user_id, status in db.session.execute(
        sa.select(Booking.id, Booking.session_id, Booking.user_id, Booking.status)
        .join(ProgrammeSession, ProgrammeSession.id == Booking.session_id)
        .where(ProgrammeSession.event_id.in_(b.event_ids), ProgrammeSession.starts_at < cutoff)
        .order_by(Booking.id)
    ):
        if session_id in by_id:
            booked[session_id].add(user_id)
            if status is BookingStatus.CONFIRMED:
                confirmed[session_id].append((booking_id, user_id))
    attendees = defaultdict(list)
    for user_id, events in b.approved.items():
        for i in events:
            attendees[i].append(user_id)
    rows = []
    for s in door:
        arrived = [(booking_id, u) for booking_id, u in confirmed[s.id]
                   if u == b.demo_delegate or rng.random() < 0.8]
        for booking_id, user_id in arrived:
            rows.append(_check_in_row(b, s, user_id, booking_id, rng.randrange(-15, 5)))
        seated = len(confirmed[s.id])
        for _ in range(rng.choice((0, 0, 1, 2, 3)) if attendees[s.event] else 0):
            user_id = rng.choice(attendees[s.event])
            if user_id in booked[s.id]:
                continue
            booked[s.id].add(user_id)
            seated += 1
            row = _check_in_row(b, s, user_id, None, rng.randrange(0, 10))
            row.update(is_walk_in=True, is_standing=s.capacity is not None and seated > s.capacity)
            rows.append(row)
    insert_rows(CheckIn, rows)
    b.summary.check_ins = len(rows)


def _check_in_row(b: BuildState, s: PlannedSession, user_id: int, booking_id: int | None,
                  minutes: int) -> dict[str, Any]:
    return {
        "session_id": s.id, "booking_id": booking_id, "user_id": user_id, "is_walk_in": False,
        "is_standing": False, "checked_in_at": s.starts_at + timedelta(minutes=minutes),
        "checked_in_by_id": b.rng.choice(b.staff),
    }
