"""The staff counter console: one key (or one touch) per action, the line at a glance.

Sign in with name and PIN (the store checks it and keeps the lockout, so a restart of the
console does not reset it); signing in opens the counter, signing out closes it, and both,
like pause and resume, are counter events the reports derive utilisation from.

Keys, each also a button for a touchscreen counter:
  n  finish the current ticket and call the next      r  recall (up to [queue].max_recalls)
  s  start: the called patron has arrived (optional)  f  finish
  x  no-show                                          t  transfer (service, front or back)
  c  reclassify (regular or a priority need)          b  back in the queue (a no-show
  p  pause (back in how long) / resume                   or a cancelled ticket of today)
  o  sign out                                          a  ask for a rating: says whether the
                                                          counter's rating tablet is asking
                                                          about the ticket just finished

One counter, one console: a second sign-in at a counter someone holds is refused with their
name, or takes over after a confirmation (signing them out; their screen says so). Every
verb names the ticket this console shows; when the counter has another (another console or
the command line acted first) nothing is done and the console says so. The console tells
the store it is there every few seconds: one that goes silent (tab closed, app killed) has
its counter closed within a minute. After `[web] idle_lock_min` without use the console
locks and asks the PIN again (the counter stays open). A no-show is refused in the first
`[queue] no_show_after_s` after the call, unless recalled; the console counts it down.

What it shows: the counter's services, the current ticket and its state, how many wait per
service and class with the oldest wait, the printers' and the announcer's state. A patron's
need is never shown (only "Priority"); the reclassify dialog lists the needs as the kiosk's
own question does, without marking the ticket's current one.

Impossible actions (nothing called, recall limit, counter paused...) come back from the
store as one plain sentence, shown on the message line, never a traceback. Store calls run
on the console's own store thread; a `Follower` thread re-reads what is shown whenever
anyone commits (this console, another counter, the kiosk, the command line).

Rooms: `app.py` (the App and its actions), `console.py` (the console and its sign-in form),
`dialogs.py` (transfer, reclassify, pause, requeue, take over), `staff.tcss`.
"""

from __future__ import annotations

from kiosk.ui.staff.app import StaffApp, run
from kiosk.ui.staff.console import ConsoleScreen, SignInScreen, StaffLockScreen
from kiosk.ui.staff.dialogs import (
    PauseDialog,
    ReclassifyDialog,
    RequeueDialog,
    TakeOverDialog,
    TransferDialog,
)

__all__ = ["ConsoleScreen", "PauseDialog", "ReclassifyDialog", "RequeueDialog",
           "SignInScreen", "StaffApp", "StaffLockScreen", "TakeOverDialog", "TransferDialog",
           "run"]
