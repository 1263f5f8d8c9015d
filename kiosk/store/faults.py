"""What went wrong with the store file, in one sentence a person can act on.

SQLite and the file system report faults as codes ("SQLITE_FULL", ENOSPC); people need to
know which file, what it means and what to do. `explain()` turns a fault met while opening,
reading or writing the store into a `StoreFault` (a KioskError: every screen and the command
line already show those as they are). Nothing here writes.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from kiosk.exceptions import StoreFault


def _free(path: Path) -> str:
    free: float | None = _free_bytes(path)
    if free is None:
        return "unknown space"
    for unit in ("bytes", "KB", "MB", "GB"):
        if free < 1024 or unit == "GB":
            return f"{free:.0f} {unit}" if unit == "bytes" else f"{free:.1f} {unit}"
        free /= 1024
    return "unknown space"


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        text = str(exc).lower()
        if name == "SQLITE_FULL" or "disk is full" in text:
            return "disk_full"
        if name.startswith("SQLITE_READONLY") or "readonly" in text:
            return "read_only"
        if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
            return "cannot_open"
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text \
                or "malformed" in text or "no such table" in text:
            return "damaged"
        if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
            return "io"
        if name.startswith("SQLITE_BUSY") or "locked" in text:
            return "busy"
        return None
    if isinstance(exc, OSError):
        return {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full",
                errno.EACCES: "read_only", errno.EPERM: "read_only", errno.EROFS: "read_only",
                errno.ENOENT: "cannot_open", errno.ENOTDIR: "cannot_open",
                errno.EIO: "io"}.get(exc.errno or 0)
    return None


LOW_SPACE = 1 << 20
"""Below this much free space an I/O error is taken for a full disk: SQLite reports a
write that found no room in its WAL as "disk I/O error", not as SQLITE_FULL."""


def _free_bytes(path: Path) -> int | None:
    for folder in (path.parent, *path.parents):
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            continue
    return None


def explain(exc: BaseException, path: Path) -> StoreFault | None:
    """The plain sentence for a fault met on the store at `path`, or None when it is not
    one of the known faults of a file or a disk."""
    kind = _kind(exc)
    if kind is None:
        return None
    if kind == "io":
        free = _free_bytes(path)
        if free is not None and free < LOW_SPACE:
            kind = "disk_full"
    message = {
        "disk_full": f"the disk holding {path} is full ({_free(path)} free): nothing was"
                     " saved; free some space (old exports, logs, slips) and try again",
        "read_only": f"{path} cannot be written (a read-only file or disk, or another user's"
                     " file): nothing was saved; check the file's owner and permissions",
        "cannot_open": f"cannot open the store {path}: its folder is missing or cannot be"
                       " written; check the path ([store] path, --db) and the folder",
        "damaged": f"{path} is not a kiosk store or it is damaged ({exc}): restore the latest"
                   " backup copy; the file was left as it is",
        "io": f"the disk holding {path} failed to read or write ({exc}): check the disk;"
              " nothing was saved",
        "busy": f"{path}: the store stayed locked by another program; try again",
    }[kind]
    return StoreFault(kind, message)


def gone(path: Path) -> StoreFault:
    """The store's file is not at its path any more (removed, or its folder was)."""
    return StoreFault(
        "gone", f"the store {path} is missing (removed while the kiosk ran?): nothing was"
        " saved; put the file back (or restore a backup copy) and the screens carry on by"
        " themselves")


PROBED = frozenset({"disk_full", "read_only", "gone"})
PROBE_ROOM = 128 << 10
"""Free space `probe()` asks for: a few commits' worth of WAL pages (a ticket's commit writes
about six 4 KB pages)."""
"""The faults `probe()` can see gone without writing."""


def probe(path: Path) -> StoreFault | None:
    """Would a write to the store at `path` meet a full or read-only disk or file? Asked
    without writing (a statvfs and an access check), so a screen that met such a fault can
    offer its service again as soon as the fault has been put right."""
    try:
        disk = os.statvfs(path.parent)
    except OSError as exc:
        return explain(exc, path)
    if disk.f_flag & os.ST_RDONLY or not os.access(path, os.W_OK):
        return explain(OSError(errno.EROFS, "read-only"), path)
    if disk.f_bavail * disk.f_frsize < PROBE_ROOM:
        return explain(OSError(errno.ENOSPC, "full"), path)
    return None
