"""Event teams: administrators put people on an event's team; event organisers manage that
event only, event staff check people in at its sessions only, and menus and lists show each
person what they may act on."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.audit.models import AuditAction, AuditEntry
from expo.events.models import TeamMember, TeamRole
from expo.permissions import (
    can_check_in,
    can_manage_event,
    can_manage_registrations,
    can_view_event,
    is_event_staff,
)
from tests.conftest import log_in
from tests.factories import PASSWORD, make_event, make_registration, make_room, make_session, make_user
from tests.programme.test_views import form
from tests.querycount import count_queries


def on_team(event, user, role):
    from expo.core.extensions import db

    member = TeamMember(event=event, user=user, role=role)
    db.session.add(member)
    db.session.flush()
    return member


@pytest.fixture
def unece(db):
    return make_event(name="UNECE H22 +50 Sessions", slug="h22-50-sessions", is_published=False)


@pytest.fixture
def eit(db):
    return make_event(name="EIT Urban Mobility Day", slug="eit-day")


def test_the_rules_are_scoped_to_the_event(db, unece, eit):
    organiser, door, admin = make_user(), make_user(), make_user(role=Role.ADMIN)
    on_team(unece, organiser, TeamRole.ORGANISER)
    on_team(unece, door, TeamRole.STAFF)
    session = make_session(event=unece)
    other_session = make_session(event=eit)
    db.session.commit()

    assert can_manage_event(organiser, unece) and not can_manage_event(organiser, eit)
    assert can_manage_registrations(organiser, unece) and not can_manage_registrations(organiser, eit)
    assert not can_manage_event(door, unece)
    assert can_check_in(door, session) and not can_check_in(door, other_session)
    assert can_check_in(organiser, session) and not can_check_in(organiser, other_session)
    assert is_event_staff(admin, eit) and can_manage_event(admin, eit)
    # the draft is seen by its team, not by the team of another event
    assert can_view_event(door, unece) and not can_view_event(make_user(), unece)


def test_administrators_put_people_on_a_team_and_take_them_off(client, db, login_as, unece):
    admin = login_as(Role.ADMIN)
    person = make_user(name="Ivana Petrović", email="ivana@unece.example")
    db.session.commit()

    response = client.post(f"/manage/events/{unece.id}/team", data={"email": "IVANA@unece.example", "role": "organiser"})
    assert response.status_code == 302
    page = client.get(f"/manage/events/{unece.id}/team").get_data(as_text=True)
    assert "Ivana Petrović" in page and "Event organiser" in page
    member = db.session.scalar(sa.select(TeamMember))
    assert (member.user_id, member.role) == (person.id, TeamRole.ORGANISER)

    client.post(f"/manage/events/{unece.id}/team", data={"email": "ivana@unece.example", "role": "staff"})
    db.session.refresh(member)
    assert member.role is TeamRole.STAFF

    refused = client.post(f"/manage/events/{unece.id}/team", data={"email": "nobody@example.org", "role": "staff"})
    assert "invite them first" in refused.get_data(as_text=True)

    client.post(f"/manage/team/{member.id}/remove")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TeamMember)) == 0
    log = db.session.execute(sa.select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.subject_id, AuditEntry.detail)
                             .order_by(AuditEntry.id)).all()
    assert [tuple(row) for row in log] == [
        (AuditAction.TEAM_MEMBER_ADDED, admin.id, person.id, "organiser"),
        (AuditAction.TEAM_MEMBER_ADDED, admin.id, person.id, "staff"),
        (AuditAction.TEAM_MEMBER_REMOVED, admin.id, person.id, "staff"),
    ]


def test_an_event_organiser_sees_and_manages_only_their_event(client, db, unece, eit):
    organiser = make_user(name="Ivana Petrović")
    on_team(unece, organiser, TeamRole.ORGANISER)
    db.session.commit()
    log_in(client, organiser)

    assert '<a href="/manage/" class="workspace-link">Workspace</a>' in client.get("/").get_data(as_text=True)
    dashboard = client.get("/manage/").get_data(as_text=True)  # its side menu: what they may act on
    for link in ("/manage/", "/badges/", "/stats/", "/door/"):
        assert f'href="{link}"' in dashboard
    assert 'href="/manage/conflicts"' not in dashboard and 'href="/manage/people/"' not in dashboard

    assert "UNECE H22 +50 Sessions" in dashboard and "EIT Urban Mobility Day" not in dashboard
    assert "/manage/venues/" not in dashboard and "/manage/events/new" not in dashboard
    events = client.get("/manage/events").get_data(as_text=True)
    assert "UNECE H22 +50 Sessions" in events and "EIT Urban Mobility Day" not in events
    badges = client.get("/badges/").get_data(as_text=True)
    assert "UNECE H22 +50 Sessions" in badges and "EIT Urban Mobility Day" not in badges
    assert "/badges/reset" not in badges
    stats = client.get("/stats/").get_data(as_text=True)
    picker = stats.split('id="event"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", picker) == ["UNECE H22 +50 Sessions"]
    # the draft is in the schedule lists of its team
    assert "UNECE H22 +50 Sessions" in client.get("/").get_data(as_text=True)

    assert client.get(f"/manage/events/{unece.id}/edit").status_code == 200
    assert client.get(f"/manage/events/{eit.id}/edit").status_code == 403
    assert client.get("/stats/", query_string={"event": eit.id}).status_code == 404
    assert client.get(f"/manage/events/{unece.id}/team").status_code == 403


def test_an_event_organiser_books_the_expos_shared_rooms_but_not_a_taken_one(client, db, unece, eit):
    organiser = make_user()
    on_team(unece, organiser, TeamRole.ORGANISER)
    hall = make_room(name="Shared hall")
    make_session(event=eit, room=hall, title="EIT keynote")  # 10:00–11:00 on 1 June
    db.session.commit()
    log_in(client, organiser)

    def add(start: str, end: str) -> str:
        return client.post(f"/manage/events/{unece.id}/sessions/new", data=form(
            hall, title="Housing for all", starts_at=f"2022-06-01T{start}", ends_at=f"2022-06-01T{end}",
        ), follow_redirects=True).get_data(as_text=True)

    refused = add("10:30", "11:30")
    assert "EIT keynote" in refused
    assert unece.sessions == []
    add("12:00", "13:00")
    db.session.expire_all()
    assert [(s.title, s.room_id) for s in unece.sessions] == [("Housing for all", hall.id)]


def test_event_staff_see_only_their_events_sessions_at_the_door(client, db, unece, eit):
    door = make_user()
    on_team(unece, door, TeamRole.STAFF)
    ours = make_session(event=unece, title="Localising the SDGs")
    theirs = make_session(event=eit, title="Cargo bikes")
    delegate = make_user()
    make_registration(event=unece, user=delegate)
    db.session.commit()
    log_in(client, door)

    with count_queries() as log:
        day = client.get("/door/?day=2022-06-01").get_data(as_text=True)
    assert "Localising the SDGs" in day and "Cargo bikes" not in day
    assert log.count < 25
    assert client.get(f"/door/sessions/{ours.id}").status_code == 200
    assert client.get(f"/door/sessions/{theirs.id}").status_code == 403
    assert client.get("/manage/").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert 'href="/door/"' in home and 'href="/manage/"' not in home


def test_deleting_an_event_or_an_account_takes_the_team_with_it(db, unece):
    from expo.core.extensions import db as database

    person = make_user()
    on_team(unece, person, TeamRole.ORGANISER)
    database.session.commit()
    database.session.delete(unece)
    database.session.commit()
    assert database.session.scalar(sa.select(sa.func.count()).select_from(TeamMember)) == 0
    assert PASSWORD
