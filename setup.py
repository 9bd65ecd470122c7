"""Expo's build: the wheel carries what a server needs besides the code.

Settings live in setup.cfg; this step adds the compiled translation catalogues (from the .po
files, so a package never lacks or carries stale .mo files) and the database migrations, which
stay beside the package in the source tree."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithCataloguesAndMigrations(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # `pip install -e`: the source tree serves, `make install` compiles
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in sorted((ROOT / "expo" / "translations").glob("*/LC_MESSAGES/messages.po")):
            target = Path(self.build_lib) / po.relative_to(ROOT).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalogue = read_po(source)
            with target.open("wb") as out:
                write_mo(out, catalogue, use_fuzzy=True)
        migrations = Path(self.build_lib) / "expo" / "migrations"
        shutil.rmtree(migrations, ignore_errors=True)
        shutil.copytree(ROOT / "migrations", migrations, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithCataloguesAndMigrations})
