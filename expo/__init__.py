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
    from expo.core import resilient_redis, security

    app = security.Expo(__name__, instance_path=config_module.instance_path(), instance_relative_config=True)
    app.config.from_mapping(config_module.load(app.instance_path, config))
    if app.config["PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address and scheme from the headers of the proxies Expo trusts, and
        # only theirs: a header a client sets itself is never read.
        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from expo.core.extensions import (
        babel,
        cache,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )
    from expo.core.i18n import Request, select_locale

    app.request_class = Request
    resilient_redis.init_app(app)
    db.init_app(app)
    from expo.core.db import limit_request_statements

    limit_request_statements(app)
    migrate.init_app(app, db, directory=_migrations_directory(app.root_path))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    cache.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)

    from expo import models  # noqa: F401  (the whole schema for Alembic and create_all)

    # Ids beyond the database's integer range and segments holding NUL are simply not found
    # (never a 500).
    from expo.core.db import URL_CONVERTERS

    app.url_map.converters.update(URL_CONVERTERS)
    _register_blueprints(app)
    _register_templating(app)

    from expo.core.errors import register_error_pages

    register_error_pages(app)

    from expo.cli import expo_cli

    app.cli.add_command(expo_cli)
    return app


def _register_blueprints(app: Flask) -> None:
    from expo.accounts.admin_views import bp as people_admin_bp
    from expo.accounts.admin_views import invitations_bp
    from expo.accounts.views import bp as accounts_bp
    from expo.assistant.views import bp as assistant_bp
    from expo.audit.views import bp as audit_bp
    from expo.attendance.views import bp as attendance_bp
    from expo.badges.views import bp as badges_bp
    from expo.events.branding_views import bp as branding_bp
    from expo.calendar.views import bp as calendar_bp
    from expo.core.views import bp as core_bp
    from expo.events.team_views import bp as teams_bp
    from expo.events.views import bp as events_bp
    from expo.imports.views import bp as imports_bp
    from expo.people.views import bp as people_bp
    from expo.programme.views import bp as programme_bp
    from expo.registration.manage_views import bp as registration_manage_bp
    from expo.registration.views import bp as registration_bp
    from expo.schedule.views import bp as schedule_bp
    from expo.stats.views import bp as stats_bp
    from expo.twinning.views import bp as twinning_bp
    from expo.venues.views import bp as venues_bp

    for blueprint in (
        core_bp,
        events_bp,
        accounts_bp,
        people_bp,
        venues_bp,
        programme_bp,
        imports_bp,
        schedule_bp,
        registration_bp,
        registration_manage_bp,
        calendar_bp,
        attendance_bp,
        badges_bp,
        stats_bp,
        people_admin_bp,
        invitations_bp,
        audit_bp,
        teams_bp,
        assistant_bp,
        twinning_bp,
        branding_bp,
    ):
        app.register_blueprint(blueprint)


def _register_templating(app: Flask) -> None:
    from flask_babel import get_locale

    from expo import permissions
    from expo.core import branding, fragments, i18n, navigation, tables
    from expo.events.queries import expo_look
    from expo.people.countries import country_name

    app.jinja_env.add_extension("jinja2.ext.do")
    i18n.install_template_gettext(app.jinja_env)
    app.jinja_env.globals.update(permissions.JINJA_GLOBALS)
    navigation.init_app(app, **_navigation())
    branding.init_app(app, loader=expo_look)
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals.update(table_url=tables.table_url, filter_args=tables.filter_args,
                                 download_url=tables.download_url, row_url=tables.row_url)
    fragments.init_app(app, scope=permissions.table_scope)
    app.jinja_env.globals["LANGUAGE_NAMES"] = i18n.LANGUAGE_NAMES
    app.jinja_env.filters.update(i18n.FILTERS)
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _navigation() -> dict[str, Any]:
    """The menus: the public header's links, and the workspace of organisers and staff in its
    groups; each link with the permission predicate that shows it."""
    from flask_babel import lazy_gettext as _l

    from expo import permissions as p
    from expo.core.navigation import NavGroup, NavItem

    return {
        "groups": (
            NavGroup("programme", _l("Programme")),
            NavGroup("people", _l("People")),
            NavGroup("door", _l("Door")),
            NavGroup("reports", _l("Reports")),
            NavGroup("settings", _l("Settings")),
        ),
        "items": (
            NavItem("schedule.list_venues", _l("Venues"), p.is_anyone),
            NavItem("schedule.list_networks", _l("Networks"), p.is_anyone),
            NavItem("schedule.list_countries", _l("Countries"), p.is_anyone),
            NavItem("registration.agenda", _l("My agenda"), p.is_signed_in),
            NavItem("twinning.my_twinning", _l("Twinning"), p.has_twinning_application),
            NavItem("programme.manage_index", _l("Dashboard"), p.organises_any_event, "programme"),
            NavItem("programme.list_events", _l("Events and sessions"), p.organises_any_event, "programme"),
            NavItem("venues.list_venues", _l("Venues and rooms"), p.can_manage_expo, "programme"),
            NavItem("programme.conflicts", _l("Conflicts"), p.can_view_conflicts, "programme"),
            NavItem("assistant.new_expo_run", _l("Scheduling assistant"), p.can_run_expo_assistant, "programme"),
            NavItem("twinning.list_programmes", _l("Twinning programmes"), p.can_manage_twinning, "programme"),
            NavItem("people_admin.list_people", _l("People"), p.can_manage_people, "people"),
            NavItem("people.list_organisations", _l("Organisations"), p.can_manage_expo, "people"),
            NavItem("people.list_networks", _l("Networks"), p.can_manage_expo, "people"),
            NavItem("attendance.today", _l("Sessions at the door"), p.is_staff, "door"),
            NavItem("stats.index", _l("Statistics"), p.can_view_statistics, "reports"),
            NavItem("badges.index", _l("Badges"), p.can_print_badges, "reports"),
            NavItem("audit.show_log", _l("Audit log"), p.can_read_audit_log, "reports"),
            NavItem("branding.edit_branding", _l("Branding"), p.can_manage_branding, "settings"),
            NavItem("registration_manage.failed_mail", _l("Failed e-mails"), p.can_resend_mail, "settings"),
        ),
    }
