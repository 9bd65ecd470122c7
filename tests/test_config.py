"""Configuration: where the instance folder is, the generated secret key, production defaults."""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from expo import create_app
from expo.config import load
from expo.core.extensions import db as _db

PACKAGE = Path(__file__).resolve().parent.parent / "expo"


@pytest.fixture
def bare_env(monkeypatch):
    """No EXPO_* setting from the surroundings: only what a test sets counts."""
    for name in ("EXPO_SECRET_KEY", "EXPO_DATABASE_URL", "EXPO_PASSWORD_HASH_METHOD", "EXPO_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_secret_key_is_generated_once_into_the_instance_folder(tmp_path, bare_env):
    first = load(str(tmp_path))

    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == first["SECRET_KEY"]
    assert len(first["SECRET_KEY"]) >= 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]  # no draft left behind
    assert load(str(tmp_path))["SECRET_KEY"] == first["SECRET_KEY"]


def test_each_installation_gets_a_key_of_its_own(tmp_path, bare_env):
    one = load(str(tmp_path / "one"))["SECRET_KEY"]
    other = load(str(tmp_path / "other"))["SECRET_KEY"]

    assert one != other
    assert not any(one in path.read_text() for path in PACKAGE.rglob("*.py"))


def test_a_secret_key_from_the_environment_is_used_and_nothing_is_written(tmp_path, bare_env):
    bare_env.setenv("EXPO_SECRET_KEY", "the same on every server")

    assert load(str(tmp_path))["SECRET_KEY"] == "the same on every server"
    assert not (tmp_path / "secret_key").exists()


def test_expo_instance_path_places_the_instance_folder(tmp_path, bare_env):
    bare_env.chdir(tmp_path)
    bare_env.setenv("EXPO_INSTANCE_PATH", "srv/expo")
    folder = tmp_path / "srv" / "expo"
    folder.mkdir(parents=True)
    (folder / "expo.cfg").write_text('TIMEZONE = "Europe/Helsinki"\n')

    app = create_app()
    again = create_app()

    assert app.instance_path == str(folder)
    assert app.config["TIMEZONE"] == "Europe/Helsinki"
    assert app.config["DATABASE_URL"] == f"sqlite:///{folder / 'expo.sqlite'}"
    assert (folder / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_production_hashes_passwords_with_scrypt(tmp_path, bare_env):
    from expo.accounts.models import User

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'expo.sqlite'}"})

    with app.app_context():
        user = User(email="ana@example.org", name="Ana")
        user.set_password("a long enough secret")
        _db.engine.dispose()

    method, n, r, _p = user.password_hash.split("$")[0].split(":")
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    assert method == "scrypt" and int(n) >= 2**15 and int(r) >= 8
    assert user.check_password("a long enough secret")
    assert not user.check_password("a long enough secreT")
