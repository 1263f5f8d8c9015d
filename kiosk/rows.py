"""Typed rows: what crosses from the store to the read side, the devices and the faces.

Frozen dataclasses, built straight from SQLite's tuples (the column order of each row is
its fields' order, `Ticket.COLUMNS` and friends, so a `SELECT` names them and `Ticket(*row)`
builds one). They are read-only snapshots: a verb returns the row as it committed it.

A priority ticket carries its `need` here because reports and the staff's reclassify need
it; every face that shows, prints, speaks or streams a ticket uses `priority` (the class)
instead. Nothing here names a person: tickets carry no names, phone or ID numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, ClassVar

CLASSES = ("priority", "regular")
"""The two classes every figure is split by: a ticket with a need is priority."""
OPEN_STATES = ("called", "serving")
"""A ticket in these states is at a counter: called, or being served."""
ACTIVE_STATES = ("waiting", *OPEN_STATES)
"""States a ticket can still leave by a staff verb (transfer, reclassify, cancel)."""


def _columns(cls: type) -> str:
    return ", ".join(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class Ticket:
    """One ticket as stored (design §3)."""

    id: int
    day: str
    """The local day it was issued on (YYYY-MM-DD, the site's time zone)."""
    prefix: str
    """The issuing service: the label's letter."""
    number: int
    label: str
    service: str
    """The queue it is in now (differs from `prefix` after a transfer)."""
    need: str | None
    """A priority need's code, or None. Health data: never shown, printed or spoken."""
    lang: str | None
    kiosk: str | None
    state: str
    """waiting, called, serving, done, no_show, cancelled or expired."""
    counter: int | None
    issued_at: str
    queued_at: str
    """When it joined its current queue (ISO UTC)."""
    order_at: float
    """Its place in the queue: epoch seconds, before any need's head start."""
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    recalls: int

    COLUMNS: ClassVar[str]

    @property
    def priority(self) -> bool:
        """The class a face may show: priority or regular (never the need itself)."""
        return self.need is not None

    @property
    def is_open(self) -> bool:
        """Called or being served at a counter."""
        return self.state in OPEN_STATES


@dataclass(frozen=True, slots=True)
class Issued:
    """A new ticket with what the kiosk shows and prints beside it."""

    ticket: Ticket
    people_ahead: int
    estimated_wait_min: int | None
    """Rounded: 0 = "less than 5 minutes", else a multiple of 5; None = no counter will
    serve its service (say "not available now", never a wait)."""
    opens_at: str | None = None
    """No counter serves its service now, and one is expected then (UTC ISO): the opening
    time, or a paused counter's announced return. The wait above already counts it."""
    token: str | None = None
    """The ticket's token, known only to the process that issued it (the store keeps its
    digest): the slip's QR code opens the phone page with it."""
    appointment: bool = False
    """Issued at a booking's check-in within its grace: it is called by its slot's start
    (the slip and the kiosk say "appointment" and the booked time)."""
    slot: str | None = None
    """The booked slot in local time, "09:30–09:45" (a check-in's ticket; None for a
    walk-in)."""
    late: bool = False
    """Checked in after the grace (Booking.late_min): an ordinary walk-in ticket now,
    which the kiosk says plainly ("your slot has passed; this is a walk-in ticket")."""


BOOKING_STATES = ("booked", "cancelled", "checked_in")


@dataclass(frozen=True, slots=True)
class Booking:
    """An appointment (design §14): a service, a day and a slot, a six-digit check-in
    code; no name, phone or ID number. Its token (kept as a digest, as a ticket's) opens
    its page, and after check-in the ticket's page: the ticket shares it."""

    id: int
    code: str
    """Six digits, unique among the day's bookings that are not cancelled."""
    service: str
    day: str
    """The local day of the slot (YYYY-MM-DD)."""
    slot_start: str
    """Local "HH:MM"."""
    slot_end: str
    slot_at: str
    """The slot's start, UTC ISO as every stored time."""
    need: str | None
    """A declared priority need (health data: never shown, only "priority")."""
    lang: str | None
    state: str
    """booked, cancelled or checked_in."""
    created_at: str
    checked_in_at: str | None
    cancelled_at: str | None
    ticket_id: int | None
    """The ticket its check-in issued."""

    COLUMNS: ClassVar[str]

    @property
    def priority(self) -> bool:
        return self.need is not None

    @property
    def slot(self) -> str:
        """"09:30–09:45"."""
        return f"{self.slot_start}–{self.slot_end}"


@dataclass(frozen=True, slots=True)
class Slot:
    """One bookable slot of a service on a day, with how many places are left."""

    service: str
    day: str
    start: str
    """Local "HH:MM"."""
    end: str
    at: str
    """Its start, UTC ISO."""
    places: int
    """Bookings it takes ([booking] per_slot)."""
    taken: int
    """Bookings made for it and not cancelled."""

    @property
    def free(self) -> int:
        return max(0, self.places - self.taken)


@dataclass(frozen=True, slots=True)
class Outlook:
    """A waiting ticket's place now, as `Issued` has it (the phone page's)."""

    people_ahead: int
    estimated_wait_min: int | None
    opens_at: str | None


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the append-only log (design §3)."""

    id: int
    ticket_id: int | None
    kind: str
    at: str
    counter: int | None
    actor: str | None
    detail: dict[str, Any]
    """The event's JSON detail, parsed ({} when it has none)."""

    COLUMNS: ClassVar[str]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Event:
        """From a `SELECT {Event.COLUMNS}` row, its detail parsed."""
        event_id, ticket_id, kind, at, counter, actor, detail = row
        return cls(event_id, ticket_id, kind, at, counter, actor,
                   json.loads(detail) if detail else {})


@dataclass(frozen=True, slots=True)
class CounterState:
    """A counter as the `counters` table keeps it."""

    id: int
    state: str
    """open, paused or closed."""
    staff: str | None
    """Who opened, paused or closed it last."""
    since: str | None
    session: str | None = None
    """The hash of the session key of the console signed in here (None: no console holds
    the counter; the command line's verbs and a counter opened from it have none)."""
    seen_at: str | None = None
    """When that console last said it is still there (kiosk.store.counters.UNATTENDED_S)."""
    back_at: str | None = None
    """Paused: when staff said they will be back (None: not said)."""

    COLUMNS: ClassVar[str]



@dataclass(frozen=True, slots=True)
class Device:
    """A printer's or an announcer's last word about itself (the `devices` table)."""

    name: str
    kind: str
    """printer or announcer."""
    state: str
    detail: str | None
    updated_at: str

    COLUMNS: ClassVar[str]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "state": self.state,
                "detail": self.detail, "updated_at": self.updated_at}


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An HTTP API key as the store describes it (never the key, never its hash)."""

    name: str
    scopes: tuple[str, ...]
    created_at: str
    used_at: str | None
    revoked_at: str | None

    def allows(self, scope: str) -> bool:
        """`admin` implies every other scope."""
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True, slots=True)
class Person:
    """A staff account that has just proved its PIN (no PIN, no hash)."""

    name: str
    role: str
    """staff or admin."""


@dataclass(frozen=True, slots=True)
class Call:
    """A call as the board and the read side see it: today's latest call of one ticket."""

    event_id: int
    label: str
    counter: int
    recall: bool
    """A `recalled` event rather than the first call."""
    open: bool
    """The ticket is still called or being served at that counter."""


@dataclass(frozen=True, slots=True)
class ServiceOutlook:
    """One service now: how many wait, and the wait a regular ticket taken now can expect."""

    service: str
    waiting: int
    estimated_wait_min: int | None
    """Rounded as the kiosk says it (0 = under 5 minutes); None = no counter will serve it."""
    opens_at: str | None = None
    """As Issued.opens_at: when the first counter of the service is expected."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """How many of one service and class wait now, and since when the oldest has."""

    service: str
    priority: bool
    count: int
    oldest_queued_at: str


for _cls in (Ticket, Event, CounterState, Device, Booking):
    _cls.COLUMNS = _columns(_cls)
del _cls


NEED_KEYS: dict[str, tuple[str, ...]] = {"issued": ("need",), "reclassified": ("from", "to")}
"""Where an event's detail names a need (health data)."""


def redacted(kind: str, detail: dict[str, Any]) -> dict[str, Any]:
    """An event's detail with each need replaced by its class, "priority": what leaves the
    store for exports and streams (a need is never shipped, only that there was one)."""
    keys = NEED_KEYS.get(kind, ())
    if not any(detail.get(key) is not None for key in keys):
        return detail
    return {k: ("priority" if k in keys and v is not None else v) for k, v in detail.items()}
