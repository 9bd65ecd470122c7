"""Settings → Branding: the expo's name, colours and logo, refused when unsafe or unreadable, and
shown in page headers, e-mails and printed badges; the design system's status badges."""
from __future__ import annotations

import email
import email.policy
import io

import pytest
from flask import render_template_string
from PIL import Image

from expo.accounts.models import Role
from expo.badges import builders
from expo.core import branding, mail
from expo.events.branding import MAX_LOGO_BYTES
from expo.events.models import Expo
from tests.factories import make_event, make_registration, make_user
from tests.pdf_check import pdftotext
from tests.querycount import QueryLog

URL = "/manage/settings/branding"


def png(width: int = 40, height: int = 20) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (14, 124, 134)).save(out, format="PNG")
    return out.getvalue()


def post_look(client, *, name="Harbour Expo", primary="#0e7c86", accent="#1f4e9c", logo=None, filename="logo.png"):
    data = {"name": name, "primary_colour": primary, "accent_colour": accent}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post(URL, data=data, content_type="multipart/form-data")


def stored(db) -> Expo | None:
    db.session.expire_all()
    return db.session.query(Expo).one_or_none()


# --- status badges and empty states (templates/_macros.html) -----------------------------------

@pytest.mark.parametrize(("status", "tone", "word"), [
    ("confirmed", "ok", "Booked"),
    ("waitlisted", "warning", "Waiting list"),
    ("cancelled", "danger", "Cancelled"),
    ("pending", "warning", "Awaiting approval"),
    ("approved", "ok", "Approved"),
    ("declined", "danger", "Declined"),
    ("checked_in", "ok", "Checked in"),
    ("draft", "neutral", "Draft"),
    ("published", "info", "Published"),
])
def test_a_status_badge_has_its_tone_and_always_its_word(app, status, tone, word):
    with app.test_request_context():
        html = render_template_string('{% from "_macros.html" import badge %}{{ badge(s) }}', s=status)
    assert html == f'<span class="badge badge-{tone} status-{status.replace("_", "-")}">{word}</span>'


def test_a_status_badge_speaks_swedish_and_takes_the_enum_itself(app):
    from expo.registration.models import BookingStatus

    with app.test_request_context(headers={"Accept-Language": "sv"}):
        html = render_template_string('{% from "_macros.html" import badge %}{{ badge(s) }}',
                                      s=BookingStatus.CANCELLED)
    assert html == '<span class="badge badge-danger status-cancelled">Avbokad</span>'


def test_an_empty_state_says_what_is_missing_and_what_to_do(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros.html" import empty_state %}{{ empty_state("No sessions yet.", "Book one.", "/x", "Go") }}')
    assert '<p class="empty-state-title">No sessions yet.</p>' in html
    assert '<p class="empty-state-text">Book one.</p>' in html
    assert '<a href="/x" role="button">Go</a>' in html


def test_an_empty_agenda_points_to_the_programme(client, login_as, db):
    login_as(Role.DELEGATE)
    html = client.get("/agenda").get_data(as_text=True)
    assert 'class="empty-state"' in html and "Browse the programme" in html


def test_flashed_messages_are_dismissible_toasts(client, login_as, db):
    login_as(Role.ADMIN)
    html = client.get(URL, follow_redirects=True).get_data(as_text=True)
    post_look(client)
    html = client.get(URL).get_data(as_text=True)
    assert '<div class="toasts">' in html
    assert 'role="status" data-toast="success"' in html and "data-toast-close" in html


# --- who may change the look ---------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.DELEGATE, Role.STAFF])
def test_only_administrators_change_the_look(client, login_as, db, role):
    login_as(role)
    assert client.get(URL).status_code == 403
    assert post_look(client).status_code == 403
    assert stored(db) is None


def test_an_event_organiser_who_is_no_administrator_may_not_change_the_look(client, db):
    from tests.conftest import log_in

    organiser = make_user(role=Role.DELEGATE)
    event = make_event()
    from expo.events.models import TeamMember, TeamRole

    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    log_in(client, organiser)
    assert post_look(client).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


# --- saving, and where the look shows --------------------------------------------------------------

def test_an_administrator_sets_name_colours_and_logo_and_every_page_shows_them(client, login_as, db):
    login_as(Role.ADMIN)
    response = post_look(client, logo=png())
    assert response.status_code == 302
    expo = stored(db)
    assert (expo.name, expo.primary_colour, expo.accent_colour, expo.logo_type) == (
        "Harbour Expo", "#0e7c86", "#1f4e9c", "image/png")

    html = client.get("/").get_data(as_text=True)
    version = expo.look_version
    assert "<title>Harbour Expo · Harbour Expo</title>" in html or "· Harbour Expo</title>" in html
    assert f'<img src="/logo?v={version}" alt="" height="32">' in html
    assert "<strong>Harbour Expo</strong>" in html
    assert f'href="/look.css?v={version}"' in html

    css = client.get(f"/look.css?v={version}")
    assert css.mimetype == "text/css" and "--expo-primary: #0e7c86;" in css.get_data(as_text=True)
    assert "--expo-accent: #1f4e9c;" in css.get_data(as_text=True)
    assert css.cache_control.max_age == 365 * 86400

    logo = client.get(f"/logo?v={version}")
    assert logo.mimetype == "image/png" and logo.get_data() == png()


def test_a_svg_logo_is_served_under_a_policy_that_runs_nothing(client, login_as, db):
    login_as(Role.ADMIN)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#0e7c86"/></svg>'
    assert post_look(client, logo=svg, filename="logo.svg").status_code == 302
    response = client.get("/logo")
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_logo_is_a_404(client, db):
    assert client.get("/logo").status_code == 404


def test_the_look_is_read_from_the_database_once_then_from_the_cache(client, login_as, db, app):
    import sqlalchemy as sa

    login_as(Role.ADMIN)
    post_look(client)
    log = QueryLog()

    def listen(conn, cursor, statement, *args):
        if statement.lstrip().startswith("SELECT expos.name, expos.primary_colour"):
            log.statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        client.get("/")
        client.get("/agenda")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert log.count == 1  # the save forgot the copy: the first page reads it, the next one does not


@pytest.mark.parametrize(("field", "value", "message"), [
    ("primary", "red", "Write a colour as # and six hexadecimal digits"),
    ("primary", "#fff", "Write a colour as # and six hexadecimal digits"),
    ("accent", "#b3541e\n", "Write a colour as # and six hexadecimal digits"),
    ("primary", "#ffff00", "#ffff00 is too light: its contrast with white is 1.1:1, and at least 4.5:1"),
    ("accent", "#dddddd", "#dddddd is too light: its contrast with white is 1.4:1, and at least 3.0:1"),
])
def test_a_colour_white_text_cannot_be_read_on_is_refused(client, login_as, db, field, value, message):
    login_as(Role.ADMIN)
    response = post_look(client, **{field: value})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored(db) is None


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"hello, not an image", "logo.png", "The logo must be a PNG, JPEG or SVG file."),
    (b"\x89PNG\r\n\x1a\nbroken", "logo.png", "The image cannot be read. Save it again as PNG or JPEG."),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg",
     "The SVG file holds scripts or links to other files."),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg",
     "The SVG file holds scripts or links to other files."),
    (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
     b'<use xlink:href="https://evil.example/x.svg#a"/></svg>', "x.svg",
     "The SVG file holds scripts or links to other files."),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
     "x.svg", "The logo must be a PNG, JPEG or SVG file."),
])
def test_an_unreadable_or_unsafe_logo_is_refused_with_a_reason(client, login_as, db, content, filename, message):
    login_as(Role.ADMIN)
    response = post_look(client, logo=content, filename=filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert stored(db) is None


def test_a_logo_above_the_limit_is_refused_with_a_clear_message(client, login_as, db):
    login_as(Role.ADMIN)
    response = post_look(client, logo=b"\x89PNG\r\n\x1a\n" + b"0" * (MAX_LOGO_BYTES + 10))
    assert response.status_code == 200
    assert "The logo is larger than 256 KB. Save it smaller." in response.get_data(as_text=True)


def test_a_huge_upload_is_stopped_before_it_is_read_and_the_form_says_why(client, login_as, db):
    login_as(Role.ADMIN)
    response = post_look(client, logo=b"0" * (MAX_LOGO_BYTES + 100 * 1024))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "The logo is larger than 256 KB. Save it smaller." in html and 'name="primary_colour"' in html
    assert stored(db) is None


def test_the_logo_can_be_removed(client, login_as, db):
    login_as(Role.ADMIN)
    post_look(client, logo=png())
    client.post(URL, data={"name": "Harbour Expo", "primary_colour": "#0e7c86", "accent_colour": "#1f4e9c",
                           "remove_logo": "y"}, content_type="multipart/form-data")
    assert stored(db).logo_type is None
    assert client.get("/logo").status_code == 404


def test_the_look_shows_in_e_mails(client, login_as, db, app):
    login_as(Role.ADMIN)
    post_look(client)
    event = make_event(name="Open day")
    delegate = make_user(name="Ada")
    db.session.commit()
    from expo.registration import notifications

    with app.test_request_context():
        notifications.registration_received(make_registration(event=event, user=delegate))
        message = notifications.pending()[-1]
        body = message.body
        email = message.as_email("Expo <noreply@expo.test>", branding.current_look())
    assert body.rstrip().endswith("— Harbour Expo")
    html = email.get_body(("html",)).get_content()
    assert "background:#0e7c86" in html and "Harbour Expo" in html
    assert email.get_body(("plain",)).get_content().rstrip().endswith("— Harbour Expo")


def test_the_look_shows_on_printed_badges(client, login_as, db):
    login_as(Role.ADMIN)
    post_look(client, name="Harbour Expo", logo=png())
    user = make_user(name="Ada Lovelace")
    db.session.commit()
    response = client.get(f"/badges/people/{user.id}/badge.pdf")
    assert response.status_code == 200
    text = pdftotext(response.get_data())
    assert "Harbour Expo" in text and "Ada Lovelace" in text


def test_the_badge_band_is_drawn_in_the_main_colour():
    badge = builders.BadgeData(name="Ada", organisation="", country="", badge_token="t" * 43, badge_code="ABC-DEF")
    look = builders.BadgeLook(expo_name="Harbour Expo", colour=(14, 124, 134))
    pdf = builders.badges_pdf([badge], event_name="Open day", title="t", compress=False, look=look).decode("latin-1")
    assert "0.0549 0.4863 0.5255 rg" in pdf  # 14, 124, 134 out of 255


# --- the browser's language for accounts that chose none -----------------------------------------

def test_an_account_without_a_language_follows_the_browser(client, login_as, db):
    login_as(Role.ORGANISER, locale=None)
    swedish = client.get("/", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"}).get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="sv">' in swedish and '<html lang="en">' in english


def test_an_account_that_chose_english_keeps_it_whatever_the_browser_asks(client, login_as, db):
    login_as(Role.ORGANISER, locale="en")
    html = client.get("/", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_the_profile_offers_the_browsers_language_and_keeps_it(client, login_as, db):
    user = login_as(Role.DELEGATE, locale=None)
    html = client.get("/account/profile").get_data(as_text=True)
    assert '<option selected value="">As my browser asks</option>' in html
    client.post("/account/profile", data={"name": user.name, "email": user.email, "locale": ""})
    db.session.expire_all()
    assert user.locale is None


def test_cached_public_pages_show_a_new_look_at_once(client, login_as, db, app):
    login_as(Role.ADMIN)
    post_look(client, name="Harbour Expo")
    visitor = app.test_client()
    assert "<strong>Harbour Expo</strong>" in visitor.get("/").get_data(as_text=True)
    assert "<strong>Harbour Expo</strong>" in visitor.get("/").get_data(as_text=True)  # from the page cache
    post_look(client, name="Seaside Expo")
    html = visitor.get("/").get_data(as_text=True)
    assert "<strong>Seaside Expo</strong>" in html and "Harbour Expo" not in html


# --- the expo's name in e-mails, and the audit log ------------------------------------------------

def test_e_mail_subjects_and_texts_name_the_expo_as_configured(client, login_as, db, app, outbox):
    from expo.accounts import mails

    login_as(Role.ADMIN)
    post_look(client)
    english, swedish = make_user(name="Ada", locale="en"), make_user(name="Sven", locale="sv")
    inviter = make_user(name="Olga", role=Role.ORGANISER)
    db.session.commit()
    with app.test_request_context():
        for person in (english, swedish):
            mails.password_reset(person, token="t", hours=1)
            mails.verify_email(person, address=person.email, token="t", hours=1)
            mails.account_exists(person)
        invitation = mails.invitation_message(english, token="t", inviter=inviter, days=7)
        from expo.registration import notifications
        queued = [m.subject for m in notifications.pending()]
    assert queued == [
        "Choose a new password for Harbour Expo", "Confirm your e-mail address for Harbour Expo",
        "You already have an account on Harbour Expo",
        "Välj ett nytt lösenord för Harbour Expo", "Bekräfta din e-postadress för Harbour Expo",
        "Du har redan ett konto på Harbour Expo",
    ]
    assert invitation.subject == "You are invited to Harbour Expo"
    assert "Olga invites you to Harbour Expo as" in invitation.body and " Expo " not in invitation.body.replace(
        "Harbour Expo", "")


def test_e_mails_leave_under_the_expos_name(client, login_as, db, smtp_app, smtp_server, app):
    with app.app_context():
        assert mail.sender_for("Expo <noreply@expo.test>", branding.Look()) == "Expo <noreply@expo.test>"
    login_as(Role.ADMIN)
    post_look(client, name="Harbour Expo, Malmö")
    sender = smtp_app()
    with sender.app_context():
        mail.send_all([mail.Message(to="ada@example.org", subject="Note", body="Hello")])
        from expo.calendar.invitations import _organizer
        organizer = _organizer()
    _conn, _rcpt, received = smtp_server.received[0]
    sent_from = email.message_from_bytes(received.as_bytes(), policy=email.policy.default)["From"]
    assert [(a.display_name, a.addr_spec) for a in sent_from.addresses] == [("Harbour Expo, Malmö", "noreply@expo.test")]
    assert organizer.params["CN"] == "Harbour Expo, Malmö"


def test_changing_the_look_is_written_to_the_audit_log(client, login_as, db):
    from expo.audit.models import AuditAction, AuditEntry

    admin = login_as(Role.ADMIN, name="Alma Admin")
    post_look(client)
    post_look(client, name="Harbour Expo", primary="#1d5b79", logo=png())
    post_look(client, name="Harbour Expo", primary="#1d5b79")  # nothing changed: nothing written
    client.post(URL, data={"name": "Harbour Expo", "primary_colour": "#1d5b79", "accent_colour": "#1f4e9c",
                           "remove_logo": "y"}, content_type="multipart/form-data")
    entries = db.session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [(e.action, e.actor_id, e.actor_name, e.target) for e in entries] == [
        (AuditAction.BRANDING_CHANGED, admin.id, "Alma Admin", "Harbour Expo")] * 3
    assert entries[0].detail.startswith("name: City Expo → Harbour Expo; primary colour: ")
    assert "accent colour: " in entries[0].detail and entries[0].detail.endswith("→ #1f4e9c")
    assert entries[1].detail == "primary colour: #0e7c86 → #1d5b79; logo added"
    assert entries[2].detail == "logo removed"
    assert "Look of the expo changed" in client.get("/manage/audit/").get_data(as_text=True)
