"""An event's registrations from a spreadsheet: one row per delegate, known by the e-mail
address of their account. Each row is registered (approved) as an organiser registers a
delegate by hand, so a second import of the same list changes nothing."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from expo.accounts.models import User
from expo.core.extensions import db
from expo.core.spreadsheets import csv_bytes, xlsx_bytes
from expo.events.models import Event
from expo.imports.plan import NEW, UNCHANGED, UPDATE, Problem, RowsPlan, TableRow
from expo.imports.readers import FileRefused, Row, column_letter
from expo.imports.spreadsheet import Column, cell_text, column_keys
from expo.registration import services as registration_services
from expo.registration.models import Registration, RegistrationStatus

COLUMNS = (
    Column("email", _l("E-mail"), ("email", "e-mail", "e-post", "mail")),
    Column("name", _l("Name"), ("namn",)),
)


def is_registrations_header(keys: set[str]) -> bool:
    """A header naming delegates by e-mail, with no session or venue columns."""
    return "email" in keys and not keys & {"title", "venue", "room"}


def template(fmt: str, event: Event) -> bytes:
    header = [str(c.label) for c in COLUMNS]
    return xlsx_bytes([header], sheet_title=event.name or "Registrations") if fmt == "xlsx" else csv_bytes([header])


@dataclass
class RegistrationRow(TableRow):
    user: User | None = None

    @property
    def changed_labels(self) -> list[str]:
        return [str(_l("Status"))] if self.changed else []


@dataclass
class RegistrationPlan(RowsPlan):
    rows: list[RegistrationRow]

    def fingerprint(self, row: RegistrationRow) -> Any:
        return [row.line, row.action, row.user.id if row.user else None, len(row.warnings)]


def read_plan(event: Event, rows: list[Row], header: Row) -> RegistrationPlan:
    """Each row's account and whether it is registered already; the event's capacity warned."""
    columns, unknown = column_keys(header, COLUMNS)
    if "email" not in columns:
        raise FileRefused(_l("The first row must name the columns. Download the template to see them."))
    index = columns["email"]
    emails = [cell_text(r.cells[index].value).lower() if index < len(r.cells) else "" for r in rows]
    users = {
        u.email: u for u in db.session.scalars(sa.select(User).where(User.email.in_({e for e in emails if e}),
                                                                     User.active.is_(True)))
    }
    statuses = dict(db.session.execute(
        sa.select(Registration.user_id, Registration.status).where(Registration.event_id == event.id)
    ).all())
    taken = registration_services.places_taken(event)
    seen: dict[int, int] = {}
    result = []
    for row, email in zip(rows, emails):
        ref = f"{column_letter(index + 1)}{row.number}"
        user = users.get(email)
        item = RegistrationRow(row.number, f"{user.name} <{email}>" if user else email, NEW, user=user)
        if user is None:
            item.errors.append(Problem(ref, _l("No active account has the e-mail address %(emails)s.", emails=email)
                                       if email else _l("The e-mail address is empty.")))
        elif user.id in seen:
            item.errors.append(Problem(ref, _l("Line %(line)s already registers this person.", line=seen[user.id])))
        else:
            seen[user.id] = row.number
            status = statuses.get(user.id)
            item.action = UNCHANGED if status is RegistrationStatus.APPROVED else (UPDATE if status else NEW)
            if status is not None and item.action == UPDATE:
                item.changed = ["status"]
            if item.action != UNCHANGED and status not in registration_services.HOLDS_PLACE:
                taken += 1
                if event.capacity is not None and taken > event.capacity:
                    item.warnings.append(Problem(ref, _l("This registration goes over the event's capacity of %(n)s.",
                                                         n=event.capacity)))
        result.append(item)
    plan = RegistrationPlan(result)
    if unknown:
        plan.notes.append(_l("These columns are not known and were left out: %(columns)s.", columns=", ".join(unknown)))
    return plan


def apply_plan(event: Event, plan: RegistrationPlan, *, actor: User) -> dict[str, int]:
    """Register each new delegate as an organiser does by hand (over capacity once confirmed)."""
    for row in plan.rows:
        if row.action != UNCHANGED and row.user is not None:
            registration_services.add_registration(event=event, delegate=row.user, actor=actor, allow_over_capacity=True)
    return plan.summary()
