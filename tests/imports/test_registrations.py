"""An event's registrations from a spreadsheet of e-mail addresses."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.imports import services
from expo.imports.models import ImportKind
from expo.registration.models import Registration, RegistrationStatus
from tests.factories import make_event, make_registration, make_user
from tests.imports.helpers import csv_file


@pytest.fixture
def setting(db):
    event = make_event(capacity=2)
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    return event, organiser


def _import(setting, rows, header=("E-mail", "Name")):
    event, organiser = setting
    batch = services.start_import(event=event, filename="delegates.csv", content=csv_file(rows, header), actor=organiser)
    return batch, services.preview(batch)


def _statuses(event) -> dict[str, RegistrationStatus]:
    return {r.user.email: r.status for r in db.session.scalars(sa.select(Registration).where(Registration.event_id == event.id))}


def test_delegates_are_registered_by_e_mail_and_a_second_import_changes_nothing(setting, outbox):
    event, organiser = setting
    make_user(email="ada@example.org", name="Ada")
    pending = make_user(email="bo@example.org", name="Bo")
    make_registration(event=event, user=pending, status=RegistrationStatus.PENDING)
    db.session.commit()
    rows = [["ADA@example.org", "Ada"], ["bo@example.org", "Bo"]]

    batch, plan = _import(setting, rows)
    assert batch.kind is ImportKind.REGISTRATIONS
    assert [(r.state, r.changed) for r in plan.rows] == [("new", []), ("update", ["status"])]
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()

    assert _statuses(event) == {"ada@example.org": RegistrationStatus.APPROVED, "bo@example.org": RegistrationStatus.APPROVED}
    assert len(outbox) == 2  # each delegate hears of it, as when added by hand
    _, plan = _import(setting, rows)
    assert [r.state for r in plan.rows] == ["unchanged", "unchanged"]


def test_unknown_addresses_and_repeated_rows_are_errors_in_their_cell(setting):
    make_user(email="ada@example.org")
    db.session.commit()
    _, plan = _import(setting, [["ada@example.org", ""], ["nobody@example.org", ""], ["ada@example.org", ""]])
    assert [(r.state, [p.cell for p in r.errors]) for r in plan.rows] == [("new", []), ("error", ["A3"]), ("error", ["A4"])]
    assert "No active account" in str(plan.rows[1].errors[0].message)


def test_going_over_the_events_capacity_is_a_warning(setting):
    event, organiser = setting
    for n in range(3):
        make_user(email=f"d{n}@example.org")
    db.session.commit()
    batch, plan = _import(setting, [[f"d{n}@example.org", ""] for n in range(3)])
    assert [r.state for r in plan.rows] == ["new", "new", "warning"]
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    assert len(_statuses(event)) == 3
