"""Statistics for organisers: delegates, registrations, session fill, no-shows, attendance."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user, login_required

from expo.events.queries import current_expo
from expo.permissions import can_view_statistics, require
from expo.stats import exports, queries
from expo.stats.forms import StatsFilterForm
from expo.timeutil import utcnow

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _filtered() -> tuple[StatsFilterForm, queries.StatsData]:
    """The filter form from the query string and the figures it selects; 404 for an unknown event."""
    events = queries.stats_events()
    form = StatsFilterForm(request.args, events=events)
    if not form.validate():
        abort(404)
    event = next((e for e in events if str(e.id) == form.event.data), None)
    if event is not None:
        tz = event.timezone
    else:
        expo = current_expo()
        tz = expo.timezone if expo is not None else current_app.config["TIMEZONE"]
    return form, queries.StatsData(event=event, timezone=tz, now=utcnow())


@bp.route("/")
@login_required
def index():
    require(can_view_statistics(current_user))
    form, data = _filtered()
    tables = [build(data) for build in queries.TABLES.values()]
    return render_template("stats/index.html", form=form, data=data, tables=tables)


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
            "Cache-Control": "private, no-cache",
        },
    )
    response.add_etag()
    return response.make_conditional(request)
