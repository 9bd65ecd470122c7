"""The audit log records administration, publications, deletions and every export of personal
data; organisers read it filtered by who, what, when and on whom."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.audit import services as audit
from expo.audit.models import AuditAction, AuditEntry
from expo.events.models import Track
from expo.registration import privacy
from tests.factories import (
    make_event,
    make_network,
    make_organisation,
    make_registration,
    make_room,
    make_session,
    make_user,
    make_venue,
    utc,
)


def _entries(db) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.subject_id, AuditEntry.target, AuditEntry.detail)
        .order_by(AuditEntry.id))]


def test_publishing_unpublishing_and_deleting_an_event_are_recorded(client, db, login_as):
    organiser = login_as(Role.ORGANISER)
    event = make_event(name="UNECE +50 Sessions", is_published=False)
    db.session.commit()
    client.post(f"/manage/events/{event.id}/publish")
    client.post(f"/manage/events/{event.id}/unpublish", data={"proceed": "yes"})  # after the question
    client.post(f"/manage/events/{event.id}/delete")
    assert [(a, actor, target) for a, actor, _s, target, _d in _entries(db)] == [
        (AuditAction.EVENT_PUBLISHED, organiser.id, "UNECE +50 Sessions"),
        (AuditAction.EVENT_UNPUBLISHED, organiser.id, "UNECE +50 Sessions"),
        (AuditAction.EVENT_DELETED, organiser.id, "UNECE +50 Sessions"),
    ]


def test_every_deletion_is_recorded(client, db, login_as):
    login_as(Role.ORGANISER)
    event = make_event(name="CPMR Forum", is_published=False)
    session = make_session(event=event, title="Islands")
    track = Track(event=event, name="Blue economy")
    db.session.add(track)
    room = make_room(name="Hall B", venue=make_venue(name="Dunkers"))
    venue = make_venue(name="Empty venue")
    network = make_network(name="Eurocities")
    organisation = make_organisation(name="Region Skåne")
    db.session.commit()
    for url in (f"/manage/sessions/{session.id}/delete", f"/manage/tracks/{track.id}/delete",
                f"/manage/venues/rooms/{room.id}/delete", f"/manage/venues/{venue.id}/delete",
                f"/manage/networks/{network.id}/delete", f"/manage/organisations/{organisation.id}/delete"):
        assert client.post(url).status_code == 302, url
    assert [(a, target) for a, _actor, _s, target, _d in _entries(db)] == [
        (AuditAction.SESSION_DELETED, "Islands (CPMR Forum)"),
        (AuditAction.TRACK_DELETED, "Blue economy (CPMR Forum)"),
        (AuditAction.ROOM_DELETED, "Hall B (Dunkers)"),
        (AuditAction.VENUE_DELETED, "Empty venue"),
        (AuditAction.NETWORK_DELETED, "Eurocities"),
        (AuditAction.ORGANISATION_DELETED, "Region Skåne"),
    ]


def test_a_refused_deletion_is_not_recorded(client, db, login_as):
    login_as(Role.ORGANISER)
    event = make_event()
    make_session(event=event)
    db.session.commit()
    client.post(f"/manage/events/{event.id}/delete")
    assert _entries(db) == []


def test_every_export_of_personal_data_is_recorded(client, db, login_as):
    organiser = login_as(Role.ORGANISER)
    event = make_event(name="EIT Urban Mobility", slug="eit")
    session = make_session(event=event, title="Cargo bikes")
    delegate = make_user(name="Ana Pereira")
    make_registration(event=event, user=delegate)
    db.session.commit()
    for url in ("/manage/events/eit/registrations.csv", "/manage/events/eit/bookings.csv",
                f"/manage/sessions/{session.id}/bookings.csv", f"/door/sessions/{session.id}/attendance.csv",
                f"/door/sessions/{session.id}/attendance.xlsx", f"/badges/events/{event.id}/badges.pdf",
                f"/badges/people/{delegate.id}/badge.pdf"):
        assert client.get(url).status_code == 200, url
    entries = _entries(db)
    assert [(a, actor, subject, target) for a, actor, subject, target, _d in entries] == [
        (AuditAction.EXPORT_REGISTRATIONS, organiser.id, None, "EIT Urban Mobility"),
        (AuditAction.EXPORT_BOOKINGS, organiser.id, None, "EIT Urban Mobility"),
        (AuditAction.EXPORT_BOOKINGS, organiser.id, None, "Cargo bikes"),
        (AuditAction.EXPORT_ATTENDANCE, organiser.id, None, "Cargo bikes"),
        (AuditAction.EXPORT_ATTENDANCE, organiser.id, None, "Cargo bikes"),
        (AuditAction.EXPORT_BADGES, organiser.id, None, "EIT Urban Mobility"),
        (AuditAction.EXPORT_BADGES, organiser.id, delegate.id, None),
    ]
    assert [d for *_rest, d in entries][:2] == ["eit-registrations.csv", "eit-bookings.csv"]
    assert entries[4][4].endswith(".xlsx")


def test_downloading_ones_own_data_is_recorded(client, db, login_as):
    delegate = login_as(Role.DELEGATE)
    assert client.get("/account/data.json").status_code == 200
    assert _entries(db) == [(AuditAction.EXPORT_OWN_DATA, delegate.id, delegate.id, None, None)]


def test_a_deleted_account_leaves_its_number_but_not_its_name(db):
    organiser = make_user(role=Role.ORGANISER, name="Olga Organiser")
    person = make_user(name="Ana Pereira")
    audit.record(actor=organiser, action=AuditAction.ROLE_CHANGED, subject=person)
    audit.record(actor=person, action=AuditAction.EXPORT_OWN_DATA, subject=person)
    person_id = person.id
    db.session.commit()

    privacy.delete_account(user=person, actor=person)
    db.session.commit()

    rows = db.session.execute(sa.select(AuditEntry.action, AuditEntry.actor_name, AuditEntry.subject_id,
                                        AuditEntry.subject_name).order_by(AuditEntry.id)).all()
    assert [tuple(r) for r in rows] == [
        (AuditAction.ROLE_CHANGED, "Olga Organiser", person_id, None),
        (AuditAction.EXPORT_OWN_DATA, None, person_id, None),
        (AuditAction.ACCOUNT_DELETED, None, person_id, None),
    ]


@pytest.fixture
def log(db):
    olga = make_user(role=Role.ORGANISER, name="Olga Organiser")
    per = make_user(role=Role.ORGANISER, name="Per Persson")
    ana = make_user(name="Ana Pereira")
    for actor, action, subject, target, when in (
        (olga, AuditAction.ROLE_CHANGED, ana, None, utc(2026, 6, 1, 9)),
        (per, AuditAction.EVENT_PUBLISHED, None, "CPMR Forum", utc(2026, 6, 2, 21, 30)),  # 23:30 in Helsingborg
        (per, AuditAction.EXPORT_BADGES, ana, None, utc(2026, 6, 3, 9)),
    ):
        audit.record(actor=actor, action=action, subject=subject, target=target).created_at = when
    db.session.commit()
    return olga


def _rows(client, **args) -> list[str]:
    response = client.get("/manage/audit/", query_string=args)
    assert response.status_code == 200
    body = response.get_data(as_text=True).split("<tbody>")[-1]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_organisers_read_the_log_newest_first_and_filter_it(client, db, log, login_as):
    login_as(Role.ORGANISER)
    rows = _rows(client)
    assert len(rows) == 3 and "Badges printed" in rows[0] and "Role changed" in rows[2]
    assert "Olga Organiser" in rows[2] and "Ana Pereira" in rows[2]
    assert [("Per Persson" in r) for r in _rows(client, who="persson")] == [True, True]
    assert len(_rows(client, action="role_changed")) == 1
    assert len(_rows(client, whom="pereira")) == 2
    assert len(_rows(client, whom="cpmr")) == 1
    # days are the expo's days: 21:30 UTC on 2 June is 23:30 on 2 June in Sweden
    assert ["CPMR Forum" in r for r in _rows(client, since="2026-06-02", until="2026-06-02")] == [True]
    assert _rows(client, since="2026-06-04") == []
    assert len(_rows(client, since="not-a-date")) == 3  # a bad filter is shown and ignored
    assert len(_rows(client, action="\n")) == 3  # a blank choice is no choice, never a 500


def test_the_log_is_paged_on_the_server(app, db, log):
    first = audit.entries(audit.AuditFilter(), timezone="Europe/Stockholm", page=1, per_page=2)
    second = audit.entries(audit.AuditFilter(), timezone="Europe/Stockholm", page=2, per_page=2)
    assert [e.action for e in first.entries] == [AuditAction.EXPORT_BADGES, AuditAction.EVENT_PUBLISHED]
    assert first.has_next and not second.has_next
    assert [e.action for e in second.entries] == [AuditAction.ROLE_CHANGED]


def test_the_log_is_for_organisers(client, db, login_as):
    login_as(Role.STAFF)
    assert client.get("/manage/audit/").status_code == 403
