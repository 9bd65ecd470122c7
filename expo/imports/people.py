"""The expo's people from a spreadsheet: one row per person, known by the e-mail address (in
any letter case), with name, organisation, country, networks and language. The people export
(the registrations list) is read back as it is.

A new address becomes an account invited as an administrator invites one by hand (no
password is made up or sent: the person chooses one through the invitation link); a known
address updates only the fields that differ. Columns left out leave those fields as they are.

Rows are read and compared in chunks, so a file of fifty thousand people is never held in
memory whole: the preview keeps the counts, a digest of what confirming would do, the
file's checksum and the first rows worth showing; the confirmation reads the file again and
changes each chunk through the accounts' services, in one transaction. What the preview found
of the file alone (every address well formed, none repeated: the addresses seen are kept on
disk, not in memory) is trusted while the file is the one it read; what depends on the
accounts is compared again."""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Generator, Iterable
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from expo.accounts import admin
from expo.accounts import services as accounts
from expo.accounts.models import Role, User
from expo.core.errors import ExpoError, InvalidState
from expo.core.extensions import db
from expo.core.spreadsheets import csv_bytes, xlsx_bytes
from expo.imports.plan import NEW, UNCHANGED, UPDATE, Problem, TableRow
from expo.imports.readers import Content, FileRefused, Row, column_letter, pieces, read_rows
from expo.imports.scratch import Scratch
from expo.imports.spreadsheet import Column, cell_text, column_keys, normal_name
from expo.people.models import Country, Network, Organisation, OrganisationKind

CHUNK = 1000  # rows compared (and written) at a time
SHOWN = 500  # rows the preview lists; the counts cover every row
NEW_ORGANISATION_KIND = OrganisationKind.COMPANY
STALE = _l("The people have changed since the preview: check the new preview and confirm again.")

COLUMNS = (
    Column("email", _l("E-mail"), ("email", "e-mail", "e-post", "e-postadress", "mail", "email address")),
    Column("name", _l("Name"), ("namn", "full name")),
    Column("organisation", _l("Organisation"), ("organization", "organisation")),
    Column("country", _l("Country"), ("land", "country code", "landskod")),
    Column("networks", _l("Networks"), ("nätverk", "network")),
    Column("language", _l("Language"), ("språk", "locale")),
    # Written by the registrations export; a people import has no use for them.
    Column("", _l("Status")),
    Column("", _l("Registered at")),
    Column("", _l("Accessibility needs")),
    Column("", _l("Dietary needs")),
)
TEMPLATE_COLUMNS = ("name", "email", "organisation", "country", "networks", "language")
FIELD_LABELS = {
    "name": _l("Name"), "organisation": _l("Organisation"), "country": _l("Country"), "networks": _l("Networks"),
    "language": _l("Language"),
}


def template(fmt: str) -> bytes:
    """An empty people sheet with the template's headers, in the reader's language."""
    labels = {c.key: str(c.label) for c in COLUMNS if c.key}
    header = [labels[key] for key in TEMPLATE_COLUMNS]
    return xlsx_bytes([header], sheet_title="People") if fmt == "xlsx" else csv_bytes([header])


# --- what the rows name, loaded once --------------------------------------------------------

@dataclass
class Lookups:
    countries: dict[str, str]  # any accepted name or code (normalised) → ISO code
    networks: dict[str, int]  # name, acronym or slug (normalised) → network id
    organisations: dict[tuple[str, str], int]  # (normalised name, country code or "") → id
    languages: dict[str, str]  # code or name in English, Swedish or itself → code


def _lookups() -> Lookups:
    countries: dict[str, str] = {}
    swedish = Locale("sv").territories
    for code, alpha3, name in db.session.execute(sa.select(Country.code, Country.alpha3, Country.name)):
        for text in (code, alpha3, name, swedish.get(code, "")):
            if text:
                countries.setdefault(normal_name(text), code)
    networks: dict[str, int] = {}
    for network_id, *names in db.session.execute(sa.select(Network.id, Network.name, Network.acronym, Network.slug)):
        for text in names:
            if text:
                networks.setdefault(normal_name(text), network_id)
    organisations = {
        (normal_name(name), code or ""): org_id
        for org_id, name, code in db.session.execute(
            sa.select(Organisation.id, Organisation.name, Organisation.country_code))
    }
    languages: dict[str, str] = {}
    for code in current_app.config["LANGUAGES"]:
        languages[code] = code
        for locale in ("en", "sv", code):
            languages[normal_name(Locale(code).get_display_name(locale))] = code
    return Lookups(countries, networks, organisations, languages)


# --- comparing ------------------------------------------------------------------------------

@dataclass
class PersonRow(TableRow):
    """One row: what it would do, and the values it gives (only the columns the file has)."""

    email: str = ""
    user: User | None = None
    values: dict[str, Any] = field(default_factory=dict)
    new_organisation: tuple[str, str | None] | None = None  # (name, country) to add

    def fingerprint(self) -> list[Any]:
        return [self.line, self.action, self.email, self.user.id if self.user else None,
                {k: v for k, v in sorted(self.values.items())}, self.new_organisation, self.changed,
                len(self.warnings), len(self.errors)]


def _columns(header: Row) -> tuple[dict[str, int], list[str]]:
    columns, unknown = column_keys(header, COLUMNS)
    if "email" not in columns:
        raise FileRefused(_l("The first row must name the columns, with at least “E-mail” and “Name”. "
                             "Download the template to see them."))
    return columns, unknown


class RepeatedAddresses:
    """The addresses of the rows read so far, each with its line, kept in a job's scratch
    database on disk (``Scratch``), so that a file of fifty thousand people is checked for
    repeated addresses without its memory growing with it: a chunk's addresses are looked up
    together, then added together."""

    LOOKED_UP_AT_ONCE = 500  # addresses a query asks for (within any SQLite's limit of variables)

    def __init__(self, scratch: Scratch) -> None:
        self.scratch = scratch
        scratch.execute("CREATE TABLE seen (email TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID")

    def add(self, rows: list[tuple[str, int]]) -> dict[int, int]:
        """Keep the (address, line) pairs of a chunk, in the file's order; returns, for each line
        whose address an earlier line has (in an earlier chunk or this one), that earlier line."""
        emails = list(dict.fromkeys(email for email, _line in rows))
        first: dict[str, int] = {}
        for start in range(0, len(emails), self.LOOKED_UP_AT_ONCE):
            some = emails[start:start + self.LOOKED_UP_AT_ONCE]
            first.update(self.scratch.rows(
                f"SELECT email, line FROM seen WHERE email IN ({', '.join('?' * len(some))})", some))
        repeats, new = {}, {}
        for email, line in rows:
            if email in first:
                repeats[line] = first[email]
            else:
                first[email] = new[email] = line
        self.scratch.insert("INSERT INTO seen (email, line) VALUES (?, ?)", new.items())
        return repeats


class _Reader:
    """Compares rows with the accounts, a chunk at a time."""

    def __init__(self, columns: dict[str, int], *, seen: RepeatedAddresses | None = None) -> None:
        self.columns = columns
        self.lookups = _lookups()
        # Without ``seen``, the file is one whose preview found no errors (no address repeated,
        # each well formed), read again to be confirmed.
        self.seen = seen
        self.valid_email = accounts.valid_email if seen is not None else User.normalise_email

    def chunk(self, rows: list[Row]) -> list[PersonRow]:
        cells = [self._cells(row) for row in rows]
        emails = {normal_email for c in cells if (normal_email := cell_text(c.get("email")).lower())}
        users = {
            u.email: u for u in db.session.scalars(
                sa.select(User).where(User.email.in_(emails)).options(selectinload(User.networks))
            )
        } if emails else {}
        addresses = [self._address(c) for c in cells]
        repeats = self.seen.add([(address, row.number) for address, row in zip(addresses, rows) if address]) \
            if self.seen is not None else {}
        return [self._row(row, c, users, repeats.get(row.number)) for row, c in zip(rows, cells)]

    def _address(self, cells: dict[str, Any]) -> str:
        """The row's address as ``_row`` compares it: well formed or not, "" when there is none."""
        email = cell_text(cells.get("email")).lower()
        try:
            return self.valid_email(email) if email else ""
        except ExpoError:
            return email

    def _cells(self, row: Row) -> dict[str, Any]:
        return {key: row.cells[i].value if i < len(row.cells) else None for key, i in self.columns.items()}

    def _ref(self, key: str, row: Row) -> str:
        return f"{column_letter(self.columns[key] + 1)}{row.number}"

    def _row(self, row: Row, cells: dict[str, Any], users: dict[str, User], earlier: int | None) -> PersonRow:
        """The row compared; ``earlier``: the line before it with its address, if any."""
        email = cell_text(cells.get("email")).lower()
        name = cell_text(cells.get("name"))
        item = PersonRow(row.number, f"{name} <{email}>" if name else email, NEW, email=email)

        def error(key: str, message: Any) -> None:
            item.errors.append(Problem(self._ref(key, row), message))

        try:
            email = self.valid_email(email) if email else ""
        except ExpoError as problem:
            error("email", problem.message)
        if not email:
            if not item.errors:
                error("email", _l("The e-mail address is empty."))
            return item
        item.email = email
        if earlier is not None:
            error("email", _l("Line %(line)s already has this e-mail address.", line=earlier))
            return item
        user = users.get(email)
        item.user = user
        item.action = NEW if user is None else UPDATE
        if "name" in cells:
            if name:
                try:
                    item.values["name"] = accounts.valid_name(name)
                except ExpoError as problem:
                    error("name", problem.message)
            elif user is None:
                error("name", _l("A new person needs a name."))
        elif user is None:
            error("email", _l("A new person needs a name: add a “Name” column."))
        self._country(item, cells, row, error)
        self._organisation(item, cells, row)
        self._networks(item, cells, error)
        self._language(item, cells, error)
        if not item.errors:
            self._compare(item)
        return item

    def _country(self, item: PersonRow, cells: dict[str, Any], row: Row, error: Callable[..., None]) -> None:
        if "country" not in cells:
            return
        text = cell_text(cells["country"])
        code = self.lookups.countries.get(normal_name(text)) if text else None
        if text and code is None:
            error("country", _l("“%(value)s” is not a country: write its name or its two-letter code (SE).",
                                value=text))
            return
        item.values["country_code"] = code

    def _organisation(self, item: PersonRow, cells: dict[str, Any], row: Row) -> None:
        if "organisation" not in cells:
            return
        name = " ".join(cell_text(cells["organisation"]).split())[:200]
        if not name:
            item.values["organisation_id"] = None
            return
        country = item.values.get("country_code", item.user.country_code if item.user else None)
        key = normal_name(name)
        found = self.lookups.organisations.get((key, country or ""))
        if found is None:  # the organisation of that name, when only one has it
            matches = [org_id for (n, _c), org_id in self.lookups.organisations.items() if n == key]
            found = matches[0] if len(matches) == 1 else None
        if found is not None:
            item.values["organisation_id"] = found
            return
        item.new_organisation = (name, country)
        item.values["organisation_id"] = None
        ref = self._ref("organisation", row)
        item.warnings.append(Problem(ref, _l("The organisation “%(name)s” will be added (as a company: change its "
                                             "kind under Organisations).", name=name)))

    def _networks(self, item: PersonRow, cells: dict[str, Any], error: Callable[..., None]) -> None:
        if "networks" not in cells:
            return
        ids = []
        for name in re.split(r"[,;\n]", cell_text(cells["networks"])):
            if not name.strip():
                continue
            network_id = self.lookups.networks.get(normal_name(name))
            if network_id is None:
                error("networks", _l("No network is called “%(name)s”.", name=name.strip()))
                return
            ids.append(network_id)
        item.values["network_ids"] = sorted(set(ids))

    def _language(self, item: PersonRow, cells: dict[str, Any], error: Callable[..., None]) -> None:
        if "language" not in cells or not cell_text(cells["language"]):
            return
        code = self.lookups.languages.get(normal_name(cells["language"]))
        if code is None:
            error("language", _l("“%(value)s” is not a language of Expo (%(codes)s).", value=cell_text(cells["language"]),
                                 codes=", ".join(current_app.config["LANGUAGES"])))
            return
        item.values["locale"] = code

    def _compare(self, item: PersonRow) -> None:
        user = item.user
        if user is None:
            return
        current = {
            "name": user.name, "country_code": user.country_code, "organisation_id": user.organisation_id,
            "network_ids": sorted(n.id for n in user.networks), "locale": user.locale,
        }
        labels = {"name": "name", "country_code": "country", "organisation_id": "organisation",
                  "network_ids": "networks", "locale": "language"}
        item.changed = [labels[k] for k, v in item.values.items() if current[k] != v]
        if item.new_organisation is not None:
            item.changed.append("organisation")
        item.action = UPDATE if item.changed else UNCHANGED
        if item.action == UNCHANGED:
            item.warnings = []


def read_people(content: Content, *, previewed: dict[str, Any] | None = None
                ) -> tuple[Generator[list[PersonRow], None, None], list[str], int]:
    """The file's rows as compared chunks, the ignored headers, and how many rows there are
    (counted by a first pass that keeps nothing, unless ``previewed``: the preview without
    errors of this very file, which counted them and checked every address, so that nothing
    is remembered of its rows). Close the chunks when done with them: the addresses seen are
    kept on disk until then."""
    total = previewed["total"] if previewed else sum(1 for _ in read_rows(content)) - 1
    rows = iter(read_rows(content))
    header = next(rows, None)
    if header is None or total < 0:
        raise FileRefused(_l("The file is empty."))
    columns, unknown = _columns(header)

    def chunks() -> Generator[list[PersonRow], None, None]:
        with ExitStack() as kept:
            seen = None if previewed is not None else RepeatedAddresses(kept.enter_context(Scratch()))
            reader = _Reader(columns, seen=seen)
            while batch := list(itertools.islice(rows, CHUNK)):
                yield reader.chunk(batch)

    return chunks(), unknown, total


def check_header(content: Content) -> None:
    """Refuse at once a file that cannot be a people file."""
    header = next(iter(read_rows(content)), None)
    if header is None:
        raise FileRefused(_l("The file is empty."))
    _columns(header)


# --- the preview, kept as data ----------------------------------------------------------------

def _shown(item: PersonRow) -> dict[str, Any]:
    return {
        "line": item.line, "state": item.state, "action": item.action, "title": item.title,
        "changed": [str(FIELD_LABELS[name]) for name in item.changed],
        "problems": [{"kind": kind, "cell": p.cell, "message": str(p.message)}
                     for kind, problems in (("error", item.errors), ("warning", item.warnings)) for p in problems],
    }


@dataclass
class Tally:
    """Counts, digest and the first rows worth showing, built as the chunks go by."""

    states: dict[str, int] = field(default_factory=lambda: {s: 0 for s in (NEW, UPDATE, UNCHANGED, "warning", "error")})
    actions: dict[str, int] = field(default_factory=lambda: {NEW: 0, UPDATE: 0, UNCHANGED: 0, "cancel": 0})
    rows: list[dict[str, Any]] = field(default_factory=list)  # the first rows worth showing, but errors
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first rows with errors, wherever they are
    hash: Any = field(default_factory=hashlib.sha256)

    def add(self, item: PersonRow) -> None:
        self.states[item.state] += 1
        self.actions[item.action] += 1
        self.hash.update(json.dumps(item.fingerprint(), default=str).encode() + b"\n")
        self.keep(item.state, lambda: _shown(item))

    def keep(self, state: str, shown: Callable[[], dict[str, Any]]) -> None:
        """Keep a row to show: every row with an error (up to ``SHOWN``), so that one late in a
        long file is listed however many warnings come before it, and the first of the others."""
        if state == "error":
            if len(self.errors) < SHOWN:
                self.errors.append(shown())
        elif state != UNCHANGED and len(self.rows) < SHOWN:
            self.rows.append(shown())

    def shown(self) -> list[dict[str, Any]]:
        """The rows the preview lists (at most ``SHOWN``), errors first chosen, in the file's order."""
        return sorted(self.errors + self.rows[:SHOWN - len(self.errors)], key=lambda row: row["line"])

    @property
    def digest(self) -> str:
        return self.hash.hexdigest()[:32]

    def result(self, notes: Iterable[Any]) -> dict[str, Any]:
        rows = self.shown()
        return {"states": self.states, "summary": self.actions, "rows": rows, "digest": self.digest,
                "notes": [str(n) for n in notes], "shown": len(rows), "total": sum(self.actions.values())}


def checksum(content: Content) -> str:
    """What tells the file the preview read from any other (read a piece at a time)."""
    digest = hashlib.sha256()
    for piece in pieces(content):
        digest.update(piece)
    return digest.hexdigest()


def unknown_note(unknown: list[str]) -> list[Any]:
    return [_l("These columns are not known and were left out: %(columns)s.", columns=", ".join(unknown))] \
        if unknown else []


def preview(content: Content, progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, Any]:
    """What confirming would do, as data for the preview page; writes nothing."""
    chunks, unknown, total = read_people(content)
    tally, done = Tally(), 0
    progress(0, total)
    with closing(chunks):
        for chunk in chunks:
            for item in chunk:
                tally.add(item)
            done += len(chunk)
            progress(done, total)
            db.session.expunge_all()  # the accounts compared are not needed again
    return {**tally.result(unknown_note(unknown)), "file": checksum(content)}


# --- confirming -------------------------------------------------------------------------------

def apply(content: Content, *, digest: str, previewed: dict[str, Any], actor: User,
          progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, int]:
    """Make the file's changes through the accounts' services, chunk by chunk, in the caller's
    transaction: the new people of a chunk are invited together (``admin.invite_people``, a
    few statements a chunk), the changed ones updated together (``admin.update_people``).
    ``previewed`` is the preview the organiser confirmed (``digest``): refused at once unless
    it is of this very file and found no errors, and (before anything is committed) when the
    file now does anything other than it showed."""
    if previewed.get("file") != checksum(content):
        raise InvalidState(_l("The file has changed since the preview: upload it again and confirm its new preview."))
    if previewed.get("digest") != digest:
        raise InvalidState(STALE)
    if previewed["states"]["error"]:
        raise InvalidState(_l("Correct the errors in the file and upload it again."))
    chunks, _unknown, total = read_people(content, previewed=previewed)
    networks = {n.id: n for n in db.session.scalars(sa.select(Network))}
    added: dict[tuple[str, str | None], Organisation] = {}  # organisations the file adds, by name and country
    tally, done = Tally(), 0
    progress(0, total)
    for chunk in chunks:
        _add_organisations(chunk, added)
        named = _named_organisations(chunk)
        invited, changed = [], []
        for item in chunk:
            tally.add(item)
            if item.errors:
                raise InvalidState(_l("Correct the errors in the file and upload it again."))
            if item.action == NEW:
                invited.append(_new_account(item, added))
            elif item.action == UPDATE:
                changed.append(_details(item, networks, added, named))
        admin.update_people(people=changed, actor=actor)
        admin.invite_people(people=invited, actor=actor, addresses_checked=True)
        done += len(chunk)
        progress(done, total)
    if tally.digest != digest:
        raise InvalidState(STALE)
    return dict(tally.actions)


def _added_key(new_organisation: tuple[str, str | None]) -> tuple[str, str | None]:
    name, country = new_organisation
    return " ".join(name.split()).lower(), country


def _add_organisations(chunk: list[PersonRow], added: dict[tuple[str, str | None], Organisation]) -> None:
    """Make the organisations the chunk's rows add, together, each once (for its first row)."""
    wanted: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for item in chunk:
        if item.new_organisation is not None and not item.errors and item.action != UNCHANGED \
                and _added_key(item.new_organisation) not in added:
            wanted.setdefault(_added_key(item.new_organisation), item.new_organisation)
    if wanted:
        made = accounts.find_or_create_organisations(wanted=list(wanted.values()), kind=NEW_ORGANISATION_KIND)
        added.update(zip(wanted, made))


def _named_organisations(chunk: list[PersonRow]) -> dict[int, Organisation]:
    """The organisations the chunk's changed people are to belong to (one query)."""
    ids = {item.values["organisation_id"] for item in chunk
           if item.action == UPDATE and not item.errors and item.values.get("organisation_id")}
    return {o.id: o for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}


def _organisation_id(item: PersonRow, added: dict[tuple[str, str | None], Organisation]) -> int | None:
    """The organisation the row names (one the file adds was made for the chunk)."""
    if item.new_organisation is not None:
        return added[_added_key(item.new_organisation)].id
    return item.values.get("organisation_id") or None


def _new_account(item: PersonRow, added: dict[tuple[str, str | None], Organisation]) -> accounts.NewAccount:
    values = item.values
    return accounts.NewAccount(
        email=item.email, name=values["name"], role=Role.DELEGATE,
        organisation_id=_organisation_id(item, added),
        country_code=values.get("country_code"), locale=values.get("locale", "en"),
        network_ids=tuple(values.get("network_ids", ())),
    )


def _details(item: PersonRow, networks: dict[int, Network], added: dict[tuple[str, str | None], Organisation],
             named: dict[int, Organisation]) -> accounts.Details:
    """Who a changed person is to be: the columns the file has, the rest as it was."""
    values = item.values
    organisation_id = _organisation_id(item, added)
    organisation = (added[_added_key(item.new_organisation)] if item.new_organisation is not None
                    else named.get(organisation_id) if organisation_id is not None else None)
    user = item.user
    assert user is not None
    has = "organisation_id" in values or item.new_organisation is not None
    return accounts.Details(
        user=user, name=values.get("name", user.name),
        organisation=organisation if has else user.organisation,
        country_code=values.get("country_code", user.country_code) if "country_code" in values else user.country_code,
        networks=[networks[i] for i in values["network_ids"]] if "network_ids" in values else list(user.networks),
        locale=values.get("locale", user.locale),
    )
