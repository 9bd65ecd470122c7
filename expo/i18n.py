"""Language choice and locale-aware formatting of times in an event's time zone."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

LANGUAGE_NAMES = {"en": "English", "sv": "Svenska"}


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this browser, else Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands, background work: the default language
        return languages[0]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _locale() -> str:
    return str(get_locale() or "en")


# Swedish sorts å, ä and ö as letters of their own after z (æ with ä, ø with ö, ü with y);
# the characters after "z" in ASCII keep that order once accents are dropped.
_SWEDISH_LETTERS = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}", "ü": "y"})


def sort_key(text: str) -> str:
    """Orders text as a dictionary in the reader's language would (letter case and accents aside)."""
    text = unicodedata.normalize("NFC", text).casefold()
    if _locale().startswith("sv"):
        text = text.translate(_SWEDISH_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def local_datetime(instant: datetime, tz: str, fmt: str = "medium") -> str:
    """An instant as date and time in ``tz``, in the reader's language."""
    return babel_dates.format_datetime(instant, fmt, tzinfo=ZoneInfo(tz), locale=_locale())


def local_time(instant: datetime, tz: str) -> str:
    return babel_dates.format_time(instant, "HH:mm", tzinfo=ZoneInfo(tz), locale=_locale())


def local_date(value: date | datetime, tz: str | None = None, fmt: str = "full") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz or current_app.config["TIMEZONE"])).date()
    return babel_dates.format_date(value, fmt, locale=_locale())


def timezone_abbreviation(instant: datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%Z")


FILTERS = {
    "local_datetime": local_datetime,
    "local_time": local_time,
    "local_date": local_date,
    "tz_abbr": timezone_abbreviation,
}
