"""config.toml: the shipped default, the lookup order, and errors that teach."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk.exceptions import ConfigError

from .conftest import REPO, write_config


def parse(text: str) -> cfg.Settings:
    return cfg.parse(text, "config.toml", Path("/site"))


def broken(old: str, new: str) -> str:
    text = cfg.embedded_text()
    assert old in text, old
    with pytest.raises(ConfigError) as info:
        parse(text.replace(old, new, 1))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_repo_config_is_the_embedded_default():
    assert (REPO / "config.toml").read_text("utf-8") == cfg.embedded_text()


def test_shipped_library_lobby():
    s = parse(cfg.embedded_text())
    assert [x.prefix for x in s.services] == ["A", "B", "C", "D", "E"]
    assert all(x.name["id"] and x.name["en"] and x.icon for x in s.services)
    assert list(s.needs) == ["lansia", "disabilitas", "hamil", "menyusui", "anak"]
    assert [c.id for c in s.counters] == [1, 2, 3, 4]
    assert "A" in s.counter(1).services
    served = {p for c in s.counters for p in c.services}
    assert served == {"A", "B", "C", "D", "E"}
    assert s.warnings == ()
    assert s.kiosks[0].id == "lobby" and s.printers["main"].connection == "file"
    assert (s.hours.open.isoformat(), s.hours.close.isoformat()) == ("08:00:00", "16:00:00")
    assert s.site.timezone == "Asia/Jakarta" and s.default_language == "id"


def test_relative_paths_follow_the_config_file():
    s = parse(cfg.embedded_text())
    assert s.store.path == Path("/site/data/kiosk.db")
    assert s.printers["main"].path == Path("/site/data/slips")
    assert s.speech.wav_dir == Path("/site/data/announcements")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('prefix = "C"', 'prefix = "ab"',
         'config.toml: services[2].prefix: must be one capital letter, got "ab"'),
        ("max_recalls = 2", "max_recall = 2",
         "config.toml: queue.max_recall: unknown key (check the spelling)"),
        ('prefix = "C"', 'prefix = "A"', 'config.toml: services[2].prefix: duplicate prefix "A"'),
        ('id = 3\n', 'id = 2\n', "config.toml: counters[2].id: duplicate counter id 2"),
        ('services = ["D", "E"]', 'services = ["D", "Z"]',
         'config.toml: counters[3].services[1]: unknown service "Z"'),
        ('printer = "main"', 'printer = "mian"',
         'config.toml: kiosks[0].printer: unknown printer "mian"'),
        ("Asia/Jakarta", "Mars/Olympus", "config.toml: site.timezone: unknown time zone"),
        ('name = { id = "Loket 2", en = "Counter 2" }', 'name = { id = "Loket 2" }',
         "config.toml: counters[1].name: missing the 'en' text"),
        ('last_ticket = "15:30"', 'last_ticket = "16:30"',
         "config.toml: hours: must be in order: open < last_ticket <= close"),
        ('open = "08:00"', 'open = "8 am"', 'config.toml: hours.open: must be a time "HH:MM"'),
        ("timeout_s = 3", "timeout_s = 0", "config.toml: printers.main.timeout_s:"),
        ("timeout_s = 3", "timeout_s = -2", "config.toml: printers.main.timeout_s:"),
        ("rate = 140", "rate = 1400", "config.toml: speech.rate:"),
        ("timeout_s = 3", "timeout_s = 3\nport = 70000", "config.toml: printers.main.port:"),
        ("timeout_s = 3", 'timeout_s = 3\nstatus = "no"', "config.toml: printers.main.status:"),
        ("head_start_minutes = 60 ", 'head_start_minutes = "loose" ',
         'config.toml: queue.head_start_minutes: must be minutes (0..1440) or "strict"'),
        ('connection = "file"', 'connection = "wifi"', "config.toml: printers.main.connection:"),
        ('profile = "TM-T20II"', 'profile = "NoSuchPrinter"',
         "config.toml: printers.main.profile: unknown python-escpos profile"),
        ('languages = ["id", "en"]', 'languages = ["id", "fr"]',
         "config.toml: site.languages: no message catalogue for language 'fr'"),
        ("idle_s = 45", "idle_s = 2", "config.toml: patron.idle_s:"),
        ("repeat = 2", "repeat = 0", "config.toml: speech.repeat:"),
    ],
)
def test_errors_name_the_key(old: str, new: str, expected: str):
    assert broken(old, new).startswith(expected)


def test_more_than_eight_services_is_an_error():
    extra = "".join(
        f'\n[[services]]\nprefix = "{p}"\nname = {{ id = "x", en = "x" }}\n' for p in "FGHI"
    )
    with pytest.raises(ConfigError, match=r"services: at most 8 services"):
        parse(cfg.embedded_text() + extra)


def test_toml_syntax_error_names_the_line():
    message = broken("rate = 140", "rate = ")
    assert message.startswith("config.toml: not valid TOML:") and "line" in message


def test_unserved_service_is_a_warning_not_an_error():
    s = parse(cfg.embedded_text().replace('services = ["C", "E"]', 'services = ["E"]'))
    assert s.warnings == (
        'config.toml: services[2]: no counter serves "C"; its tickets would wait forever',
    )


def test_usb_and_cups_need_their_details():
    text = cfg.embedded_text().replace('connection = "file"', 'connection = "usb"')
    with pytest.raises(ConfigError, match=r"printers.main: connection \"usb\" needs usb"):
        parse(text)
    usb = "timeout_s = 3\nusb = { vendor = 0x04b8, product = 0x0e15 }"
    ok = parse(text.replace("timeout_s = 3", usb))
    assert ok.printers["main"].usb is not None and ok.printers["main"].usb.vendor == 0x04B8


def test_head_start_strict_and_per_need_override():
    text = cfg.embedded_text().replace('icon = "🧓"', 'icon = "🧓"\nhead_start_minutes = "strict"')
    text = text.replace('icon = "🤰"', 'icon = "🤰"\nhead_start_minutes = 15')
    lead = parse(text).head_start()
    assert lead(None) == 0 and lead("lansia") is None
    assert lead("hamil") == 15 * 60 and lead("anak") == 60 * 60


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(cfg.ENV_VAR, raising=False)
    monkeypatch.setattr(cfg, "user_data_dir", lambda: tmp_path / "userdata")
    # Nothing around: the embedded default, with the store in the user's data folder.
    s = cfg.load()
    assert s.source == cfg.EMBEDDED
    assert s.store.path == tmp_path / "userdata" / "data" / "kiosk.db"
    # ./config.toml when present
    local = write_config(tmp_path, replace={"Perpustakaan Nasional RI": "Local"})
    assert cfg.load().site.name == "Local"
    # $KIOSK_CONFIG beats ./config.toml
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    env_file = write_config(env_dir, replace={"Perpustakaan Nasional RI": "FromEnv"})
    monkeypatch.setenv(cfg.ENV_VAR, str(env_file))
    assert cfg.load().site.name == "FromEnv"
    # --config beats both; --db overrides the store path
    s = cfg.load(local, db=tmp_path / "other.db")
    assert s.site.name == "Local" and s.store.path == tmp_path / "other.db"


def test_missing_file_and_folder(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"nope.toml: no such config file"):
        cfg.load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"is a folder"):
        cfg.load(tmp_path)


def run_kiosk(*args: str, cwd: Path, env: dict[str, str] | None = None,
              stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop(cfg.ENV_VAR, None)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True, timeout=60,
    )


def test_check_config_summary_and_exit_codes(tmp_path: Path):
    good = write_config(tmp_path)
    done = run_kiosk("check-config", "--config", str(good), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Keanggotaan" in done.stdout and "counters:" in done.stdout
    assert done.stdout.strip().endswith("ok")

    bad = tmp_path / "bad.toml"
    bad.write_text(cfg.embedded_text().replace('prefix = "C"', 'prefix = "ab"'), "utf-8")
    done = run_kiosk("check-config", "--config", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f'kiosk: {bad}: services[2].prefix: must be one capital letter, got "ab"'
    )
    assert "Traceback" not in done.stderr

    done = run_kiosk("check-config", "--config", str(tmp_path / "missing.toml"), cwd=tmp_path)
    assert done.returncode == 2 and "no such config file" in done.stderr


def test_unknown_argument_exits_2_with_one_line(tmp_path: Path):
    done = run_kiosk("call", "--counter", "x", cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--counter" in done.stderr


def test_prefixes_that_sound_alike_are_warned_about_when_said_without_their_words(tmp_path):
    """Issue 21, point 7: A-E are the most confusable letters there are. With the shipped
    `letter_words = "alike"` they are said with their words ("B, Bunga") and nothing is
    said; with "none" check-config names them and suggests distinct prefixes."""
    assert not any("sound alike" in w for w in cfg.load(write_config(tmp_path)).warnings)
    plain = cfg.load(write_config(tmp_path, "", {
        'numbers = "words"': 'numbers = "words"\nletter_words = "none"'}))
    [warning] = [w for w in plain.warnings if "sound alike" in w]
    assert "the prefixes B, C, D, E sound alike" in warning
    assert "such as H, K, M, S" in warning


def test_eight_services_with_bookings_are_warned_about(tmp_path):
    """With eight services no digit is left for the kiosk's appointment choice (9 is the
    other language): a warning, not an error (the focus ring still reaches it)."""
    assert not any("appointment choice" in w for w in cfg.load(write_config(tmp_path)).warnings)
    extra = "".join(f'\n[[services]]\nprefix = "{p}"\nname = {{ id = "Layanan {p}", en ='
                    f' "Service {p}" }}\n' for p in "FGH")
    counters = "".join(f'\n[[counters]]\nid = {9 + i}\nname = {{ id = "Loket {p}", en ='
                       f' "Counter {p}" }}\nservices = ["{p}"]\n' for i, p in enumerate("FGH"))
    many = cfg.load(write_config(tmp_path, extra + counters))
    [warning] = [w for w in many.warnings if "appointment choice" in w]
    assert "with 8 services" in warning and "booking.services" in warning
    assert not any("appointment choice" in w for w in cfg.load(write_config(
        tmp_path, extra + counters, {'services = ["A", "C"]': "services = []"})).warnings)
