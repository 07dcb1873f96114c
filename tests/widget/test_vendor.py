"""The committed browser libraries match widget/vendor/VERSIONS.json and the lock file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "widget"
VENDOR = WIDGET / "vendor"


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    versions = json.loads((VENDOR / "VERSIONS.json").read_text())
    on_disk = {p.name for p in VENDOR.iterdir()} - {"VERSIONS.json"}
    assert on_disk == set(versions), "widget/vendor/ and VERSIONS.json list different files"
    for name, info in versions.items():
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert digest == info["sha256"], f"widget/vendor/{name} changed; run `make widget`"


def test_vendored_versions_are_the_locked_ones() -> None:
    versions = json.loads((VENDOR / "VERSIONS.json").read_text())
    lock = json.loads((WIDGET / "package-lock.json").read_text())
    package = json.loads((WIDGET / "package.json").read_text())
    for name, info in versions.items():
        locked = lock["packages"][f"node_modules/{info['package']}"]["version"]
        assert info["version"] == locked, f"{name}: vendored {info['version']}, locked {locked}"
        assert package["dependencies"][info["package"]] == locked
