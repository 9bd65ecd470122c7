"""The import pages: template, upload, preview, room mapping and confirmation."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from expo.core.extensions import db
from expo.imports.models import ImportBatch, RoomMapping
from expo.programme.models import ProgrammeSession
from tests.factories import make_event, make_room, make_venue
from tests.imports.helpers import csv_file

ROW = ["", "Opening", "Talk", "2022-06-01", "09:00", "10:00", "Dunkers", "Hall A", "", ""]


@pytest.fixture
def event(db):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    make_room(name="Hall A", venue=make_venue(name="Dunkers"))
    db.session.commit()
    return event


def _upload(client, event, content: bytes, name: str = "sessions.csv"):
    return client.post(f"/manage/events/{event.id}/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_the_templates_have_the_columns_in_the_readers_language(client, login_as, event):
    login_as("organiser")
    csv = client.get(f"/manage/events/{event.id}/import/sessions-template.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.get_data().decode("utf-8-sig").splitlines()[0].startswith("UID,Title,Kind,Description,Date,Starts,Ends")
    xlsx = client.get(f"/manage/events/{event.id}/import/sessions-template.xlsx")
    assert xlsx.data.startswith(b"PK") and "attachment" in xlsx.headers["Content-Disposition"]
    client.post("/account/logout")
    login_as("organiser", locale="sv")
    swedish = client.get(f"/manage/events/{event.id}/import/sessions-template.csv").get_data().decode("utf-8-sig")
    assert swedish.startswith("UID,Titel,Typ,Beskrivning,Datum,Börjar,Slutar")
    assert client.get(f"/manage/events/{event.id}/import/sessions-template.pdf").status_code == 404
    assert client.get(f"/manage/events/{event.id}/import/speakers-template.csv").status_code == 404
    venues = client.get(f"/manage/events/{event.id}/import/venues-template.csv").get_data().decode("utf-8-sig")
    assert venues.startswith("Lokal,Adress")


def test_upload_preview_confirm(client, login_as, event):
    login_as("organiser")
    response = _upload(client, event, csv_file([ROW]))
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'data-state="new"' in page and "Opening" in page
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    digest = page.split('name="digest" type="hidden" value="')[1].split('"')[0]

    done = client.post(f"/manage/imports/{batch.id}/confirm", data={"digest": digest})

    assert done.status_code == 302 and done.headers["Location"].endswith(f"/manage/events/{event.id}/sessions")
    assert [s.title for s in db.session.scalars(sa.select(ProgrammeSession))] == ["Opening"]
    assert "has been imported" in client.get(f"/manage/imports/{batch.id}").get_data(as_text=True)
    again = client.post(f"/manage/imports/{batch.id}/confirm", data={"digest": digest})
    assert again.status_code == 302
    assert db.session.query(ProgrammeSession).count() == 1


def test_a_stale_digest_changes_nothing(client, login_as, event):
    login_as("organiser")
    _upload(client, event, csv_file([ROW]))
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    client.post(f"/manage/imports/{batch.id}/confirm", data={"digest": "0" * 32})
    assert db.session.query(ProgrammeSession).count() == 0


def test_a_bad_file_is_explained_on_the_form(client, login_as, event):
    login_as("organiser")
    response = _upload(client, event, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png")
    assert response.status_code == 400
    assert "This file is not a spreadsheet" in response.get_data(as_text=True)
    assert db.session.query(ImportBatch).count() == 0


def test_a_100_mb_upload_is_refused_with_a_message(client, login_as, event):
    login_as("organiser")
    builder = EnvironBuilder(path=f"/manage/events/{event.id}/import", method="POST",
                             data={"file": (io.BytesIO(b"x" * (100 * 1024 * 1024)), "huge.csv")})
    environ = builder.get_environ()  # the body, spooled to a temporary file
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    assert "larger than 20 MB" in response.get_data(as_text=True)
    assert db.session.query(ImportBatch).count() == 0


def test_a_row_with_an_error_shows_its_cell_and_offers_no_confirmation(client, login_as, event):
    login_as("organiser")
    response = _upload(client, event, csv_file([ROW, [*ROW[:3], "someday", *ROW[4:]]]))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-state="error"' in page and "Cell D3" in page and "“someday” is not a date" in page
    assert "Confirm the import" not in page


def test_a_schedules_rooms_are_mapped_before_the_preview(client, login_as, event):
    login_as("organiser")
    room = db.session.scalars(sa.select(ProgrammeSession.room.property.mapper.class_)).first()
    schedule = (
        '<schedule><conference><acronym>x22</acronym><title>X</title></conference><day date="2022-06-01">'
        '<room name="Stage"><event guid="g1"><date>2022-06-01T12:00:00+02:00</date><duration>00:30</duration>'
        "<title>Talk on stage</title></event></room></day></schedule>"
    ).encode()
    location = _upload(client, event, schedule, "schedule.xml").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Map the rooms" in page and "Stage" in page
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    client.post(f"/manage/imports/{batch.id}/rooms", data={"room_0": room.id})
    assert db.session.scalars(sa.select(RoomMapping.room_id)).all() == [room.id]
    assert 'data-state="new"' in client.get(location).get_data(as_text=True)


def test_delegates_cannot_import(client, login_as, event):
    login_as("delegate")
    assert _upload(client, event, csv_file([ROW])).status_code == 403
    assert db.session.query(ImportBatch).count() == 0


def test_a_large_sessions_file_is_previewed_and_confirmed_by_a_job_and_audited(client, login_as, event, app,
                                                                                monkeypatch):
    from expo.audit.models import AuditAction, AuditEntry

    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 10)
    admin = login_as("organiser")
    response = _upload(client, event, csv_file([ROW, [*ROW[:1], "Closing", *ROW[2:4], "11:00", "12:00", *ROW[6:]]]))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    assert batch.job_state == "done" and (batch.rows_done, batch.rows_total) == (2, 2)
    assert page.count('data-state="new"') == 2 and "Confirm the import" in page
    digest = page.split('name="digest" type="hidden" value="')[1].split('"')[0]
    client.post(f"/manage/imports/{batch.id}/confirm", data={"digest": digest})
    assert "2 new" in client.get(f"/manage/imports/{batch.id}").get_data(as_text=True)
    assert sorted(db.session.scalars(sa.select(ProgrammeSession.title))) == ["Closing", "Opening"]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.IMPORT_CONFIRMED)).one()
    assert (entry.actor_id, entry.detail) == (admin.id, "new 2, update 0, unchanged 0, cancel 0")
    assert entry.target == f"sessions: sessions.csv ({event.name})"
