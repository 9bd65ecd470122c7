"""Feeds built ahead, in a job, after the schedule changes.

A change to the schedule moves its generation, so every cached feed is stale at once, and the
first calendar app to ask for a large one used to wait while it was built (more than a second
for an event of 1,700 sessions). After the commit, one job (one waits at most, however many
changes follow) asks for the expo's feed and each published event's iCal feed the way a
calendar app does, so they are built and cached by the same code that serves them, under the
same keys. A feed asked for before the job ran is built on demand, as always."""
from __future__ import annotations

import contextvars
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for

from expo.core import jobs
from expo.core.extensions import db
from expo.events.models import Event

JOB_KEY = "calendar:prebuild-feeds"


def feed_paths() -> list[str]:
    """The feeds built ahead: the whole expo's and each published event's."""
    slugs = db.session.scalars(sa.select(Event.slug).where(Event.is_published.is_(True)).order_by(Event.id))
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return [url_for("calendar.expo_feed"), *(url_for("calendar.export_schedule", slug=s) for s in slugs)]


def prebuild_feeds() -> dict[str, int]:
    """The job: fetch each feed once, compressed as calendar apps ask, which builds and caches
    both encodings. Returns each path's status."""
    paths = feed_paths()
    db.session.remove()  # each request below opens a database session of its own
    client = current_app.test_client()
    statuses = {}
    for path in paths:
        # A context of its own for each request, as a web process gives it: its own application
        # context, ``g`` and database session.
        response = contextvars.Context().run(client.get, path, base_url=current_app.config["BASE_URL"],
                                             headers={"Accept-Encoding": "gzip"})
        statuses[path] = response.status_code
        response.close()
    return statuses


def after_schedule_change(app: Any) -> None:
    """Queue the feeds' pre-building (unless one waits already); called after the commit."""
    if app.config.get("PREBUILD_FEEDS"):
        jobs.enqueue_unique(prebuild_feeds, key=JOB_KEY)
