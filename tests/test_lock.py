"""The dependency locks: every package pinned with hashes, the runtime pins identical in both locks,
and each pin allowed by the loose specifiers of requirements*.in (so `make lock` was run after an edit)."""

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    pins = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.split("\n", 1)[0]
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+) \\$", first)
        if not match:
            assert first.startswith("#") or not first.strip(), f"{lock}: not a hashed pin: {first!r}"
            continue
        assert "--hash=sha256:" in block, f"{lock}: {first} has no hash"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _specs(infile: str) -> list[Requirement]:
    lines = (ROOT / infile).read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith(("#", "-"))]


def test_locks_pin_everything_with_hashes_and_agree():
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {"django", "celery", "sentry-sdk", "psycopg2-binary"} <= runtime.keys()
    assert {name: dev.get(name) for name in runtime} == runtime, "the dev lock must pin the runtime ones unchanged"
    assert "pip" in dev, "pip is pinned so `make` upgrades it with a hash"


def test_every_loose_requirement_is_locked_within_its_specifier():
    for infile, lock in (("requirements.in", "requirements.lock"), ("requirements-dev.in", "requirements-dev.lock")):
        pins = _pins(lock)
        for requirement in _specs(infile):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement} of {infile} is not in {lock}: run `make lock`"
            assert requirement.specifier.contains(pins[name], prereleases=True), f"{lock}: {name}=={pins[name]}"


def test_image_and_make_install_from_the_locks_with_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "-r requirements.lock" in dockerfile
    assert re.search(r"python:3\.11\.\d+-slim-bookworm", dockerfile), "the base image is pinned to a patch release"
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in makefile
