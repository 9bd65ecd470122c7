"""Country names in the reader's language.

Countries are stored with their English name (ISO 3166-1, from pycountry); any other language
takes the name from Babel's CLDR data, so a Swedish page says "Tyskland" where an English one
says "Germany"."""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pycountry
import sqlalchemy as sa
from babel import Locale
from flask import has_app_context
from flask_babel import get_locale

from expo.core.i18n import sort_key
from expo.core.text import sort_key as language_sort_key
from expo.core.text import fold
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


def country_search_words(code: str | None, english: str | None) -> str | None:
    """What a search finds a person's country by: its stored English name and, for a reader of
    another language, its name in theirs ("Germany Tyskland"), so staff can type either."""
    if not code and not english:
        return None
    named = country_name(code, english) if code else english
    return english if not named or named == english else f"{english or ''} {named}".strip()


def codes_named(term: str, codes: Iterable[str] | None = None) -> list[str]:
    """The ISO codes of the countries whose name in the reader's language contains the folded
    ``term`` (none for an English reader: stored names are English and searched as they are).
    Read from Babel's CLDR data in memory: no query, whatever the number of people."""
    locale = _reader_locale()
    if locale.language == STORED_LANGUAGE or not term:
        return []
    territories = _folded_territories(str(locale))
    wanted = set(codes) if codes is not None else None
    return sorted(code for code, name in territories.items()
                  if term in name and (wanted is None or code in wanted))


@lru_cache(maxsize=16)
def _folded_territories(locale: str) -> dict[str, str]:
    """Two-letter territory codes and their folded names in ``locale``."""
    return {code: fold(name) for code, name in Locale.parse(locale).territories.items()
            if len(code) == 2 and code.isalpha()}


def by_country_name(code_column) -> sa.ColumnElement:
    """``code_column`` (an ISO code) for ``order_by``, ordered by the country's name in the reader's
    language ("Tyskland" after "Sverige" for a Swedish reader, "Germany" before "Sweden" for an
    English one): each code's place in that order, worked out in memory once per language; no
    country last."""
    locale = str(_reader_locale())
    key = (code_column.class_.__name__, code_column.key, locale)
    found = _ORDERS.get(key)
    if found is None:  # built once: a case of every country is slow to put together
        order = _name_order(locale)
        found = _ORDERS[key] = sa.case(order, value=code_column, else_=len(order))
    return found


_ORDERS: dict[tuple[str, str, str], sa.ColumnElement] = {}


@lru_cache(maxsize=16)
def _name_order(locale: str) -> dict[str, int]:
    """Each ISO code's place among the countries ordered by their names in ``locale``: the stored
    English names (pycountry's, as ``sync_countries`` stores them) in English, Babel's in others."""
    language = Locale.parse(locale).language
    territories = Locale.parse(locale).territories
    names = {}
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        names[country.alpha_2] = english if language == STORED_LANGUAGE else territories.get(country.alpha_2) or english
    ordered = sorted(names, key=lambda code: (language_sort_key(names[code], language), code))
    return {code: place for place, code in enumerate(ordered)}
