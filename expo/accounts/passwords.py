"""Passwords: what Expo accepts as a new one, and a bound on the hashing work done at once."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from expo.core.errors import Busy, ExpoError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# zxcvbn's scores run from 0 (in every list of leaked passwords) to 4; 3 is "safely
# unguessable" against an attacker who has a copy of the slow hashes.
MIN_STRENGTH = 3
# zxcvbn estimates the first characters only (its matching grows with the square of the
# length); a longer password is judged by them, the rest only adds to its strength.
ESTIMATED_CHARACTERS = 72


def check_new_password(password: str, *, email: str = "", name: str = "", field: str = "password") -> None:
    """Refuse a new password that is short, common, or made of the owner's address or name
    (zxcvbn's estimator with its lists of leaked passwords, words and names)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ExpoError(_l("Passwords need at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ExpoError(_l("Passwords have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH), field=field)
    folded = password.strip().casefold()
    local_part = email.partition("@")[0]
    if folded in {part.strip().casefold() for part in (email, local_part, name) if part.strip()}:
        raise ExpoError(_l("A password may not be your e-mail address or your name."), field=field)
    # The name and address as people write them into passwords: whole, run together, in parts.
    name_words = name.split()
    address_words = local_part.replace("_", ".").replace("-", ".").split(".")
    personal = [part for part in (email, local_part, name, "".join(name_words), "".join(address_words),
                                  *name_words, *address_words) if part]
    if zxcvbn(password[:ESTIMATED_CHARACTERS], user_inputs=personal)["score"] < MIN_STRENGTH:
        raise ExpoError(
            _l("This password is too easy to guess: it is a common one, or made of your name or e-mail "
               "address. Longer ones made of several unrelated words are hard to guess and easy to remember."),
            field=field,
        )


# Hashing slots per process: each scrypt check takes tens of milliseconds of CPU and memory,
# so a flood of log-in attempts could otherwise hold every thread of the process.
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _semaphore(size: int) -> threading.BoundedSemaphore:
    with _slots_lock:
        return _slots.setdefault(size, threading.BoundedSemaphore(size))


@contextmanager
def password_work() -> Iterator[None]:
    """Hash or check a password inside one of PASSWORD_CHECKS_AT_ONCE slots of this process;
    a request that waits PASSWORD_CHECK_WAIT seconds for one is answered 503 instead."""
    if not has_app_context():
        yield
        return
    config = current_app.config
    slots = _semaphore(max(int(config["PASSWORD_CHECKS_AT_ONCE"]), 1))
    if not slots.acquire(timeout=float(config["PASSWORD_CHECK_WAIT"])):
        raise Busy()
    try:
        yield
    finally:
        slots.release()
