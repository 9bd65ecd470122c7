"""Sessions from a frab / pretalx schedule: the c3voc schedule.xml or schedule.json that
pretalx and frab publish (and Expo's own frab export).

Each talk keeps its GUID as the session's external id, so reading the schedule again moves,
changes or adds exactly the talks that differ; the schedule's rooms are mapped to the
expo's rooms by the organiser, once."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from xml.etree import ElementTree

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.core.extensions import db
from expo.events.models import Event
from expo.imports.plan import Incoming, Problem
from expo.imports.readers import Content, FileRefused, decode_text
from expo.programme.forms import SESSION_LANGUAGES
from expo.programme.models import SessionKind

_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?::\d{2})?$")
_KINDS = {"workshop": SessionKind.WORKSHOP, "panel": SessionKind.PANEL, "podium": SessionKind.PANEL}
_LANGUAGES = set(SESSION_LANGUAGES)


@dataclass
class Talk:
    guid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    track: str = ""
    kind: str = ""
    language: str = ""
    text: str = ""
    url: str = ""
    persons: list[str] = field(default_factory=list)


@dataclass
class Schedule:
    source: str  # "frab:" and the conference's acronym
    title: str
    rooms: list[str]
    talks: list[Talk]


def _refused(detail: Any = "") -> FileRefused:
    return FileRefused(_l("The schedule cannot be read as a frab or pretalx schedule (XML or JSON). %(detail)s",
                          detail=detail))


def _duration(text: str) -> timedelta:
    match = _DURATION.match((text or "").strip())
    if not match:
        raise _refused(_l("“%(value)s” is not a duration.", value=text))
    days, hours, minutes = match.groups()
    return timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes))


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise _refused(_l("“%(value)s” is not a date and time.", value=text)) from None
    if moment.tzinfo is None:
        raise _refused(_l("“%(value)s” has no time zone offset.", value=text))
    return moment.astimezone(timezone.utc)


def _talk(guid: Any, title: Any, date: Any, duration: Any, room: str, **rest: Any) -> Talk:
    if not guid or not str(title or "").strip():
        raise _refused(_l("A talk has no GUID or no title."))
    start = _instant(str(date))
    return Talk(guid=str(guid)[:200], title=str(title).strip()[:300], starts_at=start,
                ends_at=start + _duration(str(duration)), room=room.strip()[:200], **rest)


def _text_of(*parts: Any) -> str:
    return "\n\n".join(str(p).strip() for p in parts if p and str(p).strip())


def _from_json(text: str) -> Schedule:
    try:
        conference = json.loads(text)["schedule"]["conference"]
        rooms: list[str] = [r["name"] for r in conference.get("rooms", [])]
        talks = []
        for day in conference["days"]:
            for room, events in day["rooms"].items():
                if room not in rooms:
                    rooms.append(room)
                for e in events:
                    talks.append(_talk(
                        e.get("guid"), e.get("title"), e.get("date"), e.get("duration"), room,
                        track=str(e.get("track") or ""), kind=str(e.get("type") or ""),
                        language=str(e.get("language") or ""),
                        text=_text_of(e.get("subtitle"), e.get("abstract"), e.get("description")),
                        url=str(e.get("url") or ""),
                        persons=[str(p.get("public_name") or p.get("name") or "").strip()
                                 for p in e.get("persons") or [] if isinstance(p, dict)],
                    ))
        return Schedule(f"frab:{conference.get('acronym') or ''}"[:100], str(conference.get("title") or ""), rooms, talks)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        if isinstance(error, FileRefused):
            raise
        raise _refused() from error


def _from_xml(text: str) -> Schedule:
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise _refused() from error
    conference = root.find("conference")
    if root.tag != "schedule" or conference is None:
        raise _refused()
    rooms: list[str] = [r.get("name", "") for r in conference.findall("rooms/room")]
    talks = []
    for day in root.findall("day"):
        for room in day.findall("room"):
            name = room.get("name", "")
            if name not in rooms:
                rooms.append(name)
            for e in room.findall("event"):
                talks.append(_talk(
                    e.get("guid"), e.findtext("title"), e.findtext("date"), e.findtext("duration"), name,
                    track=e.findtext("track") or "", kind=e.findtext("type") or "", language=e.findtext("language") or "",
                    text=_text_of(e.findtext("subtitle"), e.findtext("abstract"), e.findtext("description")),
                    url=e.findtext("url") or "",
                    persons=[(p.text or "").strip() for p in e.findall("persons/person")],
                ))
    acronym = conference.findtext("acronym") or ""
    return Schedule(f"frab:{acronym}"[:100], conference.findtext("title") or "", rooms, talks)


def read_schedule(content: Content) -> Schedule:
    """The schedule's rooms and talks, from XML or JSON (read whole: a schedule is parsed at once)."""
    text = decode_text(content).lstrip()
    schedule = _from_json(text) if text.startswith("{") else _from_xml(text)
    if not schedule.talks:
        raise FileRefused(_l("The schedule has no talks."))
    return schedule


def _people(schedule: Schedule) -> dict[str, list[int]]:
    names = {p for t in schedule.talks for p in t.persons if p}
    people: dict[str, list[int]] = {}
    if names:
        for user_id, name in db.session.execute(sa.select(User.id, User.name).where(User.name.in_(names))).all():
            people.setdefault(name, []).append(user_id)
    return people


def incoming(event: Event, schedule: Schedule, rooms: dict[str, int]) -> list[Incoming]:
    """Each talk as a row: time, room (as mapped), track, speakers (the accounts of the same
    name), the talk's texts and its address; the GUID is the key."""
    people = _people(schedule)
    rows = []
    for position, talk in enumerate(schedule.talks, start=1):
        item = Incoming(line=position, key=(schedule.source, talk.guid), track_name=talk.track.strip()[:120] or None)
        speakers = []
        for name in talk.persons:
            ids = people.get(name, [])
            if len(ids) == 1:
                speakers.append(ids[0])
            elif name:
                item.warnings.append(Problem("", _l("“%(name)s” is not linked: no single account has this name.", name=name)))
        item.values.update(
            title=talk.title,
            kind=_KINDS.get(talk.kind.strip().casefold(), SessionKind.TALK),
            description=_text_of(talk.text, talk.url)[:20000] or None,
            starts_at=talk.starts_at,
            ends_at=talk.ends_at,
            language=talk.language if talk.language in _LANGUAGES else "en",
            speaker_ids=list(dict.fromkeys(speakers)),
        )
        if talk.track.strip() == "":
            item.values["track_id"] = None
        if talk.room in rooms:
            item.values["room_id"] = rooms[talk.room]
        else:
            item.error("room", _l("The room “%(room)s” is not mapped to a room of the expo.", room=talk.room))
        rows.append(item)
    return rows
