"""Language choice and locale-aware formatting of times in an event's time zone."""
from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.support import NullTranslations, Translations
from flask import Request as FlaskRequest
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import Environment, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from werkzeug.utils import cached_property
from wtforms.i18n import messages_path

from expo.core.db import collated
from expo.core.text import sort_key as text_sort_key

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


def reader_language() -> str:
    """The reader's language without region ("sv"), as collations are named."""
    return _locale().split("_")[0]


def sort_key(text: str) -> bytes:
    """Orders text as a dictionary in the reader's language does (ICU's collation: Swedish puts
    å, ä and ö after z, English sorts them with a and o)."""
    return text_sort_key(text, reader_language())


def by_name(column: Any) -> sa.ColumnElement[Any]:
    """``column`` for ``order_by``, sorted as ``sort_key`` sorts, by the database."""
    return collated(column, reader_language())


def language_name(code: str) -> str:
    """A language code as its name in the reader's language, from Babel's CLDR data ("sv" →
    "Swedish" for an English reader, "svenska" → "Svenska" for a Swedish one)."""
    try:
        name = Locale.parse(code).get_display_name(_locale())
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:] if name else code


def local_datetime(instant: datetime, tz: str, fmt: str = "medium") -> str:
    """An instant as date and time in ``tz``, in the reader's language."""
    return _formatted_datetime(instant, tz, fmt, _locale())


def local_time(instant: datetime, tz: str) -> str:
    # 24-hour HH:mm is written alike in every language Expo speaks.
    return instant.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def local_date(value: date | datetime, tz: str | None = None, fmt: str = "full") -> str:
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(tz or current_app.config["TIMEZONE"])).date()
    return _formatted_date(value, fmt, _locale())


# Babel's skeletons for a span of days, by the width local_date takes.
_SPAN_SKELETONS = {"short": "yMd", "medium": "yMMMd", "long": "yMMMMd", "full": "yMMMMEEEEd"}


def date_span(first: date, last: date, fmt: str = "medium") -> str:
    """The days from ``first`` to ``last`` as the reader's language writes a span ("1–2 juni 2022");
    a single day when they are the same."""
    return _formatted_span(first, last, fmt, _locale())


@lru_cache(maxsize=1024)
def _formatted_span(first: date, last: date, fmt: str, locale: str) -> str:
    if first == last:
        return _formatted_date(first, fmt, locale)
    return babel_dates.format_interval(first, last, _SPAN_SKELETONS[fmt], locale=locale)


# A schedule repeats the same few days and times on every row: each is formatted once.
@lru_cache(maxsize=4096)
def _formatted_date(value: date, fmt: str, locale: str) -> str:
    return babel_dates.format_date(value, fmt, locale=locale)


def _formatted_datetime(instant: datetime, tz: str, fmt: str, locale: str) -> str:
    """As Babel's ``format_datetime`` writes it, from a date and a time each formatted once: a
    table's rows each have an instant of their own, but share a few days and times of day."""
    parts = _datetime_parts(fmt, locale)
    if parts is None:
        return _babel_datetime(instant, tz, fmt, locale)
    local = instant.astimezone(ZoneInfo(tz))
    return (parts.replace("{0}", _formatted_time(local.time().replace(tzinfo=None), fmt, locale))
            .replace("{1}", _formatted_date(local.date(), fmt, locale)))


@lru_cache(maxsize=64)
def _datetime_parts(fmt: str, locale: str) -> str | None:
    """How the locale joins a date and a time ("{1}, {0}"), when its time says nothing of the
    zone (a named width's time pattern with a zone is left to Babel whole)."""
    if fmt not in ("full", "long", "medium", "short"):
        return None
    parsed = Locale.parse(locale)
    if set(parsed.time_formats[fmt].pattern) & set("zZvVOxX"):
        return None
    return babel_dates.get_datetime_format(fmt, locale=parsed).replace("'", "")


@lru_cache(maxsize=4096)
def _formatted_time(value: time, fmt: str, locale: str) -> str:
    return babel_dates.format_time(value, fmt, locale=locale)


@lru_cache(maxsize=4096)
def _babel_datetime(instant: datetime, tz: str, fmt: str, locale: str) -> str:
    return babel_dates.format_datetime(instant, fmt, tzinfo=ZoneInfo(tz), locale=locale)


@lru_cache(maxsize=None)
def _form_messages(locale: str) -> Translations | NullTranslations:
    """WTForms' own messages ("This field is required.") in ``locale``, read once per process."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class Request(FlaskRequest):
    """Flask's request, with WTForms' messages in the reader's language ready under the name
    Flask-WTF keeps them by, which would otherwise read their catalogue file for every form."""

    @cached_property
    def wtforms_translations(self) -> Translations | NullTranslations:
        return _form_messages(_locale())


def translations() -> Translations | NullTranslations:
    """The reader's catalogue, looked up once per request and language (templates ask for
    hundreds of texts per page); ``force_locale`` switches it like any other lookup."""
    context = getattr(g, "_flask_babel", None) if has_app_context() else None
    if context is None:
        return get_translations()
    locale = getattr(context, "babel_locale", None)
    remembered = getattr(context, "expo_translations", None)
    if remembered is not None and locale is not None and remembered[0] is locale:
        return remembered[1]
    found = get_translations()
    context.expo_translations = (get_locale(), found)
    return found


def translated(text: Any) -> str:
    """A lazy text of a module's constants (a status's label) in the reader's language, worked
    out once per request and language: a table repeats a few of them on every row."""
    if not has_request_context():
        return str(text)
    catalogue = translations()
    memo = g.get("_expo_translated")
    if memo is None or memo[0] is not catalogue:
        memo = g._expo_translated = (catalogue, {})
    found = memo[1].get(id(text))
    if found is None:
        found = memo[1][id(text)] = str(text)
    return found


def _formatted(eval_ctx: EvalContext, text: str, variables: dict) -> str:
    # As Jinja's "newstyle" gettext: the text is markup, the values are escaped into it.
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, text: str, **variables: object) -> str:
    return _formatted(eval_ctx, translations().ugettext(text), variables)


@pass_eval_context
def _template_ngettext(eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: object) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(eval_ctx: EvalContext, context: str, text: str, **variables: object) -> str:
    return _formatted(eval_ctx, translations().upgettext(context, text), variables)


@pass_eval_context
def _template_npgettext(eval_ctx: EvalContext, context: str, singular: str, plural: str, num: int,
                        **variables: object) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, translations().unpgettext(context, singular, plural, num), variables)


def install_template_gettext(env: Environment) -> None:
    """Templates' ``_``, ``ngettext`` … through ``translations``, formatted as Jinja's
    newstyle gettext formats them (Flask-Babel's own cost a catalogue lookup per text)."""
    env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext,
        pgettext=_template_pgettext, npgettext=_template_npgettext,
    )


def timezone_abbreviation(instant: datetime, tz: str) -> str:
    return instant.astimezone(ZoneInfo(tz)).strftime("%Z")


FILTERS = {
    "local_datetime": local_datetime,
    "local_time": local_time,
    "local_date": local_date,
    "date_span": date_span,
    "tz_abbr": timezone_abbreviation,
}
