"""Every change a calendar shows moves the session's SEQUENCE and LAST-MODIFIED, whether the
session itself changed or something it shows (its room, venue, track, networks, people):
ICSx⁵ and others update a subscribed event only when LAST-MODIFIED rises."""
from __future__ import annotations

from datetime import timedelta

import pytest

from expo.accounts.models import Role
from expo.calendar.feeds import personal_feed, public_feed
from expo.calendar.ical import session_uid
from expo.core.extensions import db
from expo.events.models import Track
from expo.people.services import NetworkData, update_network
from expo.registration.models import Booking
from expo.venues.services import VenueData, update_room, update_venue
from tests.calendar.helpers import by_uid, parse
from tests.factories import add_person, make_booking, make_network, make_room, make_session, make_user, make_venue


@pytest.fixture
def organiser(db):
    return make_user(role=Role.ORGANISER)


def _seen(session) -> tuple[int, object]:
    """SEQUENCE and LAST-MODIFIED of the session in its public feed."""
    vevent = by_uid(parse(public_feed([session], name="Feed")))[session_uid(session)]
    return vevent["SEQUENCE"], vevent.decoded("LAST-MODIFIED")


def _aged(session) -> None:
    """Make the session look last changed an hour ago, so a new change shows in LAST-MODIFIED."""
    session.updated_at -= timedelta(hours=1)
    db.session.flush()


def _venue_data(venue, **changes) -> VenueData:
    values = dict(name=venue.name, slug=venue.slug, address=venue.address, latitude=venue.latitude,
                  longitude=venue.longitude)
    values.update(changes)
    return VenueData(**values)


def _renamers(organiser):
    def room_renamed(session):
        update_room(room=session.room, name="Ballroom", capacity=session.room.capacity, actor=organiser)

    def venue_renamed(session):
        venue = session.room.venue
        update_venue(venue=venue, data=_venue_data(venue, name="Dunkers kulturhus"), actor=organiser)

    def venue_moved(session):
        venue = session.room.venue
        update_venue(venue=venue, data=_venue_data(venue, address="Kungsgatan 11, Helsingborg"), actor=organiser)

    def venue_placed_on_map(session):
        venue = session.room.venue
        update_venue(venue=venue, data=_venue_data(venue, latitude=56.05, longitude=12.69), actor=organiser)

    def track_renamed(session):
        from expo.events.services import update_track

        track = session.track
        update_track(track=track, name="Energy and climate", colour=track.colour, actor=organiser)

    def network_renamed(session):
        network = session.networks[0]
        update_network(network=network, data=NetworkData(name="Viable Cities", slug=network.slug), actor=organiser)

    def speaker_renamed(session):
        from expo.accounts.services import update_profile

        speaker = session.roles[0].user
        update_profile(user=speaker, actor=speaker, name="Greta Speaker", email=speaker.email,
                       organisation=None, country_code=None, networks=[], locale="en")

    return [room_renamed, venue_renamed, venue_moved, venue_placed_on_map, track_renamed, network_renamed,
            speaker_renamed]


@pytest.mark.parametrize("index", range(7), ids=["room renamed", "venue renamed", "venue moved", "venue on the map",
                                                   "track renamed", "network renamed", "speaker renamed"])
def test_what_a_session_shows_raises_its_sequence_and_last_modified(db, organiser, index):
    track = Track(event=None, name="Energy", colour="#225588")
    session = make_session(room=make_room(venue=make_venue(name="Dunkers"), name="Hall"))
    track.event = session.event
    session.track = track
    session.networks.append(make_network(name="NetZeroCities"))
    add_person(session, make_user(name="Sam Speaker"))
    bystander = make_session(event=session.event)
    _aged(session)
    _aged(bystander)
    sequence, modified = _seen(session)
    untouched = _seen(bystander)

    _renamers(organiser)[index](session)
    db.session.expire_all()

    new_sequence, new_modified = _seen(session)
    assert new_sequence == sequence + 1
    assert new_modified > modified
    assert _seen(bystander) == untouched


def test_a_room_capacity_alone_changes_nothing_a_calendar_shows(db, organiser):
    session = make_session()
    _aged(session)
    before = _seen(session)
    update_room(room=session.room, name=session.room.name, capacity=250, actor=organiser)
    db.session.expire_all()
    assert _seen(session) == before


def test_the_personal_feed_follows_a_room_rename(db, organiser):
    delegate = make_user()
    session = make_session(room=make_room(name="Hall"))
    booking = make_booking(session=session, user=delegate)
    booking.updated_at -= timedelta(hours=1)
    _aged(session)
    uid = session_uid(session)
    before = by_uid(parse(personal_feed(delegate, db.session.query(Booking).all())))[uid]

    update_room(room=session.room, name="Ballroom", capacity=100, actor=organiser)
    db.session.expire_all()

    after = by_uid(parse(personal_feed(delegate, db.session.query(Booking).all())))[uid]
    assert "Ballroom" in str(after["LOCATION"]) and "Hall" in str(before["LOCATION"])
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
