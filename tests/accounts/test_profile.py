from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expo.accounts import services
from expo.accounts.models import Role, User
from expo.core.errors import ExpoError
from expo.core.extensions import db as _db
from expo.people.models import Organisation, OrganisationKind
from expo.permissions import can_view_private_needs
from tests.factories import make_network, make_organisation, make_user, utc

SIGNUP = {
    "name": "Ana Pereira",
    "email": "ana@porto.example",
    "password": "a long enough secret",
    "confirm": "a long enough secret",
    "country": "PT",
    "locale": "sv",
}


def html(response) -> str:
    return response.get_data(as_text=True)


def test_signup_form_asks_everything(client, db):
    make_network(name="NetZeroCities")
    make_organisation(name="Porto City Council", country_code="PT")
    db.session.commit()
    page = html(client.get("/account/signup"))
    for label in ("Full name", "E-mail", "Organisation", "Country", "NetZeroCities", "Preferred language",
                  "Accessibility needs", "Dietary needs", "I consent", "Porto City Council (PT)"):
        assert label in page, label


def test_signup_with_an_existing_organisation_networks_and_needs(client, db):
    network = make_network(name="CPMR")
    organisation = make_organisation(name="Porto City Council", country_code="PT")
    db.session.commit()
    response = client.post("/account/signup", data={
        **SIGNUP, "organisation": str(organisation.id), "networks": [str(network.id)],
        "dietary_needs": "Vegetarian", "needs_consent": "y",
    })
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert user.organisation == organisation and user.networks == [network]
    assert (user.locale, user.country_code, user.dietary_needs) == ("sv", "PT", "Vegetarian")
    assert user.needs_consent_at is not None


def test_signup_creates_a_new_organisation_by_name_kind_and_country(client, db):
    response = client.post("/account/signup", data={
        **SIGNUP, "organisation": "new", "new_organisation_name": "  Helsingborg   Stad ",
        "new_organisation_kind": "city", "new_organisation_country": "SE",
    })
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation))
    assert (organisation.name, organisation.kind, organisation.country_code) == (
        "Helsingborg Stad", OrganisationKind.CITY, "SE")
    assert db.session.scalar(sa.select(User)).organisation == organisation


def test_new_organisation_needs_a_name(client, db):
    response = client.post("/account/signup", data={**SIGNUP, "organisation": "new"})
    assert response.status_code == 200 and "Name the organisation." in html(response)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_needs_without_consent_are_refused_and_not_stored(client, db):
    response = client.post("/account/signup", data={**SIGNUP, "accessibility_needs": "Wheelchair"})
    assert response.status_code == 200
    assert "Tick the consent box" in html(response)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_find_or_create_organisation_reuses_one_in_any_case(db):
    existing = make_organisation(name="Porto City Council", country_code="PT")
    again = services.find_or_create_organisation(name="porto city council", kind=OrganisationKind.CITY,
                                                  country_code="PT")
    assert again == existing
    other_country = services.find_or_create_organisation(name="Porto City Council", kind=OrganisationKind.CITY,
                                                          country_code="BR")
    assert other_country != existing


def test_profile_page_shows_and_saves_changes(client, db, login_as, outbox):
    network = make_network(name="Viable Cities")
    user = login_as(Role.DELEGATE, name="Lena Lund", country_code="SE")
    page = html(client.get("/account/profile"))
    assert 'value="Lena Lund"' in page and "Viable Cities" in page
    response = client.post("/account/profile", data={
        "name": "Lena Lund-Berg", "email": "LENA@example.org", "country": "NO", "locale": "sv",
        "networks": [str(network.id)], "accessibility_needs": "Hearing loop", "needs_consent": "y",
    })
    assert response.status_code == 302
    db.session.refresh(user)
    # The new address takes effect once its link is followed (tests/accounts/test_verification.py).
    assert (user.name, user.pending_email, user.country_code, user.locale) == (
        "Lena Lund-Berg", "lena@example.org", "NO", "sv")
    assert [m.to for m in outbox] == ["lena@example.org"]
    assert user.networks == [network] and user.accessibility_needs == "Hearing loop"
    page = html(client.get("/account/profile"))
    assert "Hearing loop" in page and 'checked' in page


def test_withdrawing_consent_erases_the_needs(client, db, login_as):
    user = login_as(Role.DELEGATE, dietary_needs="Halal", needs_consent_at=utc(2026, 1, 1))
    # the browser still sends the text; unticking consent is enough
    client.post("/account/profile", data={"name": user.name, "email": user.email, "locale": "en",
                                          "dietary_needs": "Halal"})
    db.session.refresh(user)
    assert (user.dietary_needs, user.accessibility_needs, user.needs_consent_at) == (None, None, None)


def test_needs_typed_without_consent_on_the_profile_are_refused(client, db, login_as):
    user = login_as(Role.DELEGATE)
    response = client.post("/account/profile", data={"name": user.name, "email": user.email, "locale": "en",
                                                     "dietary_needs": "Halal"})
    assert "Tick the consent box" in html(response)
    db.session.refresh(user)
    assert user.dietary_needs is None


def test_an_email_in_use_is_not_told_and_never_taken(client, db, login_as, outbox):
    make_user(email="taken@example.org")
    user = login_as(Role.DELEGATE)
    response = client.post("/account/profile", data={"name": "X", "email": "taken@example.org", "locale": "en"})
    assert response.status_code == 302
    link = re.search(r"https?://[^/\s]+(/account/verify/\S+)", outbox[-1].body).group(1)

    followed = client.get(link, follow_redirects=True)

    assert "Another account uses this e-mail address now" in html(followed)
    db.session.refresh(user)
    assert user.email != "taken@example.org"


def test_set_needs_requires_consent(db):
    user = make_user()
    with pytest.raises(ExpoError):
        services.set_needs(user=user, accessibility="Ramp", dietary=None, consent=False)
    services.set_needs(user=user, accessibility="Ramp", dietary="", consent=True)
    assert user.accessibility_needs == "Ramp" and user.dietary_needs is None and user.needs_consent_at
    _db.session.flush()


def test_only_organisers_see_private_needs(db):
    from expo.events.models import TeamMember, TeamRole
    from tests.factories import make_event

    event, other = make_event(), make_event()
    admin, staff, delegate, team = (make_user(role=r) for r in (Role.ADMIN, Role.STAFF, Role.DELEGATE, Role.DELEGATE))
    _db.session.add(TeamMember(event=event, user=team, role=TeamRole.ORGANISER))
    _db.session.flush()
    assert [can_view_private_needs(u, event) for u in (admin, staff, delegate, team)] == [True, False, False, True]
    assert not can_view_private_needs(team, other)


def test_profile_cannot_be_edited_for_someone_else(db):
    from expo.core.errors import NotAllowed

    user, other = make_user(), make_user()
    with pytest.raises(NotAllowed):
        services.update_profile(user=user, actor=other, name="X", email="x@example.org", organisation=None,
                                country_code=None, networks=[], locale="en")
