"""Calendar feeds and schedule exports.

Public feeds (an event, a track, a venue, a network, one session) and the public exports are
deliberately open to everyone — calendar and conference apps fetch them without logging in —
but only ever contain published events; a draft answers 404 to everyone, organisers too, so a
draft can never leak into a subscribed calendar. The personal feed is found by its secret
token alone. Organiser exports follow ``can_export_schedule``."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from expo.core import pagecache
from expo.accounts.models import User
from expo.calendar import caching, feeds, links, queries, receivers, services  # noqa: F401  (receivers connect signals)
from expo.calendar.caching import Download
from expo.calendar.exporters import EXPORTERS
from expo.calendar.queries import Fingerprint
from expo.events.models import Event
from expo.events.queries import current_expo
from expo.core.extensions import db, login_manager
from expo.people.models import Network
from expo.permissions import can_export_schedule, can_reset_feed_token, can_subscribe_personal_feed, require
from expo.programme.models import ProgrammeSession
from expo.twinning import one_to_one
from expo.venues.models import Venue

bp = Blueprint("calendar", __name__)

ICS = "text/calendar; charset=utf-8"

for _helper in (links.webcal_url, links.google_subscribe_url, links.outlook_subscribe_url,
                links.google_event_url, links.outlook_event_url):
    bp.add_app_template_global(_helper)
bp.add_app_template_global(lambda: list(EXPORTERS.values()), "calendar_exporters")


@bp.route("/events/<slug>/calendar.ics", defaults={"identifier": "ical"})
@bp.route("/events/<slug>/export/<identifier>")
def export_schedule(slug: str, identifier: str):
    """Public exporters: anyone, published events only. Others: can_export_schedule."""
    exporter = EXPORTERS.get(identifier) or abort(404)
    if exporter.public:
        # Validators from one aggregate; the event and its sessions load only to build.
        found = caching.remembered(lambda: queries.published_event_fingerprint(slug)) or abort(404)
        event_id, fingerprint = found
        download = Download(exporter.content_type, exporter.filename_for(slug), True, exporter.disposition)

        def build_public() -> bytes:
            event = db.session.get(Event, event_id) or abort(404)
            return exporter.render(event, queries.event_sessions(event), None)

        return caching.serve(fingerprint, f"{identifier}:None", download, build_public)
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    event = queries.event_by_slug(slug) or abort(404)
    require(can_export_schedule(current_user, event))
    locale = current_user.locale
    download = Download(exporter.content_type, exporter.filename(event), exporter.public, exporter.disposition)
    response = caching.serve(
        queries.event_fingerprint(event),
        f"{identifier}:{locale}",
        download,
        lambda: exporter.render(event, queries.event_sessions(event), locale),
    )
    # Names of the people in the sessions and meeting links: kept by no browser or proxy.
    response.cache_control.no_store = True
    return response


def _public_feed(fingerprint: Fingerprint, filename: str, load: Callable[[], Sequence[ProgrammeSession]],
                 *, name: str, description: str | None = None, disposition: str = "inline") -> Response:
    return caching.serve(
        fingerprint,
        "ical",
        Download(ICS, filename, True, disposition),
        lambda: feeds.public_feed(load(), name=name, description=description),
    )


@bp.route("/calendar.ics")
def expo_feed():
    """Public: every session of every published event of the expo."""
    def build() -> bytes:
        expo = current_expo()
        return feeds.public_feed(queries.expo_session_rows(), name=expo.name if expo is not None else _("Expo"))

    fingerprint = caching.remembered(queries.expo_fingerprint)
    assert fingerprint is not None
    return caching.serve(fingerprint, "ical", Download(ICS, "expo.ics", True, "inline"), build)


@bp.route("/events/<slug>/tracks/<int:track_id>/calendar.ics")
def track_feed(slug: str, track_id: int):
    """Public: one track of a published event."""
    found = caching.remembered(lambda: queries.published_track_fingerprint(slug, track_id)) or abort(404)
    name, event_slug, fingerprint = found

    def load() -> Sequence[ProgrammeSession]:
        track = queries.published_track(slug, track_id)
        return queries.track_sessions(track) if track is not None else []

    return _public_feed(fingerprint, f"{event_slug}-track-{track_id}.ics", load, name=name)


@bp.route("/venues/<slug>/calendar.ics")
def venue_feed(slug: str):
    """Public: every session at a venue, across the published events."""
    def lookup() -> tuple[int, str, str, Fingerprint] | None:
        venue = queries.venue_by_slug(slug)
        return None if venue is None else (venue.id, venue.name, venue.address, queries.venue_fingerprint(venue))

    venue_id, name, address, fingerprint = caching.remembered(lookup) or abort(404)
    return _public_feed(fingerprint, f"{slug}.ics", lambda: queries.venue_sessions(db.session.get(Venue, venue_id)),
                        name=name, description=address)


@bp.route("/networks/<slug>/calendar.ics")
def network_feed(slug: str):
    """Public: the sessions a network takes part in, across the published events."""
    def lookup() -> tuple[int, str, Fingerprint] | None:
        network = queries.network_by_slug(slug)
        return None if network is None else (network.id, network.name, queries.network_fingerprint(network))

    network_id, name, fingerprint = caching.remembered(lookup) or abort(404)
    return _public_feed(fingerprint, f"{slug}.ics",
                        lambda: queries.network_sessions(db.session.get(Network, network_id)), name=name)


@bp.route("/sessions/<int:session_id>/calendar.ics")
def session_feed(session_id: int):
    """Public: one session of a published event ("add to calendar"), never its meeting link."""
    title, fingerprint = caching.remembered(lambda: queries.published_session_fingerprint(session_id)) or abort(404)

    def load() -> Sequence[ProgrammeSession]:
        session = queries.published_session(session_id)
        return [session] if session is not None else []

    return _public_feed(fingerprint, f"session-{session_id}.ics", load, name=title, disposition="attachment")


@bp.route("/calendar/<token>.ics")
def personal_feed(token: str):
    """Found by its secret token alone (calendar apps cannot log in): the owner's bookings."""
    # A reset address stops at once (see feed_owner); the owner and their bookings load only
    # when the fingerprint or the feed must be made.
    user_id = caching.feed_owner(token, queries.user_id_by_feed_token) or abort(404)

    def owner() -> User:
        return db.session.get(User, user_id) or abort(404)  # deleted since its token was remembered

    fingerprint = caching.remembered(lambda: queries.personal_fingerprint(owner()),
                                     caching.personal_generations(user_id)) or abort(404)
    return caching.serve(
        fingerprint,
        "ical",
        Download(ICS, "agenda.ics", False, "inline"),
        lambda: feeds.personal_feed(owner(), queries.personal_bookings(owner()), one_to_one.calendar_meetings(user_id)),
    )


@bp.route("/calendar/reset", methods=["POST"])
@login_required
def reset_feed_token():
    """The signed-in user gives their personal feed a new address; the old one answers 404."""
    require(can_subscribe_personal_feed(current_user) and can_reset_feed_token(current_user, current_user))
    services.reset_feed_token(user=current_user, actor=current_user)
    db.session.commit()
    flash(_("Your calendar feed has a new address. Subscribe again with the new link; the old one no longer works."),
          "success")
    return redirect(url_for("registration.agenda"))
