"""Every vendored third-party file says where it comes from, and is still that file."""
import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDORED = [ROOT / "tests" / "vendor" / "ical.js", ROOT / "tests" / "vendor" / "axe-core", ROOT / "expo" / "static" / "vendor" / "html5-qrcode",
            ROOT / "expo" / "static" / "vendor" / "pico"]


@pytest.mark.parametrize("folder", VENDORED, ids=lambda folder: folder.name)
def test_vendored_files_match_their_readme(folder):
    readme = (folder / "README.md").read_text()
    assert re.search(r"^- Version: \d+\.\d+\.\d+", readme, re.M)
    assert re.search(r"^- Upstream: https://github\.com/\S+", readme, re.M)
    licence = re.search(r"^- Licence: .+`(LICENSE[^`]*)`", readme, re.M)
    assert licence and (folder / licence.group(1)).is_file()
    listed = dict(re.findall(r"^- File: `([^`]+)`, sha256 `([0-9a-f]{64})`", readme, re.M))
    files = {p.name for p in folder.iterdir()} - {"README.md", licence.group(1)}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
