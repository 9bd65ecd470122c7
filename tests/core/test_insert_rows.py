"""Writing many new rows at once (``insert_rows``): by COPY on PostgreSQL, one INSERT elsewhere."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role, User
from expo.audit.models import AuditAction, AuditEntry
from expo.core.db import insert_rows


def _account(email: str) -> dict:
    return {"email": email, "name": email.split("@")[0], "password_hash": "!", "role": Role.ORGANISER}


def test_rows_are_written_with_their_defaults_and_numbered_in_the_order_given(db):
    emails = [f"row{n}@example.org" for n in (3, 1, 2)]
    ids = insert_rows(User.__table__, [_account(email) for email in emails], key="email")
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    assert [users[i].email for i in ids] == emails
    user = users[ids[0]]
    assert (user.role, user.active, user.session_version) == (Role.ORGANISER, True, 0)
    assert len(user.feed_token) > 20 and user.feed_token != users[ids[1]].feed_token  # a default made per row
    assert user.created_at.tzinfo is not None


def test_numbers_without_a_key_and_none_when_not_asked(db):
    entries = [{"action": AuditAction.PERSON_INVITED, "subject_id": n, "subject_name": f"P{n}"} for n in range(3)]
    ids = insert_rows(AuditEntry.__table__, entries, ids=True)
    assert sorted(db.session.scalars(sa.select(AuditEntry.subject_id).where(AuditEntry.id.in_(ids)))) == [0, 1, 2]
    assert insert_rows(AuditEntry.__table__, entries) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 6
    assert insert_rows(AuditEntry.__table__, []) == []


def test_a_repeated_unique_value_is_refused_as_an_insert_would_be(db):
    insert_rows(User.__table__, [_account("once@example.org")], key="email")
    with pytest.raises(sa.exc.IntegrityError):
        insert_rows(User.__table__, [_account("once@example.org")], key="email")
    db.session.rollback()
