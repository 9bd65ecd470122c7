"""iCalendar (RFC 5545 / RFC 7986) builders: pure functions from sessions to calendar bytes.

Every feed and invitation writes a session the same way, so calendar apps that meet one session
through several feeds see one event: the UID is ``<session.uid>@<uid domain>`` forever, the
SEQUENCE is ``session.revision`` (plus the revision of the reader's booking in a delegate's own
feed and invitations), LAST-MODIFIED is ``session.updated_at`` (or the reader's
booking's, when later) and a cancelled
session stays with STATUS:CANCELLED so subscribed calendars drop it instead of keeping a ghost.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from expo.calendar.caching import KEY_PREFIX, cache_get_many
from expo.calendar.timezones import local_years, vtimezone
from expo.core.extensions import cache
from expo.core.timeutil import utcnow
from expo.programme.models import ProgrammeSession, SessionRoleKind

PRODID = "-//Expo//Expo schedule//EN"
# How often subscribed calendars should fetch again (RFC 7986 and the older Microsoft name).
REFRESH = timedelta(hours=1)


class BookingMark:
    """How a personal feed shows a session: booked with a seat, or waiting for one."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"


@dataclass(frozen=True)
class FeedEntry:
    """One session in a feed, with what this particular reader may see of it."""

    session: ProgrammeSession
    # None in public feeds; BookingMark.* in a delegate's own feed or invitation.
    booking: str | None = None
    # When the reader's booking last changed (a seat after waiting moves STATUS), or None.
    booking_changed_at: datetime | None = None
    # How often the reader's booking changed status (Booking.revision); 0 in public feeds.
    booking_revision: int = 0

    @property
    def sequence(self) -> int:
        """The SEQUENCE: the session's revision, plus the booking's in what one delegate reads
        (their feed, their invitations and cancellations). Both only grow, so every iTIP
        message for one UID carries a higher SEQUENCE than the one before — iTIP readers drop
        a REQUEST or CANCEL whose SEQUENCE is not above the one they hold — and the
        delegate's feed never looks older than their last invitation."""
        return self.session.revision + self.booking_revision

    @property
    def last_modified(self) -> datetime:
        """The later of the session's and the booking's last change."""
        changed = self.booking_changed_at
        updated = self.session.updated_at
        return changed if changed is not None and changed > updated else updated

    @property
    def shows_meeting_url(self) -> bool:
        return self.booking == BookingMark.CONFIRMED and safe_uri(self.session.meeting_url) is not None


def uid_domain() -> str:
    """The fixed right-hand side of every UID: CALENDAR_UID_DOMAIN, else the BASE_URL host.

    Set CALENDAR_UID_DOMAIN before moving the site to a new address, so that UIDs stay the
    same and subscribed calendars do not see every session twice."""
    config = current_app.config
    return _uid_domain(config.get("CALENDAR_UID_DOMAIN") or "", config["BASE_URL"])


@lru_cache(maxsize=8)
def _uid_domain(configured: str, base_url: str) -> str:
    return str(configured) if configured else urlsplit(base_url).hostname or "localhost"


def session_uid(session: ProgrammeSession) -> str:
    return f"{session.uid}@{uid_domain()}"


def absolute_url(endpoint: str, **values: object) -> str:
    """A full URL for links inside calendars (under ``written_in``, so at BASE_URL)."""
    if not has_request_context():
        with written_in():
            return url_for(endpoint, _external=True, **values)
    return url_for(endpoint, _external=True, **values)


@contextmanager
def written_in(locale: str | None = None) -> Iterator[None]:
    """Write calendar text in ``locale`` (the site's default language when None), never in
    the requesting client's: calendar apps send no useful language and cached feeds must
    not vary by it. Links are made at BASE_URL, whatever host the request came to, so the
    same feed is the same bytes everywhere. A request already at BASE_URL (a job's, writing
    its e-mails' invitations one after another) is used as it is."""
    config = current_app.config
    language = locale if locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]
    with ExitStack() as stack:
        if not _at_base_url(config["BASE_URL"]):
            stack.enter_context(current_app.test_request_context("/", base_url=config["BASE_URL"]))
        stack.enter_context(force_locale(language))
        yield


def _at_base_url(base_url: str) -> bool:
    return has_request_context() and request.url_root.rstrip("/") == base_url.rstrip("/")


# Control characters RFC 5545 TEXT may not carry (a tab and line breaks are fine: escaped).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What no content line may hold raw, before folding: any control character but a tab.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _text(value: str) -> str:
    return _CONTROL.sub("", value)


def safe_uri(value: str | None) -> str | None:
    """``value`` if it can stand as a URI on a content line, else None: a control character or
    a space in a stored link (which no valid address holds) would end the line and start
    properties of its own, so the writer leaves such a link out, whatever the caller passes."""
    if not value or _UNSAFE.search(value) or " " in value or "\t" in value:
        return None
    return value


def _as_utc(instant: datetime) -> datetime:
    return instant.astimezone(timezone.utc)


def local_instant(instant: datetime, tz: str) -> datetime:
    """The instant as wall-clock time with TZID, or in UTC where the wall clock is ambiguous.

    A TZID time in the repeated hour of an autumn switch means its first occurrence by RFC 5545
    3.3.5, but ical.js (Thunderbird's parser, taken from libical) reads it as the second; both
    occurrences are written in UTC, which every reader places on the same instant."""
    local = instant.astimezone(ZoneInfo(tz))
    if local.replace(fold=not local.fold).utcoffset() != local.utcoffset():
        return _as_utc(instant)
    return local


def session_location(session: ProgrammeSession) -> str | None:
    if session.room is None:
        return _("Online") if session.meeting_url else None
    venue = session.room.venue
    parts = [venue.name, session.room.name]
    if venue.address:
        parts.append(venue.address)
    return ", ".join(parts)


def _description(entry: FeedEntry) -> str:
    session = entry.session
    lines: list[str] = []
    if entry.booking == BookingMark.WAITLISTED:
        lines.append(_("You are on the waiting list for this session."))
    if session.is_cancelled:
        lines.append(_("This session is cancelled."))
    lines.append(_("Kind: %(kind)s", kind=session.kind.label))
    if session.track is not None:
        lines.append(_("Track: %(track)s", track=session.track.name))
    for role, label in (
        (SessionRoleKind.SPEAKER, _("Speakers")),
        (SessionRoleKind.MODERATOR, _("Moderators")),
        (SessionRoleKind.HOST, _("Hosts")),
    ):
        names = [user.name for user in session.people(role)]
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    if session.networks:
        lines.append(_("Networks: %(names)s", names=", ".join(n.name for n in session.networks)))
    if entry.shows_meeting_url:
        lines.append(_("Join online: %(url)s", url=session.meeting_url))
    if session.description:
        lines.extend(["", session.description.strip()])
    return "\n".join(lines)


def _summary(entry: FeedEntry) -> str:
    title = entry.session.title
    if entry.session.is_cancelled:
        return _("Cancelled: %(title)s", title=title)
    if entry.booking == BookingMark.WAITLISTED:
        return _("Waiting list: %(title)s", title=title)
    return title


def _status(entry: FeedEntry) -> str:
    if entry.session.is_cancelled:
        return "CANCELLED"
    if entry.booking == BookingMark.WAITLISTED:
        return "TENTATIVE"
    return "CONFIRMED"


def _transparency(entry: FeedEntry) -> str:
    """Free time (TRANSPARENT) for a cancelled session and a place on a waiting list: neither
    blocks the reader's calendar; a seat does (OPAQUE)."""
    if entry.session.is_cancelled or entry.booking == BookingMark.WAITLISTED:
        return "TRANSPARENT"
    return "OPAQUE"


def session_vevent(entry: FeedEntry, *, stamp: datetime | None = None) -> icalendar.Event:
    """One VEVENT for a session. ``stamp`` is the DTSTAMP; without METHOD it equals
    LAST-MODIFIED (RFC 5545 3.8.7.2), which keeps feeds byte-stable between changes."""
    session = entry.session
    tz = session.event.timezone
    vevent = icalendar.Event()
    vevent.add("uid", session_uid(session))
    vevent.add("dtstamp", _as_utc(stamp or entry.last_modified))
    vevent.add("dtstart", local_instant(session.starts_at, tz))
    vevent.add("dtend", local_instant(session.ends_at, tz))
    vevent.add("sequence", entry.sequence)
    vevent.add("created", _as_utc(session.created_at))
    vevent.add("last-modified", _as_utc(entry.last_modified))
    vevent.add("summary", _text(_summary(entry)))
    vevent.add("status", _status(entry))
    vevent.add("transp", _transparency(entry))
    location = session_location(session)
    if location:
        vevent.add("location", _text(location))
    venue = session.room.venue if session.room is not None else None
    if venue is not None and venue.latitude is not None and venue.longitude is not None:
        vevent.add("geo", (venue.latitude, venue.longitude))
    vevent.add("url", absolute_url("schedule.show_session", session_id=session.id))
    vevent.add("description", _text(_description(entry)))
    categories = [session.kind.label]
    if session.track is not None:
        categories.append(session.track.name)
    vevent.add("categories", [_text(c) for c in categories])
    if entry.shows_meeting_url:
        vevent.add(
            "conference",
            session.meeting_url,
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": _("Join online")},
        )
    return vevent


def build_calendar(
    entries: Iterable[FeedEntry],
    *,
    name: str,
    description: str | None = None,
    timezone_name: str | None = None,
    method: str | None = None,
    stamp: datetime | None = None,
) -> icalendar.Calendar:
    """A VCALENDAR of the entries, with a VTIMEZONE from the tz database for every TZID used.

    Subscription feeds carry no METHOD (RFC 5545 3.7.2); invitations pass ``method``."""
    entries = list(entries)
    calendar = _calendar(name=name, description=description, timezone_name=timezone_name, method=method)
    _add_timezones(calendar, _zone_years(entries))
    for entry in sorted(entries, key=lambda e: (e.session.starts_at, e.session.id)):
        calendar.add_component(session_vevent(entry, stamp=stamp))
    return calendar


def _calendar(*, name: str, description: str | None, timezone_name: str | None, method: str | None
              ) -> icalendar.Calendar:
    """The VCALENDAR's own properties, without components."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
    if timezone_name:
        calendar.add("x-wr-timezone", timezone_name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
    return calendar


def _add_timezones(calendar: icalendar.Calendar, zones: tuple[tuple[str, int, int], ...]) -> None:
    """A VTIMEZONE for each time zone, covering its years."""
    for tzid, first_year, last_year in zones:
        calendar.add_component(vtimezone(tzid, first_year, last_year))


def _zone_years(entries: list[FeedEntry]) -> tuple[tuple[str, int, int], ...]:
    """Each time zone of the entries' events, with the first and last local year of their
    sessions. A calendar without events (a delegate who has booked nothing yet) still needs a
    component to be valid (RFC 5545 3.6): it gets the expo's time zone for this year."""
    if not entries:
        tzid = current_app.config["TIMEZONE"]
        year = utcnow().astimezone(ZoneInfo(tzid)).year
        return ((tzid, year, year),)
    spans: dict[str, tuple[datetime, datetime]] = {}
    for entry in entries:
        session = entry.session
        tzid = session.event.timezone
        span = spans.get(tzid)
        spans[tzid] = (session.starts_at, session.ends_at) if span is None else (
            min(span[0], session.starts_at), max(span[1], session.ends_at))
    return tuple((tzid, *local_years(*spans[tzid], tzid)) for tzid in sorted(spans))


# --- a fast writer for feeds ------------------------------------------------------------------
# Feeds of thousands of sessions are written straight to bytes: the same content lines, in
# the same order, escaped and folded exactly as icalendar writes ``session_vevent`` (a test
# compares the two byte for byte), without building a component and a property object per
# line.


class _Words:
    """The translated words a feed repeats in every VEVENT, looked up once per feed."""

    def __init__(self) -> None:
        self.waitlisted = _("You are on the waiting list for this session.")
        self.cancelled = _("This session is cancelled.")
        self.roles = ((SessionRoleKind.SPEAKER, _("Speakers")), (SessionRoleKind.MODERATOR, _("Moderators")),
                      (SessionRoleKind.HOST, _("Hosts")))
        self.online = _("Online")
        self.join_online = _("Join online")
        # Translated templates, filled in as gettext(template, **values) would.
        self.kind_line = _("Kind: %(kind)s")
        self.track_line = _("Track: %(track)s")
        self.networks_line = _("Networks: %(names)s")
        self.join_line = _("Join online: %(url)s")
        self.cancelled_title = _("Cancelled: %(title)s")
        self.waiting_title = _("Waiting list: %(title)s")
        self._kinds: dict[object, str] = {}
        self.uid_domain = uid_domain()
        # What every VEVENT of this feed shares, part of each one's cache key.
        self.context = (VEVENT_FORMAT, self.uid_domain, current_app.config["BASE_URL"], str(get_locale()))
        marker = "9876543210"
        url = absolute_url("schedule.show_session", session_id=int(marker))
        self._url = url.split(marker) if url.count(marker) == 1 else None

    def session_url(self, session_id: int) -> str:
        if self._url is None:
            return absolute_url("schedule.show_session", session_id=session_id)
        return f"{self._url[0]}{session_id}{self._url[1]}"

    def kind(self, kind: object) -> str:
        label = self._kinds.get(kind)
        if label is None:
            label = self._kinds[kind] = kind.label  # type: ignore[attr-defined]
        return label


_WORDS: dict[tuple[str, ...], _Words] = {}


def feed_words() -> _Words:
    """The words in the current language, looked up once per process for each language, site
    address and UID domain (an e-mail's invitation needs them as often as a whole feed)."""
    config = current_app.config
    key = (str(get_locale()), config["BASE_URL"], uid_domain())
    words = _WORDS.get(key)
    if words is None:
        words = _WORDS[key] = _Words()
    return words


def _escape(text: str) -> str:
    """RFC 5545 TEXT escaping, as icalendar does it."""
    return (
        text.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a character or an escape."""
    if line.isascii():
        if len(line) < 75:
            return line
        data = None
    else:
        data = line.encode()
        if len(data) < 75:
            return line
    raw = data if data is not None else line.encode("ascii")
    chunks: list[str] = []
    start, size = 0, len(raw)
    while start < size:
        stop = start + 74
        if stop < size:
            while raw[stop] & 0xC0 == 0x80:  # inside a UTF-8 sequence: fold before its first byte
                stop -= 1
            if stop - start > 1 and raw[stop - 1] in b"\\^":
                stop -= 1
        chunks.append(raw[start:stop].decode())
        start = stop
    return "\r\n ".join(chunks)


def utc_stamp(instant: datetime) -> str:
    """The instant as an iCalendar UTC date-time (RFC 5545 3.3.5 form 2): 20220601T080000Z."""
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _local_stamp(name: str, instant: datetime, tz: str) -> str:
    local = local_instant(instant, tz)
    if local.tzinfo is timezone.utc:
        return f"{name}:{local.strftime('%Y%m%dT%H%M%SZ')}"
    return f"{name};TZID={tz}:{local.strftime('%Y%m%dT%H%M%S')}"


def _fast_description(entry: FeedEntry, words: _Words) -> str:
    session = entry.session
    lines: list[str] = []
    if entry.booking == BookingMark.WAITLISTED:
        lines.append(words.waitlisted)
    if session.is_cancelled:
        lines.append(words.cancelled)
    lines.append(words.kind_line % {"kind": words.kind(session.kind)})
    if session.track is not None:
        lines.append(words.track_line % {"track": session.track.name})
    roles = session.roles
    for role, label in words.roles:
        names = [r.user.name for r in roles if r.role is role]
        if names:
            lines.append(f"{label}: {', '.join(names)}")
    if session.networks:
        lines.append(words.networks_line % {"names": ", ".join(n.name for n in session.networks)})
    if entry.shows_meeting_url:
        lines.append(words.join_line % {"url": session.meeting_url})
    if session.description:
        lines.extend(["", session.description.strip()])
    return "\n".join(lines)


def vevent_bytes(
    entry: FeedEntry,
    words: _Words | None = None,
    *,
    stamp: datetime | None = None,
    status: str | None = None,
    extra: Iterable[tuple[str, object]] = (),
) -> bytes:
    """``session_vevent(entry, stamp=stamp).to_ical()``, written directly (see above).

    Messages (``message_bytes``) may replace the STATUS and add properties such as ORGANIZER
    and ATTENDEE: ``extra`` holds (name, icalendar value) pairs, written by the library."""
    words = words or feed_words()
    session = entry.session
    tz = session.event.timezone
    cancelled = session.is_cancelled
    if cancelled:
        summary = words.cancelled_title % {"title": session.title}
    elif entry.booking == BookingMark.WAITLISTED:
        summary = words.waiting_title % {"title": session.title}
    else:
        summary = session.title
    room = session.room
    venue = room.venue if room is not None else None
    if room is None:
        location = words.online if session.meeting_url else None
    else:
        location = ", ".join([venue.name, room.name, venue.address] if venue.address else [venue.name, room.name])
    categories = [words.kind(session.kind)]
    if session.track is not None:
        categories.append(session.track.name)
    updated = utc_stamp(entry.last_modified)
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _escape(_text(summary)),
        _local_stamp("DTSTART", session.starts_at, tz),
        _local_stamp("DTEND", session.ends_at, tz),
        "DTSTAMP:" + (utc_stamp(stamp) if stamp is not None else updated),
        "UID:" + _escape(f"{session.uid}@{words.uid_domain}"),
        f"SEQUENCE:{entry.sequence}",
        "CATEGORIES:" + ",".join(_escape(_text(c)) for c in categories),
    ]
    if entry.shows_meeting_url:
        parameters = icalendar.Parameters({"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": words.join_online})
        lines.append(f"CONFERENCE;{parameters.to_ical().decode()}:{session.meeting_url}")
    lines.append("CREATED:" + utc_stamp(session.created_at))
    lines.append("DESCRIPTION:" + _escape(_text(_fast_description(entry, words))))
    if venue is not None and venue.latitude is not None and venue.longitude is not None:
        lines.append(f"GEO:{float(venue.latitude)};{float(venue.longitude)}")
    lines.append("LAST-MODIFIED:" + updated)
    if location:
        lines.append("LOCATION:" + _escape(_text(location)))
    if status is None:
        status = "CANCELLED" if cancelled else "TENTATIVE" if entry.booking == BookingMark.WAITLISTED else "CONFIRMED"
    lines.append("STATUS:" + status)
    lines.append("TRANSP:" + _transparency(entry))
    lines.append("URL:" + words.session_url(session.id))
    for line in lines:
        if _UNSAFE.search(line):
            raise ValueError(f"control character in calendar line {line[:40]!r}")
    written = [_fold(line) for line in lines]
    if extra:
        component = icalendar.Event()
        written.extend(component.content_line(name.upper(), value).to_ical().decode() for name, value in extra)
    written.append("END:VEVENT")
    return ("\r\n".join(written) + "\r\n").encode()


def one_to_one_vevent_bytes(meeting: Any, viewer_id: int) -> bytes:
    """A twinning one-to-one (``expo.twinning.models.OneToOne``) in one of its two people's
    feed: asked and not yet answered as TENTATIVE, accepted as CONFIRMED, declined as
    CANCELLED (with a higher SEQUENCE, so a calendar that held the request drops it). Its
    times are written in UTC: it needs no time zone of its own among the feed's."""
    other = meeting.invitee if meeting.requester_id == viewer_id else meeting.requester
    state = meeting.status.value
    status = {"requested": "TENTATIVE", "accepted": "CONFIRMED"}.get(state, "CANCELLED")
    summary = _("One-to-one with %(name)s", name=other.name)
    if status == "CANCELLED":
        summary = _("Cancelled: %(title)s", title=summary)
    elif status == "TENTATIVE":
        summary = _("Asked: %(title)s", title=summary)
    place = _("Table %(number)s", number=meeting.table) if meeting.table is not None else _("Online")
    lines = [_("Twinning programme: %(name)s", name=meeting.programme.name), meeting.status.label]
    changed = meeting.decided_at or meeting.created_at
    lines_out = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _escape(_text(summary)),
        "DTSTART:" + utc_stamp(meeting.starts_at),
        "DTEND:" + utc_stamp(meeting.ends_at),
        "DTSTAMP:" + utc_stamp(changed),
        "UID:" + _escape(f"one-to-one-{meeting.id}@{uid_domain()}"),
        f"SEQUENCE:{0 if meeting.decided_at is None else 1}",
        "CREATED:" + utc_stamp(meeting.created_at),
        "DESCRIPTION:" + _escape(_text("\n".join(str(line) for line in lines))),
        "LAST-MODIFIED:" + utc_stamp(changed),
        "LOCATION:" + _escape(_text(str(place))),
        "STATUS:" + status,
        "TRANSP:" + ("TRANSPARENT" if status == "CANCELLED" else "OPAQUE"),
        "URL:" + absolute_url("twinning.one_to_ones", programme_id=meeting.programme_id),
    ]
    for line in lines_out:
        if _UNSAFE.search(line):
            raise ValueError(f"control character in calendar line {line[:40]!r}")
    return ("\r\n".join(_fold(line) for line in lines_out) + "\r\nEND:VEVENT\r\n").encode()


# Part of every cached VEVENT's key: raise it whenever session_vevent writes differently.
VEVENT_FORMAT = 3
_END = b"END:VCALENDAR\r\n"


def _vevent_inputs(entry: FeedEntry, context: tuple[object, ...]) -> tuple[object, ...]:
    """Everything a feed VEVENT is made from, so its bytes can be reused while none moves."""
    s = entry.session
    room = s.room
    place = (room.name, room.venue.name, room.venue.address, room.venue.latitude, room.venue.longitude) if room else None
    return (
        *context, entry.booking,
        s.id, s.uid, entry.sequence, entry.last_modified.isoformat(), s.created_at.isoformat(),
        s.starts_at.isoformat(), s.ends_at.isoformat(), s.event.timezone, s.title, s.description,
        s.kind.value, s.status.value, s.meeting_url if entry.shows_meeting_url else None,
        s.track.name if s.track is not None else None, place,
        tuple((r.role.value, r.user.name) for r in s.roles), tuple(n.name for n in s.networks),
    )


def _vevent_key(entry: FeedEntry, context: tuple[object, ...]) -> str:
    return KEY_PREFIX + "vevent:" + hashlib.sha256(repr(_vevent_inputs(entry, context)).encode()).hexdigest()


def feed_bytes(
    entries: Iterable[FeedEntry],
    *,
    name: str,
    description: str | None = None,
    timezone_name: str | None = None,
    others: Sequence[bytes] = (),
) -> bytes:
    """A subscription feed, byte for byte what ``build_calendar(...).to_ical()`` writes, but
    reusing each session's VEVENT from the cache while nothing it is made from has changed:
    after one session moves, the feeds re-serialise one VEVENT instead of hundreds. ``others``
    are VEVENTs that are not sessions (a delegate's one-to-ones), written after them."""
    entries = sorted(entries, key=lambda e: (e.session.starts_at, e.session.id))
    head = _head(entries, name=name, description=description, timezone_name=timezone_name)
    words = feed_words()
    keys = [_vevent_key(entry, words.context) for entry in entries]
    cached = cache_get_many(keys, lambda v: isinstance(v, bytes))
    parts: list[bytes] = []
    fresh: dict[str, bytes] = {}
    for entry, key, body in zip(entries, keys, cached, strict=True):
        if body is None:
            body = fresh[key] = vevent_bytes(entry, words)
        parts.append(body)
    if fresh:
        try:
            cache.set_many(fresh, timeout=current_app.config["CACHE_TIMEOUT"])
        except Exception:  # noqa: BLE001 - the feed is served even if the cache cannot keep it
            current_app.logger.warning("cache write failed for %d calendar entries", len(fresh), exc_info=True)
    return head + b"".join(parts) + b"".join(others) + _END


def _head(
    entries: list[FeedEntry],
    *,
    name: str,
    description: str | None = None,
    timezone_name: str | None = None,
    method: str | None = None,
) -> bytes:
    """The VCALENDAR's properties and VTIMEZONEs, up to its first VEVENT."""
    return _frame(name, description, timezone_name, method, _zone_years(entries))


@lru_cache(maxsize=256)
def _frame(name: str, description: str | None, timezone_name: str | None, method: str | None,
           zones: tuple[tuple[str, int, int], ...]) -> bytes:
    calendar = _calendar(name=name, description=description, timezone_name=timezone_name, method=method)
    _add_timezones(calendar, zones)
    return calendar.to_ical()[: -len(_END)]


def message_bytes(
    entry: FeedEntry,
    *,
    name: str,
    timezone_name: str,
    method: str,
    stamp: datetime,
    status: str | None = None,
    extra: Iterable[tuple[str, object]] = (),
) -> bytes:
    """One session as an iTIP message (RFC 5546), an invitation or its cancellation: the
    VCALENDAR with ``method``, and the VEVENT every feed writes for ``entry`` but for DTSTAMP,
    which is ``stamp`` (when the message was made), ``status`` if given, and the ``extra``
    properties (ORGANIZER, ATTENDEE)."""
    head = _head([entry], name=name, timezone_name=timezone_name, method=method)
    return head + vevent_bytes(entry, stamp=stamp, status=status, extra=extra) + _END
