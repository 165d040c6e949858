"""static/vendor/MANIFEST.json lists every vendored front-end file with its package, version, licence,
source and sha256: a file added, replaced or edited without updating the manifest fails here."""

import hashlib
import json
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "static" / "vendor"
MANIFEST = VENDOR / "MANIFEST.json"


def _entries() -> dict[str, dict]:
    entries = json.loads(MANIFEST.read_text())["files"]
    paths = [entry["path"] for entry in entries]
    assert len(paths) == len(set(paths)), "a file is listed twice"
    return {entry["path"]: entry for entry in entries}


def test_every_vendored_file_is_in_the_manifest_with_its_hash():
    entries = _entries()
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file() and p != MANIFEST}
    assert on_disk - entries.keys() == set(), "files under static/vendor missing from MANIFEST.json"
    assert entries.keys() - on_disk == set(), "MANIFEST.json lists files that are not there"
    for path, entry in entries.items():
        digest = hashlib.sha256((VENDOR / path).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{path} differs from the manifest (update version and sha256 together)"


def test_each_entry_names_package_version_licence_and_source():
    for path, entry in _entries().items():
        assert entry["package"] and entry["license"], path
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), path
        assert entry["source"].startswith(f"npm:{entry['package']}@{entry['version']}/"), path
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), path


def test_versions_in_file_banners_agree_with_the_manifest():
    """The minified files say which release they are; the manifest must say the same."""
    entries = _entries()
    banners = {
        "bootstrap/bootstrap.min.css": r"Bootstrap\s+v(\S+) ",
        "bootstrap/bootstrap.bundle.min.js": r"Bootstrap v(\S+) ",
        "bootstrap-icons/bootstrap-icons.min.css": r"Bootstrap Icons v(\S+) ",
        "chartjs/chart.umd.min.js": r"Chart\.js v(\S+)\n",
        "htmx/htmx.min.js": r'version:"([^"]+)"',
    }
    for path, pattern in banners.items():
        found = re.search(pattern, (VENDOR / path).read_text(encoding="utf-8"))
        assert found and found.group(1) == entries[path]["version"], path
