"""Time: the one place that reads the wall clock, and the stored time format.

Stored times are ISO-8601 text in UTC with milliseconds (`2026-11-27T02:15:04.120Z`), which
sorts as text and reads plainly in any SQLite tool. The clock is injectable so tests and the
demo-data generator can run days in seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

NOW_ENV = "KIOSK_NOW"
"""Testing aid: when set (ISO time, e.g. 2026-11-27T09:00:00+07:00), the command line's
clock stands still at that moment, the same in every process."""


Boot = tuple[str, float]
"""(the machine's boot id, seconds since that boot): time that really passed, whatever the
wall clock says (kiosk.store.clockguard compares the two)."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def boot(self) -> Boot | None:
        """The machine's boot clock, or None for a simulated clock (nothing to check)."""
        ...


_BOOT_ID: list[str | None] = []


def machine_boot() -> Boot | None:
    """This boot's id and the seconds since it (CLOCK_BOOTTIME counts suspend too); None
    where the system does not say. The id is read once: it cannot change while we run."""
    if not _BOOT_ID:
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
                _BOOT_ID.append(f.read().strip())
        except OSError:
            _BOOT_ID.append(None)
    boot_id = _BOOT_ID[0]
    if boot_id is None or not hasattr(time, "CLOCK_BOOTTIME"):
        return None
    return boot_id, time.clock_gettime(time.CLOCK_BOOTTIME)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def boot(self) -> Boot | None:
        return machine_boot()


class ManualClock:
    """A clock that only moves when told to: tests and simulated days. Simulated time has
    no boot clock unless a test gives one (`boot`: a function, e.g. to play a host whose
    wall clock jumps while its boot clock does not)."""

    def __init__(self, start: datetime, *, boot: Callable[[], Boot | None] | None = None,
                 ) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start
        self._boot = boot

    def now(self) -> datetime:
        return self._now

    def boot(self) -> Boot | None:
        return self._boot() if self._boot is not None else None

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


def from_environment() -> Clock:
    value = os.environ.get(NOW_ENV)
    if not value:
        return SystemClock()
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{NOW_ENV} needs a time zone, e.g. 2026-11-27T09:00:00+07:00")
    return ManualClock(moment)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with milliseconds and a Z."""
    # isoformat of an aware UTC time ends in "+00:00": 2x faster than strftime.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def epoch(text: str) -> float:
    """Seconds since 1970 for a stored time; the call policy's time scale."""
    return parse(text).timestamp()


def local_day(moment: datetime, tz: ZoneInfo) -> str:
    """The site's calendar day (YYYY-MM-DD) at `moment`."""
    return moment.astimezone(tz).date().isoformat()


def day_bounds_utc(day: date, tz: ZoneInfo) -> tuple[str, str]:
    """Stored-time strings for local midnight at the start of `day` and of the next day."""
    start = datetime.combine(day, datetime.min.time(), tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    return iso(start), iso(end)
