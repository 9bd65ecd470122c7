"""Read-only questions about twinning programmes for menus and pages."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from expo.core.i18n import language_name
from expo.twinning.models import theme_label


def _list(words: list[str]) -> str:
    return ", ".join(words)


_REASONS = {
    "themes": lambda p: _("both prioritise %(themes)s", themes=_list([theme_label(t) for t in p["themes"]])),
    "size": lambda p: _("similar size"),
    "language": lambda p: _("a language in common: %(languages)s",
                            languages=_list([language_name(code) for code in p["languages"]])),
    "complement": lambda p: _("%(pilot)s offers what %(applicant)s needs (%(words)s)",
                              pilot=p["pilot"], applicant=p["applicant"], words=_list(p["words"])),
}


def explain(reasons: list[Any]) -> str:
    """A pair's reasons in the reader's language, as one sentence."""
    parts = [_REASONS[key](params) for key, params in reasons if key in _REASONS]
    return "; ".join(parts) if parts else str(_l("no particular affinity"))
