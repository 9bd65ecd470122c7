"""Organisers' pages for networks and organisations."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expo.db import get_or_404
from expo.errors import ExpoError
from expo.extensions import db
from expo.people import services
from expo.people.forms import NetworkForm, OrganisationFiltersForm, OrganisationForm
from expo.people.models import Network, Organisation, OrganisationKind
from expo.permissions import can_manage_expo
from expo.programme.views import form_refused, guard, refused

bp = Blueprint("people", __name__)


# --- networks -----------------------------------------------------------------------------------

@bp.route("/manage/networks")
@guard(can_manage_expo)
def list_networks():
    q = request.args.get("q", "")[:100]
    return render_template("manage/networks.html", networks=services.list_networks(q), q=q)


@bp.route("/manage/networks/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_network():
    form = NetworkForm()
    if form.validate_on_submit():
        try:
            services.create_network(data=form.network_data(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Network created."), "success")
            return redirect(url_for("people.list_networks"))
    return render_template("manage/network_form.html", form=form, network=None)


@bp.route("/manage/networks/<int:network_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_network(network_id: int):
    network = get_or_404(Network, network_id)
    form = NetworkForm(obj=network)
    if form.validate_on_submit():
        try:
            services.update_network(network=network, data=form.network_data(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Network saved."), "success")
            return redirect(url_for("people.list_networks"))
    return render_template("manage/network_form.html", form=form, network=network)


@bp.route("/manage/networks/<int:network_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_network(network_id: int):
    network = get_or_404(Network, network_id)
    try:
        services.delete_network(network=network, actor=current_user)
    except ExpoError as error:
        refused(error)
        return redirect(url_for("people.edit_network", network_id=network_id))
    db.session.commit()
    flash(_("Network deleted."), "success")
    return redirect(url_for("people.list_networks"))


# --- organisations ------------------------------------------------------------------------------

@bp.route("/manage/organisations")
@guard(can_manage_expo)
def list_organisations():
    filters = OrganisationFiltersForm(formdata=request.args)
    valid = filters.validate()
    organisations = services.list_organisations(
        q=(filters.q.data or "") if valid else "",
        kind=OrganisationKind(filters.kind.data) if valid and filters.kind.data else None,
        country_code=filters.country.data if valid else None,
    )
    return render_template("manage/organisations.html", organisations=organisations, filters=filters)


@bp.route("/manage/organisations/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            services.create_organisation(data=form.organisation_data(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Organisation created."), "success")
            return redirect(url_for("people.list_organisations"))
    return render_template("manage/organisation_form.html", form=form, organisation=None)


@bp.route("/manage/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_organisation(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation=organisation, data=form.organisation_data(), actor=current_user)
        except ExpoError as error:
            form_refused(form, error)
        else:
            db.session.commit()
            flash(_("Organisation saved."), "success")
            return redirect(url_for("people.list_organisations"))
    return render_template("manage/organisation_form.html", form=form, organisation=organisation)


@bp.route("/manage/organisations/<int:organisation_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_organisation(organisation_id: int):
    organisation = get_or_404(Organisation, organisation_id)
    try:
        services.delete_organisation(organisation=organisation, actor=current_user)
    except ExpoError as error:
        refused(error)
        return redirect(url_for("people.edit_organisation", organisation_id=organisation_id))
    db.session.commit()
    flash(_("Organisation deleted."), "success")
    return redirect(url_for("people.list_organisations"))
