"""The main navigation: which links each role sees."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from expo import permissions as p


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    allowed: Callable[[Any], bool]


NAV_ITEMS = (
    NavItem("schedule.list_venues", _l("Venues"), p.is_anyone),
    NavItem("schedule.list_networks", _l("Networks"), p.is_anyone),
    NavItem("schedule.list_countries", _l("Countries"), p.is_anyone),
    NavItem("registration.agenda", _l("My agenda"), p.is_signed_in),
    NavItem("attendance.today", _l("Door"), p.is_staff),
    NavItem("programme.manage_index", _l("Manage"), p.can_manage_expo),
    NavItem("programme.conflicts", _l("Conflicts"), p.can_view_conflicts),
    NavItem("badges.index", _l("Badges"), p.can_print_badges),
    NavItem("stats.index", _l("Statistics"), p.can_view_statistics),
)


@dataclass(frozen=True)
class NavLink:
    url: str
    label: Any


def nav_items(user: Any) -> list[NavLink]:
    """Links for this user, leaving out any whose page the app does not serve."""
    views = current_app.view_functions
    return [
        NavLink(url_for(item.endpoint), item.label)
        for item in NAV_ITEMS
        if item.endpoint in views and item.allowed(user)
    ]
