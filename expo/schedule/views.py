"""The public schedule: day grid, filtered list, session, venue, network and country pages and
the changes page. Every page is deliberately public for published events; drafts answer 404
to everyone but organisers (who see them with the draft banner)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from expo.events.models import Event
from expo.core.pagecache import public_page
from expo.registration.queries import preload_booking_states
from expo.permissions import can_view_event, can_view_session, require
from expo.schedule import changes as change_log
from expo.schedule import queries
from expo.schedule.forms import ScheduleFilterForm, language_name
from expo.schedule.grid import build_day_grid, grid_stylesheet
from expo.core.timeutil import to_local, utcnow

bp = Blueprint("schedule", __name__)

# Most day tabs a page shows at once; a longer event links to the days before and after them.
DAY_TABS = 14


@bp.app_template_filter("language_name")
def _language_name_filter(code: str) -> str:
    return language_name(code)


def _event_or_404(slug: str) -> Event:
    event = queries.event_by_slug(slug) or abort(404)
    require(can_view_event(current_user, event), hide=True)
    return event


def _chosen_day(event: Event, arg: str | None, days: list[date], default: bool) -> date | None:
    """The ``day`` argument as one of the event's days (404 if it is not one); without it, today
    if the event is on, else its first day, when ``default`` — else None (every day)."""
    if arg:
        try:
            chosen = date.fromisoformat(arg)
        except ValueError:
            abort(404)
        if chosen not in days:
            abort(404)
        return chosen
    if not default or not days:
        return None
    today = to_local(utcnow(), event.timezone).date()
    return today if today in days else days[0]


def _preload_booking_controls(sessions: list) -> None:
    """A signed-in reader sees booking controls on every row: count their seats at once."""
    if current_user.is_authenticated:
        preload_booking_states(sessions, current_user)


@dataclass(frozen=True)
class DayTabs:
    days: list[date]  # the tabs shown, around the chosen day
    earlier: date | None  # the last day before them, if any
    later: date | None  # the first day after them, if any


def day_tabs(days: list[date], chosen: date | None) -> DayTabs:
    """At most DAY_TABS of the event's ``days``, with the chosen day near the middle."""
    if len(days) <= DAY_TABS:
        return DayTabs(days, None, None)
    at = days.index(chosen) if chosen in days else 0
    start = max(0, min(at - DAY_TABS // 2, len(days) - DAY_TABS))
    end = start + DAY_TABS
    return DayTabs(days[start:end], days[start - 1] if start else None, days[end] if end < len(days) else None)


def list_context(event: Event, args: MultiDict) -> dict[str, Any]:
    """What the event page's filterable list needs: the filter form, the day tabs and the
    matching sessions grouped by day and time. Bad filter values are shown as form errors and
    ignored.

    An event of up to SMALL_EVENT_SESSIONS sessions is listed whole; a larger one a local day
    at a time (``?day=YYYY-MM-DD``; by default today while the event is on, else its first
    day). A search or filter looks across every day unless a day is picked. A page never shows
    more than LIST_LIMIT sessions: past that it says so and asks to refine the search."""
    form = ScheduleFilterForm(args, queries.filter_choices(event))
    filters = form.filters()
    day_counts = queries.event_day_counts(event)
    days = list(day_counts)
    paged = sum(day_counts.values()) > queries.SMALL_EVENT_SESSIONS
    day = _chosen_day(event, args.get("day"), days, default=paged and not filters.active)
    sessions = queries.event_sessions(event, filters, day=day, limit=queries.LIST_LIMIT + 1)
    truncated = len(sessions) > queries.LIST_LIMIT
    del sessions[queries.LIST_LIMIT:]
    _preload_booking_controls(sessions)
    filter_args = {key: value for key, value in args.items() if key != "day" and value}
    tabs = day_tabs(days, day) if paged or day is not None or filters.active else DayTabs([], None, None)
    return {
        "form": form,
        "filters": filters,
        "session_count": len(sessions),
        "truncated": truncated,
        "list_limit": queries.LIST_LIMIT,
        "all_days_tab": filters.active or not paged,
        "day": day,
        "day_counts": {d: day_counts[d] for d in tabs.days},
        "day_tabs": tabs,
        "filter_args": filter_args,
        "days": queries.group_by_day_and_time(sessions, event.timezone),
    }


@bp.route("/events/<slug>/grid")
@bp.route("/events/<slug>/grid/<day>")
@public_page("schedule")
def show_grid(slug: str, day: str | None = None):
    """Public (drafts for organisers): one day of the event as rooms × time."""
    event = _event_or_404(slug)
    days = queries.event_days(event)
    if day is None:
        today = to_local(utcnow(), event.timezone).date()
        chosen = today if today in days else days[0]
    else:
        try:
            chosen = date.fromisoformat(day)
        except ValueError:
            abort(404)
        if chosen not in days:
            abort(404)
    sessions = queries.day_sessions(event, chosen)
    _preload_booking_controls(sessions)
    grid = build_day_grid(sessions, event.timezone, _("Digital sessions"))
    tabs = day_tabs(days, chosen)
    return render_template("schedule/grid.html", event=event, days=tabs.days, tabs=tabs, day=chosen, grid=grid)


@bp.route("/schedule/grid.css")
def grid_css():
    """Public: the day grid's placement classes (constant, so cached for a day)."""
    response = Response(grid_stylesheet(), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.route("/sessions/<int:session_id>")
@public_page("schedule", "bookings")
def show_session(session_id: int):
    """Public for published events (drafts for organisers); never shows the meeting link."""
    session = queries.session_for_page(session_id) or abort(404)
    require(can_view_session(current_user, session), hide=True)
    return render_template(
        "schedule/session.html", session=session, event=session.event, seats_left=queries.seats_left(session)
    )


@bp.route("/events/<slug>/changes")
@public_page("schedule")
def list_changes(slug: str):
    """Public (drafts for organisers): what moved or was cancelled, newest first."""
    event = _event_or_404(slug)
    rows = queries.event_changes(event)
    rooms = queries.rooms_by_id(change_log.room_ids(rows))
    versions = change_log.by_version(change_log.public_changes(rows, rooms), queries.event_releases(event))
    return render_template("schedule/changes.html", event=event, versions=versions)


def _page_number() -> int:
    """The ``page`` argument (1 when absent); anything but a whole number from 1 is a 404."""
    arg = request.args.get("page", "1")
    if not arg.isdigit() or int(arg) < 1 or len(arg) > 6:
        abort(404)
    return int(arg)


def _checked_page(page: queries.SessionPage) -> queries.SessionPage:
    """A page past the last one is a 404 (the first page may be empty)."""
    if page.number > 1 and not page.sessions:
        abort(404)
    return page


@bp.route("/venues/")
@public_page("schedule")
def list_venues():
    """Public: every venue of the expo with how many sessions it hosts."""
    return render_template(
        "schedule/venues.html",
        venues=queries.all_venues(),
        session_counts=queries.venue_session_counts(current_user),
    )


@bp.route("/venues/<slug>")
@public_page("schedule", args=("page",))
def show_venue(slug: str):
    """Public: a venue, its rooms and its sessions in published events (drafts for organisers)."""
    venue = queries.venue_by_slug(slug) or abort(404)
    page = _checked_page(queries.venue_sessions(venue, current_user, _page_number()))
    return render_template(
        "schedule/venue.html", venue=venue, page=page, events=queries.group_by_event(page.sessions)
    )


@bp.route("/networks/")
@public_page("schedule")
def list_networks():
    """Public: the networks with how many members and sessions each has (counts only)."""
    return render_template(
        "schedule/networks.html",
        networks=queries.all_networks(),
        member_counts=queries.network_member_counts(),
        session_counts=queries.network_session_counts(current_user),
    )


@bp.route("/networks/<slug>")
@public_page("schedule", args=("page",))
def show_network(slug: str):
    """Public: a network, its member count (never names) and the sessions it hosts."""
    network = queries.network_by_slug(slug) or abort(404)
    page = _checked_page(queries.network_sessions(network, current_user, _page_number()))
    return render_template(
        "schedule/network.html",
        network=network,
        member_count=queries.network_member_count(network),
        page=page,
        events=queries.group_by_event(page.sessions),
    )


@bp.route("/countries/")
@public_page("schedule", "registrations")
def list_countries():
    """Public: how many delegates come from each country (counts only, no personal data)."""
    return render_template("schedule/countries.html", countries=queries.delegates_per_country())


@bp.route("/countries/<code>")
@public_page("schedule", "registrations")
def show_country(code: str):
    """Public: one country's delegate count, in all and per published event."""
    country = queries.country_by_code(code) or abort(404)
    total, per_event = queries.country_delegates(country)
    return render_template("schedule/country.html", country=country, total=total, per_event=per_event)
