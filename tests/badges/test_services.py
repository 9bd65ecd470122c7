import pytest

from expo.accounts.models import CODE_ALPHABET, CODE_LENGTH, Role
from expo.badges.services import reset_badge
from expo.core.errors import NotAllowed
from tests.factories import make_user


def test_reset_badge_gives_new_token_and_code():
    organiser = make_user(role=Role.ORGANISER)
    delegate = make_user()
    old_token, old_code = delegate.badge_token, delegate.badge_code
    reset_badge(user=delegate, actor=organiser)
    assert delegate.badge_token != old_token and len(delegate.badge_token) >= 43
    assert delegate.badge_code != old_code
    assert len(delegate.badge_code) == CODE_LENGTH and set(delegate.badge_code) <= set(CODE_ALPHABET)


@pytest.mark.parametrize("role", [Role.STAFF, Role.DELEGATE])
def test_only_organisers_reset_badges(role):
    delegate = make_user()
    old_token = delegate.badge_token
    with pytest.raises(NotAllowed):
        reset_badge(user=delegate, actor=make_user(role=role))
    assert delegate.badge_token == old_token
