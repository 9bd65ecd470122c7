"""Country names in the reader's language.

Countries are stored with their English name (ISO 3166-1, from pycountry); any other language
takes the name from Babel's CLDR data, so a Swedish page says "Tyskland" where an English one
says "Germany"."""
from __future__ import annotations

from babel import Locale
from flask import has_app_context
from flask_babel import get_locale

from expo.core.i18n import sort_key
from expo.people.models import Country

STORED_LANGUAGE = "en"


def _reader_locale() -> Locale:
    locale = get_locale() if has_app_context() else None
    return locale or Locale(STORED_LANGUAGE)


def country_name(country: Country | str | None, english: str | None = None) -> str:
    """The country (a Country or an ISO code with its stored English name) named for the reader."""
    if country is None:
        return ""
    if isinstance(country, Country):
        code, english = country.code, country.name
    else:
        code = country
    locale = _reader_locale()
    if locale.language == STORED_LANGUAGE and english:
        return english
    return locale.territories.get(code.upper()) or english or code


def named_countries(rows) -> list[tuple[str, str]]:
    """(code, English name) rows as (code, name for the reader), in the reader's alphabetical order."""
    named = [(code, country_name(code, english)) for code, english in rows]
    return sorted(named, key=lambda pair: sort_key(pair[1]))
