"""``flask expo …`` commands: thin wrappers over services."""
from __future__ import annotations

import os
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from expo.accounts.models import Role
from expo.core import jobs
from expo.core.errors import ExpoError
from expo.core.extensions import db


@click.group("expo")
def expo_cli() -> None:
    """Manage the expo."""


@expo_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
# "organiser" is the older name of the expo administrator's role.
@click.option("--role", type=click.Choice([*(r.value for r in Role), "organiser"]), default=Role.DELEGATE.value)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create an account (organiser, staff or delegate); whoever runs it on the server vouches
    for the address, so it counts as verified."""
    from expo.accounts.services import create_user

    try:
        user = create_user(email=email, password=password, name=name, role=Role(role), verified=True)
    except ExpoError as error:
        db.session.rollback()
        # Name the option at fault, as click does for its own checks (exit status 2).
        hint = f"--{error.field}" if error.field else None
        raise click.BadParameter(str(error.message), param_hint=hint) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")


@expo_cli.command("deactivate-user")
@click.option("--email", required=True)
@with_appcontext
def deactivate_user_command(email: str) -> None:
    """Close an account: no more signing in; its seats to come are released and cancelled in
    the person's calendar."""
    from expo.accounts.admin import deactivate
    from expo.accounts.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.BadParameter("no account has this e-mail address", param_hint="--email")
    try:
        deactivate(user=user, actor=None)
    except ExpoError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")


@expo_cli.command("sync-countries")
@with_appcontext
def sync_countries_command() -> None:
    """Load or complete the ISO 3166-1 country list."""
    from expo.people.services import sync_countries

    added = sync_countries()
    db.session.commit()
    click.echo(f"{added} countries added.")


@expo_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Load only into a database without events.")
@click.option("--historical", is_flag=True, help="Keep the real dates of 2022 instead of starting this week.")
@with_appcontext
def demo_command(if_empty: bool, historical: bool) -> None:
    """Load the H22 City Expo demo, its first week this week (running it twice changes nothing)."""
    from expo.core.timeutil import utcnow
    from expo.demo.h22 import DEMO_LOGINS, load_demo

    try:
        summary = load_demo(only_if_empty=if_empty, now=None if historical else utcnow())
    except ExpoError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(summary)
    click.echo("Demo logins (password for all: %s):" % DEMO_LOGINS["password"])
    for role, email in DEMO_LOGINS["accounts"].items():
        click.echo(f"  {role:<16} {email}")


@expo_cli.command("generate")
@click.option("--sessions", type=click.IntRange(min=1), default=3000, show_default=True)
@click.option("--delegates", type=click.IntRange(min=1), default=50000, show_default=True)
@click.option("--bookings", type=click.IntRange(min=0), default=300000, show_default=True)
@click.option("--seed", type=int, default=22, show_default=True, help="The same seed gives the same expo.")
@with_appcontext
def generate_command(sessions: int, delegates: int, bookings: int, seed: int) -> None:
    """Fill an empty database with a large H22-like expo for load tests (bulk inserts)."""
    import time

    from expo.demo.generate import generate_expo
    from expo.demo.h22 import DEMO_LOGINS

    started = time.perf_counter()
    with click.progressbar(length=delegates + sessions + bookings, label="Generating") as bar:
        try:
            summary = generate_expo(
                sessions=sessions, delegates=delegates, bookings=bookings, seed=seed, progress=bar.update
            )
        except ExpoError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        db.session.commit()
    click.echo(f"Generated {summary.line()} in {time.perf_counter() - started:.1f} s.")
    click.echo("Every account's password: %s" % DEMO_LOGINS["password"])


@expo_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty instead of waiting for more jobs.")
@click.option("--queue", "which", type=click.Choice(["all", "mail", "long"]), default="all", show_default=True,
              help="mail: e-mail and other jobs of seconds; long: the assistant's runs and imports (minutes each); "
                   "all: both, each with a worker (a process) of its own, so e-mail never waits behind a long job.")
@with_appcontext
def worker_command(burst: bool, which: str) -> None:
    """Run the jobs (e-mail, the assistant's runs, imports) queued on Redis (EXPO_REDIS_URL);
    start one or more beside the web servers."""
    from flask import current_app

    from expo.core import jobs, mailqueue

    app = current_app._get_current_object()
    if jobs.mode(app) != "redis":
        raise click.UsageError("Jobs run in the web process here: set EXPO_REDIS_URL to queue them on Redis.")
    if which == "long":
        db.session.remove()
        jobs.work(app, burst=burst, long=True)
        return
    if waiting := mailqueue.requeue_waiting():
        click.echo(f"{waiting} e-mails were still waiting; queued them again.")
    db.session.remove()
    if which == "mail":
        jobs.work(app, burst=burst)
        return
    long_worker = start_long_worker(app, burst=burst)
    try:
        jobs.work(app, burst=burst)
    finally:
        stop_long_worker(long_worker, wait=burst)


# --- the long jobs' worker, a process of its own -------------------------------------------------

# The application factory, named as ``flask --app`` names it: the spawned process builds its
# own application from it (this module is part of the application the factory makes).
APP_FACTORY = "expo.create_app"


def _long_worker(config: dict[str, Any], burst: bool) -> None:
    """A process of its own running the long jobs' worker (``flask expo worker`` starts it)."""
    app = jobs.resolve(APP_FACTORY)(config)
    with app.app_context():
        jobs.work(app, burst=burst, long=True)


def start_long_worker(app: Flask, *, burst: bool = False) -> Any:
    """Start the worker of the long jobs' queue in a process of its own (spawned: it shares no
    database connection with this one), on this application's settings."""
    import multiprocessing
    import pickle

    config = {}
    for key, value in app.config.items():
        if key.isupper():
            try:
                pickle.dumps(value)
            except Exception:  # noqa: BLE001 - what cannot travel is rebuilt by the app factory
                continue
            config[key] = value
    process = multiprocessing.get_context("spawn").Process(
        target=_long_worker, args=(config, burst), name="expo-worker-long")
    process.start()
    return process


def stop_long_worker(process: Any, *, wait: bool) -> None:
    """Wait for the long jobs' worker (after a burst), or stop it (warm: its job ends first)."""
    import signal

    if not wait and process.is_alive():
        os.kill(process.pid, signal.SIGTERM)  # RQ's warm shut-down: the job under way finishes
    process.join()
