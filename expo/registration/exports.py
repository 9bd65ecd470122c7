"""Downloads of registrations and bookings for organisers: the rows of their CSV and Excel files
(see expo.core.tables.download)."""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask_babel import gettext as _

from expo.accounts.models import User
from expo.core.spreadsheets import CSV_CONTENT_TYPE, csv_bytes
from expo.core.timeutil import local_stamp
from expo.people.countries import country_name
from expo.registration.models import Booking, Registration

CONTENT_TYPE = CSV_CONTENT_TYPE


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows under a header as CSV bytes (see expo.core.spreadsheets)."""
    return csv_bytes(itertools.chain([header], rows))


def _person(user: User, with_needs: bool) -> list[Any]:
    """The person's columns; the lists exported hold only rows that still have a person."""
    values = [
        user.name,
        user.email,
        user.organisation.name if user.organisation else "",
        country_name(user.country),
        "; ".join(n.label for n in user.networks),
        user.locale,
    ]
    if with_needs:
        values += [user.accessibility_needs or "", user.dietary_needs or ""]
    return values


def _person_header(with_needs: bool) -> list[str]:
    header = [_("Name"), _("E-mail"), _("Organisation"), _("Country"), _("Networks"), _("Language")]
    if with_needs:
        header += [_("Accessibility needs"), _("Dietary needs")]
    return header


def registration_rows(registrations: Iterable[Registration], *, timezone: str,
                      with_needs: bool) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of a registrations download (rows built as they are read)."""
    header = _person_header(with_needs) + [_("Status"), _("Registered at")]
    rows = (
        _person(r.user, with_needs)
        + [r.status.value, local_stamp(r.created_at, timezone)]
        for r in registrations
    )
    return header, rows


def booking_rows(bookings: Iterable[Booking], *, timezone: str,
                 with_needs: bool) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of a bookings download (rows built as they are read)."""
    header = [_("Session"), _("Starts")] + _person_header(with_needs) + [_("Status"), _("Waiting list position")]
    rows = (
        [b.session.title, local_stamp(b.session.starts_at, timezone)]
        + _person(b.user, with_needs)
        + [b.status.value, b.waitlist_position or ""]
        for b in bookings
    )
    return header, rows
