"""`kiosk issue` with the embedded default's file printer, `kiosk reprint` and
`kiosk printer-test`, as a user runs them (real processes, real store, real sockets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config as cfg
from printers.decode import read
from printers.fake import FakePrinter, closed_port

from .conftest import write_config
from .test_print_support import network, printer_config

NOW = "2026-11-27T09:00:00+07:00"


def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIOSK_NOW": NOW, "KIOSK_CONFIG": str(config)}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, text=True,
                          capture_output=True, timeout=60, cwd=config.parent)


def test_the_shipped_config_prints_into_a_folder_beside_the_store(tmp_path):
    config = write_config(tmp_path)
    settings = cfg.load(config)
    assert settings.printers["main"].connection == "file"
    done = kiosk(config, "issue", "E", "--need", "hamil", "--lang", "en", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["printed"] is True
    folder = settings.printers["main"].path
    assert folder.parent == settings.store.path.parent
    preview = (folder / "2026-11-27-E001.txt").read_text("utf-8")
    assert "E 0 0 1" in preview and "P R I O R I T Y" in preview and "Pregnant" not in preview
    slip = read((folder / "2026-11-27-E001.bin").read_bytes(), "TM-T20II")
    assert slip.qr_native == ["E001"]
    status = kiosk(config, "status")
    assert f"printer main: ok (slips go to {folder})" in status.stdout


def test_reprint_prints_a_marked_copy_with_todays_outlook(tmp_path):
    with FakePrinter() as fake:
        config = printer_config(tmp_path, **network(fake.port))
        assert kiosk(config, "issue", "A", "--no-print").returncode == 0
        assert kiosk(config, "issue", "A", "--lang", "en", "--no-print").returncode == 0
        assert kiosk(config, "call", "--counter", "1").returncode == 0  # A001 is called
        done = kiosk(config, "reprint", "a002", "--json")
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert (out["label"], out["printed"], out["people_ahead"]) == ("A002", True, 0)
        refused = kiosk(config, "reprint", "A001")
        [data] = fake.slips()
    slip = read(data, "TM-T20II")
    assert "COPY" in slip.texts() and "Nobody is ahead of you" in slip.texts()
    assert slip.qr_native == ["A002"]
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "kiosk: A001 is called; only a waiting ticket's slip is printed again")


def test_printer_test_reports_state_and_prints_a_sample(tmp_path):
    with FakePrinter(paper="low") as fake:
        config = printer_config(tmp_path, **network(fake.port))
        done = kiosk(config, "printer-test", "--json")
        [data] = fake.slips()
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["kiosk"], out["printer"], out["printed"], out["state"]) == (
        "lobby", "main", True, "paper_low")
    assert out["connection"] == f"network 127.0.0.1:{fake.port}"
    texts = read(data, "TM-T20II").texts()
    assert texts[0] == "Tes printer: main"  # the site's first language
    assert "A000" in texts


@pytest.mark.parametrize("verb", [["printer-test"], ["reprint", "A001"]])
def test_a_dead_printer_is_exit_1_with_one_line(tmp_path, verb):
    config = printer_config(tmp_path, **network(closed_port(), 0.5))
    assert kiosk(config, "issue", "A", "--no-print").returncode == 0
    done = kiosk(config, *verb, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["printed"] is False
    [line] = done.stderr.splitlines()
    assert line.startswith("kiosk: ") and "connection refused" in line


def test_a_kiosk_without_printer_cannot_test_it(tmp_path):
    config = printer_config(tmp_path, connection="none")
    done = kiosk(config, "printer-test")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'kiosk: kiosk "lobby" has no printer (printer absent or connection "none")')
    issued = kiosk(config, "issue", "A", "--json")
    assert json.loads(issued.stdout)["printed"] is None and issued.stderr == ""
