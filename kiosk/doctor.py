"""`kiosk doctor`: what a lobby needs, checked in a few seconds, each finding one plain line
with its fix (issue 22, point 3).

Each check is a small function returning `Check`s; `run()` runs them side by side (a printer
that does not answer costs its timeout once) and turns a check's own failure into a failed
Check naming it. Nothing here writes the store: it is read once through
kiosk.store.checkup's read-only connection, and printers are asked their state without
recording it, so the doctor is safe to run while everything runs.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
import wave
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from kiosk import clock as clk
from kiosk import config as cfg
from kiosk import views
from kiosk.exceptions import ConfigError, StoreFault
from kiosk.store.backup import copies, holders
from kiosk.store.checkup import Checkup, checkup
from kiosk.store.schema import SCHEMA_VERSION

DISK_FREE_MIN = 1 << 30
"""Under 1 GB free a day of WAL, a backup copy or the logs can fill the disk, and then no
ticket can be issued: fail while there is still time to act."""
DISK_FREE_SHARE_MIN = 0.05
"""Under 5 % free also fails: a big disk that full is filling up with something (logs,
exports, slips, copies) that nobody rotates."""
WAL_MAX = 64 << 20
"""SQLite folds the WAL back into the store every ~40 MB of pages
(kiosk.store.base.WAL_CHECKPOINT_PAGES); past 64 MB a reader is holding the checkpoints back
(a stuck process), and the WAL grows, and every read slows, until it lets go."""
BACKUP_MAX_AGE = timedelta(hours=36)
"""The backup timer runs nightly: a newest copy older than a day and a half means it missed."""
CLOCK_SLACK = timedelta(minutes=2)
"""An event this far ahead of now means the clock is behind (was set back, or lost its
time). The store's own check of a clock that jumps ahead uses the same two minutes."""
SERVE_TIMEOUT_S = 2.0
"""`kiosk serve` answers /healthz in milliseconds; 2 s without an answer is a hung server."""
SPEECH_TIMEOUT_S = 10.0
"""espeak-ng says a test word in a fraction of a second, the first time after boot in a few."""
SERVE_UNIT, ANNOUNCER_UNIT, BACKUP_TIMER = ("kiosk-serve", "kiosk-announcer",
                                            "kiosk-backup.timer")
SYNC_UNIT = "kiosk-sync"
"""The systemd units `kiosk install-units` writes (kiosk.host.units)."""
PACKAGES = {"aplay": "alsa-utils", "paplay": "pulseaudio-utils", "pw-play": "pipewire-bin",
            "play": "sox", "ffplay": "ffmpeg", "mpv": "mpv", "espeak-ng": "espeak-ng"}
"""The Debian package of a player the fix can name."""

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    """What was found, with its figures: one line."""
    fix: str = ""
    """What to do: one line; empty when there is nothing to do."""
    level: Level = "ok"
    """warn: worth knowing, nothing fails because of it (exit 0)."""

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "level": self.level, "detail": self.detail,
                "fix": self.fix}


def good(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def warn(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, True, detail, fix, "warn")


def bad(name: str, detail: str, fix: str) -> Check:
    return Check(name, False, detail, fix, "fail")


# -- figures in words ------------------------------------------------------------------------


def size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def plural(count: int, word: str, words: str = "") -> str:
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def span(delta: timedelta) -> str:
    s = max(0, round(delta.total_seconds()))
    if s < 120:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} days {s % 86400 // 3600} h"


def at(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def utc(moment: datetime) -> str:
    """UTC+07:00 (strftime's %z says +0700)."""
    offset = moment.utcoffset() or timedelta(0)
    sign, minutes = "+" if offset >= timedelta(0) else "-", abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _plain(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f" ({exc.filename})" if exc.filename else ""
        return exc.strerror[0].lower() + exc.strerror[1:] + where
    lines = str(exc).strip().splitlines()
    text = lines[-1].removeprefix("Error: ") if lines else "an unexpected fault"
    return text[:1].lower() + text[1:]


# -- the config --------------------------------------------------------------------------------


def load_config(explicit: str | None, db: str | None) -> cfg.Settings | Check:
    """The settings, or the one failed Check that stops every other check."""
    try:
        return cfg.load(explicit, db=db)
    except ConfigError as exc:
        where = cfg.find(explicit) or "the config file"
        return bad("config", str(exc), f"correct it in {where}; kiosk check-config checks it")


def config_check(settings: cfg.Settings) -> Check:
    source = settings.source if settings.source == cfg.EMBEDDED else Path(settings.source).name
    if settings.warnings:
        first = settings.warnings[0].removeprefix(f"{settings.source}: ")
        more = f" (and {len(settings.warnings) - 1} more)" if len(settings.warnings) > 1 else ""
        return warn("config", f"{source}: {first}{more}", "see kiosk check-config")
    return good("config", f"{source}: {plural(len(settings.services), 'service')}, "
                f"{plural(len(settings.counters), 'counter')}, "
                f"{plural(len(settings.kiosks), 'kiosk')}")


# -- the store, its disk and the clock -----------------------------------------------------------

Read = Checkup | StoreFault | None
"""What was read of the store: its checkup, the fault that stopped it, None: no file."""


def read_store(path: Path) -> Read:
    if not path.is_file():
        return None
    try:
        return checkup(path)
    except StoreFault as fault:
        return fault


def _restore_fix(folder: Path) -> str:
    found = copies(folder)
    copy = str(found[-1]) if found else f"a copy from {folder}"
    return f"stop everything (systemctl stop 'kiosk-*'), then kiosk restore {copy}"


def store_check(settings: cfg.Settings, read: Read, folder: Path) -> Check:
    path = settings.store.path
    if read is None:
        return bad("store", f"no store at {path}", f"check [store] path in {settings.source};"
                   " the kiosk makes a new one when it first starts")
    if isinstance(read, StoreFault):
        fix = {"damaged": _restore_fix(folder),
               "busy": "try again; if it stays locked: systemctl restart 'kiosk-*'"}.get(
            read.kind, f"check the disk and the file's owner and permissions: ls -l {path}")
        return bad("store", str(read), fix)
    if read.version > SCHEMA_VERSION:
        return bad("store", f"{path} was made by a newer version of this program (schema"
                   f" {read.version}; this one knows up to {SCHEMA_VERSION})",
                   "install the newer version again on this PC, or put back a copy this"
                   " version made (kiosk restore)")
    if read.version < 1 or read.tickets is None:
        return bad("store", f"{path} is not a kiosk store (schema version {read.version})",
                   f"check [store] path in {settings.source}, or {_restore_fix(folder)}")
    if read.problems:
        return bad("store", f"{path} failed its integrity check: {'; '.join(read.problems)}",
                   _restore_fix(folder))
    figures = f"{plural(read.tickets, 'ticket')}, {size(path.stat().st_size)}"
    if read.version < SCHEMA_VERSION:
        return warn("store", f"integrity ok, schema {read.version}, {figures}; the next kiosk"
                    f" process to start upgrades it to {SCHEMA_VERSION} (after a copy)")
    return good("store", f"integrity ok, schema {read.version}, {figures}")


def disk_check(settings: cfg.Settings) -> Check:
    folder = next(p for p in (settings.store.path.parent, *settings.store.path.parents)
                  if p.exists())
    usage = shutil.disk_usage(folder)
    share = usage.free / usage.total if usage.total else 0.0
    found = f"{size(usage.free)} free of {size(usage.total)} ({share:.0%})"
    if usage.free < DISK_FREE_MIN or share < DISK_FREE_SHARE_MIN:
        need = f"needs {size(DISK_FREE_MIN)} and {DISK_FREE_SHARE_MIN:.0%}"
        return bad("disk", f"only {found} on the disk of {folder} ({need})",
                   f"free some space there: old exports, logs, slips, copies in {folder}")
    return good("disk", found)


def wal_check(settings: cfg.Settings) -> Check:
    path = settings.store.path
    wal = path.with_name(path.name + "-wal")
    found = wal.stat().st_size if wal.exists() else 0
    if found > WAL_MAX:
        pids = ", ".join(map(str, holders(path)))
        return bad("store WAL", f"{wal} is {size(found)} (limit {size(WAL_MAX)}): a process"
                   " that has the store open holds SQLite's checkpoints back",
                   f"restart what has it open (pid {pids}): systemctl restart 'kiosk-*'"
                   if pids else "nothing has it open now: the next write folds it back")
    return good("store WAL", f"{size(found)} (limit {size(WAL_MAX)})")


def zone_check(settings: cfg.Settings, now: datetime) -> Check:
    """The site's zone loads (the config's own check: ZoneInfo); is the PC's the same?"""
    name = settings.site.timezone
    ours, system = now.astimezone(settings.site.tz), now.astimezone()
    if ours.utcoffset() != system.utcoffset():
        return warn("time zone", f"the PC's is {utc(system)} ({system.tzname()}), the site's"
                    f" {name} is {utc(ours)}; screens show site time anyway",
                    f"for logs and timers in site time: timedatectl set-timezone {name}")
    return good("time zone", f"{name} ({utc(ours)}), the same as the PC's")


def clock_check(settings: cfg.Settings, read: Read, now: datetime) -> Check:
    tz = settings.site.tz
    if not isinstance(read, Checkup):
        return warn("clock", f"now {at(now, tz)}; the event log was not read (see store)")
    if read.newest_event is None:
        return good("clock", f"now {at(now, tz)}; no events yet")
    newest = clk.parse(read.newest_event)
    if newest - now > CLOCK_SLACK:
        return bad("clock", f"the clock is behind: it says {at(now, tz)}, but the store has an"
                   f" event from {at(newest, tz)}, {span(newest - now)} later",
                   "set the clock right: timedatectl set-ntp true (then timedatectl status)")
    return good("clock", f"now {at(now, tz)}; newest event {span(now - newest)} before")


# -- devices ---------------------------------------------------------------------------------------


def printer_check(settings: cfg.Settings, kiosk_id: str) -> Check:
    from printers.connect import describe
    from printers.worker import printer_of, run_job

    name = f"printer {kiosk_id}"
    target = printer_of(settings, kiosk_id)
    if target is None:
        return good(name, "none configured")
    printer_name, printer = target
    lock_dir = settings.store.path.parent
    outcome = run_job(printer_name, printer, None,
                      lock_dir=lock_dir if lock_dir.is_dir() else Path(tempfile.gettempdir()))
    where = f"{printer_name} ({describe(printer)})"
    roll = f"put in a new {printer.paper_width_mm} mm paper roll"
    if outcome.state is None:  # another job held it for its whole timeout
        return warn(name, f"{where}: {outcome.reason}", "try again")
    if outcome.state in ("paper_low", "paper_out"):
        return (warn(name, f"{where}: paper near its end", f"{roll} soon")
                if outcome.state == "paper_low" else bad(name, f"{where}: paper out", roll))
    if not outcome.ok:
        reason = outcome.reason or "offline"
        return bad(name, reason if reason.startswith("printer ") else f"{where}: {reason}",
                   _printer_fix(settings, printer_name, kiosk_id))
    if printer.connection == "file":
        return good(name, f"{printer_name}: slips go to a folder (no paper to check)")
    found = "online, paper ok" if outcome.state == "ok" else "answers; paper not reported"
    return good(name, f"{where}: {found}")


def _printer_fix(settings: cfg.Settings, name: str, kiosk_id: str) -> str:
    printer = settings.printers[name]
    then = f"; then kiosk printer-test --kiosk {kiosk_id}"
    match printer.connection:
        case "network":
            return (f"check the printer is on, its cover closed, and that it has the address"
                    f" {printer.host} (port {printer.port}){then}")
        case "usb" | "serial":
            return f"check the printer is on, its cover closed and its cable in{then}"
        case "cups":
            return f"check the queue: lpstat -p {printer.cups}; cupsenable {printer.cups}{then}"
        case _:
            return f"make {printer.path} writable for the kiosk's user{then}"


def speech_checks(settings: cfg.Settings) -> list[Check]:
    program = shutil.which("espeak-ng")
    if program is None:
        return [bad("espeak-ng", "espeak-ng is not installed (not found on PATH): the kiosk"
                    " and the calls cannot speak", "install it: apt install espeak-ng")]
    found = [good("espeak-ng", f"found at {program}")]
    with tempfile.TemporaryDirectory(prefix="kiosk-doctor-") as tmp:
        for lang, voice in settings.speech.voices.items():
            found.append(voice_check(settings, program, lang, voice, Path(tmp) / f"{lang}.wav"))
    return found


def voice_check(settings: cfg.Settings, program: str, lang: str, voice: str,
                wav: Path) -> Check:
    name = f"voice {lang}"
    fix = (f"set speech.voices.{lang} in {settings.source} to a voice espeak-ng --voices"
           " lists, or reinstall its data: apt install --reinstall espeak-ng-data")
    try:
        done = subprocess.run([program, "-v", voice, "-s", str(settings.speech.rate),
                               "-w", str(wav), "tes"], capture_output=True, text=True,
                              timeout=SPEECH_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return bad(name, f"espeak-ng did not say a test word in voice {voice} within"
                   f" {SPEECH_TIMEOUT_S:g} s", fix)
    if done.returncode != 0:
        said = _plain(Exception(done.stderr or done.stdout or f"exit status {done.returncode}"))
        return bad(name, f"espeak-ng cannot speak in voice {voice}: {said.rstrip('.')}", fix)
    try:
        with wave.open(str(wav), "rb") as sound:
            seconds = sound.getnframes() / sound.getframerate()
    except (OSError, EOFError, wave.Error):
        seconds = 0.0
    if seconds <= 0:
        return bad(name, f"espeak-ng wrote no sound for a test word in voice {voice}", fix)
    return good(name, f"{voice} speaks ({seconds:.1f} s for a test word)")


def player_check(settings: cfg.Settings, kiosk: cfg.Kiosk) -> Check:
    name = f"player {kiosk.id}"
    commands = {"player": kiosk.player, "headset_player": kiosk.headset_player,
                "headset_detect": kiosk.headset_detect}
    for key, command in commands.items():
        if command and shutil.which(command[0]) is None:
            package = PACKAGES.get(Path(command[0]).name)
            install = f"install it (apt install {package}) or" if package else "install it or"
            return bad(name, f"{command[0]} (kiosk {kiosk.id}'s {key}) is not found on PATH:"
                       " nothing it should play is heard",
                       f"{install} set another {key} in {settings.source}")
    return good(name, f"{' '.join(kiosk.player)} (found at {shutil.which(kiosk.player[0])})")


# -- the processes -----------------------------------------------------------------------------


def serve_check(settings: cfg.Settings) -> Check:
    base = settings.local_url
    start = f"start it: systemctl start {SERVE_UNIT} (or run kiosk serve)"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(f"{base}/healthz", timeout=SERVE_TIMEOUT_S) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        body = exc.read(65536)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        said = (f"no answer within {SERVE_TIMEOUT_S:g} s" if isinstance(reason, TimeoutError)
                else _plain(reason) if isinstance(reason, BaseException) else str(reason))
        return bad("kiosk serve", f"nothing answers at {base}/healthz ({said})", start)
    except http.client.HTTPException:  # something that does not speak HTTP
        body = b""
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "ok" not in answer:
        return bad("kiosk serve", f"{base}/healthz answers, but not as kiosk serve does",
                   f"another program has port {settings.web.port}? check [web] port")
    if answer["ok"] is not True:
        return bad("kiosk serve", f"kiosk serve at {base} cannot read the store:"
                   f" {answer.get('store')}", f"see store above; then systemctl restart"
                   f" {SERVE_UNIT}")
    return good("kiosk serve", f"answers at {base}")


def announcer_checks(settings: cfg.Settings, read: Read, now: datetime) -> list[Check]:
    if settings.speech.output == "none":
        return [good("announcer", 'not checked: [speech] output is "none"')]
    if not isinstance(read, Checkup):
        return [warn("announcer", "not checked: the store could not be read (see store)")]
    states = views.announcers_of(read.devices, now)
    speaking, tz = any(state.on for state in states), settings.site.tz
    found = []
    for state in states:
        name = f"announcer {state.name}"
        if state.on:
            age = max(0.0, state.age_s or 0.0)  # a clock set back makes it negative
            found.append(good(name, f"speaking; last heartbeat {age:.0f} s ago"))
            continue
        run = "kiosk announcer" + ("" if state.name == "main" else f" --name {state.name}")
        fix = f"systemctl restart {ANNOUNCER_UNIT} (or run {run})"
        since = "" if state.updated_at is None else at(clk.parse(state.updated_at), tz)
        if not since:
            detail = "no announcer has ever reported"
        elif state.state == "off":
            detail = f"announcer {state.name} was stopped at {since}"
        elif (state.age_s or 0) > views.HEARTBEAT_STALE_S:
            ago = span(timedelta(seconds=state.age_s or 0))
            detail = f"no announcer has reported since {since} ({ago} ago)"
        else:  # it reports, and says it cannot speak
            detail = f"announcer {state.name} reports a fault: {state.detail or 'no reason'}"
            fix = f"see journalctl -u {ANNOUNCER_UNIT}; then {fix}"
        found.append(warn(name, f"announcements off: {detail}; another announcer speaks")
                     if speaking else bad(name, f"announcements off: {detail}", fix))
    return found


SYNC_WARN_AFTER = timedelta(hours=1)
SYNC_FAIL_AFTER = timedelta(days=1)
"""The oldest event the centre lacks: a warning past an hour, a failure past a day."""


def sync_check(settings: cfg.Settings, read: Read, now: datetime) -> Check:
    """The sync's lag: events at the site after its cursor, and since when."""
    if not isinstance(read, Checkup) or read.unshipped is None:
        return warn("sync", "not checked: the store could not be read (see store)")
    centre = cfg.masked(settings.sync.url)
    if not read.unshipped or read.oldest_unshipped is None:
        return good("sync", f"caught up with {centre}")
    age = now - clk.parse(read.oldest_unshipped)
    detail = (f"{plural(read.unshipped, 'event')} not at {centre} yet, the oldest from"
              f" {at(clk.parse(read.oldest_unshipped), settings.site.tz)} ({span(age)} ago)")
    fix = f"see journalctl -u {SYNC_UNIT}, or run kiosk sync --once to see why"
    if age > SYNC_FAIL_AFTER:
        return bad("sync", detail, fix)
    if age > SYNC_WARN_AFTER:
        return warn("sync", detail, fix)
    return good("sync", detail)


def backup_check(folder: Path, now: datetime) -> Check:
    again = f"make one now: kiosk backup; then see systemctl status {BACKUP_TIMER}"
    found = copies(folder)
    if not found:
        return bad("backups", f"no backup copy in {folder}", again)
    newest = max(found, key=lambda p: p.stat().st_mtime)
    age = now - datetime.fromtimestamp(newest.stat().st_mtime, UTC)
    if age > BACKUP_MAX_AGE:
        return bad("backups", f"the newest copy, {newest}, is {span(age)} old (limit"
                   f" {span(BACKUP_MAX_AGE)})", again)
    copies_ = plural(len(found), "copy", "copies")
    return good("backups", f"newest {span(age)} old: {newest.name} ({copies_})")


# -- all of them --------------------------------------------------------------------------------


def _guarded(name: str, step: Callable[[], list[Check]], debug: bool) -> list[Check]:
    try:
        return step()
    except Exception as exc:
        if debug:
            raise
        fix = ("run it as the user the kiosk runs as (sudo -u USER kiosk doctor), or as root"
               if isinstance(exc, PermissionError)
               else "run kiosk --debug doctor to see where, and report it")
        return [bad(name, f"the {name} check could not finish: {_plain(exc)}", fix)]


def run(settings: cfg.Settings, *, now: datetime, backups: Path | None = None,
        debug: bool = False) -> list[Check]:
    """Every check, in the order a lobby is looked at: the config, the store, the clock,
    the devices, the processes, the backups."""
    folder = backups or settings.store.path.parent / "backups"
    steps: list[tuple[str, Callable[[], list[Check]]]] = [
        ("config", lambda: [config_check(settings)]),
        ("store", lambda: [store_check(settings, store.result(), folder)]),
        ("disk", lambda: [disk_check(settings)]),
        ("store WAL", lambda: [wal_check(settings)]),
        ("time zone", lambda: [zone_check(settings, now)]),
        ("clock", lambda: [clock_check(settings, store.result(), now)]),
        *[(f"printer {k.id}", lambda k=k: [printer_check(settings, k.id)])
          for k in settings.kiosks],
        ("espeak-ng", lambda: speech_checks(settings)),
        *[(f"player {k.id}", lambda k=k: [player_check(settings, k)]) for k in settings.kiosks],
        ("kiosk serve", lambda: [serve_check(settings)]),
        ("announcer", lambda: announcer_checks(settings, store.result(), now)),
        ("backups", lambda: [backup_check(folder, now)]),
        *([("sync", lambda: [sync_check(settings, store.result(), now)])]
          if settings.sync.url else []),
    ]
    with ThreadPoolExecutor(max_workers=min(16, len(steps) + 1)) as pool:
        store: Future[Read] = pool.submit(read_store, settings.store.path)
        results = [pool.submit(_guarded, name, step, debug) for name, step in steps]
        return [check for result in results for check in result.result()]

