"""Rules of the suite itself: tests that CI must run are never skipped there in silence."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import must_run_in_ci

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_TEST = "tests/registration/test_concurrency.py::test_one_delegate_clicking_many_times_at_once_books_once"


def test_a_test_that_cannot_run_fails_in_ci_and_is_skipped_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL tests cannot run in CI: no database"):
        must_run_in_ci("PostgreSQL tests", "no database", "start one")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"PostgreSQL tests skipped: no database \(start one\)"):
        must_run_in_ci("PostgreSQL tests", "no database", "start one")


def test_postgres_tests_on_sqlite_fail_in_ci(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "EXPO_TEST_DATABASE_URL"}
    env.update(CI="true", EXPO_INSTANCE_PATH=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", POSTGRES_TEST],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 1, run.stdout[-2000:]
    assert "PostgreSQL tests cannot run in CI: the test database is not PostgreSQL" in run.stdout
