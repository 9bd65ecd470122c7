"""Our own schedule exports import back unchanged, in CSV and Excel, in English and Swedish."""
from __future__ import annotations

from datetime import date

import pytest

from expo.accounts.models import Role
from expo.calendar.exporters import CsvExporter, XlsxExporter
from expo.core.extensions import db
from expo.events.models import Track
from expo.imports import services
from expo.programme import services as programme
from expo.programme.models import SessionKind, SessionRoleKind, SessionStatus
from tests.factories import add_person, make_event, make_network, make_room, make_session, make_user, make_venue, utc


@pytest.fixture
def programme_of_three(db):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 3))
    hall = make_room(name="Hall A", venue=make_venue(name="Dunkers"), capacity=80)
    track = Track(event=event, name="Mobility")
    db.session.add(track)
    anna, erik = make_user(name="Anna Berg"), make_user(name="Erik Lund")
    talk = make_session(event=event, room=hall, title="=Formula-looking title", track=track, capacity=40,
                        description="Kept as it is", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8),
                        networks=[make_network(name="UNECE")])
    add_person(talk, anna)
    add_person(talk, erik, SessionRoleKind.MODERATOR)
    make_session(event=event, kind=SessionKind.DIGITAL, title="Online meet-up", meeting_url="https://meet.example.org/x",
                 starts_at=utc(2022, 6, 2, 20), ends_at=utc(2022, 6, 2, 22), language="sv")
    make_session(event=event, room=hall, title="Called off", status=SessionStatus.CANCELLED,
                 starts_at=utc(2022, 6, 3, 8), ends_at=utc(2022, 6, 3, 9))
    db.session.commit()
    return event


@pytest.mark.parametrize("exporter", [CsvExporter(), XlsxExporter()], ids=["csv", "xlsx"])
@pytest.mark.parametrize("locale", ["en", "sv"])
def test_our_own_export_imports_back_unchanged(programme_of_three, exporter, locale):
    event = programme_of_three
    organiser = make_user(role=Role.ORGANISER)
    sessions = programme.list_sessions(event, programme.SessionFilters())
    content = exporter.render(event, sessions, locale=locale)

    batch = services.start_import(event=event, filename=f"export.{exporter.extension}", content=content, actor=organiser)
    plan = services.preview(batch)

    assert [(r.title, r.state, r.changed, r.errors) for r in plan.rows] == [
        ("=Formula-looking title", "unchanged", [], []),
        ("Online meet-up", "unchanged", [], []),
        ("Called off", "unchanged", [], []),
    ]
    assert plan.notes == []


def test_an_edited_export_updates_the_edited_row_only(programme_of_three):
    event = programme_of_three
    organiser = make_user(role=Role.ORGANISER)
    sessions = programme.list_sessions(event, programme.SessionFilters())
    content = CsvExporter().render(event, sessions).decode("utf-8-sig").replace("Online meet-up", "Online meet-up (new)")

    batch = services.start_import(event=event, filename="export.csv", content=content.encode(), actor=organiser)
    plan = services.preview(batch)
    assert [(r.state, r.changed) for r in plan.rows] == [("unchanged", []), ("update", ["title"]), ("unchanged", [])]
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    assert sorted(s.title for s in event.sessions) == ["=Formula-looking title", "Called off", "Online meet-up (new)"]
