"""Single-line text as Expo stores it: titles, names and addresses carry no control characters.

Stored text reaches calendars, exports and e-mail headers; a line break or another control
character inside a title or a link could start a line of its own there. Every such field is
normalised where the models take it (``single_line``), and web addresses with control
characters are refused outright (``has_control_characters``)."""
from __future__ import annotations

import re

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
