"""Schedules fetched by address: remembered with their rooms, fetched again to preview the
differences; every failure a clear message, private addresses refused unless allowed."""
from __future__ import annotations

import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.audit.models import AuditAction, AuditEntry
from expo.core.extensions import db
from expo.imports import fetch, services
from expo.imports.models import ImportBatch, ScheduleUrl
from tests.factories import make_event, make_room, make_user, make_venue
from tests.imports.test_frab import _xml

ROUTES: dict[str, tuple[int, bytes, float]] = {}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the standard library's name
        status, body, delay = ROUTES.get(self.path, (404, b"not found", 0))
        time.sleep(delay)
        self.send_response(status)
        if status in (301, 302):
            self.send_header("Location", body.decode())
            body = b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
    ROUTES.clear()


@pytest.fixture
def local(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHEDULE_FETCH_PRIVATE", True)
    monkeypatch.setitem(app.config, "SCHEDULE_FETCH_TIMEOUT", 1.0)


@pytest.fixture
def setting(db):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 1))
    room = make_room(name="Main", venue=make_venue(name="Sundspärlan"))
    admin = make_user(role=Role.ADMIN)
    db.session.commit()
    return event, room, admin


def test_a_schedule_is_fetched_remembered_and_fetched_again_with_its_differences(server, local, setting):
    event, room, admin = setting
    ROUTES["/schedule.xml"] = (200, _xml([("g-1", "Solar", "09:00", "Stage"), ("g-2", "Wind", "10:00", "Stage")]), 0)
    batch = services.add_schedule_url(event=event, url=f"{server}/schedule.xml", actor=admin)
    services.map_rooms(batch=batch, mapping={"Stage": room.id}, actor=admin)
    plan = services.preview(batch)
    assert [r.action for r in plan.rows] == ["new", "new"]
    services.confirm_import(batch=batch, digest=plan.digest, actor=admin)
    db.session.commit()

    ROUTES["/schedule.xml"] = (200, _xml([("g-1", "Solar", "09:00", "Stage"), ("g-3", "Hydrogen", "12:00", "Stage"),
                                          ("g-2", "Wind", "14:00", "Stage")]), 0)
    schedule_url = db.session.scalars(sa.select(ScheduleUrl)).one()
    again = services.fetch_schedule_again(schedule_url=schedule_url, actor=admin)
    db.session.commit()
    assert services.unmapped_rooms(again) == []  # the room mapping is remembered
    plan = services.preview(again)
    assert sorted((r.title, r.action) for r in plan.rows) == [("Hydrogen", "new"), ("Solar", "unchanged"),
                                                             ("Wind", "update")]
    ROUTES["/schedule.xml"] = (200, _xml([("g-1", "Solar", "09:00", "Stage")]), 0)
    third = services.fetch_schedule_again(schedule_url=schedule_url, actor=admin)
    assert sorted((r.title, r.action) for r in services.preview(third).rows) == [("Solar", "unchanged"),
                                                                                ("Wind", "cancel")]
    assert schedule_url.fetched_at is not None and third.schedule_url_id == schedule_url.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == AuditAction.IMPORT_CONFIRMED)) == 1


@pytest.mark.parametrize(("route", "message"), [
    ((404, b"nope", 0), "answered 404"),
    ((200, b"<html><body>Hello</body></html>", 0), "cannot be read as a frab or pretalx schedule"),
    ((200, b"Title,Date\r\nx,y\r\n", 0), "does not give a frab or pretalx schedule"),
    ((200, b'{"schedule": {}}', 0), "cannot be read as a frab or pretalx schedule"),
    ((200, b"<schedule>" + b" " * 3000 + b"</schedule>", 0), "larger than"),
    ((200, b"<schedule/>", 2.5), "did not answer within 1 seconds"),
])
def test_every_failure_is_a_clear_message(server, local, setting, app, monkeypatch, route, message):
    event, _room, admin = setting
    monkeypatch.setitem(app.config, "SCHEDULE_FETCH_MAX_BYTES", 2048)
    ROUTES["/s"] = route
    with pytest.raises(Exception) as refused:
        services.add_schedule_url(event=event, url=f"{server}/s", actor=admin)
    assert message in str(refused.value.message)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/schedule.xml", "http://localhost/s.json", "http://10.1.2.3/s",
                                 "http://[::1]/s", "http://169.254.169.254/latest/meta-data"])
def test_private_and_loopback_addresses_are_refused_unless_allowed(setting, url):
    event, _room, admin = setting
    with pytest.raises(fetch.FetchFailed) as refused:
        services.add_schedule_url(event=event, url=url, actor=admin)
    assert "private or local addresses" in str(refused.value.message)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/s.xml", "javascript:alert(1)", "example.org"])
def test_only_http_and_https(setting, url):
    event, _room, admin = setting
    with pytest.raises(fetch.FetchFailed) as refused:
        services.add_schedule_url(event=event, url=url, actor=admin)
    assert "https://" in str(refused.value.message)


def test_a_redirect_to_a_private_address_is_refused(server, setting, app, monkeypatch):
    event, _room, admin = setting
    ROUTES["/r"] = (302, b"http://10.0.0.1/schedule.xml", 0)
    calls = []
    real = fetch._public_address

    def public_once(host, port):  # the test server stands for a public one
        calls.append(host)
        if len(calls) == 1:
            return "127.0.0.1"
        return real(host, port)

    monkeypatch.setattr(fetch, "_public_address", public_once)
    with pytest.raises(fetch.FetchFailed) as refused:
        services.add_schedule_url(event=event, url=f"{server}/r", actor=admin)
    assert "private or local" in str(refused.value.message) and calls == ["127.0.0.1", "10.0.0.1"]


def test_the_pages_add_and_fetch_again_and_never_fail_with_500(server, local, setting, client):
    from tests.conftest import log_in

    event, _room, admin = setting
    log_in(client, admin)
    ROUTES["/schedule.xml"] = (200, _xml([("g-1", "Solar", "09:00", "Stage")]), 0)
    response = client.post(f"/manage/events/{event.id}/import/schedule-url", data={"url": f"{server}/schedule.xml"})
    assert response.status_code == 302
    assert "Map the rooms" in client.get(response.headers["Location"]).get_data(as_text=True)
    page = client.get(f"/manage/events/{event.id}/import").get_data(as_text=True)
    assert f"{server}/schedule.xml" in page and "Fetch again" in page
    url_id = db.session.scalars(sa.select(ScheduleUrl)).one().id
    ROUTES["/schedule.xml"] = (404, b"gone", 0)
    again = client.post(f"/manage/schedule-urls/{url_id}/fetch", follow_redirects=True)
    assert again.status_code == 200 and "answered 404" in again.get_data(as_text=True)
    bad = client.post(f"/manage/events/{event.id}/import/schedule-url", data={"url": "ftp://x"})
    assert bad.status_code == 400 and "https://" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 1


def test_fetching_is_for_administrators(client, login_as, setting):
    event, _room, admin = setting
    schedule_url = ScheduleUrl(event=event, url="https://example.org/s.xml")
    db.session.add(schedule_url)
    db.session.commit()
    login_as("delegate")
    assert client.post(f"/manage/events/{event.id}/import/schedule-url", data={"url": "https://x.org"}).status_code == 403
    assert client.post(f"/manage/schedule-urls/{schedule_url.id}/fetch").status_code == 403


def test_a_large_fetched_schedule_maps_its_rooms_before_the_job_previews_it(server, local, setting, client, app,
                                                                              monkeypatch):
    from tests.conftest import log_in

    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 10)
    event, room, admin = setting
    log_in(client, admin)
    ROUTES["/schedule.xml"] = (200, _xml([("g-1", "Solar", "09:00", "Stage")]), 0)
    response = client.post(f"/manage/events/{event.id}/import/schedule-url", data={"url": f"{server}/schedule.xml"})
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    assert batch.job_state is None
    assert "Map the rooms" in client.get(response.headers["Location"]).get_data(as_text=True)
    client.post(f"/manage/imports/{batch.id}/rooms", data={"room_0": str(room.id)})
    db.session.expire_all()
    assert batch.job_state == "done" and batch.result["summary"]["new"] == 1
    page = client.get(f"/manage/imports/{batch.id}").get_data(as_text=True)
    assert 'data-state="warning"' in page and "<small>New</small>" in page and "Solar" in page
    assert "Confirm the import" in page
