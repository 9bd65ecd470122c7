"""The navigation: the application lists its menu items, each with the predicate that says who
sees it. Items without a group are the public site's light header; grouped items make the
workspace of organisers and staff (Programme, People, Door, Reports, Settings), drawn as a side
menu with breadcrumbs on every page below one of its links."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, current_app, request, url_for
from werkzeug.local import LocalProxy

EXTENSION_KEY = "expo.navigation"
URLS_KEY = "expo.navigation.urls"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    allowed: Callable[[Any], bool]
    group: str | None = None  # a key of the workspace's groups; None: the public header


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: Any


@dataclass(frozen=True)
class NavLink:
    url: str
    label: Any


@dataclass
class WorkspaceGroup:
    label: Any
    links: list[NavLink] = field(default_factory=list)


@dataclass
class Workspace:
    """The reader's workspace menu, and where the page being read sits in it."""

    groups: list[WorkspaceGroup]
    group: WorkspaceGroup | None = None  # the current page's group and link, if it is below one
    current: NavLink | None = None

    @property
    def home(self) -> NavLink:
        return self.groups[0].links[0]


@dataclass(frozen=True)
class Navigation:
    items: tuple[NavItem, ...]
    groups: tuple[NavGroup, ...]


def init_app(app: Flask, items: Iterable[NavItem], groups: Iterable[NavGroup] = ()) -> None:
    """Give the app its menus, and templates the functions that draw them."""
    navigation = Navigation(tuple(items), tuple(groups))
    known = {group.key for group in navigation.groups}
    unknown = {item.group for item in navigation.items if item.group is not None} - known
    if unknown:
        raise ValueError(f"menu items name groups that do not exist: {sorted(unknown)}")
    app.extensions[EXTENSION_KEY] = navigation
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["workspace_for"] = workspace_for


def _url(endpoint: str) -> str:
    """The address of a menu page (it takes no arguments): built once per app and mount point,
    as every page draws the whole menu."""
    urls: dict[tuple[str, str], str] = current_app.extensions.setdefault(URLS_KEY, {})
    key = (endpoint, request.script_root)
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint)
    return url


def _allowed(user: Any, group: str | None) -> list[tuple[NavItem, NavLink]]:
    # Each menu item's predicate reads the user several times: once through the proxy, not each time.
    user = user._get_current_object() if isinstance(user, LocalProxy) else user
    views = current_app.view_functions
    return [
        (item, NavLink(_url(item.endpoint), item.label))
        for item in current_app.extensions[EXTENSION_KEY].items
        if item.group == group and item.endpoint in views and item.allowed(user)
    ]


def nav_items(user: Any) -> list[NavLink]:
    """The public header's links for this user, leaving out any whose page the app does not serve."""
    return [link for _item, link in _allowed(user, None)]


def workspace_for(user: Any, path: str | None = None) -> Workspace | None:
    """The user's workspace menu (None when they have none), with the link the page at ``path``
    sits below: the longest link that is a prefix of the path."""
    navigation: Navigation = current_app.extensions[EXTENSION_KEY]
    groups: list[WorkspaceGroup] = []
    best: tuple[int, WorkspaceGroup, NavLink] | None = None
    for group in navigation.groups:
        links = [link for _item, link in _allowed(user, group.key)]
        if not links:
            continue
        entry = WorkspaceGroup(group.label, links)
        groups.append(entry)
        for link in links:
            if path is not None and _is_below(path, link.url) and (best is None or len(link.url) > best[0]):
                best = (len(link.url), entry, link)
    if not groups:
        return None
    if best is None:
        return Workspace(groups)
    return Workspace(groups, best[1], best[2])


def _is_below(path: str, url: str) -> bool:
    return path == url or path.startswith(url.rstrip("/") + "/")
