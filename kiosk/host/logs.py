"""Where a process's log goes: the journal when systemd started it, else a rotating file.

systemd connects a service's stdout and stderr to the journal and says so in
$JOURNAL_STREAM (device:inode of that stream, systemd.exec(5)); a line written there that
begins with "<N>" is stored at priority N (sd-daemon(3)), so `journalctl -p warning` finds
the warnings. The check is against the stream itself, not the variable alone: a served
screen's app process inherits the variable from `kiosk serve` but writes to a pipe, and a
console kiosk's unit sends stdout to the journal while the screen owns stderr.

Elsewhere each process keeps `logs/PROCESS.log` beside the store (rotated at 1 MB, 3 kept):
a screen must never log over itself, and the file is what a plain error message points to.
`where()` is that pointer, whichever it is.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import IO

from kiosk.config import Settings

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FILE_BYTES = 1_000_000
FILE_COPIES = 3

_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6,
             logging.DEBUG: 7}
_journal: str | None = None
"""Where the journal has this process's records ("journalctl -u UNIT"), once setup() chose
the journal; None: the process logs to its file."""


class JournalFormatter(logging.Formatter):
    """Each line of a record (a traceback has many) with the record's syslog priority in
    front; no time, the journal stamps every line itself."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        level = max((lvl for lvl in _PRIORITY if lvl <= record.levelno), default=logging.DEBUG)
        prefix = f"<{_PRIORITY[level]}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def journal_stream() -> IO[str] | None:
    """A stream to the journal when this process's stderr or stdout is connected to it."""
    try:
        device, inode = (int(part) for part in os.environ.get("JOURNAL_STREAM", "").split(":"))
    except ValueError:
        return None
    for fd in (2, 1):
        try:
            stat = os.fstat(fd)
        except OSError:
            continue
        if (stat.st_dev, stat.st_ino) == (device, inode):
            # A copy of the descriptor: Textual swaps sys.stdout and sys.stderr while it runs
            return os.fdopen(os.dup(fd), "w", buffering=1, encoding="utf-8",
                             errors="replace")
    return None


def unit_name() -> str | None:
    """The systemd unit this process runs in (from its control group), if any."""
    try:
        text = Path("/proc/self/cgroup").read_text("utf-8")
    except OSError:
        return None
    for part in reversed(text.strip().split("/")):
        if part.endswith(".service"):
            return part
    return None


def setup(settings: Settings, process: str, *, debug: bool = False,
          console: int | None = None) -> str:
    """Send this process's log records to the journal or to logs/PROCESS.log; with
    `console` (a level), records at that level and above also go to stderr when not under
    the journal (a server in a terminal shows its warnings). Returns `where()`."""
    global _journal
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    stream = journal_stream()
    if stream is not None:
        handler: logging.Handler = logging.StreamHandler(stream)
        handler.setFormatter(JournalFormatter())
        root.addHandler(handler)
        unit = unit_name()
        _journal = f"journalctl -u {unit}" if unit else "journalctl"
        return where(settings, process)
    _journal = None
    path = settings.log_file(process.replace("/", "-"))
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=FILE_BYTES,
                                                   backupCount=FILE_COPIES, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    root.addHandler(handler)
    if console is not None:
        shown = logging.StreamHandler(sys.stderr)
        shown.setLevel(console)
        shown.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        root.addHandler(shown)
    return where(settings, process)


def where(settings: Settings, process: str) -> str:
    """Where `process`'s log is, for a plain error message ("the details are in ...")."""
    if _journal is not None:
        return f"the system journal ({_journal})"
    return str(settings.log_file(process.replace("/", "-")))
