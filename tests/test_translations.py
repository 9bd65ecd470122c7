"""The Swedish catalogue covers every text of the interface and the e-mails.

A text added to the code without a Swedish translation fails here with the list of what is
missing: run `make translations`, translate the new entries in
expo/translations/sv/LC_MESSAGES/messages.po and run the suite again."""
from __future__ import annotations

import ast
import os
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import get_domain

import expo
from expo.accounts.models import Role
from expo.events.models import RegistrationMode
from expo.programme.models import SessionKind
from expo.registration import services as registration
from expo.registration.models import RegistrationStatus
from tests.factories import make_event, make_registration, make_session, make_user

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = Path(expo.__file__).resolve().parent / "translations"
SWEDISH_PO = TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po"
SWEDISH_MO = SWEDISH_PO.with_suffix(".mo")
# `make translations` runs `pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2`.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[diouxXeEfFgGcrs]"  # %(name)s
    r"|%[-#0 +]?\d*(?:\.\d+)?[diouxXeEfFgGcrs]"  # %s, %d
    r"|\{[\w.\[\]]*(?:![rsa])?(?::[^{}]*)?\}"  # {name}, {0:>3}
    r"|</?[a-zA-Z][^<>]*>"  # markup
    r"|&#?\w+;"  # entities
)


def compile_swedish() -> None:
    """Compile the .po into the package when the .mo is missing or older (`make install` does
    the same); written to a temporary file first, as other test runs may be reading it."""
    if SWEDISH_MO.exists() and SWEDISH_MO.stat().st_mtime >= SWEDISH_PO.stat().st_mtime:
        return
    with SWEDISH_PO.open("rb") as po:
        catalogue = read_po(po, locale="sv")
    partial = SWEDISH_MO.with_name(f"messages.{os.getpid()}.mo.tmp")
    with partial.open("wb") as mo:
        write_mo(mo, catalogue, use_fuzzy=False)
    partial.replace(SWEDISH_MO)


# At import, i.e. while pytest collects: before any test of the run asks for Swedish text,
# since Flask-Babel keeps a catalogue it has loaded for the whole process.
compile_swedish()


@pytest.fixture(autouse=True)
def fresh_catalogue(app):
    """Load the catalogue as compiled now, even if an earlier test loaded an older one."""
    compile_swedish()
    with app.app_context():
        get_domain().cache.clear()


def swedish_catalogue() -> Catalog:
    with SWEDISH_PO.open("rb") as po:
        return read_po(po, locale="sv")


def extracted_from_source() -> Catalog:
    """What `make translations` would extract now, with the mapping of babel.cfg."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalogue = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        catalogue.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalogue


def where(message) -> str:
    return ", ".join(f"{path}:{line}" for path, line in message.locations[:3])


def is_translated(message) -> bool:
    forms = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(forms)


def test_extraction_finds_the_mail_templates_and_the_lazy_texts():
    """Guards the mapping itself: e-mails are .txt templates, form labels use _l."""
    extracted = extracted_from_source()
    assert "Hello %(name)s," in extracted
    assert "Keep me signed in" in extracted  # _l() in expo/accounts/forms.py
    assert "Sign in" in extracted  # {{ _() }} in an HTML template
    assert len(extracted) > 500


def test_every_text_of_the_source_is_translated_into_swedish():
    extracted, swedish = extracted_from_source(), swedish_catalogue()
    missing, plural_changed = [], []
    for message in extracted:
        if not message.id:
            continue
        entry = swedish.get(message.id, message.context)
        if entry is None:
            missing.append(f"{message.id!r} ({where(message)})")
        elif message.pluralizable != entry.pluralizable:
            plural_changed.append(f"{message.id!r} ({where(message)})")
    untranslated = [f"{m.id!r}" for m in swedish if m.id and not is_translated(m)]
    fuzzy = [f"{m.id!r}" for m in swedish if m.id and m.fuzzy]
    problems = {
        "not in the Swedish catalogue (run `make translations`)": missing,
        "singular/plural differs from the catalogue (run `make translations`)": plural_changed,
        "untranslated in the Swedish catalogue": untranslated,
        "fuzzy in the Swedish catalogue": fuzzy,
    }
    report = "\n".join(
        f"{len(items)} {what}:\n  " + "\n  ".join(items) for what, items in problems.items() if items
    )
    assert not report, report


TRANSLATORS = {"_", "_l", "gettext", "ngettext", "pgettext", "lazy_gettext", "lazy_ngettext", "lazy_pgettext"}


def untranslatable_calls(source: str, filename: str) -> list[str]:
    """Translation calls the extractor cannot see (inside an f-string) or whose text is built
    at run time (an f-string or a concatenation as the message)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and getattr(inner.func, "id", None) in TRANSLATORS:
                    found.append(f"{filename}:{inner.lineno}: translation call inside an f-string")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in TRANSLATORS:
            if any(isinstance(arg, (ast.JoinedStr, ast.BinOp)) for arg in node.args):
                found.append(f"{filename}:{node.lineno}: the message is built at run time")
    return found


def test_every_translation_call_has_a_literal_message():
    found = []
    for path in sorted((ROOT / "expo").rglob("*.py")):
        found += untranslatable_calls(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


def test_the_literal_message_check_sees_run_time_texts():
    source = 'a = f"{_l(\'x\')}"\nb = _(f"{n} seats")\nc = _("%(n)s seats", n=n)\n'
    assert untranslatable_calls(source, "m.py") == [
        "m.py:1: translation call inside an f-string", "m.py:2: the message is built at run time"
    ]


def test_swedish_plural_forms():
    swedish = swedish_catalogue()
    assert swedish.num_plurals == 2
    assert swedish.plural_expr == "(n != 1)"


def test_translations_keep_the_placeholders_and_markup():
    swedish = swedish_catalogue()
    wrong = []
    for message in swedish:
        if not message.id or not is_translated(message):
            continue
        if message.pluralizable:
            pairs = [(message.id[0 if i == 0 else 1], form) for i, form in enumerate(message.string)]
        else:
            pairs = [(message.id, message.string)]
        for source, translation in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                wrong.append(f"{source!r} -> {translation!r}")
    wrong += [f"{m.id!r}: {', '.join(map(str, errors))}" for m, errors in swedish.check()]
    assert not wrong, "Placeholders differ:\n  " + "\n  ".join(wrong)


def test_placeholder_check_sees_a_dropped_or_renamed_placeholder():
    assert PLACEHOLDER.findall("Welcome, %(name)s.") == ["%(name)s"]
    assert PLACEHOLDER.findall("%(num)d seats, {title} <b>&amp;") == ["%(num)d", "{title}", "<b>", "&amp;"]
    assert PLACEHOLDER.findall("Under 25 %") == []


def english_left(html: str) -> list[str]:
    """Interface texts of several words that appear on the page untranslated."""
    return sorted(
        m.id for m in swedish_catalogue()
        if isinstance(m.id, str) and " " in m.id and "%" not in m.id and m.string != m.id and m.id in html
    )


def published_event():
    event = make_event(name="Helsingborg Days", slug="hbg-days", starts_on=date(2031, 6, 3),
                       ends_on=date(2031, 6, 4), registration_mode=RegistrationMode.OPEN)
    start = datetime(2031, 6, 3, 8, tzinfo=timezone.utc)
    make_session(event=event, title="Hamnpromenad", kind=SessionKind.SITE_VISIT,
                 starts_at=start, ends_at=start + timedelta(hours=1))
    return event


def in_swedish(client) -> None:
    response = client.post("/account/language", data={"lang": "sv", "next": "/"})
    assert response.status_code == 302


def test_home_page_in_swedish(db, client):
    published_event()
    db.session.commit()
    in_swedish(client)
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "Logga in" in html
    assert "Hoppa till innehållet" in html
    assert "Evenemang" in html
    assert "Sign in" not in html
    assert english_left(html) == []


def test_login_page_in_swedish(db, client):
    in_swedish(client)
    html = client.get("/account/login").get_data(as_text=True)
    for text in ("Logga in", "E-postadress", "Lösenord", "Håll mig inloggad", "Har du inget konto än?",
                 "Skapa konto"):
        assert text in html
    assert "Password" not in html
    assert english_left(html) == []


def test_event_page_in_swedish(db, client):
    event = published_event()
    db.session.commit()
    in_swedish(client)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    for text in ("Hamnpromenad", "Studiebesök", "Logga in för att anmäla dig", "Filtrera programpunkter",
                 "juni 2031"):
        assert text in html
    assert "Site visit" not in html
    assert english_left(html) == []


def test_organisers_session_form_in_swedish(db, client, login_as):
    event = published_event()
    organiser = login_as(Role.ORGANISER, locale="sv")
    assert organiser.locale == "sv"
    html = client.get(f"/manage/events/{event.id}/sessions/new").get_data(as_text=True)
    for text in ("Ny programpunkt", "Föredrag", "Studiebesök", "Hybridmöte", "Spara programpunkten"):
        assert text in html
    assert english_left(html) == []


def test_a_swedish_delegates_mails_are_in_swedish(app, db, outbox):
    event = published_event()
    session = event.sessions[0]
    swede = make_user(role=Role.DELEGATE, name="Sara Lind", locale="sv")
    db.session.commit()
    # The change happens in someone else's English request: the mail follows the delegate.
    with app.test_request_context(headers={"Accept-Language": "en"}):
        registration.register(delegate=swede, event=event, actor=swede)
        db.session.commit()
        registration.book_session(delegate=swede, session=session, actor=swede)
        db.session.commit()
    registered, booked = outbox
    assert registered.to == booked.to == swede.email
    assert registered.subject == "Du är anmäld: Helsingborg Days"
    assert "Hej Sara Lind!" in registered.body
    assert "Du är anmäld till Helsingborg Days (tisdag 3 juni 2031). Nu kan du boka programpunkter." in registered.body
    assert booked.subject == "Bokningsbekräftelse: Hamnpromenad"
    for text in ("Din plats är bokad.", "3 juni 2031", "Mer information:", "Ditt schema:"):
        assert text in booked.body
    for message in (registered, booked):
        assert "Hello" not in message.body
        assert english_left(message.body) == []


def test_an_english_delegates_mail_stays_in_english(app, db, outbox):
    event = make_event(registration_mode=RegistrationMode.APPROVAL, starts_on=date(2031, 6, 3),
                       ends_on=date(2031, 6, 3))
    delegate = make_user(name="Ann Berg", locale="en")
    pending = make_registration(event=event, user=delegate, status=RegistrationStatus.PENDING)
    organiser = make_user(role=Role.ORGANISER)
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        registration.decide_registrations(event=event, registration_ids=[pending.id], approve=False,
                                          actor=organiser)
        db.session.commit()
    [declined] = outbox
    assert declined.subject == f"Your registration was not accepted: {event.name}"
    assert declined.body.startswith("Hello Ann Berg,")
