"""Copies of the store that can be trusted, and putting one back.

`backup` copies the live store through SQLite's backup API in one step: in WAL mode that is
a read transaction, a consistent snapshot of everything committed before it began, and the
kiosks and counters keep writing meanwhile. The copy is checked (`PRAGMA integrity_check`)
under a `.part` name and only then given its dated name; the oldest beyond `keep` go.

`restore` puts a copy back only when no process has the store open (an open connection
would go on writing into the file that is moved away), keeps the file it replaces beside it,
and checks the copy before and after.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.exceptions import StoreFault, UsageError

PREFIX = "kiosk-"
SUFFIX = ".db"
STAMP = "%Y%m%d-%H%M%S"


@dataclass(frozen=True)
class BackupCopy:
    path: Path
    bytes: int
    seconds: float
    tickets: int
    removed: tuple[Path, ...]
    """Older copies rotated away."""


def _check(path: Path) -> int:
    """The copy's ticket count once `PRAGMA integrity_check` says ok; StoreFault if not."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise StoreFault("damaged", f"{path}: the copy failed its integrity check"
                                 f" ({'; '.join(verdict[:3])})")
            return int(conn.execute("SELECT count(*) FROM tickets").fetchone()[0])
    except sqlite3.Error as exc:
        raise StoreFault("damaged", f"{path}: not a readable kiosk store ({exc})") from None


def _copy(source: Path, target: Path) -> None:
    """One-step online copy of `source` into a new file `target` (fsynced)."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a copy is one self-contained file
    with open(target, "rb") as handle:
        os.fsync(handle.fileno())


def copies(folder: Path) -> list[Path]:
    """The backup copies in `folder`, oldest first (their names sort by date)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())


def backup(store: Path, folder: Path, *, keep: int, now: datetime,
           tag: str = "") -> BackupCopy:
    """Copy `store` into `folder` as kiosk-YYYYMMDD-HHMMSS[-TAG].db, check it, keep the
    newest `keep` copies."""
    if keep < 1:
        raise UsageError(f"--keep must be at least 1, got {keep}")
    if not store.exists():
        raise StoreFault("cannot_open", f"{store}: there is no store to back up")
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{PREFIX}{now:{STAMP}}{'-' + tag if tag else ''}{SUFFIX}"
    part = final.with_name(final.name + ".part")
    started = time.perf_counter()
    try:
        _copy(store, part)
        tickets = _check(part)
        part.replace(final)
    except sqlite3.Error as exc:
        raise StoreFault("io", f"{final}: the copy could not be made ({exc});"
                         " nothing was changed") from None
    finally:
        with contextlib.suppress(OSError):
            part.unlink()
    seconds = time.perf_counter() - started
    old = copies(folder)[:-keep]
    for path in old:
        path.unlink()
    return BackupCopy(final, final.stat().st_size, seconds, tickets, tuple(old))


def holders(store: Path) -> list[int]:
    """Process ids (other than this one) with the store, its WAL or its shared memory open,
    read from /proc (Linux; processes of other users are seen when run as root)."""
    names = {str(store.resolve()) + suffix for suffix in ("", "-wal", "-shm")}
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in names for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
    return sorted(found)


def restore(copy: Path, store: Path, *, now: datetime) -> Path:
    """Put `copy` back as `store`; the file it replaces is kept as STORE.replaced-STAMP.
    Refused while any process has the store open. Returns where the old file went."""
    if not copy.is_file():
        raise UsageError(f"{copy}: no such backup copy")
    busy = holders(store)
    if busy:
        raise UsageError(
            f"{store} is open in {len(busy)} process(es) (pid {', '.join(map(str, busy))}):"
            " stop the kiosk, the counters, kiosk serve and the announcer first"
            " (systemctl stop 'kiosk-*'); nothing was changed")
    _check(copy)
    incoming = store.with_name(store.name + ".restoring")
    _copy(copy, incoming)
    _check(incoming)
    kept = store.with_name(f"{store.name}.replaced-{now:{STAMP}}")
    if store.exists():
        with contextlib.closing(sqlite3.connect(store)) as conn:  # fold the WAL in first
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.replace(kept)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            store.with_name(store.name + suffix).unlink()
    incoming.replace(store)
    return kept
