"""An administrator brings people in through the browser: the template, a file with one error
seen in the preview, the fixed file, the confirmation, and the people in the list."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from tests.factories import PASSWORD, make_network, make_user


@pytest.mark.e2e
def test_an_administrator_imports_people_fixing_an_error_first(db, page, tmp_path):
    make_user(role=Role.ADMIN, email="admin@h22.example", name="Ada Admin")
    make_user(email="bo@h22.example", name="Bo Ek")
    make_network(name="NetZeroCities", acronym="NZC")
    db.session.commit()

    page.goto("/account/login")
    page.get_by_label("E-mail").fill("admin@h22.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Welcome, Ada Admin.").wait_for()
    page.goto("/manage/people/")
    page.get_by_role("link", name="Import people").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="People template (CSV)").click()
    template = tmp_path / "people.csv"
    download.value.save_as(template)
    header = template.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "Name,E-mail,Organisation,Country,Networks,Language"

    def fill(country: str) -> str:
        path = tmp_path / f"people-{country}.csv"
        path.write_text(header + "\r\nCarla Diaz,carla@h22.example,,Portugal,NZC,en\r\n"
                        f"Bo Eklund,BO@h22.example,,{country},,en\r\n", encoding="utf-8")
        return str(path)

    page.get_by_label("File").set_input_files(fill("Narnia"))
    page.get_by_role("button", name="Preview the import").click()
    error_row = page.locator("tr[data-state=error]")
    assert error_row.count() == 1
    assert "Cell D3" in error_row.inner_text() and "“Narnia” is not a country" in error_row.inner_text()
    assert page.get_by_role("button", name="Confirm the import").count() == 0

    page.get_by_role("link", name="Upload another file").click()
    page.get_by_label("File").set_input_files(fill("Sweden"))
    page.get_by_role("button", name="Preview the import").click()
    assert page.locator("tr[data-state=new]").count() == 1
    update = page.locator("tr[data-state=update]")
    assert update.count() == 1 and "Changes: Name, Country" in update.inner_text()
    page.get_by_role("button", name="Confirm the import").click()
    page.get_by_text("Imported: 1 new, 1 updated, 0 unchanged, 0 cancelled.").wait_for()

    db.session.expire_all()
    carla = db.session.scalar(sa.select(User).where(User.email == "carla@h22.example"))
    bo = db.session.scalar(sa.select(User).where(User.email == "bo@h22.example"))
    assert (carla.name, carla.country_code, [n.acronym for n in carla.networks]) == ("Carla Diaz", "PT", ["NZC"])
    assert (bo.name, bo.country_code) == ("Bo Eklund", "SE")
    page.goto("/manage/people/?q=Carla")
    page.get_by_role("link", name="Carla Diaz").wait_for()
