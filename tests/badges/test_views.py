import io

import pytest
import segno
from flask import render_template_string
from flask_login import login_user
from pypdf import PdfReader

from expo.badges import builders
from expo.registration.models import RegistrationStatus
from tests.factories import make_event, make_organisation, make_registration, make_user


def test_my_code_is_the_signed_in_users_badge_token_as_svg(client, login_as, db):
    user = login_as("delegate")
    response = client.get("/badges/my-code.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "private, no-store"
    body = response.get_data()
    # Exactly what segno draws for the token, and not what it draws for the user's id.
    expected, by_id = io.BytesIO(), io.BytesIO()
    options = dict(kind="svg", scale=6, border=4, dark="#000", light="#fff", title=f"Check-in code for {user.name}")
    segno.make(user.badge_token, error="m", micro=False).save(expected, **options)
    segno.make(str(user.id), error="m", micro=False).save(by_id, **options)
    assert body == expected.getvalue()
    assert body != by_id.getvalue()
    assert builders.qr_payload(user.badge_token) == user.badge_token
    assert str(user.id) != user.badge_token and user.email.encode() not in body


def test_my_code_needs_sign_in(client):
    response = client.get("/badges/my-code.svg")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_my_code_partial_shows_the_image_and_typed_code(app, db):
    user = make_user(name="Ada Delegate")
    db.session.commit()
    with app.test_request_context("/agenda"):
        login_user(user)
        html = render_template_string('{% include "badges/_my_code.html" %}')
    assert '<img src="/badges/my-code.svg"' in html
    assert 'alt="QR code to show at the door of each session"' in html
    assert f'<strong class="my-code-text">{user.badge_code}</strong>' in html


def approved(event, name, **user_fields):
    return make_registration(event=event, user=make_user(name=name, **user_fields))


def test_organiser_prints_badges_of_approved_registrants_only(client, login_as, db):
    event = make_event(name="Urban Mobility Day", slug="mobility")
    other = make_event()
    org = make_organisation(name="Malmö stad", country_code="SE")
    approved(event, "Anna Approved", organisation=org)
    approved(event, "Bertil Approved", country_code="FI")
    make_registration(event=event, user=make_user(name="Petra Pending"), status=RegistrationStatus.PENDING)
    make_registration(event=event, user=make_user(name="Dan Declined"), status=RegistrationStatus.DECLINED)
    approved(other, "Olle Other")
    login_as("organiser")

    response = client.get(f"/badges/events/{event.id}/badges.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="badges-mobility.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    [page] = PdfReader(io.BytesIO(response.get_data())).pages
    text = page.extract_text()
    assert "Anna Approved" in text and "Malmö stad" in text and "Sweden" in text
    assert "Bertil Approved" in text and "Finland" in text
    assert "Urban Mobility Day" in text
    for absent in ("Petra Pending", "Dan Declined", "Olle Other"):
        assert absent not in text


def test_event_without_registrants_explains_there_is_nothing_to_print(client, login_as, db):
    event = make_event(name="Empty Day")
    login_as("organiser")
    response = client.get(f"/badges/events/{event.id}/badges.pdf", follow_redirects=True)
    assert response.status_code == 200
    assert "Empty Day has no approved registrants yet" in response.get_data(as_text=True)


def test_unknown_event_is_404(client, login_as):
    login_as("organiser")
    assert client.get("/badges/events/999/badges.pdf").status_code == 404


@pytest.mark.parametrize("role", ["staff", "delegate"])
def test_only_organisers_print_badges(client, login_as, db, role):
    event = make_event()
    approved(event, "Anna")
    login_as(role)
    assert client.get(f"/badges/events/{event.id}/badges.pdf").status_code == 403
    assert client.get("/badges/").status_code == 403
    assert client.post("/badges/reset", data={"email": "x@example.org"}).status_code == 403


def test_anonymous_is_sent_to_sign_in_for_badges(client, db):
    event = make_event()
    db.session.commit()
    for url in (f"/badges/events/{event.id}/badges.pdf", "/badges/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]


def test_badge_page_lists_events_with_registrant_counts(client, login_as, db):
    event = make_event(name="Climate Day")
    approved(event, "A")
    approved(event, "B")
    make_registration(event=event, status=RegistrationStatus.PENDING)
    make_event(name="Quiet Day")
    login_as("organiser")
    html = client.get("/badges/").get_data(as_text=True)
    assert "<th scope=\"row\">Climate Day</th>\n          <td class=\"num\">2</td>" in html
    assert f'href="/badges/events/{event.id}/badges.pdf"' in html
    assert "<th scope=\"row\">Quiet Day</th>\n          <td class=\"num\">0</td>" in html


def test_organiser_resets_a_lost_badge(client, login_as, db):
    delegate = make_user(email="lost@example.org", name="Lost Badge")
    old_token, old_code = delegate.badge_token, delegate.badge_code
    login_as("organiser")
    response = client.post("/badges/reset", data={"email": "Lost@Example.org"})
    assert response.status_code == 302
    db.session.refresh(delegate)
    assert delegate.badge_token != old_token
    assert delegate.badge_code != old_code
    assert response.headers["Location"] == f"/badges/?reissued={delegate.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Lost Badge has a new badge; the new check-in code is {delegate.badge_code}." in page
    assert f"""<a href="/badges/people/{delegate.id}/badge.pdf" download>Download Lost Badge's new badge (PDF)</a>""" in page


@pytest.mark.parametrize("reissued", ["99999999999999999999", "2147483648", "-3", "abc"])
def test_a_reissued_id_outside_the_database_range_shows_the_page(client, login_as, db, reissued):
    login_as("organiser")
    response = client.get(f"/badges/?reissued={reissued}")
    assert response.status_code == 200
    assert "has a new badge" not in response.get_data(as_text=True)


def test_organiser_prints_one_persons_badge(client, login_as, db):
    org = make_organisation(name="Region Skåne", country_code="SE")
    delegate = make_user(name="Åsa Öberg", organisation=org)
    login_as("organiser")
    response = client.get(f"/badges/people/{delegate.id}/badge.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="badge-{delegate.id}.pdf"'
    assert response.headers["Cache-Control"] == "private, no-store"
    [page] = PdfReader(io.BytesIO(response.get_data())).pages
    text = page.extract_text()
    assert "Åsa Öberg" in text and "Region Skåne" in text and "Sweden" in text
    assert client.get("/badges/people/999999/badge.pdf").status_code == 404


@pytest.mark.parametrize("role", ["staff", "delegate"])
def test_only_organisers_print_one_badge(client, login_as, db, role):
    user = login_as(role)
    assert client.get(f"/badges/people/{user.id}/badge.pdf").status_code == 403


def test_anonymous_cannot_print_one_badge(client, db):
    user = make_user()
    db.session.commit()
    response = client.get(f"/badges/people/{user.id}/badge.pdf")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_reset_with_unknown_email_is_a_form_error(client, login_as, db):
    login_as("organiser")
    response = client.post("/badges/reset", data={"email": "nobody@example.org"})
    assert response.status_code == 400
    assert "No account has this e-mail address." in response.get_data(as_text=True)
    response = client.post("/badges/reset", data={"email": "not an address"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_a_swedish_speaking_organiser_prints_badges(client, login_as, db):
    event = make_event(name="Hållbara städer", slug="hallbara")
    approved(event, "Åsa Öberg", organisation=make_organisation(name="Region Skåne", country_code="SE"))
    approved(event, "Σοφία Παπαδοπούλου", country_code="GR")
    empty = make_event(name="Tom dag")
    login_as("organiser", locale="sv")

    index = client.get("/badges/").get_data(as_text=True)
    assert '<html lang="sv"' in index and "Hållbara städer" in index
    response = client.get(f"/badges/events/{event.id}/badges.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="badges-hallbara.pdf"'
    pdf = PdfReader(io.BytesIO(response.get_data()))
    assert pdf.metadata.title == "Namnbrickor – Hållbara städer"
    text = pdf.pages[0].extract_text()
    for expected in ("Åsa Öberg", "Region Skåne", "Σοφία Παπαδοπούλου", "Hållbara städer"):
        assert expected in text

    nothing = client.get(f"/badges/events/{empty.id}/badges.pdf", follow_redirects=True)
    assert "Tom dag har inga godkända deltagare ännu" in nothing.get_data(as_text=True)


def test_a_server_without_the_noto_fonts_says_which_to_install(client, login_as, db, monkeypatch, tmp_path, caplog):
    from expo.core import pdf

    event = make_event(name="Urban Mobility Day")
    approved(event, "Anna Approved")
    login_as("organiser")
    monkeypatch.setenv("EXPO_FONT_DIRS", str(tmp_path))
    pdf.primary_faces.cache_clear()
    try:
        response = client.get(f"/badges/events/{event.id}/badges.pdf", follow_redirects=True)
    finally:
        pdf.primary_faces.cache_clear()

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Badges cannot be printed: this server lacks the fonts NotoSans-Regular.ttf" in page
    assert "fonts-noto-core fonts-noto-cjk" in page
    assert "apt-get install fonts-noto-core fonts-noto-cjk" in caplog.text
