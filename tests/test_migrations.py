"""The migrations build the schema the models describe, on SQLite and on PostgreSQL, and
upgrade → downgrade → upgrade works."""
from __future__ import annotations

import uuid
import warnings

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from expo import create_app
from expo.core.extensions import db as _db
from tests.conftest import TEST_DATABASE_URL, base_config


def _collated_indexes() -> set[str]:
    return {index.name for table in _db.metadata.tables.values() for index in table.indexes
            if any("COLLATE" in str(e) for e in index.expressions)}


def _compared(obj, name, type_, reflected, compare_to) -> bool:
    """Everything but indexes in a collation, which PostgreSQL reflects without it (as plain
    column indexes): _missing_expression_indexes checks them by name."""
    return not (type_ == "index" and name in _collated_indexes())


def _pending_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": _compared})
    with warnings.catch_warnings():
        if connection.dialect.name == "sqlite":
            # SQLite cannot reflect indexes on expressions; _missing_expression_indexes checks them.
            warnings.filterwarnings("ignore", message=".*expression-based index")
        return compare_metadata(context, _db.metadata)


def _made_on(index: sa.Index, dialect: str) -> bool:
    """Whether the index is made on this database (some are PostgreSQL's only: ``ddl_if``)."""
    only = getattr(index, "_ddl_if", None)
    return only is None or only.dialect in (None, dialect)


def _missing_expression_indexes(connection) -> set[str]:
    """Indexes on expressions (lower(name) …) that the models declare and the database lacks."""
    declared = {index.name for table in _db.metadata.tables.values() for index in table.indexes
                if any(not isinstance(e, sa.Column) for e in index.expressions)
                and _made_on(index, connection.dialect.name)}
    if connection.dialect.name == "sqlite":
        present = connection.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'"))
    else:
        present = connection.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))
    return declared - set(present)


DIALECTS = ["sqlite"] + (["postgresql"] if (TEST_DATABASE_URL or "").startswith("postgresql") else [])


@pytest.fixture(params=DIALECTS)
def empty_database_url(request, tmp_path):
    """A brand-new empty database: always SQLite, and PostgreSQL when the suite runs on it."""
    if request.param == "postgresql":
        url = sa.engine.make_url(TEST_DATABASE_URL)
        name = f"expo_migrations_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"


def test_upgrade_matches_models_and_round_trips(empty_database_url, tmp_path):
    migrated = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with migrated.app_context():
        flask_migrate.upgrade()
        with _db.engine.connect() as connection:
            assert _pending_differences(connection) == []
            assert _missing_expression_indexes(connection) == set()
            countries = connection.scalar(sa.text("SELECT count(*) FROM countries"))
        assert countries >= 249

        flask_migrate.downgrade(revision="base")
        tables = set(sa.inspect(_db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()

        flask_migrate.upgrade()
        with _db.engine.connect() as connection:
            assert _pending_differences(connection) == []
            assert _missing_expression_indexes(connection) == set()
        _db.session.remove()
        _db.engine.dispose()


def test_single_head(app):
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"


def test_upgrading_keeps_the_rows_that_point_at_a_rebuilt_table(empty_database_url, tmp_path):
    """SQLite rebuilds a table to change its constraints; members stay in their organisation,
    and an organisation entered twice becomes one."""
    migrated = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with migrated.app_context():
        flask_migrate.upgrade(revision="7c1f0e2a9b44")  # the schema as first released
        with _db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO organisations (id, name, kind, country_code) VALUES "
                "(1, 'City of Porto', 'city', NULL), (2, 'city of porto', 'city', NULL), "
                "(3, 'Helsingborg stad', 'city', 'SE')"
            ))
            connection.execute(sa.text(
                "INSERT INTO users (email, password_hash, name, role, organisation_id, locale, active,"
                " feed_token, badge_token, badge_code, created_at) VALUES"
                " ('ana@porto.example', 'x', 'Ana', 'delegate', 2, 'en', true, 'f1', 'b1', 'C1', CURRENT_TIMESTAMP),"
                " ('lena@hbg.example', 'x', 'Lena', 'delegate', 3, 'en', true, 'f2', 'b2', 'C2', CURRENT_TIMESTAMP)"
            ))

        flask_migrate.upgrade()

        with _db.engine.connect() as connection:
            members = connection.execute(sa.text("SELECT email, organisation_id FROM users ORDER BY email")).all()
            organisations = connection.scalars(sa.text("SELECT id FROM organisations ORDER BY id")).all()
        _db.session.remove()
        _db.engine.dispose()
    assert members == [("ana@porto.example", 1), ("lena@hbg.example", 3)]
    assert organisations == [1, 3]


def test_first_publication_is_filled_from_the_current_one(empty_database_url, tmp_path):
    migrated = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with migrated.app_context():
        flask_migrate.upgrade(revision="7c1f0e2a9b44")
        with _db.engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO expos (id, name, city, timezone) VALUES (1, 'H22', 'Helsingborg', 'UTC')"))
            for n, published in ((1, "2022-05-01 08:00:00+00:00"), (2, None)):
                connection.execute(
                    sa.text(
                        "INSERT INTO events (id, expo_id, name, slug, starts_on, ends_on, timezone, is_published,"
                        " published_at, registration_mode, transfer_minutes, created_at, updated_at)"
                        " VALUES (:id, 1, :slug, :slug, '2022-06-01', '2022-06-02', 'UTC', :published, :at,"
                        " 'open', 15, '2022-04-01 00:00:00+00:00', '2022-04-01 00:00:00+00:00')"
                    ),
                    {"id": n, "slug": f"event-{n}", "published": published is not None, "at": published},
                )
        flask_migrate.upgrade()
        with _db.engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT id, first_published_at FROM events ORDER BY id")).all()
        assert [(n, str(at)[:16] if at else None) for n, at in rows] == [(1, "2022-05-01 08:00"), (2, None)]
        flask_migrate.downgrade(revision="7c1f0e2a9b44")
        assert "first_published_at" not in {c["name"] for c in sa.inspect(_db.engine).get_columns("events")}
        _db.session.remove()
        _db.engine.dispose()


def test_accounts_made_before_verification_count_as_verified(empty_database_url, tmp_path):
    migrated = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with migrated.app_context():
        flask_migrate.upgrade(revision="3f8a2d61c0b7")
        with _db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO users (id, email, password_hash, name, role, locale, active, feed_token, badge_token,"
                " badge_code, created_at) VALUES (1, 'org@h22.example', 'x', 'Org', 'organiser', 'en', :yes, 'f1',"
                " 'b1', 'ABCDEFGH', '2022-04-01 08:00:00+00:00')"), {"yes": True})
        flask_migrate.upgrade()
        with _db.engine.connect() as connection:
            row = connection.execute(sa.text(
                "SELECT email_verified_at, pending_email, session_version FROM users")).one()
        assert (str(row[0])[:16], row[1], row[2]) == ("2022-04-01 08:00", None, 0)
        flask_migrate.downgrade(revision="3f8a2d61c0b7")
        assert "email_verified_at" not in {c["name"] for c in sa.inspect(_db.engine).get_columns("users")}
        _db.engine.dispose()


def test_a_populated_h22_database_upgrades_to_event_teams(empty_database_url, tmp_path):
    """The H22 demo, taken back to the schema before event teams and brought forward again:
    every row stays (SQLite rebuilds the users table that most rows point at) and the expo's
    organisers become its administrators."""
    from expo.demo.h22 import load_demo

    before_teams = "9c4e7a1d2b60"  # the audit log, the revision before event teams
    migrated = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    with migrated.app_context():
        flask_migrate.upgrade()
        load_demo()
        _db.session.commit()
        flask_migrate.downgrade(revision=before_teams)
        # the tables of the schema before event teams (later revisions' tables are gone too)
        present = set(sa.inspect(_db.engine).get_table_names())
        kept = [t for t in _db.metadata.sorted_tables if t.name in present]

        def counts() -> dict[str, int]:
            with _db.engine.connect() as connection:
                return {t.name: connection.scalar(sa.select(sa.func.count()).select_from(t)) for t in kept} | {
                    "users pointed at": connection.scalar(sa.text(
                        "SELECT (SELECT count(*) FROM bookings WHERE user_id IS NOT NULL)"
                        " + (SELECT count(*) FROM registrations WHERE user_id IS NOT NULL)"
                        " + (SELECT count(*) FROM check_ins WHERE user_id IS NOT NULL)")),
                    "roles": dict(connection.execute(sa.text("SELECT role, count(*) FROM users GROUP BY role")).all()),
                }

        populated = counts()
        assert populated["roles"]["organiser"] >= 1 and populated["bookings"] > 1000

        flask_migrate.upgrade()

        upgraded = counts()
        roles = populated.pop("roles")
        assert upgraded.pop("roles") == {("admin" if role == "organiser" else role): n for role, n in roles.items()}
        assert upgraded == populated
        _db.session.remove()
        _db.engine.dispose()


def test_an_upload_kept_whole_before_is_kept_in_pieces_and_back(empty_database_url, tmp_path):
    migrated = create_app(base_config(tmp_path, DATABASE_URL=empty_database_url))
    content = b"Title,Date,Starts,Ends\r\nCircular cities,2022-06-01,09:00,10:00\r\n"
    with migrated.app_context():
        flask_migrate.upgrade(revision="t4a7c1e9d2b3")
        with _db.engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO import_batches (id, format, kind, filename, content, source, status, created_at)"
                " VALUES (1, 'spreadsheet', 'sessions', 'sessions.csv', :content, '', 'preview',"
                " '2022-04-01 08:00:00+00:00')"), {"content": content})
        flask_migrate.upgrade()
        with _db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT size FROM import_batches")).scalar_one() == len(content)
            assert connection.execute(sa.text(
                "SELECT batch_id, number, data FROM import_file_pieces")).one() == (1, 0, content)
        flask_migrate.downgrade(revision="t4a7c1e9d2b3")
        with _db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT content FROM import_batches")).scalar_one() == content
        _db.engine.dispose()
