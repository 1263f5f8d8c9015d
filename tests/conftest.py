"""Shared fixtures: real store files in tmp dirs, a test config, and tool checks that fail
under CI=true instead of skipping."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.store import Store

REPO = Path(__file__).resolve().parent.parent
JAKARTA = ZoneInfo("Asia/Jakarta")


def require_tool(name: str) -> str:
    """The path of an external program; skip without it, but fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}, and CI must run this test (.ci/run installs it)")
        pytest.skip(message)
    return path


def local(hour: int, minute: int = 0, day: int = 27, month: int = 11, year: int = 2026) -> datetime:
    """A moment in the site's time zone (Asia/Jakarta)."""
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


TWO_PLACES = {"per_slot = 1 ": "per_slot = 2 "}
"""The booking tests' slots take two bookings each (the shipped config: one), so a slot's
last place is a place of its own."""


def write_config(tmp_path: Path, extra: str = "", replace: dict[str, str] | None = None) -> Path:
    """A copy of the shipped config with the store and folders inside tmp_path."""
    text = cfg.embedded_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "config.toml"
    path.write_text(text + "\n" + extra, "utf-8")
    return path


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def settings(config_path: Path) -> cfg.Settings:
    return cfg.load(config_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(local(9, 0))


@pytest.fixture
def store(settings: cfg.Settings, clock: ManualClock) -> Iterator[Store]:
    with Store(settings, clock=clock) as s:
        yield s


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB filesystem of its own (tmpfs; the tests run as root, as .ci/run does)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a small tmpfs: {made.stderr.strip()}")
        pytest.skip(f"cannot mount a small tmpfs: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill `disk` to its last block; returns the file to remove to free it again."""
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler
