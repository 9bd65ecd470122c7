"""The main navigation: the application lists its menu items, each with the predicate that says
who sees it; ``nav_items`` gives a reader the links they may follow."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, current_app, url_for

EXTENSION_KEY = "expo.navigation"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    allowed: Callable[[Any], bool]


@dataclass(frozen=True)
class NavLink:
    url: str
    label: Any


def init_app(app: Flask, items: Iterable[NavItem]) -> None:
    """Give the app its menu and templates the ``nav_items`` function."""
    app.extensions[EXTENSION_KEY] = tuple(items)
    app.jinja_env.globals["nav_items"] = nav_items


def nav_items(user: Any) -> list[NavLink]:
    """Links for this user, leaving out any whose page the app does not serve."""
    views = current_app.view_functions
    return [
        NavLink(url_for(item.endpoint), item.label)
        for item in current_app.extensions[EXTENSION_KEY]
        if item.endpoint in views and item.allowed(user)
    ]
