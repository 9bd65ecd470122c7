"""Delegates' stars on the demo's sessions, so that the scheduling assistant's figures mean
something: each delegate stars a handful of sessions of the events they take part in, drawn
by the sessions' popularity and leaning to one or two favourite tracks of theirs and to the
networks they belong to. A random source of its own (seeded from the plan's), so the rest of
the demo is the same with or without it."""
from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa

from expo.accounts.models import user_networks
from expo.assistant.models import SessionInterest
from expo.core.extensions import db
from expo.demo import catalogue as cat
from expo.demo.bulk import insert_rows
from expo.demo.plan import BuildState
from expo.programme.models import session_networks

TRACK_PULL = 5.0  # a favourite track's sessions are this much likelier to be starred
NETWORK_PULL = 3.0  # and those of a network the delegate belongs to


def _weighted_sample(rng: random.Random, items: list[int], weights: list[float], k: int) -> list[int]:
    """``k`` distinct items, each drawn with probability in proportion to its weight (Efraimidis–Spirakis)."""
    keyed = sorted(((rng.random() ** (1 / w), item) for item, w in zip(items, weights) if w > 0), reverse=True)
    return [item for _key, item in keyed[:k]]


def star_sessions(b: BuildState) -> int:
    """Write the delegates' stars; returns how many."""
    rng = random.Random(b.plan.seed * 7919 + 1)
    open_sessions = [s for s in b.sessions if s.cancelled_at is None]
    by_event: dict[int, list] = defaultdict(list)
    for s in open_sessions:
        by_event[s.event].append(s)
    ids = [s.id for s in open_sessions]
    networks_of_session: dict[int, set[int]] = defaultdict(set)
    for session_id, network_id in db.session.execute(
        sa.select(session_networks.c.session_id, session_networks.c.network_id)
        .where(session_networks.c.session_id.in_(ids))
    ):
        networks_of_session[session_id].add(network_id)
    networks_of_user: dict[int, set[int]] = defaultdict(set)
    for user_id, network_id in db.session.execute(sa.select(user_networks.c.user_id, user_networks.c.network_id)):
        networks_of_user[user_id].add(network_id)
    rows = []
    for user_id in b.delegates:
        for event in b.approved.get(user_id, ()):
            sessions = by_event.get(event, [])
            tracks = sorted({s.row["track_id"] for s in sessions if s.row["track_id"] is not None})
            favourite = set(rng.sample(tracks, min(len(tracks), rng.choice((1, 1, 2))))) if tracks else set()
            mine = networks_of_user.get(user_id, set())
            weights = [
                s.popularity * (TRACK_PULL if s.row["track_id"] in favourite else 1.0)
                * (NETWORK_PULL if networks_of_session[s.id] & mine else 1.0)
                for s in sessions
            ]
            wanted = min(len(sessions), max(1, round(rng.lognormvariate(math.log(5), 0.5))))
            for session_id in _weighted_sample(rng, [s.id for s in sessions], weights, wanted):
                rows.append({"user_id": user_id, "session_id": session_id,
                             "created_at": cat.CREATED_AT + timedelta(days=45 + rng.randrange(30))})
    insert_rows(SessionInterest, rows)
    return len(rows)
