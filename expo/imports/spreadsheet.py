"""Sessions from a spreadsheet: our template, or the schedule export read back.

Column names are accepted in English or Swedish (the template's and the export's own
headers in either language, and a few common variants). Days and times are wall-clock
times in the event's time zone (or the row's "Time zone" column, as the export writes it),
converted with the same daylight-saving rules as the session form. A column left out of the
file leaves that field of existing sessions as it is."""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.core.extensions import db
from expo.core.i18n import language_name
from expo.core.spreadsheets import csv_bytes, xlsx_bytes
from expo.core.timeutil import from_local, is_valid_timezone
from expo.events.models import Event
from expo.imports.plan import Incoming
from expo.imports.readers import CellRefs, FileRefused, Row
from expo.people.models import Network
from expo.programme.forms import SESSION_LANGUAGES
from expo.programme.models import SessionKind, SessionStatus
from expo.venues.models import Room, Venue

SPREADSHEET_SOURCE = "spreadsheet"  # the source of a spreadsheet's "External id" column


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # the English header, translated for the template
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("id", _l("UID"), ("id",)),
    Column("external_id", _l("External id"), ("external id", "externt id", "guid")),
    Column("title", _l("Title")),
    Column("kind", _l("Kind"), ("type",)),
    Column("status", _l("Status")),
    Column("description", _l("Description")),
    Column("date", _l("Date"), ("day", "dag")),
    Column("starts", _l("Starts"), ("start", "starts at", "början")),
    Column("ends", _l("Ends"), ("end", "ends at", "slut")),
    Column("timezone", _l("Time zone")),
    Column("venue", _l("Venue")),
    Column("room", _l("Room")),
    Column("meeting_url", _l("Meeting link"), ("meeting url", "link", "länk")),
    Column("track", _l("Track")),
    Column("networks", _l("Networks")),
    Column("capacity", _l("Capacity"), ("seats", "platser")),
    Column("language", _l("Language")),
    Column("speakers", _l("Speakers")),
    Column("moderators", _l("Moderators")),
    Column("hosts", _l("Hosts")),
    # Written by the export for people to read; an import has no use for them.
    Column("", _l("Address")),
    Column("", _l("Revision")),
    Column("", _l("Last changed (UTC)")),
)
TEMPLATE_COLUMNS = (
    "id", "title", "kind", "description", "date", "starts", "ends", "venue", "room", "meeting_url", "track",
    "networks", "capacity", "language", "speakers", "moderators", "hosts",
)
PEOPLE_COLUMNS = {"speakers": "speaker_ids", "moderators": "moderator_ids", "hosts": "host_ids"}
_EMAIL = re.compile(r"[^\s<>,;]+@[^\s<>,;]+\.[^\s<>,;]+")


def normal_name(text: Any) -> str:
    return " ".join(str(text or "").replace("\u00a0", " ").split()).casefold()


def _in_both_languages(text: Any) -> set[str]:
    """A label (a lazy text, or a function giving it) as written in English and in Swedish."""
    names = set()
    for locale in ("en", "sv"):
        with force_locale(locale):
            names.add(normal_name(text() if callable(text) else str(text)))
    return names


def header_names(columns: tuple[Column, ...]) -> dict[str, str]:
    """Every accepted column name (normalised) → the column's key ("" for ignored columns)."""
    names: dict[str, str] = {}
    for column in columns:
        for name in _in_both_languages(column.label) | {normal_name(a) for a in column.aliases}:
            names.setdefault(name, column.key)
    return names


def column_keys(header: Row, columns: tuple[Column, ...] | None = None) -> tuple[dict[str, int], list[str]]:
    """Column key → index in the header, and the headers nobody knows (ignored, and said so)."""
    names = header_names(columns or COLUMNS)
    found: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(header.cells):
        name = normal_name(cell.value)
        if not name:
            continue
        key = names.get(name)
        if key is None:
            unknown.append(str(cell.value).strip())
        elif key and key not in found:
            found[key] = index
    return found, unknown


# --- the template -------------------------------------------------------------------------------

def template_header() -> list[str]:
    by_key = {c.key: c for c in COLUMNS}
    return [str(by_key[key].label) for key in TEMPLATE_COLUMNS]


def template(fmt: str, event: Event) -> bytes:
    """An empty sessions sheet with the template's headers, in the reader's language."""
    if fmt == "xlsx":
        return xlsx_bytes([template_header()], sheet_title=event.name or "Sessions", title=event.name)
    return csv_bytes([template_header()])


# --- reading ------------------------------------------------------------------------------------

@dataclass
class Lookups:
    """What the rows name, loaded once for the whole file."""

    rooms: dict[tuple[str, str], list[int]]
    rooms_by_name: dict[str, list[int]]
    online_names: set[str]
    networks: dict[str, int]
    kinds: dict[str, SessionKind]
    statuses: dict[str, SessionStatus]
    languages: dict[str, str]


def _lookups() -> Lookups:
    rooms: dict[tuple[str, str], list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for room_id, room, venue in db.session.execute(sa.select(Room.id, Room.name, Venue.name).join(Venue)).all():
        rooms.setdefault((normal_name(venue), normal_name(room)), []).append(room_id)
        by_name.setdefault(normal_name(room), []).append(room_id)
    networks: dict[str, int] = {}
    for network_id, name, slug in db.session.execute(sa.select(Network.id, Network.name, Network.slug)).all():
        networks[normal_name(name)] = networks[normal_name(slug)] = network_id
    kinds = {}
    for kind in SessionKind:
        for name in _in_both_languages(lambda: kind.label) | {kind.value, kind.value.replace("_", " ")}:
            kinds[normal_name(name)] = kind
    statuses = {}
    for status, label in ((SessionStatus.SCHEDULED, _l("Scheduled")), (SessionStatus.CANCELLED, _l("Cancelled"))):
        for name in _in_both_languages(label) | {status.value}:
            statuses[normal_name(name)] = status
    languages = {}
    for code in SESSION_LANGUAGES:
        languages[code] = code
        native = Locale.parse(code).get_display_name(code)  # "Deutsch", "Suomi"
        for name in _in_both_languages(lambda code=code: language_name(code)) | {native}:
            languages[normal_name(name)] = code
    return Lookups(rooms, by_name, _in_both_languages(_l("Online")), networks, kinds, statuses, languages)


def _columns(header: Row) -> tuple[dict[str, int], list[str]]:
    found, unknown = column_keys(header)
    if "title" not in found and "id" not in found:
        raise FileRefused(
            _l("The first row must name the columns, with at least “Title”, “Date”, “Starts” and “Ends”. "
               "Download the template to see them.")
        )
    return found, unknown


@dataclass
class RawRow:
    row: Row
    cells: dict[str, Any]
    refs: Mapping[str, str]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _people_tokens(text: str) -> list[tuple[str, str]]:
    """(name, e-mail) pairs from "Name <e-mail>, e-mail, Name" (either may be empty)."""
    tokens = []
    for part in re.split(r"[;\n]|,(?![^<]*>)", text):
        part = part.strip()
        if not part:
            continue
        email = _EMAIL.search(part)
        name = part[: email.start()].strip(" <>\"'") if email else part
        tokens.append((name, email.group(0).lower() if email else ""))
    return tokens


@dataclass
class People:
    by_email: dict[str, User]
    by_name: dict[str, list[User]]


def _people(raw_rows: Iterable[RawRow]) -> People:
    """The accounts the rows name as speakers, moderators or hosts, loaded at once."""
    emails, names = set(), set()
    for raw in raw_rows:
        for column in PEOPLE_COLUMNS:
            for name, email in _people_tokens(cell_text(raw.cells.get(column))):
                if email:
                    emails.add(email)
                elif name:
                    names.add(name)
    users = list(
        db.session.scalars(sa.select(User).where(sa.or_(User.email.in_(emails), User.name.in_(names))))
    ) if emails or names else []
    by_name: dict[str, list[User]] = {}
    for user in users:
        by_name.setdefault(user.name, []).append(user)
    return People({u.email.lower(): u for u in users if u.active}, by_name)


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_time(value: Any) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    if isinstance(value, (int, float)) and 0 <= value < 1:  # Excel's fraction of a day
        minutes = round(value * 24 * 60)
        return time(minutes // 60, minutes % 60)
    text = cell_text(value).replace(".", ":")
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise ValueError(text)


def _moment(value: Any, day: date | None) -> datetime:
    """A wall-clock date-time from a time (on ``day``) or a whole date-time; one written with
    its UTC offset, as Expo's exports write them ("2022-10-30 02:15 +02:00"), is an instant
    (aware), which tells the repeated autumn hour's two times apart."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    text = cell_text(value)
    if day is None or len(text) > 8:
        for fmt in ("%Y-%m-%d %H:%M %z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise ValueError(text)
    return datetime.combine(day, parse_time(value))


PEOPLE_CHUNK = 1000  # rows whose speakers, moderators and hosts are looked up at once


class RowReader:
    """Turns the rows under the header into ``Incoming`` values."""

    def __init__(self, event: Event, raw_rows: Iterable[RawRow] = ()) -> None:
        self.event = event
        self.lookups = _lookups()
        self.people = _people(raw_rows)

    def rows(self, raw_rows: Iterable[RawRow],
             current_people: Callable[[list[RawRow]], Callable[[RawRow], dict[str, list[User]]]]) -> Iterator[Incoming]:
        """``incoming`` for each row as the rows are read, the accounts they name loaded a chunk
        of rows at a time (``PEOPLE_CHUNK``), so that the file is read once and never held;
        ``current_people`` gives, for a chunk, each row's session's people by name."""
        raw_rows = iter(raw_rows)
        while chunk := list(itertools.islice(raw_rows, PEOPLE_CHUNK)):
            self.people = _people(chunk)
            current = current_people(chunk)
            for raw in chunk:
                yield self.incoming(raw, current(raw))

    def incoming(self, raw: RawRow, current_people: dict[str, list[User]]) -> Incoming:
        """The row's values; a name alone names the person of that name already in the session,
        else the only account of that name."""
        cells = raw.cells
        key = None
        if cell_text(cells.get("id")):
            key = ("uid", cell_text(cells["id"]))
        elif cell_text(cells.get("external_id")):
            key = (SPREADSHEET_SOURCE, cell_text(cells["external_id"])[:200])
        item = Incoming(line=raw.row.number, key=key, refs=raw.refs)
        for column, parse in (
            ("title", self._title), ("kind", self._kind), ("status", self._status),
            ("description", self._description), ("meeting_url", self._meeting_url), ("capacity", self._capacity),
            ("language", self._language), ("networks", self._networks),
        ):
            if column in cells:
                try:
                    item.values.update(parse(cells[column]))
                except ValueError as error:
                    item.error(column, error.args[0])
        if "track" in cells:
            item.track_name = cell_text(cells["track"])[:120] or None
            if item.track_name is None:
                item.values["track_id"] = None
        self._times(item, cells)
        self._room(item, cells)
        for column, field_name in PEOPLE_COLUMNS.items():
            if column in cells:
                ids = self._person_ids(item, column, cell_text(cells[column]), current_people)
                if ids is not None:
                    item.values[field_name] = ids
        return item

    # Each parser returns the values its cell gives, or raises ValueError(message).

    def _title(self, value: Any) -> dict[str, Any]:
        text = cell_text(value)
        if not text:
            raise ValueError(_l("The title is empty."))
        if len(text) > 300:
            raise ValueError(_l("The title is longer than %(max)s characters.", max=300))
        return {"title": text}

    def _kind(self, value: Any) -> dict[str, Any]:
        if not cell_text(value):
            return {"kind": SessionKind.TALK}
        kind = self.lookups.kinds.get(normal_name(value))
        if kind is None:
            raise ValueError(_l("“%(value)s” is not a kind of session (%(kinds)s).", value=cell_text(value),
                                kinds=", ".join(k.label for k in SessionKind)))
        return {"kind": kind}

    def _status(self, value: Any) -> dict[str, Any]:
        if not cell_text(value):
            return {}
        status = self.lookups.statuses.get(normal_name(value))
        if status is None:
            raise ValueError(_l("The status must be “Scheduled” or “Cancelled”."))
        return {"status": status}

    def _description(self, value: Any) -> dict[str, Any]:
        text = cell_text(value)
        if len(text) > 20000:
            raise ValueError(_l("The description is longer than %(max)s characters.", max=20000))
        return {"description": text or None}

    def _meeting_url(self, value: Any) -> dict[str, Any]:
        text = cell_text(value)
        if len(text) > 500:
            raise ValueError(_l("The meeting link is longer than %(max)s characters.", max=500))
        return {"meeting_url": text or None}

    def _capacity(self, value: Any) -> dict[str, Any]:
        text = cell_text(value)
        if not text:
            return {"capacity": None}
        if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
            raise ValueError(_l("The capacity must be a whole number from 1 to a million."))
        return {"capacity": int(text)}

    def _language(self, value: Any) -> dict[str, Any]:
        text = normal_name(value)
        if not text:
            return {"language": "en"}
        if text not in self.lookups.languages:
            raise ValueError(_l("“%(value)s” is not a language sessions are held in (%(codes)s).", value=cell_text(value),
                                codes=", ".join(SESSION_LANGUAGES)))
        return {"language": self.lookups.languages[text]}

    def _networks(self, value: Any) -> dict[str, Any]:
        ids = []
        for name in re.split(r"[,;\n]", cell_text(value)):
            if not name.strip():
                continue
            network_id = self.lookups.networks.get(normal_name(name))
            if network_id is None:
                raise ValueError(_l("No network is called “%(name)s”.", name=name.strip()))
            ids.append(network_id)
        return {"network_ids": list(dict.fromkeys(ids))}

    def _times(self, item: Incoming, cells: dict[str, Any]) -> None:
        tz = self.event.timezone
        if cell_text(cells.get("timezone")):
            if is_valid_timezone(cell_text(cells["timezone"])):
                tz = cell_text(cells["timezone"])
            else:
                item.error("timezone", _l("“%(value)s” is not a time zone such as Europe/Stockholm.",
                                          value=cell_text(cells["timezone"])))
                return
        day = None
        if cell_text(cells.get("date")) or isinstance(cells.get("date"), (date, datetime)):
            try:
                day = parse_date(cells["date"])
            except ValueError:
                item.error("date", _l("“%(value)s” is not a date: write it as 2026-06-01.", value=cell_text(cells["date"])))
                return
        moments = {}
        for column in ("starts", "ends"):
            value = cells.get(column)
            if value is None or (not cell_text(value) and not isinstance(value, (time, datetime))):
                continue
            try:
                moments[column] = _moment(value, day)
            except ValueError:
                item.error(column, _l("“%(value)s” is not a time: write it as 09:30.", value=cell_text(value)))
        if "starts" in moments and "ends" in moments:
            start, end = moments["starts"], moments["ends"]
            if end.time() == time.min and end.date() == start.date():
                end += timedelta(days=1)  # ends at midnight, as the export writes it
            item.values["starts_at"] = start.astimezone(timezone.utc) if start.tzinfo else from_local(start, tz)
            item.values["ends_at"] = end.astimezone(timezone.utc) if end.tzinfo else from_local(end, tz)
        elif day is not None and not item.failed & {"starts", "ends"}:
            item.error("starts", _l("Give both a start and an end time."))

    def _room(self, item: Incoming, cells: dict[str, Any]) -> None:
        if "room" not in cells and "venue" not in cells:
            return
        venue, room = normal_name(cells.get("venue")), normal_name(cells.get("room"))
        if not room and (not venue or venue in self.lookups.online_names):
            item.values["room_id"] = None
            return
        ids = self.lookups.rooms.get((venue, room), []) if venue else self.lookups.rooms_by_name.get(room, [])
        if len(ids) == 1:
            item.values["room_id"] = ids[0]
        elif not ids:
            item.error("room", _l("No room “%(room)s” at “%(venue)s”: add it under Venues first, or correct the name.",
                                  room=cell_text(cells.get("room")), venue=cell_text(cells.get("venue"))))
        else:
            item.error("room", _l("Several venues have a room “%(room)s”: name the venue too.", room=cell_text(cells.get("room"))))

    def _person_ids(self, item: Incoming, column: str, text: str, current: dict[str, list[User]]) -> list[int] | None:
        ids = []
        for name, email in _people_tokens(text):
            if email:
                user = self.people.by_email.get(email)
                if user is None:
                    item.error(column, _l("No active account has the e-mail address %(emails)s.", emails=email))
                    return None
                ids.append(user.id)
                continue
            matches = current.get(name) or self.people.by_name.get(name, [])
            if len(matches) != 1:
                message = (
                    _l("Several accounts are called “%(name)s”: give the e-mail address instead.", name=name)
                    if matches else
                    _l("No account is called “%(name)s”: give the e-mail address of an account.", name=name)
                )
                item.error(column, message)
                return None
            ids.append(matches[0].id)
        return list(dict.fromkeys(ids))


def raw_rows(rows: Iterable[Row]) -> tuple[Iterator[RawRow], list[str]]:
    """The rows under the header as cells by column key, read one at a time as they are asked
    for (the file's rows are never held together), and the headers that were ignored."""
    iterator: Iterator[Row] = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise FileRefused(_l("The file is empty."))
    columns, unknown = _columns(header)

    def read() -> Iterator[RawRow]:
        for row in iterator:
            cells = {key: row.cells[i].value if i < len(row.cells) else None for key, i in columns.items()}
            yield RawRow(row, cells, CellRefs(columns, row.number))

    return read(), unknown
