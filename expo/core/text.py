"""Names as people read them, the same in Python, SQLite and PostgreSQL.

Sorting follows the reader's language through ICU's collation (PyICU; on PostgreSQL its own ICU
collations such as "sv-x-icu"): Swedish puts Å, Ä and Ö after Z, English sorts them with A and
O. Searching ignores letter case and accents in every script, so "orebro" finds "Örebro" and
"muller" finds "Müller": ``fold`` makes the comparable form of a text, and ``folded`` makes
the same form of a column inside the database.

Stored text is also kept on one line where it reaches calendars, exports and e-mail headers
(titles, names, addresses, links): ``single_line`` normalises it where the models take it, and
``has_control_characters`` refuses web addresses that hold any."""
from __future__ import annotations

import re
import sqlite3
import unicodedata
from functools import cache
from typing import Any

import icu
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

# Languages whose collations SQLite connections know (PostgreSQL has every ICU locale).
COLLATION_LANGUAGES = ("en", "sv")

# Accents are the combining diacritical marks a letter decomposes into (U+0300–U+036F); marks
# of other blocks (Devanagari vowel signs, Japanese voicing marks …) belong to the letter.
_ACCENT_RANGE = "\u0300-\u036f"
# Letters with a stroke have no decomposition: they fold by hand, in both places alike.
_STROKED, _PLAIN = "łøđħıŀς", "lodhilσ"
_PLAIN_LETTERS = str.maketrans(_STROKED, _PLAIN)


def fold(text: str) -> str:
    """``text`` in lower case without accents: the form searches compare."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f").translate(_PLAIN_LETTERS)


class folded(FunctionElement):
    """A text column as ``fold`` makes it, computed by the database."""

    type = sa.String()
    inherit_cache = True


@compiles(folded)
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"expo_fold({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return (
        f"translate(regexp_replace(normalize(lower({column}), NFD), '[{_ACCENT_RANGE}]', '', 'g'), "
        f"'{_STROKED}', '{_PLAIN}')"
    )


def contains_folded(text: str, *columns: Any) -> sa.ColumnElement[bool]:
    """Any of the columns contains ``text``, letter case and accents aside, taken literally (% and
    _ are letters) and without NUL characters, which PostgreSQL text cannot hold."""
    needle = fold(text.replace("\x00", "").strip())
    return sa.or_(*(folded(column).contains(needle, autoescape=True) for column in columns))


@cache
def collator(language: str) -> icu.Collator:
    return icu.Collator.createInstance(icu.Locale(language))


def sort_key(text: str, language: str) -> bytes:
    """The key that orders ``text`` as a dictionary in ``language`` does."""
    return collator(language).getSortKey(text)


def collation_name(language: str, dialect: str) -> str:
    """The database's name of the collation of ``language``."""
    if dialect == "postgresql":
        return f"{language}-x-icu"  # PostgreSQL built with ICU has one per locale
    return f"expo_{language if language in COLLATION_LANGUAGES else COLLATION_LANGUAGES[0]}"


def install_sqlite_functions(connection: sqlite3.Connection) -> None:
    """Teach a SQLite connection ``expo_fold`` and the collations ``expo_<language>``."""
    connection.create_function("expo_fold", 1, lambda text: None if text is None else fold(text),
                               deterministic=True)
    for language in COLLATION_LANGUAGES:
        connection.create_collation(f"expo_{language}", collator(language).compare)


# C0 and C1 control characters and DEL; a tab and line breaks among them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_RUN = re.compile("[\x00-\x1f\x7f-\x9f]+")


def has_control_characters(value: str | None) -> bool:
    return bool(value) and _CONTROL.search(value) is not None  # type: ignore[arg-type]


def single_line(value: str | None) -> str | None:
    """``value`` on one line: each run of control characters becomes one space, and the ends
    are trimmed. None stays None."""
    if value is None:
        return None
    return _CONTROL_RUN.sub(" ", value).strip()
