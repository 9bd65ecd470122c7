"""frab / pretalx schedules: rooms mapped once, GUIDs as external ids, re-imports apply the differences."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.imports import services
from expo.imports.models import ExternalKey
from expo.programme.models import ProgrammeSession, SessionStatus
from tests.calendar.helpers import frab_schema
from tests.factories import make_event, make_room, make_user, make_venue, utc


@pytest.fixture
def organiser(db):
    return make_user(role=Role.ORGANISER)


def _sessions(event) -> list[ProgrammeSession]:
    return list(db.session.scalars(
        sa.select(ProgrammeSession).where(ProgrammeSession.event_id == event.id).order_by(ProgrammeSession.starts_at)
    ))


def _upload(event, organiser, content: bytes):
    batch = services.start_import(event=event, filename="schedule", content=content, actor=organiser)
    db.session.commit()
    return batch


def test_the_pretalx_example_imports_its_36_sessions_into_the_mapped_rooms_and_again_changes_nothing(organiser):
    content = frab_schema("examples/pretalx-democon.json").read_bytes()
    event = make_event(starts_on=date(2020, 12, 14), ends_on=date(2020, 12, 16), timezone="Europe/Berlin")
    venue = make_venue(name="Democon Hall")
    gray, tan = make_room(name="Grey", venue=venue), make_room(name="Tan", venue=venue)
    batch = _upload(event, organiser, content)

    assert services.unmapped_rooms(batch) == ["Gray Room", "Tan Room"]
    services.map_rooms(batch=batch, mapping={"Gray Room": gray.id, "Tan Room": tan.id}, actor=organiser)
    plan = services.preview(batch)
    assert len(plan.rows) == 36 and not plan.has_errors
    assert {r.action for r in plan.rows} == {"new"}
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()

    sessions = _sessions(event)
    assert len(sessions) == 36
    first = sessions[0]
    assert (first.starts_at, first.ends_at) == (utc(2020, 12, 14, 8), utc(2020, 12, 14, 8, 30))
    by_room = {s.title: s.room.name for s in sessions}
    assert by_room["Focused 5thgeneration hardware"] == "Grey"
    assert {s.room.name for s in sessions} == {"Grey", "Tan"}
    assert first.track is not None
    guids = set(db.session.scalars(sa.select(ExternalKey.external_id).where(ExternalKey.event_id == event.id)))
    assert "8079583e-8321-506c-95af-fd2903a5f075" in guids and len(guids) == 36

    again = _upload(event, organiser, content)
    assert services.unmapped_rooms(again) == []  # the mapping is remembered
    plan = services.preview(again)
    assert [r.state for r in plan.rows] == ["unchanged"] * 36


def _xml(events: list[tuple[str, str, str, str]]) -> bytes:
    """A frab schedule.xml: (guid, title, local start on 1 June 2022, room)."""
    rooms: dict[str, list[str]] = {}
    for guid, title, start, room in events:
        rooms.setdefault(room, []).append(
            f'<event guid="{guid}" id="1"><date>2022-06-01T{start}:00+02:00</date><start>{start}</start>'
            f"<duration>00:45</duration><room>{room}</room><title>{title}</title><track>Energy</track>"
            f"<type>Talk</type><language>en</language><abstract/><description/>"
            f"<persons><person id=\"1\">Nobody Known</person></persons></event>"
        )
    body = "".join(f'<room name="{name}">{"".join(items)}</room>' for name, items in rooms.items())
    return (
        '<?xml version="1.0" encoding="utf-8"?><schedule><version>1</version><conference><acronym>energy22</acronym>'
        "<title>Energy day</title></conference>"
        f'<day index="1" date="2022-06-01">{body}</day></schedule>'
    ).encode()


def test_a_schedule_with_one_moved_and_one_removed_talk_changes_exactly_those_two(organiser):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 1))
    room = make_room(name="Main", venue=make_venue(name="Sundspärlan"))
    first = _xml([("g-1", "Solar", "09:00", "Stage"), ("g-2", "Wind", "10:00", "Stage"), ("g-3", "Hydrogen", "11:00", "Stage")])
    batch = _upload(event, organiser, first)
    services.map_rooms(batch=batch, mapping={"Stage": room.id}, actor=organiser)
    plan = services.preview(batch)
    services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()

    second = _xml([("g-1", "Solar", "09:00", "Stage"), ("g-2", "Wind", "14:00", "Stage")])
    batch = _upload(event, organiser, second)
    plan = services.preview(batch)

    assert [(r.title, r.action, r.changed) for r in plan.rows] == [
        ("Solar", "unchanged", []),
        ("Wind", "update", ["starts_at", "ends_at"]),
        ("Hydrogen", "cancel", []),
    ]
    summary = services.confirm_import(batch=batch, digest=plan.digest, actor=organiser)
    db.session.commit()
    assert summary == {"new": 0, "update": 1, "unchanged": 1, "cancel": 1}
    solar, hydrogen, wind = _sessions(event)
    assert (wind.starts_at, wind.revision) == (utc(2022, 6, 1, 12), 1)
    assert (hydrogen.status, solar.revision) == (SessionStatus.CANCELLED, 0)
    # the change log has the session's addition by the first import, then its move
    assert sorted(sorted(change.changes) for change in wind.changes) == [["added"], ["ends_at", "starts_at"]]


def test_our_own_frab_export_reads_back_into_another_event(organiser):
    from expo.calendar.exporters import FrabJsonExporter, FrabXmlExporter
    from tests.factories import make_session

    event, copy = (make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2)) for _ in range(2))
    venue = make_venue(name="Dunkers")
    room, other = make_room(name="Main", venue=venue), make_room(name="Side", venue=venue)
    make_session(event=event, room=room, title="Opening", starts_at=utc(2022, 6, 1, 7), ends_at=utc(2022, 6, 1, 8))
    db.session.commit()
    # The XML asks for its room; the JSON of the same schedule finds it remembered.
    for exporter, unmapped in ((FrabXmlExporter(), ["Dunkers – Main"]), (FrabJsonExporter(), [])):
        batch = _upload(copy, organiser, exporter.render(event, _sessions(event)))
        assert services.unmapped_rooms(batch) == unmapped
        services.map_rooms(batch=batch, mapping={name: other.id for name in unmapped}, actor=organiser)
        plan = services.preview(batch)
        assert [(r.title, r.state, r.data.starts_at, r.data.room_id) for r in plan.rows] == [
            ("Opening", "new", utc(2022, 6, 1, 7), other.id)
        ]
