"""Organisers' pages for networks and organisations."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import sqlalchemy as sa

from expo.core.db import get_or_404
from expo.core.fragments import table_page
from expo.core.tables import Table, download
from expo.people import services
from expo.people.forms import (
    ORGANISATION_KINDS,
    NetworkFiltersForm,
    NetworkForm,
    OrganisationFiltersForm,
    OrganisationForm,
)
from expo.people.models import Network, Organisation, OrganisationKind
from expo.permissions import can_manage_expo
from expo.programme.pages import guard, perform, submit

bp = Blueprint("people", __name__)


# --- networks -----------------------------------------------------------------------------------

@bp.route("/manage/networks")
@guard(can_manage_expo)
def list_networks():
    def build() -> dict[str, Any]:
        filters = NetworkFiltersForm(formdata=request.args)
        table, query = services.network_list(**filters.criteria())
        return {"page": table.page(query, table.state(request.args)), "filters": filters}

    # Members are people; sessions are counted per event.
    return table_page("manage/networks.html", context={}, build=build, reads=(
        "networks", "user_networks", "users", "session_networks", "programme_sessions", "events"))


@bp.route("/manage/networks.<any(csv, xlsx):fmt>")
@guard(can_manage_expo)
def export_networks(fmt: str):
    filters = NetworkFiltersForm(formdata=request.args)
    table, query = services.network_list(**filters.criteria())
    header, rows = services.network_rows(table.all_rows(query, table.state(request.args)))
    return download(fmt, header, rows, filename="networks", title=_("Networks"))


@bp.route("/manage/networks/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_network():
    form = NetworkForm()
    return submit(
        form, lambda: services.create_network(data=form.network_data(), actor=current_user),
        _("Network created."), lambda _network: url_for("people.list_networks"),
    ) or render_template("manage/network_form.html", form=form, network=None)


@bp.route("/manage/networks/<int:network_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_network(network_id: int):
    network = get_or_404(Network, network_id)
    form = NetworkForm(obj=network)
    return submit(
        form, lambda: services.update_network(network=network, data=form.network_data(), actor=current_user),
        _("Network saved."), lambda _network: url_for("people.list_networks"),
    ) or render_template("manage/network_form.html", form=form, network=network)


@bp.route("/manage/networks/<int:network_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_network(network_id: int):
    network = get_or_404(Network, network_id)
    return perform(
        lambda: services.delete_network(network=network, actor=current_user), _("Network deleted."),
        url_for("people.list_networks"), url_for("people.edit_network", network_id=network_id),
    )


# --- organisations ------------------------------------------------------------------------------

def _organisation_list() -> tuple[OrganisationFiltersForm, Table, sa.Select]:
    filters = OrganisationFiltersForm(formdata=request.args)
    valid = filters.validate()
    table, query = services.organisation_list(
        q=(filters.q.data or "") if valid else "",
        kind=OrganisationKind(filters.kind.data) if valid and filters.kind.data else None,
        country_code=filters.country.data if valid else None,
    )
    return filters, table, query


@bp.route("/manage/organisations")
@guard(can_manage_expo)
def list_organisations():
    def build() -> dict[str, Any]:
        filters, table, query = _organisation_list()
        return {"page": table.page(query, table.state(request.args)), "filters": filters,
                "kind_labels": dict(ORGANISATION_KINDS)}

    return table_page("manage/organisations.html", reads=("organisations", "users", "countries"),
                      context={}, build=build)


@bp.route("/manage/organisations.<any(csv, xlsx):fmt>")
@guard(can_manage_expo)
def export_organisations(fmt: str):
    _filters, table, query = _organisation_list()
    header, rows = services.organisation_rows(table.all_rows(query, table.state(request.args)),
                                              dict(ORGANISATION_KINDS))
    return download(fmt, header, rows, filename="organisations", title=_("Organisations"))


@bp.route("/manage/organisations/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_organisation():
    form = OrganisationForm()
    return submit(
        form, lambda: services.create_organisation(data=form.organisation_data(), actor=current_user),
        _("Organisation created."), lambda _organisation: url_for("people.list_organisations"),
    ) or render_template("manage/organisation_form.html", form=form, organisation=None)


@bp.route("/manage/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_organisation(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    return submit(
        form,
        lambda: services.update_organisation(
            organisation=organisation, data=form.organisation_data(), actor=current_user
        ),
        _("Organisation saved."), lambda _organisation: url_for("people.list_organisations"),
    ) or render_template("manage/organisation_form.html", form=form, organisation=organisation)


@bp.route("/manage/organisations/<int:organisation_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_organisation(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    return perform(
        lambda: services.delete_organisation(organisation=organisation, actor=current_user),
        _("Organisation deleted."), url_for("people.list_organisations"),
        url_for("people.edit_organisation", organisation_id=organisation_id),
    )
