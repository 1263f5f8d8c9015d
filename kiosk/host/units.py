"""The systemd units of a lobby PC, as `kiosk install-units` writes them.

One unit per long-running process, each restarted whenever it stops (`Restart=always`, and
no start limit: a lobby PC nobody watches must keep trying) and ordered after the network
and the disk that holds the store (`RequiresMountsFor=`):

- `kiosk-serve.service`: every screen, the API and the event stream (Type=notify; the
  watchdog is pinged by the event hub's poll);
- `kiosk-announcer.service`: the voice in the lobby (Type=notify; pinged between calls);
- `kiosk-sync.service`, when `[sync] url` is set: the log to the head office (Type=notify;
  pinged between batches and while it waits);
- `kiosk-backup.service` + `.timer`: `kiosk backup` every night, and at boot when the PC
  was off at that hour (`Persistent=`);
- `kiosk-patron-ID.service`, the touchscreen: Chromium in kiosk mode on the served patron
  screen under cage (a Wayland compositor that shows one program full screen and nothing
  else, with a login session on the console's seat so it may use the screen and the touch
  panel), or the terminal kiosk on a text console (Type=notify, pinged by its tick).
  Chromium speaks no notify protocol: its unit restarts it when it exits, and the page
  itself reconnects to a restarted server.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

PATRON_MODES = ("browser", "console", "none")

WATCHDOG_S = {"serve": 30, "announcer": 120, "patron": 30, "sync": 120}
"""WatchdogSec= per process: what its loop may take between two pings, with room. A call
with its repeat and both languages can keep the announcer in one synthesis and playback for
most of a minute; a server or a kiosk that misses 30 s of its own 10 Hz loop is stuck. The
sync pings between batches: a batch's connection gives up on a cut network in ~30 s."""

BACKUP_AT = "*-*-* 03:00"
"""The nightly backup (OnCalendar=): when no lobby is open."""

BROWSER_FLAGS = (
    "--kiosk", "--ozone-platform=wayland", "--noerrdialogs", "--disable-infobars",
    "--no-first-run", "--hide-crash-restore-bubble", "--disable-translate",
    "--disable-features=Translate,TouchpadOverscrollHistoryNavigation", "--disable-pinch",
    "--overscroll-history-navigation=0", "--touch-events=enabled",
    "--check-for-update-interval=31536000",
)
"""Full screen with nothing to escape to; no pinch or swipe navigation; no bubbles after a
crash; no update nags (README, "A counter PC, the TV and the touchscreen kiosk")."""


@dataclass(frozen=True)
class Site:
    """What the units need to know of this PC and this site."""

    kiosk: tuple[str, ...]
    """How to start `kiosk` (the interpreter that has it, then `-m kiosk`)."""
    config: Path
    store_dir: Path
    user: str
    url: str
    """Where the touchscreen's browser finds `kiosk serve` (http://127.0.0.1:8000)."""
    patron: str = "browser"
    kiosk_id: str = ""
    tty: int = 1
    rotate: int = 0
    """Degrees clockwise the browser's screen is turned (a portrait touchscreen: 90)."""
    cage: str = "/usr/bin/cage"
    chromium: str = "/usr/bin/chromium"
    keep: int = 14
    sync: bool = False
    """`[sync] url` is set: the site ships its log to a central database."""


def _quoted(text: str) -> str:
    """A word in a setting that splits on spaces: quoted when it has spaces or quotes."""
    if re.search(r'[\s"\'\\;]', text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def arg(text: str) -> str:
    """One word of an Exec line: `%` and `$` escaped (systemd expands both), quoted when it
    has spaces or quotes (systemd.service(5), "Command lines")."""
    return _quoted(text.replace("%", "%%").replace("$", "$$"))


def command(*words: str) -> str:
    return " ".join(arg(word) for word in words)


def _path(path: Path) -> str:
    """WorkingDirectory=: the rest of the line is the path, specifiers expanded."""
    return str(path).replace("%", "%%")


def _mounts(path: Path) -> str:
    """RequiresMountsFor=: a list of words, so one path with a space is quoted."""
    return _quoted(str(path).replace("%", "%%"))


def _kiosk(site: Site, *words: str) -> str:
    return command(*site.kiosk, "--config", str(site.config), *words)


def _unit(description: str, site: Site, *, after: str = "", wants: str = "") -> list[str]:
    return [
        "[Unit]",
        f"Description={description}",
        f"After=network-online.target{after}",
        f"Wants=network-online.target{wants}",
        f"RequiresMountsFor={_mounts(site.store_dir)}",
        "StartLimitIntervalSec=0",
        "",
    ]


def _service(site: Site, name: str, exec_start: str, *, notify: bool = True) -> list[str]:
    lines = ["[Service]"]
    if notify:
        lines += ["Type=notify", "NotifyAccess=main", f"WatchdogSec={WATCHDOG_S[name]}"]
    lines += [
        f"User={site.user}",
        f"WorkingDirectory={_path(site.config.parent)}",
        "Environment=PYTHONUNBUFFERED=1",
        f"ExecStart={exec_start}",
        "Restart=always",
        "RestartSec=3",
        "TimeoutStopSec=20",
        f"SyslogIdentifier=kiosk-{name}",
        "NoNewPrivileges=yes",
        "ProtectSystem=full",
        "PrivateTmp=yes",
    ]
    return lines


def _install(target: str) -> list[str]:
    return ["", "[Install]", f"WantedBy={target}", ""]


def serve(site: Site) -> str:
    return "\n".join([
        *_unit("Queue kiosk: the screens, the API and the event stream (kiosk serve)", site),
        *_service(site, "serve", _kiosk(site, "serve")),
        *_install("multi-user.target"),
    ])


def announcer(site: Site) -> str:
    return "\n".join([
        *_unit("Queue kiosk: the voice that announces the calls (kiosk announcer)", site,
               after=" kiosk-serve.service"),
        *_service(site, "announcer", _kiosk(site, "announcer")),
        *_install("multi-user.target"),
    ])


def sync(site: Site) -> str:
    # Nice: a lobby PC's screens and voice come first; the sync only catches up later.
    return "\n".join([
        *_unit("Queue kiosk: the log shipped to the head office (kiosk sync)", site),
        *_service(site, "sync", _kiosk(site, "sync")),
        "Nice=10",
        *_install("multi-user.target"),
    ])


def backup_service(site: Site) -> str:
    return "\n".join([
        "[Unit]",
        "Description=Queue kiosk: a checked copy of the store (kiosk backup)",
        f"RequiresMountsFor={_mounts(site.store_dir)}",
        "",
        "[Service]",
        "Type=oneshot",
        f"User={site.user}",
        f"WorkingDirectory={_path(site.config.parent)}",
        f"ExecStart={_kiosk(site, 'backup', '--keep', str(site.keep))}",
        "Nice=10",
        "IOSchedulingClass=idle",
        "SyslogIdentifier=kiosk-backup",
        "NoNewPrivileges=yes",
        "ProtectSystem=full",
        "PrivateTmp=yes",
        "",
    ])


def backup_timer(site: Site) -> str:
    return "\n".join([
        "[Unit]",
        "Description=Queue kiosk: the nightly backup",
        "",
        "[Timer]",
        f"OnCalendar={BACKUP_AT}",
        "Persistent=true",
        "RandomizedDelaySec=10min",
        *_install("timers.target"),
    ])


def _tty(site: Site) -> list[str]:
    tty = f"tty{site.tty}"
    return [f"TTYPath=/dev/{tty}", "TTYReset=yes", "TTYVHangup=yes", "TTYVTDisallocate=yes"]


def patron(site: Site) -> str:
    """The touchscreen's unit: the browser under cage, or the terminal kiosk."""
    tty = f"tty{site.tty}"
    head = [
        "[Unit]",
        f"Description=Queue kiosk: the patron kiosk {site.kiosk_id} on the touchscreen"
        f" ({'Chromium in kiosk mode' if site.patron == 'browser' else 'terminal'}, {tty})",
        f"After=kiosk-serve.service systemd-user-sessions.service getty@{tty}.service",
        "Wants=kiosk-serve.service",
        f"Conflicts=getty@{tty}.service",
        f"RequiresMountsFor={_mounts(site.store_dir)}",
        "StartLimitIntervalSec=0",
        "",
    ]
    if site.patron == "browser":
        url = f"{site.url}/screen/patron?kiosk={site.kiosk_id}"
        turns = ["-r"] * (site.rotate // 90)  # cage turns the output 90° clockwise per -r
        browser = command(site.cage, "-d", *turns, "--", site.chromium, *BROWSER_FLAGS, url)
        body = [
            "[Service]",
            f"User={site.user}",
            "PAMName=login",
            *_tty(site),
            "StandardInput=tty-fail",
            "StandardOutput=journal",
            "StandardError=journal",
            f"UtmpIdentifier={tty}",
            "UtmpMode=user",
            "Environment=XDG_SESSION_TYPE=wayland",
            f"ExecStart={browser}",
            "Restart=always",
            "RestartSec=3",
            "SyslogIdentifier=kiosk-patron",
        ]
        # multi-user.target: a lobby PC has no desktop, so graphical.target may never start
        return "\n".join([*head, *body, *_install("multi-user.target")])
    body = [
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"WatchdogSec={WATCHDOG_S['patron']}",
        f"User={site.user}",
        f"WorkingDirectory={_path(site.config.parent)}",
        *_tty(site),
        # The screen owns stderr (Textual draws there); stdout carries the log to the journal.
        "StandardInput=tty",
        "StandardOutput=journal",
        "StandardError=tty",
        "Environment=TERM=linux PYTHONUNBUFFERED=1",
        f"ExecStart={_kiosk(site, 'patron', '--kiosk', site.kiosk_id)}",
        "Restart=always",
        "RestartSec=3",
        "SyslogIdentifier=kiosk-patron",
    ]
    return "\n".join([*head, *body, *_install("multi-user.target")])


def units(site: Site) -> dict[str, str]:
    """File name -> text, every unit of the site."""
    out = {
        "kiosk-serve.service": serve(site),
        "kiosk-announcer.service": announcer(site),
        "kiosk-backup.service": backup_service(site),
        "kiosk-backup.timer": backup_timer(site),
    }
    if site.sync:
        out["kiosk-sync.service"] = sync(site)
    if site.patron != "none":
        out[f"kiosk-patron-{site.kiosk_id}.service"] = patron(site)
    return out


def enable_line(names: list[str]) -> str:
    """The command that starts them now and at every boot."""
    started = [n for n in names if not n.endswith("backup.service")]
    return "sudo systemctl daemon-reload && sudo systemctl enable --now " + " ".join(
        shlex.quote(n) for n in started)
