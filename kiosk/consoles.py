"""One counter, one console: the rules. The session a console holds its counter by, when a
console has gone, when a no-show may be marked (kiosk.store.counters has the verbs,
kiosk.store.tickets the guard every console verb runs; kiosk.views and the estimate read
`unattended` too).

Pure functions and constants, like kiosk.queue: no store, no clock of their own.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Protocol

from kiosk import clock as clk

if TYPE_CHECKING:  # the read side imports this before the patron kiosk's first frame
    from kiosk.rows import CounterState

UNATTENDED_S = 45.0
"""A console not heard from for this long has gone (tab closed, network lost, app killed)."""
CONSOLE_BEAT_S = 10.0
"""How often a console says it is still there: well inside UNATTENDED_S, so one lost beat
does not close a counter, and the counter shows as unattended within a minute."""
ANY = "*"
"""`expect` for "whatever the counter has" (the command line's verbs, scripts)."""


def new_session() -> str:
    """A console's session key: random, kept by the console, stored only as a hash."""
    return secrets.token_urlsafe(16)


def session_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def unattended(state: CounterState, now: float) -> bool:
    """A console holds the counter but has not been heard from for UNATTENDED_S."""
    return (state.session is not None and state.seen_at is not None
            and now - clk.epoch(state.seen_at) > UNATTENDED_S)


PAUSE_MAX_MIN = 240
"""The longest pause staff can announce (minutes)."""


class Called(Protocol):
    """A called ticket as the rule needs it (a Ticket, or the console's view of one)."""

    @property
    def state(self) -> str: ...
    @property
    def recalls(self) -> int: ...
    @property
    def called_at(self) -> str | None: ...


def no_show_wait_s(ticket: Called, after_s: float, now: float) -> float:
    """Seconds before a no-show may be marked on this called ticket (0: now). A patron still
    walking to the desk is not struck off: the first `after_s` after the call, unless the
    ticket was called again once already."""
    if ticket.state != "called" or ticket.recalls >= 1 or ticket.called_at is None:
        return 0.0
    return max(0.0, after_s - (now - clk.epoch(ticket.called_at)))
