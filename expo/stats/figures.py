"""The dashboard's figures, counted in a job and kept in the cache.

Counting a large expo reads every registration and booking and takes seconds. The figures of
each choice (event, days, time zone, language) are kept for ``STALE_TIMEOUT`` seconds; once
they are ``FIGURES_TIMEOUT`` seconds old, the next request queues one recount job (one waits
at most per choice, however many organisers open the page) and shows the figures it has,
with the time they were counted. Only a choice never counted (or forgotten) is counted in the
request, so the page is right even where no job has run."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, get_locale

from expo.core import jobs
from expo.core.extensions import cache, db
from expo.core.timeutil import utcnow
from expo.events.models import Event
from expo.stats import queries
from expo.stats.cells import CellFormatter
from expo.stats.charts import column_chart

# Seconds the figures are shown before they are counted again: a minute-old figure serves an
# organiser well.
FIGURES_TIMEOUT = 60
# Figures older than this are never shown: the request counts them itself.
STALE_TIMEOUT = 10 * FIGURES_TIMEOUT
# Rows of a table the dashboard shows; its own page shows them all.
TOP_ROWS = 10


def filter_args(data: queries.StatsData) -> dict[str, Any]:
    """The query string that selects the same figures (for links between the pages)."""
    args = {"event": data.event.id if data.event else None, "first_day": data.first_day, "last_day": data.last_day}
    return {name: value for name, value in args.items() if value is not None}


def cache_key(data: queries.StatsData, locale: str) -> str:
    event_key = data.event.id if data.event is not None else "all"
    return f"stats:figures:v3:{event_key}:{data.first_day}:{data.last_day}:{data.timezone}:{locale}"


def count(data: queries.StatsData, locale: str) -> dict[str, Any]:
    """Count the figures now, as HTML, and keep them."""
    tables = [build(data) for build in queries.TABLES.values()]
    html = render_template("stats/_figures.html", data=data, tables=tables, cell=CellFormatter(),
                           top_rows=TOP_ROWS, filter_args=filter_args(data), column_chart=column_chart)
    figures = {"as_of": data.now, "html": str(html)}
    cache.set(cache_key(data, locale), figures, timeout=STALE_TIMEOUT)
    return figures


def current(data: queries.StatsData) -> dict[str, Any]:
    """The figures to show: kept ones (a recount queued when they are due), else counted now."""
    locale = str(get_locale() or "en")
    key = cache_key(data, locale)
    figures = cache.get(key)
    if figures is None:
        return count(data, locale)
    if (data.now - figures["as_of"]).total_seconds() >= FIGURES_TIMEOUT:
        jobs.enqueue_unique(recount, data.event.id if data.event is not None else None,
                            _iso(data.first_day), _iso(data.last_day), data.timezone, locale, key=key)
    return figures


def recount(event_id: int | None, first_day: str | None, last_day: str | None, timezone: str, locale: str) -> None:
    """The job: count one choice's figures again and keep them."""
    event = db.session.get(Event, event_id) if event_id is not None else None
    if event_id is not None and event is None:
        return  # the event is gone: nobody asks for its figures any more
    data = queries.StatsData(event=event, timezone=timezone, now=utcnow(),
                             first_day=_day(first_day), last_day=_day(last_day))
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]), force_locale(locale):
        count(data, locale)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
