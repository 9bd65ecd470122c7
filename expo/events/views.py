from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from expo.core.pagecache import public_page
from expo.events import queries
from expo.permissions import can_view_event, require
from expo.schedule.forms import FILTER_ARGS
from expo.schedule.views import list_context

bp = Blueprint("events", __name__)


@bp.route("/")
@public_page("schedule", "registrations")
def home():
    """Public: the expo and its published events."""
    return render_template(
        "events/home.html", expo=queries.current_expo(), events=queries.visible_events(current_user)
    )


@bp.route("/events/<slug>")
@public_page("schedule", "registrations", args=FILTER_ARGS)
def show_event(slug: str):
    """Public for published events; drafts for organisers only. Shows the filterable list."""
    event = queries.event_by_slug(slug) or abort(404)
    require(can_view_event(current_user, event), hide=True)
    return render_template("events/show.html", event=event, **list_context(event, request.args))
