"""Organisers' pages for venues and their rooms (shared by every event of the expo)."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from expo.core.db import get_or_404
from expo.permissions import can_manage_expo
from expo.programme.pages import guard, perform, submit
from expo.venues import services
from expo.venues.forms import RoomForm, VenueFiltersForm, VenueForm
from expo.venues.models import Room, Venue

bp = Blueprint("venues", __name__, url_prefix="/manage/venues")


def _venue_page(venue_id: int) -> str:
    return url_for("venues.edit_venue", venue_id=venue_id)


@bp.route("/")
@guard(can_manage_expo)
def list_venues():
    filters = VenueFiltersForm(formdata=request.args)
    return render_template("manage/venues.html", venues=services.list_venues(**filters.criteria()), filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@guard(can_manage_expo)
def new_venue():
    form = VenueForm()
    return submit(
        form, lambda: services.create_venue(data=form.venue_data(), actor=current_user),
        _("Venue created. Now add its rooms."), lambda venue: _venue_page(venue.id),
    ) or render_template("manage/venue_form.html", form=form, venue=None, room_form=None)


@bp.route("/<int:venue_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_venue(venue_id: int):
    venue = get_or_404(Venue, venue_id)
    form = VenueForm() if request.method == "POST" else VenueForm.for_venue(venue)
    return submit(
        form, lambda: services.update_venue(venue=venue, data=form.venue_data(), actor=current_user),
        _("Venue saved."), lambda venue: _venue_page(venue.id),
    ) or render_template(
        "manage/venue_form.html", form=form, venue=venue, room_form=RoomForm(formdata=None, prefix="room")
    )


@bp.route("/<int:venue_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_venue(venue_id: int):
    venue = get_or_404(Venue, venue_id)
    return perform(
        lambda: services.delete_venue(venue=venue, actor=current_user), _("Venue deleted."),
        url_for("venues.list_venues"), _venue_page(venue_id),
    )


@bp.route("/<int:venue_id>/rooms", methods=["POST"])
@guard(can_manage_expo)
def new_room(venue_id: int):
    venue = get_or_404(Venue, venue_id)
    room_form = RoomForm(prefix="room")
    return submit(
        room_form,
        lambda: services.create_room(
            venue=venue, name=room_form.name.data, capacity=room_form.capacity.data, actor=current_user,
            kind=room_form.kind.data,
        ),
        _("Room added."), lambda room: _venue_page(room.venue_id),
    ) or render_template("manage/venue_form.html", form=VenueForm.for_venue(venue), venue=venue, room_form=room_form)


@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@guard(can_manage_expo)
def edit_room(room_id: int):
    room = get_or_404(Room, room_id)
    form = RoomForm(obj=room, prefix="room")
    return submit(
        form,
        lambda: services.update_room(room=room, name=form.name.data, capacity=form.capacity.data, actor=current_user,
                                     kind=form.kind.data),
        _("Room saved."), lambda room: _venue_page(room.venue_id),
    ) or render_template("manage/room_form.html", form=form, room=room)


@bp.route("/rooms/<int:room_id>/delete", methods=["POST"])
@guard(can_manage_expo)
def delete_room(room_id: int):
    room = get_or_404(Room, room_id)
    return perform(
        lambda: services.delete_room(room=room, actor=current_user), _("Room deleted."), _venue_page(room.venue_id)
    )
