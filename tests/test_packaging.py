"""The package a production install gets: `pip install .` builds the same wheel as this test, and
the wheel alone (no checkout beside it) must serve Expo, in Swedish to Swedish readers."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # The build runs from a copy of the sources without anything `make install` made (no .mo
    # files): the package build itself must compile the catalogues.
    source = tmp_path_factory.mktemp("source") / "expo"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "instance", "__pycache__", "*.egg-info", "*.mo", "node_modules",
        ".pytest_cache", "tests", "bench"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), str(source)],
        check=True, capture_output=True,
    )
    [built] = out.glob("expo-*.whl")
    return built


def test_the_wheel_holds_compiled_catalogues_templates_static_files_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "expo/translations/sv/LC_MESSAGES/messages.mo" in names
    assert "expo/templates/base.html" in names
    assert "expo/static/css/app.css" in names
    assert "expo/static/vendor/pico/pico.min.css" in names and "expo/static/vendor/pico/LICENSE.md" in names
    assert "expo/migrations/env.py" in names and "expo/migrations/alembic.ini" in names
    assert any(n.startswith("expo/migrations/versions/") for n in names)
    assert not any(n.startswith("tests/") for n in names)



def test_the_installed_wheel_migrates_and_serves_pages_in_swedish(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True, capture_output=True,
    )
    # The dependencies come from this environment's site-packages, added as a plain path: its
    # .pth files (among them the editable install of the checkout) are not read.
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "expo-test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {
        "PATH": os.environ["PATH"], "HOME": str(tmp_path),
        "EXPO_INSTANCE_PATH": str(tmp_path / "instance"),
        "EXPO_DATABASE_URL": f"sqlite:///{tmp_path / 'expo.sqlite'}",
        "EXPO_SECRET_KEY": "packaging-test",
    }
    run = dict(cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    where = subprocess.run([python, "-c", "import expo; print(expo.__file__)"], check=True, **run).stdout
    assert where.startswith(str(site)), where
    migrated = subprocess.run([python, "-m", "flask", "--app", "expo", "db", "upgrade"], **run)
    assert migrated.returncode == 0, migrated.stderr

    port = free_port()
    server = subprocess.Popen(
        [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "expo:create_app()"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        page = None
        request = urllib.request.Request(f"http://127.0.0.1:{port}/account/login", headers={"Accept-Language": "sv"})
        for _ in range(120):
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    page = response.read().decode()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        assert page is not None, server.stdout.read().decode() if server.poll() is not None else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()

    assert '<html lang="sv"' in page
    assert "Logga in" in page
    assert "/static/css/app.css" in page
