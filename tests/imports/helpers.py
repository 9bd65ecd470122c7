"""Files for the import tests (CSV text and Excel workbooks built in memory), and a people
file previewed and confirmed as an administrator would."""
from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from expo.core.extensions import db
from expo.core.spreadsheets import csv_bytes
from expo.imports import services, tasks
from expo.imports.models import ImportBatch

HEADER = ["UID", "Title", "Kind", "Date", "Starts", "Ends", "Venue", "Room", "Speakers", "Track"]


def csv_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    return csv_bytes([list(header), *rows])


def xlsx_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, *, edit=None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if edit is not None:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def people_previewed(content: bytes, admin: Any) -> ImportBatch:
    """Upload and preview a people file (the job runs at once in the tests)."""
    batch = services.start_people_import(filename="people.csv", content=content, actor=admin)
    tasks.start(batch=batch, step=tasks.PREVIEW, actor=admin)
    db.session.commit()
    db.session.expire_all()
    return db.session.get(ImportBatch, batch.id)


def confirmed(batch: ImportBatch, admin: Any) -> ImportBatch:
    """Confirm a previewed import, as read back after its job."""
    tasks.start(batch=batch, step=tasks.CONFIRM, actor=admin, digest=batch.result["digest"])
    db.session.commit()
    db.session.expire_all()
    return db.session.get(ImportBatch, batch.id)
