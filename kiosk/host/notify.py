"""Telling systemd how a long-running process is (sd_notify(3)): ready, alive, stopping.

The protocol is one datagram of KEY=VALUE lines to the socket named in $NOTIFY_SOCKET (a
leading "@" means the abstract namespace); systemd documents it as stable and small enough
to speak without libsystemd. Outside systemd there is no $NOTIFY_SOCKET and every call
does nothing, so the same code runs in a terminal, under a test and on the lobby PC.

`alive()` is the watchdog's ping. It must be called from the loop that does the process's
work (the server's event poller, the announcer's loop, the kiosk's tick), never from a
timer thread of its own: a process whose work is stuck then stops pinging, and systemd
restarts it after `WatchdogSec=`.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """This process's line to systemd (a no-op when systemd did not start it)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        self.address: str | None = ("\0" + name[1:]) if name.startswith("@") else (name or None)
        self.ping_every_s: float | None = _watchdog_interval(env)
        """Seconds between pings: a quarter of WatchdogSec=, so a ping or two may be late
        without a restart; None without a watchdog."""
        self._pinged_at = float("-inf")
        self._failed = False

    def send(self, *lines: str) -> bool:
        """Send one notification; False when there is nobody to tell or it failed (said
        once in the log: a notification is never worth stopping the work for)."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall("\n".join(lines).encode("utf-8"))
        except OSError as exc:
            if not self._failed:
                log.warning("cannot tell systemd %s (NOTIFY_SOCKET %s): %s",
                            lines[0].split("=")[0], self.address.lstrip("\0"), exc)
            self._failed = True
            return False
        return True

    def ready(self, status: str = "") -> bool:
        """The process serves now: systemd starts what is ordered after it."""
        self._pinged_at = time.monotonic()
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def status(self, text: str) -> bool:
        """One line `systemctl status` shows."""
        return self.send(f"STATUS={text}")

    def alive(self) -> None:
        """The watchdog's ping, at most every `ping_every_s` however often it is called."""
        if self.ping_every_s is None:
            return
        now = time.monotonic()
        if now - self._pinged_at >= self.ping_every_s:
            self._pinged_at = now
            self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")


SYSTEMD_VARIABLES = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")


def for_this_process() -> Notifier:
    """The notifier of the process systemd started, taken out of the environment (as
    sd_notify's unset_environment does) so that the processes it starts (a served screen's
    app, the speech worker) do not speak to systemd in its name."""
    notifier = Notifier(dict(os.environ))
    for name in SYSTEMD_VARIABLES:
        os.environ.pop(name, None)
    return notifier


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """A quarter of $WATCHDOG_USEC, when the watchdog is meant for this process."""
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None  # set for the process that started us, not for us
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 4e6 if usec > 0 else None
