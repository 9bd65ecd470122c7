"""An organiser brings sessions in through the browser: template, a file with one error, the
fixed file, confirmation, the sessions in the grid, and the same file again changes nothing."""
from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from expo.accounts.models import Role
from tests.factories import PASSWORD, make_event, make_room, make_user, make_venue


@pytest.mark.e2e
def test_an_organiser_imports_sessions_from_the_template(db, page, tmp_path):
    make_user(role=Role.ORGANISER, email="org@h22.example", name="Olga Organiser")
    event = make_event(name="Urban Mobility Day", slug="urban-mobility", starts_on=date(2022, 6, 1),
                       ends_on=date(2022, 6, 1))
    make_room(name="Hall A", venue=make_venue(name="Dunkers"), capacity=120)
    db.session.commit()

    page.goto("/account/login")
    page.get_by_label("E-mail").fill("org@h22.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Olga Organiser.").wait_for()
    page.goto(f"/manage/events/{event.id}/sessions")
    page.get_by_role("link", name="Import", exact=True).click()

    with page.expect_download() as download:
        page.get_by_role("link", name="Template (Excel)", exact=True).click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook.active
    header = [c.value for c in sheet[1]]
    assert header[:7] == ["UID", "Title", "Kind", "Description", "Date", "Starts", "Ends"]

    def fill(start_of_second: str) -> str:
        rows = [
            {"Title": "Streets for people", "Kind": "Talk", "Date": "2022-06-01", "Starts": "09:00", "Ends": "10:00",
             "Venue": "Dunkers", "Room": "Hall A"},
            {"Title": "Cycling cities", "Kind": "Panel", "Date": "2022-06-01", "Starts": start_of_second,
             "Ends": "12:00", "Venue": "Dunkers", "Room": "Hall A"},
        ]
        for number, values in enumerate(rows, start=2):
            for column, value in values.items():
                sheet.cell(row=number, column=header.index(column) + 1, value=value)
        path = tmp_path / f"sessions-{start_of_second.replace(':', '')}.xlsx"
        workbook.save(path)
        return str(path)

    page.get_by_label("File").set_input_files(fill("half past ten"))
    page.get_by_role("button", name="Preview the import").click()
    error_row = page.locator("tr[data-state=error]")
    assert error_row.count() == 1
    assert "Cell F3" in error_row.inner_text() and "is not a time" in error_row.inner_text()
    assert page.get_by_role("button", name="Confirm the import").count() == 0

    page.get_by_role("link", name="Upload another file").click()
    fixed = fill("10:30")
    page.get_by_label("File").set_input_files(fixed)
    page.get_by_role("button", name="Preview the import").click()
    assert page.locator("tr[data-state=new]").count() == 2
    page.get_by_role("button", name="Confirm the import").click()
    page.get_by_text("Imported: 2 new, 0 updated, 0 unchanged, 0 cancelled.").wait_for()

    page.goto("/events/urban-mobility/grid")
    grid = page.locator("main").inner_text()
    assert "Streets for people" in grid and "Cycling cities" in grid

    page.goto(f"/manage/events/{event.id}/import")
    page.get_by_label("File").set_input_files(fixed)
    page.get_by_role("button", name="Preview the import").click()
    assert page.locator("tbody tr").count() == 2
    assert page.locator("tr[data-state=unchanged]").count() == 2
    page.get_by_text("Every row is unchanged: there is nothing to import.").wait_for()
