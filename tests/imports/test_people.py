"""Importing the expo's people: preview per row, confirm as one transaction, re-import, round trip."""
from __future__ import annotations

import io
import tempfile

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.audit.models import AuditAction, AuditEntry
from expo.core.extensions import db
from expo.imports import people, services, tasks
from expo.imports.models import ImportBatch, ImportFilePiece, ImportStatus, JobState
from expo.imports.readers import FileRefused
from expo.people.models import Organisation
from expo.registration.exports import registration_rows, to_csv
from expo.registration.models import Registration
from tests.factories import make_event, make_network, make_organisation, make_registration, make_user
from tests.imports.helpers import confirmed, csv_file, people_previewed, xlsx_file
from tests.querycount import count_queries

HEADER = ["Name", "E-mail", "Organisation", "Country", "Networks", "Language"]


@pytest.fixture
def admin(db):
    user = make_user(role=Role.ADMIN, name="Admin Person")
    db.session.commit()
    return user


def test_preview_says_per_row_what_would_happen_with_the_cell(admin):
    unece = make_network(name="UNECE Forum of Mayors", acronym="UNECE")
    make_user(email="anna@example.org", name="Anna Berg", locale="en")
    make_user(email="bo@example.org", name="Bo Ek", locale="en")
    db.session.commit()
    content = csv_file([
        ["Carla Diaz", "carla@example.org", "City of Porto", "Portugal", "UNECE", "en"],
        ["Anna Berg", "ANNA@example.org", "", "", "", "en"],
        ["Bo Eklund", "bo@example.org", "", "", "", "en"],
        ["Dana", "not-an-address", "", "", "", "en"],
        ["Eve", "eve@example.org", "", "Atlantis", "", "en"],
        ["", "", "", "", "", ""],
    ], header=HEADER)
    batch = people_previewed(content, admin)
    assert batch.job_state == JobState.DONE and batch.rows_done == batch.rows_total == 5
    rows = {r["line"]: r for r in batch.result["rows"]}
    assert rows[2]["state"] == "warning" and rows[2]["action"] == "new"  # the organisation is new
    assert "City of Porto" in rows[2]["problems"][0]["message"] and rows[2]["problems"][0]["cell"] == "C2"
    assert 3 not in rows  # unchanged rows are counted, not listed
    assert rows[4]["state"] == "update" and rows[4]["changed"] == ["Name"]
    assert rows[5]["state"] == "error" and rows[5]["problems"][0]["cell"] == "B5"
    assert rows[6]["problems"][0]["cell"] == "D6" and "Atlantis" in rows[6]["problems"][0]["message"]
    assert batch.result["states"] == {"new": 0, "update": 1, "unchanged": 1, "warning": 1, "error": 2}
    assert unece.id  # named by its acronym without error


def test_confirm_invites_new_people_updates_changed_ones_and_is_audited(admin, outbox):
    network = make_network(name="NetZeroCities", acronym="NZC")
    make_user(email="bo@example.org", name="Bo Ek", locale="en")
    organisation = make_organisation(name="Helsingborg stad", country_code="SE")
    db.session.commit()
    content = csv_file([
        ["Carla Diaz", "Carla@Example.org", "Helsingborg stad", "Sverige", "NZC", "sv"],
        ["Bo Eklund", "bo@example.org", "", "SE", "", "en"],
    ], header=["Namn", "E-post", "Organisation", "Land", "Nätverk", "Språk"])
    batch = people_previewed(content, admin)
    assert batch.result["states"]["error"] == 0
    batch = confirmed(batch, admin)
    assert batch.status is ImportStatus.APPLIED and batch.job_state == JobState.DONE
    assert batch.summary == {"new": 1, "update": 1, "unchanged": 0, "cancel": 0}
    carla = db.session.scalar(sa.select(User).where(User.email == "carla@example.org"))
    assert (carla.name, carla.organisation_id, carla.country_code, carla.locale) == \
        ("Carla Diaz", organisation.id, "SE", "sv")
    assert [n.id for n in carla.networks] == [network.id]
    assert carla.role is Role.DELEGATE and carla.password_hash.startswith("!")  # no password anyone knows
    assert not carla.check_password("") and not carla.check_password(carla.password_hash[1:])
    bo = db.session.scalar(sa.select(User).where(User.email == "bo@example.org"))
    assert (bo.name, bo.country_code) == ("Bo Eklund", "SE")
    assert [m.to for m in outbox] == ["carla@example.org"]
    assert "/account/invitation/" in outbox[0].body
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.IMPORT_CONFIRMED)).one()
    assert (entry.actor_id, entry.target, entry.detail) == (admin.id, "people: people.csv", "new 1, update 1, unchanged 0, cancel 0")

    again = people_previewed(content, admin)  # the same file again: nothing to do
    assert again.result["summary"] == {"new": 0, "update": 0, "unchanged": 2, "cancel": 0}


def test_a_stale_preview_is_not_applied_and_nothing_changes(admin):
    make_user(email="bo@example.org", name="Bo Ek")
    db.session.commit()
    batch = people_previewed(
        csv_file([["Bo Eklund", "bo@example.org"], ["New One", "new@example.org"]], header=["Name", "E-mail"]), admin)
    bo = db.session.scalar(sa.select(User).where(User.email == "bo@example.org"))
    bo.name = "Bo Eklund"
    db.session.commit()
    batch = confirmed(batch, admin)
    assert batch.job_state == JobState.FAILED and "changed since the preview" in batch.job_error
    assert batch.status is ImportStatus.PREVIEW
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.org")) is None


def test_the_registrations_export_imports_back_unchanged(admin):
    event = make_event()
    network = make_network(name="EIT Urban Mobility", acronym="EIT UM")
    organisation = make_organisation(name="Ciudad de Málaga", country_code="ES")
    for n in range(3):
        user = make_user(name=f"Delegate {n} Ñúñez", organisation=organisation, country_code="ES",
                         networks=[network], locale="sv" if n else "en")
        make_registration(event=event, user=user)
    make_registration(event=event, user=make_user(name="No Organisation"))
    db.session.commit()
    registrations = db.session.scalars(sa.select(Registration)).all()
    content = to_csv(*registration_rows(registrations, timezone="Europe/Stockholm", with_needs=True))
    batch = people_previewed(content, admin)
    assert batch.result["summary"] == {"new": 0, "update": 0, "unchanged": 4, "cancel": 0}
    assert batch.result["notes"] == []


def test_only_changed_fields_are_written(admin):
    kept = make_organisation(name="Kept Org")
    make_user(email="bo@example.org", name="Bo Ek", organisation=kept, country_code="SE")
    db.session.commit()
    batch = people_previewed(csv_file([["bo@example.org", "Denmark"]], header=["E-mail", "Country"]), admin)
    assert batch.result["rows"][0]["changed"] == ["Country"]
    confirmed(batch, admin)
    bo = db.session.scalar(sa.select(User).where(User.email == "bo@example.org"))
    assert (bo.name, bo.organisation_id, bo.country_code) == ("Bo Ek", kept.id, "DK")


@pytest.mark.parametrize(("content", "message"), [
    ("Namn;E-post\r\nÅsa;åsa@example.org\r\n".encode("cp1252"), "not in UTF-8"),
    (b"\x00\x01\x02binary" * 20, "not a spreadsheet"),
    (b"%PDF-1.7 " + b"x" * 100, "first row must name"),
    (b"", "empty"),
    (b"Title,Date\r\nA talk,2022-06-01\r\n", "first row must name"),
])
def test_files_that_cannot_be_people_are_refused_clearly(admin, content, message):
    with pytest.raises(FileRefused) as refused:
        services.start_people_import(filename="x.csv", content=content, actor=admin)
    assert message in str(refused.value.message)


def test_semicolons_empty_rows_and_workbooks_are_read(admin):
    semicolons = "Namn;E-post;Land\r\n;;\r\nÅsa Öberg;asa@example.org;SE\r\n".encode()
    assert people_previewed(semicolons, admin).result["summary"]["new"] == 1
    workbook = xlsx_file([["Per Persson", "per@example.org"], [None, None], ["Pia", "pia@example.org"]],
                         header=["Name", "E-mail"])
    assert people_previewed(workbook, admin).result["summary"]["new"] == 2


def test_formulas_are_read_as_their_saved_value_never_evaluated(admin):
    def edit(sheet):
        sheet["A2"] = '=HYPERLINK("http://evil.example", "x")'

    workbook = xlsx_file([["placeholder", "per@example.org"]], header=["Name", "E-mail"], edit=edit)
    batch = services.start_people_import(filename="people.xlsx", content=workbook, actor=admin)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
    db.session.commit()
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.job_state == JobState.FAILED and "formula" in batch.job_error


def test_merged_cells_are_refused(admin):
    workbook = xlsx_file([["A", "a@example.org"], ["B", "b@example.org"]], header=["Name", "E-mail"],
                         edit=lambda sheet: sheet.merge_cells("A2:A3"))
    with pytest.raises(FileRefused) as refused:
        services.start_people_import(filename="people.xlsx", content=workbook, actor=admin)
    assert "merged cells (A2:A3)" in str(refused.value.message)


def test_pages_upload_preview_progress_confirm(client, login_as):
    admin = login_as("admin")
    page = client.get("/manage/people/import")
    assert page.status_code == 200 and "/manage/people/import/template.xlsx" in page.get_data(as_text=True)
    template = client.get("/manage/people/import/template.csv").get_data().decode("utf-8-sig")
    assert template.splitlines()[0] == "Name,E-mail,Organisation,Country,Networks,Language"
    upload = client.post("/manage/people/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(csv_file([["Carla Diaz", "carla@example.org"], ["No Address", ""]],
                                     header=["Name", "E-mail"])), "people.csv")})
    assert upload.status_code == 302
    preview = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert 'data-state="error"' in preview and "Cell B3" in preview and "Confirm the import" not in preview
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    progress = client.get(f"/manage/imports/{batch.id}/progress.json").get_json()
    assert progress == {"state": "done", "step": "preview", "done": 2, "total": 2, "percent": 100, "applied": False}

    fixed = client.post("/manage/people/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(csv_file([["Carla Diaz", "carla@example.org"]], header=["Name", "E-mail"])), "people.csv")})
    page = client.get(fixed.headers["Location"]).get_data(as_text=True)
    digest = page.split('name="digest" type="hidden" value="')[1].split('"')[0]
    batch_id = int(fixed.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    done = client.post(f"/manage/imports/{batch_id}/confirm", data={"digest": digest})
    assert done.status_code == 302
    applied = client.get(f"/manage/imports/{batch_id}").get_data(as_text=True)
    assert "1 new" in applied
    assert db.session.scalar(sa.select(User).where(User.email == "carla@example.org")).name == "Carla Diaz"
    assert admin.id


def test_a_running_job_shows_a_progress_bar_that_works_without_script(client, login_as, admin):
    login_as("admin")
    batch = services.start_people_import(filename="people.csv", content=csv_file([["A", "a@example.org"]],
                                         header=["Name", "E-mail"]), actor=admin)
    batch.job_state, batch.job_step, batch.rows_done, batch.rows_total = JobState.RUNNING, "preview", 300, 1200
    db.session.commit()
    page = client.get(f"/manage/imports/{batch.id}").get_data(as_text=True)
    assert '<progress id="import-progress" max="100" value="25"' in page
    assert '<meta http-equiv="refresh" content="3">' in page and "300 of 1200 rows" in page
    assert client.get(f"/manage/imports/{batch.id}/progress.json").get_json()["percent"] == 25


def test_people_pages_are_for_administrators(client, login_as):
    login_as("delegate")
    assert client.get("/manage/people/import").status_code == 403
    assert client.post("/manage/people/import").status_code == 403
    assert client.get("/manage/people/import/template.csv").status_code == 403


def test_a_100_mb_upload_is_refused_with_a_message(client, login_as):
    from werkzeug.test import EnvironBuilder

    login_as("admin")
    builder = EnvironBuilder(path="/manage/people/import", method="POST",
                             data={"file": (io.BytesIO(b"x" * (100 * 1024 * 1024)), "huge.csv")})
    environ = builder.get_environ()  # the body, spooled to a temporary file
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413 and "larger than 20 MB" in response.get_data(as_text=True)
    assert "Import people" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_a_file_of_several_chunks_is_previewed_and_confirmed_whole(admin, monkeypatch):
    monkeypatch.setattr(people, "CHUNK", 3)
    network = make_network(name="UNECE Forum of Mayors", acronym="UNECE")
    db.session.commit()
    rows = [[f"Person {n}", f"p{n}@example.org", "UNECE"] for n in range(8)]
    batch = people_previewed(csv_file(rows, header=["Name", "E-mail", "Networks"]), admin)
    assert batch.result["summary"]["new"] == 8 and batch.rows_done == 8
    batch = confirmed(batch, admin)
    assert batch.summary["new"] == 8
    users = db.session.scalars(sa.select(User).where(User.email.like("p%@example.org"))).all()
    assert sorted(n.id for u in users for n in u.networks) == [network.id] * 8


def test_the_preview_page_reads_a_fixed_number_of_queries_whatever_the_rows(client, login_as, admin):
    from tests.querycount import count_queries

    login_as("admin")
    counts = []
    for size in (2, 40):
        rows = [[f"Person {n}", f"q{size}-{n}@example.org", "", "Narnia" if n % 2 else "SE"] for n in range(size)]
        batch = people_previewed(csv_file(rows, header=["Name", "E-mail", "Organisation", "Country"]), admin)
        with count_queries() as log:
            page = client.get(f"/manage/imports/{batch.id}")
        assert page.status_code == 200 and page.get_data(as_text=True).count('data-state="error"') == size // 2
        counts.append(log.count)
    assert counts[0] == counts[1]


def _confirm_statements(admin: User, size: int, tag: str) -> tuple[int, ImportBatch]:
    from tests.querycount import count_queries

    rows = [[f"Person {n}", f"{tag}-{n}@example.org", f"Org {tag} {n % 7}", "SE" if n % 2 else "Denmark",
             "UNECE" if n % 3 else "", "sv" if n % 2 else "en"] for n in range(size)]
    batch = people_previewed(csv_file(rows, header=HEADER), admin)
    with count_queries() as log:
        batch = confirmed(batch, admin)
    return log.count, batch


def test_confirming_new_people_sends_statements_by_the_chunk_not_by_the_row(admin, monkeypatch):
    from expo.core import jobs, mailqueue

    monkeypatch.setattr(people, "CHUNK", 50)
    queue_unique, deliveries = jobs.enqueue_unique, []

    def enqueue_unique(func, *args, key):  # the workers send the e-mails later: their statements are not the import's
        if func is mailqueue.deliver_fresh:
            deliveries.append(key)
            return True
        return queue_unique(func, *args, key=key)

    monkeypatch.setattr(jobs, "enqueue_unique", enqueue_unique)
    make_network(name="UNECE Forum of Mayors", acronym="UNECE")
    db.session.commit()
    one_chunk, batch = _confirm_statements(admin, 10, "a")
    assert batch.summary["new"] == 10
    full_chunk, _batch = _confirm_statements(admin, 50, "b")
    four_chunks, batch = _confirm_statements(admin, 200, "c")
    assert batch.summary["new"] == 200 and batch.job_state == JobState.DONE
    assert full_chunk == one_chunk  # five times the rows, the same statements
    assert one_chunk < four_chunks <= one_chunk + 3 * 8  # a few more for each further chunk
    invited = db.session.scalars(sa.select(User).where(User.email.like("c-%@example.org")).order_by(User.id)).all()
    assert [u.email for u in invited] == [f"c-{n}@example.org" for n in range(200)]
    assert {(u.organisation.name, u.country_code) for u in invited if u.email == "c-3@example.org"} == {("Org c 3", "SE")}
    assert [n.acronym for n in invited[1].networks] == ["UNECE"] and invited[0].networks == []
    assert invited[1].locale == "sv" and invited[1].password_hash.startswith("!")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
        Organisation.name.like("Org c %"))) == 14  # seven names in two countries, each made once
    audited = db.session.scalars(sa.select(AuditEntry.subject_id).where(
        AuditEntry.action == AuditAction.PERSON_INVITED, AuditEntry.subject_id.in_([u.id for u in invited]))).all()
    assert sorted(audited) == [u.id for u in invited]
    assert deliveries == [mailqueue.FRESH_JOB] * 3  # one job asked for by each import, however many e-mails
    mails = db.session.scalars(sa.select(mailqueue.OutgoingMail)).all()
    assert sorted(m.recipient for m in mails if m.recipient.startswith("c-")) == sorted(u.email for u in invited)
    assert len(mails) == 260 and all(m.status == mailqueue.MailStatus.QUEUED for m in mails)
    from expo.accounts.admin import invited_user

    mail = next(m for m in mails if m.recipient == "c-7@example.org")
    token = mail.body.split("/account/invitation/")[1].split()[0]
    assert invited_user(token) == next(u for u in invited if u.email == "c-7@example.org")  # the link works


def test_changed_people_are_updated_by_the_chunk_not_by_the_row(admin):
    from tests.querycount import count_queries

    make_network(name="UNECE Forum of Mayors", acronym="UNECE")
    speaker = make_user(email="d-0@example.org", name="Old Name")
    from tests.factories import add_person, make_session

    session = make_session()
    add_person(session, speaker)
    revision = session.revision
    db.session.commit()

    def update(size: int, tag: str) -> int:
        for n in range(size):
            if f"{tag}-{n}" != "d-0":  # the speaker
                make_user(email=f"{tag}-{n}@example.org", name=f"Old {n}")
        db.session.commit()
        rows = [[f"Person {n}", f"{tag}-{n}@example.org", f"Org {tag} {n % 3}", "SE", "UNECE" if n % 2 else "", "sv"]
                for n in range(size)]
        batch = people_previewed(csv_file(rows, header=HEADER), admin)
        assert batch.result["summary"]["update"] == size
        with count_queries() as log:
            batch = confirmed(batch, admin)
        assert batch.summary["update"] == size and batch.job_state == JobState.DONE
        return log.count

    update(3, "d")
    assert update(5, "e") == update(40, "f")
    people_now = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.like("f-%")))}
    assert (people_now["f-1@example.org"].name, people_now["f-1@example.org"].locale) == ("Person 1", "sv")
    assert [n.acronym for n in people_now["f-1@example.org"].networks] == ["UNECE"]
    assert people_now["f-2@example.org"].networks == [] and people_now["f-2@example.org"].organisation.name == "Org f 2"
    db.session.refresh(session)
    assert speaker.name == "Person 0" and session.revision == revision + 1  # a new name shows in the sessions


def test_import_jobs_are_queued_as_long_jobs(admin, monkeypatch):
    """In a lane of their own: on Redis the queue of long jobs, so e-mail never waits behind one."""
    from expo.core import jobs

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda func, *args, lane=None, **options: queued.append((func, lane)))
    batch = services.start_people_import(filename="people.csv", content=csv_file([["Bo", "bo@example.org"]],
                                         header=["Name", "E-mail"]), actor=admin)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
    db.session.commit()
    assert queued == [(tasks.run, tasks.LANE)]


def test_a_file_changed_between_preview_and_confirm_is_refused_and_nothing_changes(admin):
    batch = people_previewed(csv_file([["New One", "new@example.org"]], header=["Name", "E-mail"]), admin)
    db.session.execute(sa.delete(ImportFilePiece).where(ImportFilePiece.batch_id == batch.id))
    services.store_file(batch, csv_file([["New One", "new@example.org"], ["Sneaked In", "sneaked@example.org"]],
                                        header=["Name", "E-mail"]))
    db.session.commit()
    batch = confirmed(batch, admin)
    assert batch.job_state == JobState.FAILED and "file has changed since the preview" in batch.job_error
    assert batch.status is ImportStatus.PREVIEW
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.org")) is None
    assert db.session.scalar(sa.select(User).where(User.email == "sneaked@example.org")) is None


def test_the_confirmation_trusts_the_addresses_its_preview_checked(admin, monkeypatch):
    from expo.accounts import services as accounts

    batch = people_previewed(
        csv_file([["New One", "new@example.org"], ["Two", "Two@Example.org"]], header=["Name", "E-mail"]),
                 admin)
    accounts._is_address.cache_clear()

    def no_second_check(*args, **kwargs):
        raise AssertionError("an address checked again")

    monkeypatch.setattr(accounts, "validate_email", no_second_check)
    batch = confirmed(batch, admin)
    assert batch.job_state == JobState.DONE and batch.summary["new"] == 2
    assert db.session.scalar(sa.select(User.name).where(User.email == "two@example.org")) == "Two"


def test_a_repeated_address_is_refused_naming_the_line_that_has_it(admin, monkeypatch):
    monkeypatch.setattr(people, "CHUNK", 2)  # the first and the repeat in different chunks
    content = csv_file([
        ["Anna Berg", "anna@example.org", "", "", "", "en"],
        ["Bo Ek", "bo@example.org", "", "", "", "en"],
        ["Anna B", " ANNA@Example.org", "", "", "", "en"],
        ["Bo Ek", "bo@example.org", "", "", "", "en"],
    ], header=HEADER)
    batch = people_previewed(content, admin)
    rows = {r["line"]: r for r in batch.result["rows"]}
    assert batch.result["states"]["error"] == 2 and rows[2]["state"] == rows[3]["state"] == "new"
    assert [(p["cell"], p["message"]) for p in rows[4]["problems"]] == [
        ("B4", "Line 2 already has this e-mail address.")]
    assert [(p["cell"], p["message"]) for p in rows[5]["problems"]] == [
        ("B5", "Line 3 already has this e-mail address.")]


def test_repeats_are_found_within_a_chunk_and_across_chunks_with_the_first_line(admin, monkeypatch):
    monkeypatch.setattr(people, "CHUNK", 3)
    content = csv_file([
        ["A", "a@example.org", "", "", "", "en"],  # line 2
        ["B", "b@example.org", "", "", "", "en"],
        ["A again", "a@example.org", "", "", "", "en"],  # line 4: in the first chunk
        ["C", "c@example.org", "", "", "", "en"],
        ["B again", "B@example.org", "", "", "", "en"],  # line 6: the second chunk, B from the first
        ["C again", "c@example.org", "", "", "", "en"],  # line 7: the second chunk, C from this one
        ["Not one", "not-an-address", "", "", "", "en"],
        ["Not one again", "not-an-address", "", "", "", "en"],  # line 9: repeated, and not an address
        ["A third time", "a@example.org", "", "", "", "en"],  # line 10: the third chunk, A from the first
    ], header=HEADER)
    batch = people_previewed(content, admin)
    problems = {r["line"]: [p["message"] for p in r["problems"] if p["kind"] == "error"] for r in batch.result["rows"]}
    assert {line: messages for line, messages in problems.items() if messages} == {
        4: ["Line 2 already has this e-mail address."],
        6: ["Line 3 already has this e-mail address."],
        7: ["Line 5 already has this e-mail address."],
        8: ["This is not an e-mail address."],
        9: ["This is not an e-mail address.", "Line 8 already has this e-mail address."],
        10: ["Line 2 already has this e-mail address."],
    }
    assert batch.result["states"]["error"] == 6 and batch.result["total"] == 9


def test_the_addresses_seen_are_kept_on_disk_and_looked_up_a_chunk_at_a_time(tmp_path):
    from expo.imports.scratch import Scratch

    with Scratch() as scratch:
        seen = people.RepeatedAddresses(scratch)
        first = [(f"person{i}@example.org", line) for line, i in enumerate(range(1200), start=2)]
        assert seen.add(first) == {}
        again = [("person0@example.org", 5000), ("new@example.org", 5001), ("new@example.org", 5002),
                 ("person1199@example.org", 5003)]
        assert seen.add(again) == {5000: 2, 5002: 5001, 5003: 1201}
        assert scratch.execute("SELECT count(*) FROM seen").fetchone() == (1201,)


def _stored_files(monkeypatch) -> list:
    """The temporary files the jobs copy their stored file into, as they are made."""
    made = []
    spooled = services.tempfile.SpooledTemporaryFile

    def recorded(*args, **kwargs):
        made.append(spooled(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(services.tempfile, "SpooledTemporaryFile", recorded)
    return made


def test_an_upload_is_stored_and_a_job_reads_it_a_piece_at_a_time_into_a_temporary_file(admin, monkeypatch):
    monkeypatch.setattr(services, "CONTENT_PIECE", 64)
    content = csv_file([[f"Person {n}", f"p{n}@example.org", "", "", "", "en"] for n in range(5)], header=HEADER)
    with tempfile.TemporaryFile() as upload:  # as a large upload is kept until its request ends
        upload.write(content)
        batch = services.start_people_import(filename="people.csv", content=upload, actor=admin)
    stored = db.session.scalars(sa.select(ImportFilePiece.data).where(ImportFilePiece.batch_id == batch.id)
                                .order_by(ImportFilePiece.number)).all()
    pieces = -(-len(content) // 64)
    assert pieces > 2 and len(stored) == pieces and all(len(piece) <= 64 for piece in stored)
    assert b"".join(stored) == content and batch.size == len(content)
    db.session.commit()
    db.session.expire(batch)
    with count_queries() as log, services.stored_file(batch) as file:
        assert file.read() == content and file._rolled  # on disk past its first piece
    assert file.closed
    assert len(log.statements) == 1 + 1 + pieces  # the batch, the pieces' numbers, each piece


def test_the_jobs_temporary_file_is_removed_when_the_job_ends_finished_or_failed(admin, monkeypatch):
    made = _stored_files(monkeypatch)
    content = csv_file([["Anna Berg", "anna@example.org", "", "", "", "en"]], header=HEADER)
    batch = confirmed(people_previewed(content, admin), admin)
    assert batch.job_state == JobState.DONE and batch.summary["new"] == 1
    assert len(made) == 2 and all(file.closed for file in made)  # the preview's and the confirmation's

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(people, "preview", broken)
    failed = people_previewed(csv_file([["Bo Ek", "bo@example.org", "", "", "", "en"]], header=HEADER), admin)
    assert failed.job_state == JobState.FAILED and "failed unexpectedly" in failed.job_error
    assert len(made) == 3 and made[-1].closed


def test_an_imports_invitations_are_all_sent_after_its_commit_and_none_after_a_rollback(admin, app, monkeypatch):
    from expo.accounts import admin as accounts_admin
    from expo.core import mailqueue
    from expo.core.mail import outbox

    monkeypatch.setattr(people, "CHUNK", 3)
    monkeypatch.setitem(app.config, "MAIL_MESSAGES_PER_CONNECTION", 2)
    rows = [[f"Person {n}", f"invited{n}@example.org", "", "", "", "en"] for n in range(7)]
    batch = people_previewed(csv_file(rows, header=HEADER), admin)
    invite, invited = accounts_admin.invite_people, []

    def invite_then_fail(**kwargs):  # the third chunk's invitations are stored, then the confirmation fails
        invited.append(invite(**kwargs))
        if len(invited) == 3:
            raise RuntimeError("the database went away")

    monkeypatch.setattr(people.admin, "invite_people", invite_then_fail)
    outbox().clear()
    failed = confirmed(batch, admin)
    assert failed.job_state == JobState.FAILED and len(invited) == 3
    assert outbox() == [] and db.session.scalars(sa.select(mailqueue.OutgoingMail)).all() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email.like("invited%"))) == 0

    monkeypatch.setattr(people.admin, "invite_people", invite)
    batch = people_previewed(csv_file(rows, header=HEADER), admin)
    done = confirmed(batch, admin)
    assert done.job_state == JobState.DONE and done.summary["new"] == 7
    assert sorted(message.to for message in outbox()) == sorted(f"invited{n}@example.org" for n in range(7))
    assert {m.status for m in db.session.scalars(sa.select(mailqueue.OutgoingMail))} == {mailqueue.MailStatus.SENT}


def test_an_error_late_in_a_long_file_is_listed_however_many_warnings_come_before_it(admin, monkeypatch):
    monkeypatch.setattr(people, "SHOWN", 3)
    rows = [[f"Person {n}", f"p{n}@example.org", "Unknown Organisation AB"] for n in range(6)]
    batch = people_previewed(csv_file([*rows, ["Late", "not-an-address"]], header=["Name", "E-mail", "Organisation"]),
                             admin)
    result = batch.result
    assert result["states"]["warning"] == 6 and result["states"]["error"] == 1
    assert [row["line"] for row in result["rows"]] == [2, 3, 8]  # the error kept, the first warnings after it
    assert result["rows"][-1]["state"] == "error" and result["shown"] == 3
