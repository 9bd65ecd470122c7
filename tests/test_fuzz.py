"""No input gives a 500: Hypothesis sends generated values into every field of every form the
pages show and into the query string of every route, as every role, and no answer may be a
server error (nor an exception, which the test client lets through).

Each route and each form is sent ``EXPO_FUZZ_EXAMPLES`` requests per role (3 by default, a fixed,
repeatable draw, so the suite stays fast); a longer, random run:
``EXPO_FUZZ_EXAMPLES=100 pytest tests/test_fuzz.py``."""
from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from expo.accounts.models import Role
from expo.core.extensions import db
from expo.events.models import Event
from expo.registration.models import RegistrationStatus
from tests.conftest import log_in
from tests.factories import make_registration, make_user
from tests.test_route_permissions import _arguments, _routes, world  # noqa: F401  (the fixture)

EXAMPLES = int(os.environ.get("EXPO_FUZZ_EXAMPLES", "3"))
# Set EXPO_FUZZ_EXAMPLES for a longer run, and it draws new values each time.
RANDOM_SEED = os.environ.get("EXPO_FUZZ_EXAMPLES")
# Query arguments the views read, besides those of the GET forms on their pages.
QUERY_NAMES = ("next", "page", "q", "day", "event", "status", "track", "venue", "network", "country", "kind",
               "sort", "format", "view", "language", "session", "room", "filter")
NASTY = (
    "", " ", "\x00", "a\x00b", "\n", "/events/h22\n", "\r\nSet-Cookie: x=y", "abc:approve", "1:approve\n",
    ":approve", "-1", "0", "99999999999999999999", "1e309", "NaN", "inf", "%", "%00", "_", "'", "\"", "\\",
    "' OR 1=1 --", "<script>alert(1)</script>", "#1d5b79\n", "#zzzzzz", "2022-13-45", "2022-06-01T25:00",
    "2022-06-01\x00", "١٢٣", "😀", "\u202e", "x" * 3000, "//evil.example", "https://evil.example/",
    "javascript:alert(1)", "None", "null", "[]", "{}", "true", "on", "approve", "decline",
)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, list[str]] = field(default_factory=dict)


class _Forms(HTMLParser):
    """The forms of a page: where each sends, how, and the names (with the values shown) of its
    inputs, selects, text areas and named buttons."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.forms, self._current = page_url, [], None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            action = urlsplit(attributes.get("action") or self.page_url)
            self._current = Form(action.path + (f"?{action.query}" if action.query else ""),
                                 (attributes.get("method") or "get").upper())
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "select", "textarea", "button", "option"):
            if tag == "option":
                if self._select is not None:
                    self._current.fields[self._select].append(attributes.get("value") or "")
                return
            name = attributes.get("name")
            if not name:
                return
            values = self._current.fields.setdefault(name, [])
            if attributes.get("value") is not None:
                values.append(attributes["value"])
            self._select = name if tag == "select" else None

    _select: str | None = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _forms(html: str, page_url: str) -> list[Form]:
    parser = _Forms(page_url)
    parser.feed(html)
    return [form for form in parser.forms if form.action.startswith("/")]


MUTATIONS = (
    lambda v: v + "\n", lambda v: v + "\r\n", lambda v: v + "\x00", lambda v: re.sub(r"[0-9]", "a", v) or "abc",
    lambda v: "-" + v, lambda v: v * 300, lambda v: v[:-1], lambda v: v.upper(), lambda v: v + "'",
)


def _hostile(seen: list[str]):
    """A value no page offers: one it does offer, changed (a line break added, digits made
    letters …), a known troublemaker, or any text."""
    choices = [st.sampled_from(NASTY), st.text(max_size=40), st.integers(-3, 10**12).map(str)]
    if seen:
        choices.insert(0, st.tuples(st.sampled_from(seen), st.sampled_from(MUTATIONS)).map(lambda p: p[1](p[0])))
    return st.one_of(*choices)


def _data(fields: dict[str, list[str]]):
    """Every field of the form with a value its page offers, but one or two fields hostile (or,
    now and then, a query argument no form has)."""
    names = sorted(fields) or ["next"]
    offered = {name: fields.get(name) or [""] for name in names}

    def attack(chosen: list[str]):
        values = {name: st.sampled_from(offered[name]) for name in names if name not in chosen}
        values.update({name: _hostile(fields.get(name, [])) for name in chosen})
        return st.fixed_dictionaries(values)

    return st.one_of(
        st.lists(st.sampled_from(names), min_size=1, max_size=2, unique=True).flatmap(attack),
        st.dictionaries(st.sampled_from(QUERY_NAMES), _hostile([]), min_size=1, max_size=2),
    )


ROLES = (None, Role.DELEGATE, Role.STAFF, Role.ORGANISER)


# Signing out would leave the rest of a role's run anonymous (the anonymous run covers it).
SKIPPED = ("/account/logout",)


def _targets(app, client, world) -> list[Form]:
    """Every route (its address with real ids, GET and POST) and every form its page shows, each
    once; forms that delete come last, so the rest still finds what they would delete."""
    targets: dict[tuple, Form] = {}

    def add(form: Form) -> None:
        key = (form.method, form.action, tuple(sorted(form.fields)))
        known = targets.setdefault(key, form)
        for name, values in form.fields.items():
            known.fields[name] = sorted(set(known.fields[name]) | set(values))

    for rule, method in _routes(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **_arguments(rule, world))
        add(Form(url, method))
        if method == "GET":
            response = client.get(url)
            if response.mimetype == "text/html":
                for form in _forms(response.get_data(as_text=True), url):
                    add(form)
    kept = [target for target in targets.values() if urlsplit(target.action).path not in SKIPPED]
    return sorted(kept, key=lambda target: "delete" in target.action)


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "anonymous")
def test_no_generated_input_gives_a_server_error(app, client, world, role):  # noqa: F811
    # A registration awaiting approval, so the organisers' list offers its own Approve button.
    make_registration(event=db.session.get(Event, world.values["event_id"]), status=RegistrationStatus.PENDING)
    if role is not None:
        user = make_user(role=role)
        db.session.commit()
        log_in(client, user)
    targets = _targets(app, client, world)
    assert len(targets) > 100, "every route and the forms of its page"
    failures: list[str] = []

    def send(target: Form, data) -> None:
        values = data.draw(_data(target.fields))
        try:
            if target.method == "GET":
                response = client.get(target.action, query_string=values)
            else:
                response = client.post(target.action, data=values)
        except Exception as error:  # noqa: BLE001 - the test client lets a view's exception through
            failures.append(f"{target.method} {target.action} {values!r} → {type(error).__name__}: {error}")
            db.session.rollback()
            return
        if response.status_code >= 500:
            failures.append(f"{target.method} {target.action} {values!r} → {response.status_code}")

    for target in targets:
        # Each target draws from a seed of its own: repeatable, yet no two forms get the same values.
        fuzz = given(data=st.data())(send)
        fuzz = settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=False,
                        suppress_health_check=list(HealthCheck))(fuzz)
        if RANDOM_SEED is None:
            fuzz = seed(zlib.crc32(f"{role}{target.method}{target.action}".encode()))(fuzz)
        fuzz(target)
    assert failures == []
