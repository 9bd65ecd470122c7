from expo.accounts.models import Role
from expo.permissions import can_export_schedule, can_reset_feed_token, can_subscribe_personal_feed
from tests.factories import make_event, make_user


class Anonymous:
    is_authenticated = False


def test_only_the_owner_resets_a_feed_address(app):
    owner, organiser = make_user(), make_user(role=Role.ORGANISER)
    assert can_reset_feed_token(owner, owner)
    assert not can_reset_feed_token(organiser, owner)
    assert not can_reset_feed_token(Anonymous(), owner)


def test_personal_feeds_are_for_signed_in_people(app):
    assert all(can_subscribe_personal_feed(make_user(role=role)) for role in Role)
    assert not can_subscribe_personal_feed(Anonymous())


def test_spreadsheet_exports_are_for_organisers_only(app):
    event = make_event()
    assert can_export_schedule(make_user(role=Role.ORGANISER), event)
    assert not can_export_schedule(make_user(role=Role.STAFF), event)
    assert not can_export_schedule(make_user(role=Role.DELEGATE), event)
    assert not can_export_schedule(Anonymous(), event)
