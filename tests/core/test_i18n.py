"""Templates' translation calls and the reader's dates and times."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask_babel import force_locale

from expo.core.i18n import local_date, local_time


def _render(app, source: str, language: str = "sv", **context) -> str:
    with app.app_context(), app.test_request_context(headers={"Accept-Language": language}):
        return app.jinja_env.from_string(source).render(**context)


def test_texts_come_in_the_readers_language_with_their_values_escaped(app):
    html = _render(app, "{{ _('Sign in') }}|{{ _('of %(n)s', n=name) }}", name="<b>12</b>")
    assert html == "Logga in|av &lt;b&gt;12&lt;/b&gt;"


def test_plural_forms_fill_in_the_number(app):
    assert _render(app, "{{ ngettext('%(num)s seat left', '%(num)s seats left', 1) }}") == "1 plats kvar"
    assert _render(app, "{{ ngettext('%(num)s seat left', '%(num)s seats left', 3) }}", "en") == "3 seats left"


def test_a_forced_language_is_followed_and_then_left(app):
    template = app.jinja_env.from_string("{{ _('Sign in') }}")
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "sv"}):
        before = template.render()
        with force_locale("en"):
            inside = template.render()
        after = template.render()
    assert (before, inside, after) == ("Logga in", "Sign in", "Logga in")


def test_a_text_without_values_keeps_its_percent_signs_as_jinja_writes_them(app):
    assert _render(app, "{{ _('100%% booked') }}", "en") == "100% booked"


def test_times_and_dates_in_the_event_time_zone(app):
    instant = datetime(2022, 10, 30, 1, 30, tzinfo=timezone.utc)  # 02:30 CET, after the autumn switch
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "sv"}):
        assert local_time(instant, "Europe/Stockholm") == "02:30"
        assert local_time(instant, "America/New_York") == "21:30"
        assert local_date(date(2022, 6, 1)) == "onsdag 1 juni 2022"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert local_date(date(2022, 6, 1)) == "Wednesday, June 1, 2022"


def test_form_messages_are_in_the_readers_language_and_read_once(client, login_as, monkeypatch):
    from babel.support import Translations

    from expo.accounts.models import Role
    from expo.core import i18n

    i18n._form_messages.cache_clear()
    reads: list[tuple[str, str]] = []
    load = Translations.load
    monkeypatch.setattr(Translations, "load", classmethod(
        lambda cls, dirname=None, locales=None, domain=None: reads.append((domain, str(locales[0]))) or load(dirname, locales, domain)))
    login_as(Role.ORGANISER, locale="sv")
    for _ in range(2):
        page = client.post("/manage/venues/new", data={"name": "", "opens_at": "08:00", "closes_at": "22:00"})
        assert page.status_code == 200
        assert "Det här fältet är obligatoriskt." in page.get_data(as_text=True)
    assert reads.count(("wtforms", "sv")) == 1  # WTForms' catalogue, read for the first form only
