"""Names sorted as the reader's language sorts them and found whatever their letter case or
accents, in Python and in the database (SQLite here, PostgreSQL with EXPO_TEST_DATABASE_URL)."""
import re

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from expo.core.db import collated, contains_text
from expo.core.i18n import by_name, sort_key
from expo.core.text import fold
from expo.people.models import Organisation, OrganisationKind
from tests.factories import make_organisation

NAMES = ["Zeta", "Öberg", "Ågren", "Adam", "Ärla", "Olsson", "Müller", "Muller", "Eva"]
SWEDISH = ["Adam", "Eva", "Muller", "Müller", "Olsson", "Zeta", "Ågren", "Ärla", "Öberg"]
ENGLISH = ["Adam", "Ågren", "Ärla", "Eva", "Muller", "Müller", "Öberg", "Olsson", "Zeta"]


def test_fold_drops_case_and_accents_in_every_script():
    assert fold("Örebro") == "orebro"
    assert fold("MÜLLER") == "muller"
    assert fold("Łódź Ørsted") == "lodz orsted"
    assert fold("ΑΘΉΝΑ") == fold("αθηνα")
    assert fold("МОСКВА") == "москва"
    # Marks that are part of a letter in other scripts stay.
    assert fold("राजेश") == "राजेश"


@pytest.mark.parametrize(("locale", "expected"), [("sv", SWEDISH), ("en", ENGLISH)])
def test_sort_key_orders_names_as_the_readers_language(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert sorted(NAMES, key=sort_key) == expected


@pytest.mark.parametrize(("locale", "expected"), [("sv", SWEDISH), ("en", ENGLISH)])
def test_the_database_orders_names_as_the_readers_language(db, app, locale, expected):
    for n, name in enumerate(NAMES):
        make_organisation(name=name, kind=OrganisationKind.CITY, country_code=None if n % 2 else "SE")
    db.session.commit()

    assert list(db.session.scalars(sa.select(Organisation.name).order_by(collated(Organisation.name, locale)))) == expected
    with app.test_request_context(), force_locale(locale):
        assert list(db.session.scalars(sa.select(Organisation.name).order_by(by_name(Organisation.name)))) == expected


@pytest.mark.parametrize(("typed", "found"), [
    ("Orebro", "Örebro kommun"), ("örebro", "Örebro kommun"), ("OREBRO", "Örebro kommun"),
    ("Muller", "Müller & Co"), ("MÜLLER", "Müller & Co"), ("lodz", "Łódź"),
    ("москва", "МОСКВА"), ("αθηνα", "Δήμος Αθηναίων"), ("王", "王小明公司"), ("100%", "100% Stad"),
])
def test_search_ignores_case_and_accents_in_the_database(db, typed, found):
    for name in ("Örebro kommun", "Müller & Co", "Łódź", "МОСКВА", "Δήμος Αθηναίων", "王小明公司", "100% Stad", "Oslo"):
        make_organisation(name=name, kind=OrganisationKind.CITY)
    db.session.commit()

    assert list(db.session.scalars(sa.select(Organisation.name).where(contains_text(typed, Organisation.name)))) == [found]


@pytest.mark.parametrize(("locale", "expected"), [
    ("sv", ["Aalborg Kommune", "Oslo kommun", "Zürich", "Örebro kommun"]),
    ("en", ["Aalborg Kommune", "Örebro kommun", "Oslo kommun", "Zürich"]),
])
def test_the_organisations_list_sorts_and_searches_for_its_reader(client, login_as, db, locale, expected):
    for name in ("Örebro kommun", "Oslo kommun", "Aalborg Kommune", "Zürich"):
        make_organisation(name=name, kind=OrganisationKind.CITY)
    login_as("organiser", locale=locale)

    page = client.get("/manage/organisations").get_data(as_text=True)
    shown = re.findall(r"(Örebro kommun|Oslo kommun|Aalborg Kommune|Zürich)", page)
    assert list(dict.fromkeys(shown)) == expected

    found = client.get("/manage/organisations?q=orebro").get_data(as_text=True)
    assert "Örebro kommun" in found and "Oslo kommun" not in found
