"""Links that put a feed or a session into the calendar apps people use: webcal:// for Apple
Calendar, Outlook and Thunderbird, and the subscribe and "new event" addresses of Google
Calendar and of Outlook on the web, for personal (outlook.live.com) and work or school
(outlook.office.com, Microsoft 365) accounts. Outlook reads ``+`` literally, so every space in
its addresses is written ``%20``."""
from __future__ import annotations

from datetime import timezone
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from flask import url_for

from expo.calendar.ical import session_location, utc_stamp
from expo.programme.models import ProgrammeSession


def webcal_url(url: str) -> str:
    """The same address with the webcal scheme, which opens the reader's calendar app."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def google_subscribe_url(url: str) -> str:
    return "https://calendar.google.com/calendar/r?cid=" + quote(webcal_url(url), safe="")


# Outlook on the web for each kind of Microsoft account.
OUTLOOK_HOSTS = {"personal": "outlook.live.com", "work": "outlook.office.com"}


def outlook_subscribe_url(url: str, name: str, account: str = "personal") -> str:
    """Outlook on the web's "subscribe from web" form for ``account`` ("personal" or "work")."""
    return f"https://{OUTLOOK_HOSTS[account]}/calendar/0/addfromweb?" + urlencode(
        {"url": url, "name": name}, quote_via=quote)


def google_event_url(session: ProgrammeSession) -> str:
    """Google Calendar's "create event" form filled in with a session (a copy; it does not update)."""
    page = url_for("schedule.show_session", session_id=session.id, _external=True)
    return "https://calendar.google.com/calendar/render?" + urlencode({
        "action": "TEMPLATE",
        "text": session.title,
        "dates": f"{utc_stamp(session.starts_at)}/{utc_stamp(session.ends_at)}",
        "ctz": session.event.timezone,
        "details": page,
        "location": session_location(session) or "",
    })


def outlook_event_url(session: ProgrammeSession, account: str = "personal") -> str:
    """Outlook on the web's "new event" form filled in with a session (a copy; it does not update)."""
    page = url_for("schedule.show_session", session_id=session.id, _external=True)
    return f"https://{OUTLOOK_HOSTS[account]}/calendar/0/deeplink/compose?" + urlencode({
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": session.title,
        "startdt": session.starts_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "enddt": session.ends_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "body": page,
        "location": session_location(session) or "",
    }, quote_via=quote)
