"""Expo: event and conference management for city expos."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask


def _migrations_directory(root_path: str) -> str:
    # In the source tree the migrations sit beside the package; an installed package carries them.
    packaged = os.path.join(root_path, "migrations")
    return packaged if os.path.isdir(packaged) else os.path.join(os.path.dirname(root_path), "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI and error pages."""
    from expo import config as config_module

    app = Flask(__name__, instance_path=config_module.instance_path(), instance_relative_config=True)
    app.config.from_mapping(config_module.load(app.instance_path, config))

    from expo.core import security
    from expo.core.extensions import (
        babel,
        cache,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )
    from expo.core.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_directory(app.root_path))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    cache.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)

    from expo import models  # noqa: F401  (the whole schema for Alembic and create_all)

    # Ids in URLs beyond the database's integer range are simply not found (never a 500).
    from expo.core.db import DatabaseInteger

    app.url_map.converters["int"] = DatabaseInteger
    _register_blueprints(app)
    _register_templating(app)

    from expo.core.errors import register_error_pages

    register_error_pages(app)

    from expo.cli import expo_cli

    app.cli.add_command(expo_cli)
    return app


def _register_blueprints(app: Flask) -> None:
    from expo.accounts.views import bp as accounts_bp
    from expo.attendance.views import bp as attendance_bp
    from expo.badges.views import bp as badges_bp
    from expo.calendar.views import bp as calendar_bp
    from expo.core.views import bp as core_bp
    from expo.events.views import bp as events_bp
    from expo.people.views import bp as people_bp
    from expo.programme.views import bp as programme_bp
    from expo.registration.manage_views import bp as registration_manage_bp
    from expo.registration.views import bp as registration_bp
    from expo.schedule.views import bp as schedule_bp
    from expo.stats.views import bp as stats_bp
    from expo.venues.views import bp as venues_bp

    for blueprint in (
        core_bp,
        events_bp,
        accounts_bp,
        people_bp,
        venues_bp,
        programme_bp,
        schedule_bp,
        registration_bp,
        registration_manage_bp,
        calendar_bp,
        attendance_bp,
        badges_bp,
        stats_bp,
    ):
        app.register_blueprint(blueprint)


def _register_templating(app: Flask) -> None:
    from flask_babel import get_locale

    from expo import permissions
    from expo.core import i18n, navigation
    from expo.people.countries import country_name

    app.jinja_env.add_extension("jinja2.ext.do")
    i18n.install_template_gettext(app.jinja_env)
    app.jinja_env.globals.update(permissions.JINJA_GLOBALS)
    navigation.init_app(app, _navigation())
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    app.jinja_env.filters.update(i18n.FILTERS)
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _navigation() -> tuple[Any, ...]:
    """The main menu: each link with the permission predicate that shows it."""
    from flask_babel import lazy_gettext as _l

    from expo import permissions as p
    from expo.core.navigation import NavItem

    return (
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
