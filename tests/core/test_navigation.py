"""The menus: the public header for everyone, the workspace (side menu and breadcrumbs) for
organisers and staff, each link shown by its permission predicate."""
from __future__ import annotations

import pytest
from flask import Flask

from expo.accounts.models import Role
from expo.core.navigation import NavGroup, NavItem, init_app, workspace_for
from tests.factories import make_user


def labels(workspace) -> list[tuple[str, list[str]]]:
    return [(str(group.label), [str(link.label) for link in group.links]) for group in workspace.groups]


def test_an_organiser_has_every_group_and_knows_where_a_page_sits(app, db):
    organiser = make_user(role=Role.ORGANISER)
    with app.test_request_context():
        workspace = workspace_for(organiser, "/manage/events/7/sessions")
    assert labels(workspace) == [
        ("Programme", ["Dashboard", "Events and sessions", "Venues and rooms", "Conflicts", "Scheduling assistant", "Twinning programmes"]),
        ("People", ["People", "Organisations", "Networks"]),
        ("Door", ["Sessions at the door"]),
        ("Reports", ["Statistics", "Badges", "Audit log"]),
        ("Settings", ["Branding", "Failed e-mails"]),
    ]
    assert (str(workspace.group.label), str(workspace.current.label)) == ("Programme", "Events and sessions")
    assert workspace.home.url == "/manage/"


def test_an_event_organiser_sees_their_events_and_reports_not_the_expos_places(app, db):
    from expo.events.models import TeamMember, TeamRole
    from tests.factories import make_event

    organiser = make_user(role=Role.DELEGATE)
    db.session.add(TeamMember(event=make_event(), user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    with app.test_request_context():
        workspace = workspace_for(organiser, "/manage/events")
    assert labels(workspace) == [
        ("Programme", ["Dashboard", "Events and sessions"]),
        ("Door", ["Sessions at the door"]),
        ("Reports", ["Statistics", "Badges"]),
    ]


def test_staff_see_the_door_only_and_delegates_have_no_workspace(app, db):
    staff, delegate = make_user(role=Role.STAFF), make_user(role=Role.DELEGATE)
    with app.test_request_context():
        door = workspace_for(staff, "/door/sessions/3")
        assert labels(door) == [("Door", ["Sessions at the door"])]
        assert str(door.current.label) == "Sessions at the door"
        assert workspace_for(staff, "/agenda").current is None  # the delegate side of the site
        assert workspace_for(delegate, "/door/") is None


def test_a_prefix_must_end_at_a_path_segment(app, db):
    organiser = make_user(role=Role.ORGANISER)
    with app.test_request_context():
        assert workspace_for(organiser, "/stats-archive").current is None
        assert str(workspace_for(organiser, "/stats/countries").current.label) == "Statistics"


def test_an_item_naming_an_unknown_group_is_refused():
    with pytest.raises(ValueError, match="groups that do not exist"):
        init_app(Flask(__name__), [NavItem("x.y", "X", lambda user: True, "nowhere")], [NavGroup("door", "Door")])


def test_workspace_pages_show_the_side_menu_and_breadcrumbs(client, login_as):
    login_as(Role.ORGANISER)
    page = client.get("/manage/conflicts").get_data(as_text=True)
    assert '<nav class="workspace-nav" aria-label="Workspace">' in page
    assert '<a href="/manage/conflicts" aria-current="page">Conflicts</a>' in page
    assert '<li>Programme</li>' in page and '<li aria-current="page">Conflicts</li>' in page


def test_the_delegate_side_keeps_the_light_header(client, login_as):
    login_as(Role.ORGANISER)
    page = client.get("/agenda").get_data(as_text=True)
    assert "workspace-nav" not in page and 'class="workspace-link"' in page
    login_as(Role.DELEGATE)
    page = client.get("/agenda").get_data(as_text=True)
    assert "workspace" not in page
