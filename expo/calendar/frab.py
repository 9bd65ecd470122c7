"""The frab / c3voc schedule format (schedule.xml and schedule.json) that pretalx and frab
publish and conference apps read (Giggity, ConfClerk, EventFahrplan).

One pure builder makes the schedule as plain data; the XML and the JSON are two renderings of
it. GUIDs are stable forever: a session's ``uid``; rooms and people get UUID5s derived from the
UID domain and their ids (never from e-mail addresses, which a hash would not hide). Public:
never a meeting link.

A frab room holds one session at a time, as apps draw it as a column: digital sessions, which
have no room, go to numbered online streams, "Online 1", "Online 2" …, as many as run at once.
Cancelled sessions are left out, as frab and pretalx leave them out of a released schedule: apps
such as EventFahrplan compare each version with the one before and show a session that has gone
as cancelled (a "Cancelled:" title would only show as a renamed session). Known traps of the
schema are kept: ``<color>`` has ``primary``, no
empty ``feedback_url``, the acronym is ``[a-z0-9_]`` and a JSON person has only ``guid`` and
``name``."""
from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from expo.calendar.ical import absolute_url, uid_domain
from expo.core.timeutil import local_day_bounds
from expo.events.models import Event
from expo.events.services import slugify
from expo.programme.models import ProgrammeSession, SessionRoleKind
from expo.venues.models import Room

GENERATOR = "Expo"
JSON_SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
DEFAULT_COLOUR = "#1d5b79"
TIMESLOT = "00:05"
# The JSON schema's pattern for time_zone_name, searched as JSON Schema does (not anchored at
# both ends): any IANA name that begins Area/Location, such as America/New_York or
# America/Argentina/Buenos_Aires, and UTC.
_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
# Names of Coordinated Universal Time the pattern refuses, written as UTC.
_UTC_NAMES = frozenset({"Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "UCT", "Universal", "Zulu", "GMT",
                        "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Greenwich",
                        "Etc/Greenwich"})


def acronym(event: Event) -> str:
    """The conference acronym: lower-case letters, digits and underscores, at least four."""
    return (re.sub(r"[^a-z0-9_]", "_", event.slug.lower()) or "expo").ljust(4, "_")


def _guid(kind: str, ident: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://{uid_domain()}/frab/{kind}/{ident}"))


def time_zone_name(tzid: str) -> str | None:
    """The schedule's time_zone_name for an event zone: the IANA name itself, UTC for its other
    names, or None for the few names the schema's pattern refuses (Etc/GMT-3, EST5EDT), where
    the offsets every time carries are all an app has to go by."""
    if tzid in _UTC_NAMES:
        return "UTC"
    return tzid if _ZONE_NAME.search(tzid) else None


def online_streams(sessions: Sequence[ProgrammeSession]) -> dict[int, int]:
    """The online stream (1, 2 …) of each digital session, so that no two overlap in one.
    Sessions take, in the order they were created, the lowest stream free for their whole
    time: adding a session never moves one already placed, and a session changes stream only
    when an older one moves onto its time."""
    taken: dict[int, list[tuple[datetime, datetime]]] = {}
    streams: dict[int, int] = {}
    for session in sorted((s for s in sessions if s.room is None), key=lambda s: s.id):
        stream = 1
        while any(start < session.ends_at and session.starts_at < end for start, end in taken.get(stream, ())):
            stream += 1
        taken.setdefault(stream, []).append((session.starts_at, session.ends_at))
        streams[session.id] = stream
    return streams


def _room_key(session: ProgrammeSession, streams: dict[int, int]) -> tuple[str, str]:
    """(name, guid) of the frab room: venue and room, or the online stream of a digital session
    (the first keeps the GUID of the single "Online" room earlier releases wrote)."""
    room: Room | None = session.room
    if room is None:
        stream = streams[session.id]
        return _("Online %(number)s", number=stream), _guid("room", "online" if stream == 1 else f"online-{stream}")
    return room.label, _guid("room", room.id)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _session_slug(prefix: str, session: ProgrammeSession) -> str:
    """``<acronym>-<id>-<title>``, which both schemas accept whatever the title: the XSD wants
    four characters after the acronym's dash, so a title of one letter or none (Chinese,
    emoji) is spelt out as a session."""
    title = slugify(session.title, 50, fallback="")
    if len(title) < 2:
        title = "session" + (f"-{title}" if title else "")
    return f"{prefix}-{session.id}-{title}"


def _track_slug(name: str, ident: int) -> str:
    """The track's name as a slug that starts with a letter and has two characters at least
    (the XSD's rule), else ``track-<id>`` before whatever the name leaves."""
    slug = slugify(name, fallback="")
    if len(slug) < 2 or not slug[0].isalpha():
        slug = f"track-{ident}" + (f"-{slug}" if slug else "")
    return slug


def _persons(session: ProgrammeSession) -> list[dict[str, Any]]:
    seen: set[int] = set()
    persons = []
    for role in (SessionRoleKind.SPEAKER, SessionRoleKind.MODERATOR, SessionRoleKind.HOST):
        for user in session.people(role):
            if user.id not in seen:
                seen.add(user.id)
                persons.append({"guid": _guid("person", user.id), "name": user.name, "id": user.id})
    return persons


def _abstract(session: ProgrammeSession) -> str:
    return session.description.strip() if session.description else ""


def _details(session: ProgrammeSession) -> str:
    lines = []
    if session.room is not None and session.room.venue.address:
        lines.append(_("Address: %(address)s", address=session.room.venue.address))
    if session.networks:
        lines.append(_("Networks: %(names)s", names=", ".join(n.name for n in session.networks)))
    return "\n".join(lines)


def _event_item(prefix: str, session: ProgrammeSession, tz: ZoneInfo, room_name: str) -> dict[str, Any]:
    start = session.starts_at.astimezone(tz)
    page = absolute_url("schedule.show_session", session_id=session.id)
    return {
        "id": session.id,
        "guid": session.uid,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": session.ends_at.astimezone(tz).isoformat(),
        "duration": _duration(session.ends_at - session.starts_at),
        "room": room_name,
        "slug": _session_slug(prefix, session),
        "url": page,
        "title": session.title,
        "subtitle": "",
        "track": session.track.name if session.track is not None else None,
        "type": session.kind.label,
        "language": session.language,
        "abstract": _abstract(session),
        "description": _details(session),
        "persons": _persons(session),
        "links": [{"url": page, "title": _("Session page"), "type": "web"}],
    }


def _days(event: Event, sessions: Sequence[ProgrammeSession]) -> list[date]:
    tz = ZoneInfo(event.timezone)
    first, last = event.starts_on, event.ends_on
    for session in sessions:
        day = session.starts_at.astimezone(tz).date()
        first, last = min(first, day), max(last, day)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def build_schedule(event: Event, sessions: Sequence[ProgrammeSession], *, version: str) -> dict[str, Any]:
    """The schedule as plain data in the shape of schedule.json (version 1): the sessions that
    take place (cancelled ones are left out)."""
    tz = ZoneInfo(event.timezone)
    prefix = acronym(event)
    sessions = [s for s in sessions if not s.is_cancelled]
    streams = online_streams(sessions)
    rooms: dict[str, str] = {}
    for session in sorted(sessions, key=lambda s: (s.room is None, s.room.label if s.room else "",
                                                   streams.get(s.id, 0))):
        name, guid = _room_key(session, streams)
        rooms.setdefault(name, guid)
    by_day: dict[date, dict[str, list[dict[str, Any]]]] = {}
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        day = session.starts_at.astimezone(tz).date()
        room_name, _room_guid = _room_key(session, streams)
        by_day.setdefault(day, {}).setdefault(room_name, []).append(_event_item(prefix, session, tz, room_name))
    days = []
    for index, day in enumerate(_days(event, sessions), start=1):
        day_start, day_end = local_day_bounds(day, event.timezone)
        events = by_day.get(day, {})
        days.append({
            "index": index,
            "date": day.isoformat(),
            "day_start": day_start.astimezone(tz).isoformat(),
            "day_end": day_end.astimezone(tz).isoformat(),
            "rooms": {name: events.get(name, []) for name in rooms},
        })
    colours = [t.colour for t in event.tracks]
    conference: dict[str, Any] = {
        "acronym": prefix,
        "title": event.name,
        "start": days[0]["date"],
        "end": days[-1]["date"],
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT,
        "url": absolute_url("events.show_event", slug=event.slug),
        "colors": {"primary": colours[0] if colours else DEFAULT_COLOUR},
        "tracks": [
            {"name": t.name, "slug": _track_slug(t.name, t.id), "color": t.colour} for t in event.tracks
        ],
        "rooms": [{"name": name, "guid": guid} for name, guid in rooms.items()],
        "days": days,
    }
    zone_name = time_zone_name(event.timezone)
    if zone_name is not None:
        conference["time_zone_name"] = zone_name
    if event.description:
        conference["description"] = event.description
    return {
        "$schema": JSON_SCHEMA_URL,
        "generator": {"name": GENERATOR, "version": version},
        "schedule": {
            "version": version,
            "base_url": absolute_url("events.home"),
            "conference": conference,
        },
    }


def schedule_version(event: Event, sessions: Sequence[ProgrammeSession]) -> str:
    """A version that moves whenever the schedule does: the latest change, in UTC."""
    latest: datetime = max([event.updated_at, *(s.updated_at for s in sessions)])
    return latest.strftime("%Y-%m-%d %H:%M:%S UTC")


def to_json(schedule: dict[str, Any]) -> bytes:
    """schedule.json: persons carry only guid and name (the schema refuses name, public_name
    and id together)."""
    data = json.loads(json.dumps(schedule))
    for day in data["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for item in events:
                item["persons"] = [{"guid": p["guid"], "name": p["name"]} for p in item["persons"]]
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


# Characters XML 1.0 cannot carry at all; a pasted description may hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _sub(parent: ET.Element, tag: str, text: object = None, **attributes: object) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = _xml_text(text)
    return element


def to_xml(schedule: dict[str, Any]) -> bytes:
    """schedule.xml, valid against the c3voc XSD."""
    data = schedule["schedule"]
    conf = data["conference"]
    root = ET.Element("schedule")
    _sub(root, "generator", name=GENERATOR, version=schedule["generator"]["version"])
    _sub(root, "version", data["version"])
    conference = _sub(root, "conference")
    _sub(conference, "acronym", conf["acronym"])
    _sub(conference, "title", conf["title"])
    _sub(conference, "start", conf["start"])
    _sub(conference, "end", conf["end"])
    _sub(conference, "days", conf["daysCount"])
    _sub(conference, "timeslot_duration", conf["timeslot_duration"])
    _sub(conference, "base_url", data["base_url"])
    _sub(conference, "url", conf["url"])
    if "time_zone_name" in conf:
        _sub(conference, "time_zone_name", conf["time_zone_name"])
    _sub(conference, "color", primary=conf["colors"]["primary"])
    for track in conf["tracks"]:
        _sub(conference, "track", track["name"], name=track["name"], color=track["color"], slug=track["slug"])
    room_guids = {room["name"]: room["guid"] for room in conf["rooms"]}
    for day in conf["days"]:
        day_element = _sub(root, "day", date=day["date"], start=day["day_start"], end=day["day_end"],
                           index=day["index"])
        for room_name, events in day["rooms"].items():
            room_element = _sub(day_element, "room", name=room_name, guid=room_guids[room_name])
            for item in events:
                _event_xml(room_element, item)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _event_xml(parent: ET.Element, item: dict[str, Any]) -> None:
    element = _sub(parent, "event", id=item["id"], guid=item["guid"])
    for tag in ("room", "title", "subtitle", "type", "date", "start", "duration", "abstract", "slug"):
        _sub(element, tag, item[tag])
    _sub(element, "track", item["track"] or "")
    _sub(element, "language", item["language"])
    _sub(element, "description", item["description"])
    persons = _sub(element, "persons")
    for person in item["persons"]:
        _sub(persons, "person", person["name"], id=person["id"], guid=person["guid"])
    links = _sub(element, "links")
    for link in item["links"]:
        _sub(links, "link", link["title"], href=link["url"], type=link["type"])
    _sub(element, "url", item["url"])
