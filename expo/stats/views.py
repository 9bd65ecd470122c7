"""Statistics for organisers: delegates, registrations, session fill, no-shows, attendance."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from expo.core.timeutil import utcnow
from expo.events.queries import expo_timezone
from expo.permissions import can_view_expo_statistics, can_view_statistics, require
from expo.stats import exports, queries
from expo.stats import figures as stats_figures
from expo.stats.cells import CellFormatter
from expo.stats.forms import StatsFilterForm

bp = Blueprint("stats", __name__, url_prefix="/stats")

# Rows of a table's own page.
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
    tz = event.timezone if event is not None else expo_timezone()
    return form, queries.StatsData(event=event, timezone=tz, now=utcnow(),
                                   first_day=form.first_day.data, last_day=form.last_day.data)


@bp.route("/")
@login_required
def index():
    require(can_view_statistics(current_user))
    form, data = _filtered()
    figures = stats_figures.current(data)
    return render_template(
        "stats/index.html", form=form, event=data.event, data_tz=data.timezone,
        as_of=figures["as_of"], figures=Markup(figures["html"]),
    )


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
        filter_args=stats_figures.filter_args(data),
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
