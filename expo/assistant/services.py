"""Delegates star the sessions they would like to attend; organisers start the scheduling
assistant and apply what it proposes (through the programme's own services)."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.assistant import planning, solver
from expo.assistant.models import AssistantRun, DayPart, RunStatus, SessionInterest, TimePreference
from expo.assistant.solver import Weights
from expo.core import jobs
from expo.core.errors import InvalidState, NotAllowed
from expo.core.extensions import db
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.programme import services as programme
from expo.programme.models import ProgrammeSession
from expo.programme.services import SessionData

MAX_TIME_LIMIT = 300  # seconds
SOLVER_WORKERS = 2
# Runs have a background thread of their own (thread mode), so that e-mail never waits behind one.
LANE = "assistant"
# A running run is given up as stopped once its time limit and this much more have passed (building
# the model and storing the proposal of a whole expo take a few minutes); a run that never
# started (its job lost with a restarted web process), once it has waited this long.
RUN_MARGIN = timedelta(minutes=10)
QUEUE_MARGIN = timedelta(minutes=30)


def set_interest(*, user: User, session: ProgrammeSession, interested: bool, actor: User) -> bool:
    """Star (or unstar) a session for ``user``; only the delegate themself may. Returns the new state."""
    if actor.id != user.id:
        raise NotAllowed(_l("You can mark sessions only for yourself."))
    existing = db.session.get(SessionInterest, (user.id, session.id))
    if interested and existing is None:
        if session.is_cancelled:
            raise InvalidState(_l("This session is cancelled."))
        db.session.add(SessionInterest(user_id=user.id, session_id=session.id))
    elif not interested and existing is not None:
        db.session.delete(existing)
    db.session.flush()
    return interested


def toggle_interest(*, user: User, session: ProgrammeSession, actor: User) -> bool:
    """Flip ``user``'s star on the session; returns whether it is now starred."""
    starred = db.session.scalar(
        sa.select(sa.func.count()).where(SessionInterest.user_id == user.id,
                                         SessionInterest.session_id == session.id)
    )
    return set_interest(user=user, session=session, interested=not starred, actor=actor)


def set_time_preference(*, event: Event, person: User, part_of_day: DayPart | None, unavailable: list[date],
                        actor: User) -> TimePreference:
    """Record when ``person`` would rather be on stage at the event: a part of the day (or none)
    and the event's days they cannot come."""
    outside = [d for d in unavailable if not event.starts_on <= d <= event.ends_on]
    if outside:
        raise InvalidState(_l("Choose days of the event."), field="unavailable_dates")
    preference = db.session.get(TimePreference, (person.id, event.id))
    if preference is None:
        preference = TimePreference(user_id=person.id, event_id=event.id)
        db.session.add(preference)
    preference.part_of_day = part_of_day
    preference.unavailable_dates = sorted({d.isoformat() for d in unavailable})
    preference.updated_at = utcnow()
    db.session.flush()
    return preference


# --- the scheduling assistant -----------------------------------------------------------------

def start_run(
    *, event: Event | None, session_ids: list[int], weights: Weights, time_limit: int, move_published: bool,
    actor: User, same_day: bool = True,
) -> AssistantRun:
    """Ask the assistant for a proposal; it runs as a background job once the caller commits."""
    if not session_ids:
        raise InvalidState(_l("Choose at least one session to place."), field="session_ids")
    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        raise InvalidState(_l("The time limit must be between 1 and %(max)s seconds.", max=MAX_TIME_LIMIT),
                           field="time_limit")
    run = AssistantRun(
        event=event, created_by=actor, time_limit=time_limit, status=RunStatus.QUEUED, progress=[],
        params={"session_ids": sorted(set(session_ids)), "weights": asdict(weights), "move_published": move_published,
                "same_day": same_day},
    )
    db.session.add(run)
    db.session.flush()
    jobs.enqueue_after_commit(execute_run, run.id, lane=LANE)
    return run


def cancel_run(*, run: AssistantRun, actor: User) -> None:
    """Stop a run that is waiting or searching: it ends without a proposal (the search stops
    within a second or so)."""
    if run.status.finished:
        raise InvalidState(_l("This run has already ended."))
    run.status, run.error, run.finished_at = RunStatus.FAILED, "cancelled", utcnow()
    db.session.flush()


def settle(run: AssistantRun) -> bool:
    """Give up a run whose job can no longer be answering (its worker or web process stopped):
    searching past its time limit and a margin, or waiting to start far too long. Returns whether
    it was given up (the caller commits)."""
    if run.status.finished:
        return False
    now = utcnow()
    overdue = (run.started_at + timedelta(seconds=run.time_limit) + RUN_MARGIN if run.started_at is not None
               else run.created_at + QUEUE_MARGIN)
    if now < overdue:
        return False
    run.status, run.error, run.finished_at = RunStatus.FAILED, "stopped", now
    db.session.flush()
    return True


def _settings(run: AssistantRun) -> planning.Settings:
    return planning.Settings(
        session_ids=tuple(run.params["session_ids"]), weights=Weights(**run.params["weights"]),
        move_published=bool(run.params.get("move_published")), same_day=bool(run.params.get("same_day", True)),
    )


def execute_run(run_id: int) -> None:
    """The job: build the model, solve it within the run's time limit writing each better
    solution's objective and bound to the run, then store the proposal and its figures."""
    run = db.session.get(AssistantRun, run_id)
    if run is None or run.status.finished:
        return
    run.status, run.started_at = RunStatus.RUNNING, utcnow()
    db.session.commit()
    try:
        ctx = planning.build(event=run.event, settings=_settings(run))
        before = planning.figures(ctx, {})
        # Nothing of the database is held while the solver searches (SQLite locks the file).
        db.session.commit()
        engine, points, last = db.engine, [], [0.0]

        def report(seconds: float, objective: float, bound: float) -> None:
            # Called from the solver's thread: its own connection, a write at most twice a second.
            points.append([seconds, objective, bound])
            if time.monotonic() - last[0] >= 0.5:
                last[0] = time.monotonic()
                with engine.begin() as connection:
                    connection.execute(sa.update(AssistantRun).where(AssistantRun.id == run_id)
                                       .values(progress=list(points)))

        def cancelled() -> bool:
            with engine.connect() as connection:
                return connection.scalar(sa.select(AssistantRun.status).where(AssistantRun.id == run_id)) \
                    is not RunStatus.RUNNING

        solution = solver.solve(ctx.problem, time_limit=run.time_limit, workers=SOLVER_WORKERS, on_progress=report,
                                should_stop=cancelled)
        db.session.refresh(run)
        if run.status is not RunStatus.RUNNING:  # cancelled, or given up, meanwhile: it stays so
            return
        run.progress = [list(p) for p in solution.progress]
        if not solution.found:
            run.status, run.error = RunStatus.FAILED, solution.status
        else:
            moved = {k: v for k, v in solution.placements.items() if k in ctx.movable}
            unplaced = {k: v for k, v in solution.unplaced.items() if k in ctx.movable}
            left = planning.unplaced_entries(ctx, unplaced)
            run.result = {
                "status": solution.status,
                "objective": solution.objective,
                "bound": solution.bound,
                "seconds": round(solution.seconds, 2),
                "before": before,
                "after": {**planning.figures(ctx, moved), "unplaced": len(unplaced),
                          "certain_clashes": planning.certain_clashes(ctx, set(unplaced))},
                "placements": planning.placements_payload(ctx, moved),
                "unplaced": left,
                "reasons": {
                    **{str(k): planning.explain(ctx, solution.placements, k) for k in sorted(moved)},
                    **{str(e["session_id"]): {"unplaced": e} for e in left},
                },
            }
            run.status = RunStatus.DONE
    except Exception as error:  # noqa: BLE001 - a run that fails says so on its page, never retried
        db.session.rollback()
        run = db.session.get(AssistantRun, run_id)
        run.status, run.error = RunStatus.FAILED, f"{type(error).__name__}: {error}"[:500]
    run.finished_at = utcnow()
    db.session.commit()


@dataclass
class Applied:
    applied: list[int]
    refused: list[tuple[int, str]]


def apply_run(*, run: AssistantRun, session_ids: list[int] | None, actor: User) -> Applied:
    """Move the chosen sessions (all the proposal moves, without ``session_ids``) together
    through the programme's own service, so revisions, the change log and releases follow. The
    conflict rules judge the programme the moves leave behind, so sessions may swap rooms or
    times; a move they refuse there is left out (one at a time, the others judged again)."""
    if run.status is not RunStatus.DONE or not run.result:
        raise InvalidState(_l("This proposal is not ready."))
    wanted = {p["session_id"]: p for p in run.result["placements"] if p["moved"]}
    if session_ids is not None:
        wanted = {k: v for k, v in wanted.items() if k in set(session_ids)}
    sessions = {s.id: s for s in db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.id.in_(wanted)))}
    refused: dict[int, str] = {}
    changes: dict[int, tuple[ProgrammeSession, SessionData]] = {}
    for session_id, place in wanted.items():
        session = sessions.get(session_id)
        if session is None or session.is_cancelled:
            refused[session_id] = str(_l("The session is gone or cancelled."))
            continue
        data = SessionData.from_session(session)
        data.starts_at = datetime.fromisoformat(place["new_start"])
        data.ends_at = datetime.fromisoformat(place["new_end"])
        data.room_id = place["new_room_id"]
        problems = programme.session_data_problems(session.event, data)
        if problems:
            refused[session_id] = str(next(iter(problems.values())))
            continue
        changes[session_id] = (session, data)
    while changes:
        found = programme.refused_moves(list(changes.values()))
        if not found:
            break
        # Leave out the move whose absence leaves the fewest refused (a swap rather than a third
        # session entering one of its rooms), the earliest session on a tie.
        out = min(found, key=lambda k: (len(programme.refused_moves([c for i, c in changes.items() if i != k])), k)) \
            if len(found) > 1 else next(iter(found))
        refused[out] = str(found[out])
        del changes[out]
    if changes:
        programme.update_sessions(changes=list(changes.values()), actor=actor, confirm=True)
    return Applied(sorted(changes), sorted(refused.items()))
