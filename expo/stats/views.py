"""Statistics for organisers: delegates, registrations, session fill, no-shows, attendance."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup

from expo.core.extensions import cache
from expo.core.timeutil import utcnow
from expo.events.queries import current_expo
from expo.permissions import can_view_expo_statistics, can_view_statistics, require
from expo.stats import exports, queries
from expo.stats.cells import CellFormatter
from expo.stats.charts import column_chart
from expo.stats.forms import StatsFilterForm

bp = Blueprint("stats", __name__, url_prefix="/stats")

# Seconds the figures of the page are kept before they are counted again: counting a large
# expo reads every registration and booking, and a minute-old figure serves an organiser well.
FIGURES_TIMEOUT = 60
# Figures older than this are never shown; one request counts again while the others show
# the figures of a minute ago, for at most COUNTING_TIMEOUT seconds.
STALE_TIMEOUT = 10 * FIGURES_TIMEOUT
COUNTING_TIMEOUT = 60
# Rows of a table the dashboard shows; its own page shows them all, PAGE_ROWS at a time.
TOP_ROWS = 10
PAGE_ROWS = 100


def _filtered() -> tuple[StatsFilterForm, queries.StatsData]:
    """The filter form from the query string and the figures it selects; 404 for an unknown
    event, and days that cannot be read are left out (the form says why)."""
    events = queries.stats_events(current_user)
    form = StatsFilterForm(request.args, events=events, whole_expo=can_view_expo_statistics(current_user))
    if not form.validate():
        if form.event.errors:
            abort(404)
        if form.first_day.errors or form.last_day.errors:
            form.first_day.data = form.last_day.data = None
    event = next((e for e in events if str(e.id) == form.event.data), None)
    require(can_view_statistics(current_user, event) if event else can_view_expo_statistics(current_user))
    if event is not None:
        tz = event.timezone
    else:
        expo = current_expo()
        tz = expo.timezone if expo is not None else current_app.config["TIMEZONE"]
    return form, queries.StatsData(event=event, timezone=tz, now=utcnow(),
                                   first_day=form.first_day.data, last_day=form.last_day.data)


def _filter_args(data: queries.StatsData) -> dict[str, Any]:
    """The query string that selects the same figures (for links between the pages)."""
    args = {"event": data.event.id if data.event else None, "first_day": data.first_day, "last_day": data.last_day}
    return {name: value for name, value in args.items() if value is not None}


@bp.route("/")
@login_required
def index():
    require(can_view_statistics(current_user))
    form, data = _filtered()
    figures = _figures(data)
    return render_template(
        "stats/index.html", form=form, event=data.event, data_tz=data.timezone,
        as_of=figures["as_of"], figures=Markup(figures["html"]),
    )


def _figures(data: queries.StatsData) -> dict[str, Any]:
    """The summary and tables of the page as HTML, from the cache when counted less than
    ``FIGURES_TIMEOUT`` seconds ago (per event, time zone and language), else counted now.

    Counting a large expo takes seconds: when the figures are due, one request counts them
    again while the others are answered with the figures of a minute ago, so organisers
    opening the page together never all wait for the same count."""
    event_key = data.event.id if data.event is not None else "all"
    key = f"stats:figures:v3:{event_key}:{data.first_day}:{data.last_day}:{data.timezone}:{get_locale() or 'en'}"
    figures = cache.get(key)
    due = figures is None or (data.now - figures["as_of"]).total_seconds() >= FIGURES_TIMEOUT
    if due and (figures is None or cache.add(key + ":counting", 1, timeout=COUNTING_TIMEOUT)):
        tables = [build(data) for build in queries.TABLES.values()]
        html = render_template("stats/_figures.html", data=data, tables=tables, cell=CellFormatter(),
                               top_rows=TOP_ROWS, filter_args=_filter_args(data), column_chart=column_chart)
        figures = {"as_of": data.now, "html": str(html)}
        cache.set(key, figures, timeout=STALE_TIMEOUT)
        cache.delete(key + ":counting")
    return figures


@bp.route("/tables/<table>")
@login_required
def show_table(table: str):
    """Organisers: every row of one table of the dashboard, a page at a time."""
    require(can_view_statistics(current_user))
    build = queries.TABLES.get(table) or abort(404)
    form, data = _filtered()
    built = build(data)
    pages = max(1, -(-len(built.rows) // PAGE_ROWS))
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= pages:
        abort(404)
    return render_template(
        "stats/table.html", form=form, data=data, table=built, cell=CellFormatter(), page=page, pages=pages,
        rows=built.rows[(page - 1) * PAGE_ROWS: page * PAGE_ROWS], first_row=(page - 1) * PAGE_ROWS + 1,
        filter_args=_filter_args(data),
    )


@bp.route("/export/<table>.csv")
@login_required
def export_csv(table: str):
    require(can_view_statistics(current_user))
    build = queries.TABLES.get(table) or abort(404)
    _, data = _filtered()
    suffix = f"-{data.event.slug}" if data.event is not None else ""
    response = Response(
        exports.table_csv(build(data)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="expo-{table.replace("_", "-")}{suffix}.csv"',
            "Cache-Control": "no-store",
        },
    )
    response.add_etag()
    return response.make_conditional(request)
