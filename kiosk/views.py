"""The read side: what every screen, page and command shows, computed once, without Textual.

Each view is a function of a `Store` that returns a frozen dataclass: `status` (`kiosk
status`, every screen's overview), `board` (the lobby board), `counter` (a staff console),
`today` (the admin's Today), `trouble` (what the patron kiosk must say before anyone
chooses) and `announcers` (whether calls are being spoken). The terminal screens, the
command line and the web server all read through here, so a figure (how many wait, the
oldest wait, whether announcements are on) has one definition.

A view reads several queries; callers that need them consistent run it inside
`store.snapshot()` (kiosk.follow does). Nothing here writes, and nothing here names a
patron's need: only the class (priority or regular).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.consoles import unattended
from kiosk.i18n import t

if TYPE_CHECKING:  # the patron kiosk reads its trouble here before the store is imported
    from kiosk.rows import Call, Device, Outlook, ServiceOutlook, Ticket, Waiting
    from kiosk.store import Store

CLASSES = ("priority", "regular")
"""The two classes every figure is split by (kiosk.rows.CLASSES: not imported here, so the
patron kiosk's first frame does not wait for the typed rows)."""

# -- the announcers' heartbeats ------------------------------------------------------------

ANNOUNCER_KIND = "announcer"
"""The `devices` kind an announcer's heartbeat row has."""
HEARTBEAT_STALE_S = 20.0
"""A heartbeat older than this means the announcer is not running (screens: "off"). The
announcer writes one at least every kiosk.announcer.HEARTBEAT_S seconds."""


def announcer_device(name: str) -> str:
    """The `devices` row of announcer NAME. Prefixed because devices are keyed by name alone
    and printers have names too (the default printer and the default announcer are both
    "main")."""
    return f"{ANNOUNCER_KIND}:{name}"


@dataclass(frozen=True)
class AnnouncerState:
    """An announcer as screens need it."""

    name: str
    on: bool
    """Speaking: its heartbeat is fresh and says ok."""
    state: str
    """ok, error or off (as it last said, or off when it never said anything)."""
    detail: str | None
    updated_at: str | None
    age_s: float | None
    """Seconds since its last heartbeat (None: never started)."""


def announcer_state(store: Store, name: str = "main") -> AnnouncerState:
    """One announcer's heartbeat, read now."""
    return _announcer(store.devices().get(announcer_device(name)), name, store.now())


def announcements_off(store: Store, name: str = "main") -> bool:
    """True when screens should say "announcements off": stale heartbeat or state not ok."""
    return not announcer_state(store, name).on


def _announcer(row: Device | None, name: str, now: datetime) -> AnnouncerState:
    if row is None:
        return AnnouncerState(name, False, "off", "never started", None, None)
    age = now.timestamp() - clk.epoch(row.updated_at)
    on = row.state == "ok" and age <= HEARTBEAT_STALE_S
    return AnnouncerState(name, on, row.state, row.detail, row.updated_at, round(age, 1))


def announcers_of(devices: dict[str, Device], now: datetime) -> tuple[AnnouncerState, ...]:
    """`announcers()` from `devices` rows read elsewhere (`kiosk doctor` reads them through
    a read-only connection of its own)."""
    prefix = f"{ANNOUNCER_KIND}:"
    names = sorted(row.name.removeprefix(prefix) for row in devices.values()
                   if row.kind == ANNOUNCER_KIND and row.name.startswith(prefix))
    # No announcer ever reported: the host's default one is off (every screen says so).
    return tuple(_announcer(devices.get(announcer_device(name)), name, now)
                 for name in names or ["main"])


def announcers(store: Store) -> tuple[AnnouncerState, ...]:
    """Every announcer's heartbeat, by name ("main", off, when none ever reported). Screens
    say announcements are on when any of them is."""
    return announcers_of(store.devices(), store.now())


# -- who waits -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceWaiting:
    """One service's queue now."""

    service: str
    waiting: int
    priority: int
    regular: int
    oldest_wait_min: float | None
    """Minutes the longest-waiting ticket has waited (0.1), None when nobody waits."""


@dataclass(frozen=True)
class WaitingNow:
    """How many wait now and the oldest wait, over every service (of one class, or all)."""

    waiting: int
    oldest_wait_min: float | None


def _wait_min(queued_at: str, now: datetime) -> float:
    return round((now.timestamp() - clk.epoch(queued_at)) / 60.0, 1)


def by_service(rows: list[Waiting], settings: Settings, now: datetime,
               ) -> tuple[ServiceWaiting, ...]:
    """Per service in config order (then any service no longer configured)."""
    order = [s.prefix for s in settings.services]
    order += sorted({r.service for r in rows} - set(order))
    out = []
    for service in order:
        mine = [r for r in rows if r.service == service]
        classes = by_class(mine, now)
        both = everyone(mine, now)
        out.append(ServiceWaiting(service, both.waiting, classes["priority"].waiting,
                                  classes["regular"].waiting, both.oldest_wait_min))
    return tuple(out)


def everyone(rows: list[Waiting], now: datetime) -> WaitingNow:
    """Over every service and class."""
    oldest = min((r.oldest_queued_at for r in rows), default=None)
    return WaitingNow(sum(r.count for r in rows),
                      None if oldest is None else _wait_min(oldest, now))


def by_class(rows: list[Waiting], now: datetime) -> dict[str, WaitingNow]:
    """Per class ("priority", "regular"), over every service."""
    return {cls: everyone([r for r in rows if r.priority == (cls == "priority")], now)
            for cls in CLASSES}


# -- status: the overview every screen shows and `kiosk status` prints ------------------------


@dataclass(frozen=True)
class CounterLine:
    counter: int
    state: str
    """open, paused or closed; "unattended" while a console holds it but has not been heard
    from for UNATTENDED_S (until the next heartbeat of any console closes it)."""
    staff: str | None
    services: list[str]
    label: str | None
    """The ticket it has called or is serving."""
    ticket_state: str | None


@dataclass(frozen=True)
class Status:
    day: str
    services: tuple[ServiceWaiting, ...]
    counters: tuple[CounterLine, ...]
    devices: tuple[Device, ...]
    clock_problem: str | None
    waiting: list[Waiting] = field(repr=False, compare=False, default_factory=list)
    """The rows the figures above come from (for per-class figures)."""
    current: dict[int, Ticket] = field(repr=False, compare=False, default_factory=dict)
    """What each counter has called or is serving (for a console: read once here)."""
    announcers: tuple[AnnouncerState, ...] = ()
    """Every announcer's heartbeat, from `devices` (see `announcers()`)."""

    def as_json(self) -> dict[str, Any]:
        """The object of `kiosk status --json` (and, next, `GET /api/v1/status`)."""
        return {
            "day": self.day,
            "services": [asdict(s) for s in self.services],
            "counters": [asdict(c) for c in self.counters],
            "devices": [d.as_json() for d in self.devices],
            "clock_problem": self.clock_problem,
        }


def status(store: Store) -> Status:
    """Waiting per service and class, counters and what they hold, devices, the clock."""
    now = store.now()
    settings = store.settings
    rows = store.waiting()
    states = store.counter_states()
    devices = store.devices()
    counters = []
    holding: dict[int, Ticket] = {}
    for counter in settings.counters:
        current = store.current(counter.id)
        if current is not None:
            holding[counter.id] = current
        state = states.get(counter.id)
        shown = "closed" if state is None else (
            "unattended" if unattended(state, now.timestamp()) else state.state)
        counters.append(CounterLine(
            counter.id,
            shown,
            state.staff if state else None,
            counter.services,
            current.label if current else None,
            current.state if current else None,
        ))
    return Status(clk.local_day(now, store.tz), by_service(rows, settings, now),
                  tuple(counters), tuple(devices.values()), store.clock_problem(),
                  rows, holding, announcers_of(devices, now))


def printers(devices: tuple[Device, ...]) -> tuple[Device, ...]:
    return tuple(d for d in devices if d.kind == "printer")


def voices(devices: tuple[Device, ...]) -> tuple[Device, ...]:
    """The patron kiosks' voices (`voice:KIOSK` rows): ok, or error with why."""
    return tuple(d for d in devices if d.kind == "voice")


# -- the lobby board ------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardView:
    calls: tuple[Call, ...]
    """Today's calls, newest first, one per ticket."""
    services: tuple[ServiceOutlook, ...]
    announcements_on: bool


def board(store: Store, recent: int = 8) -> BoardView:
    """Everything the board shows: the last `recent` calls (and enough more to find the
    other open ones), waiting and estimates per service, whether calls are spoken."""
    return BoardView(tuple(store.recent_calls(recent * 2)), tuple(store.waiting_outlook()),
                     any(a.on for a in announcers(store)))


# -- a ticket's own page (the patron's phone) -------------------------------------------------


@dataclass(frozen=True)
class TicketPage:
    """What a ticket's page shows its holder: never its need, not even its class."""

    id: int
    label: str
    service: str
    """Its queue now; a transfer keeps the label, so the label's letter may differ."""
    state: str
    lang: str
    counter: int | None
    recalls: int
    outlook: Outlook | None
    """While it waits today: people ahead and the estimate (else None)."""
    slot: str | None = None
    """An appointment's booked slot ("09:30–09:45"; None for a walk-in, a late check-in
    included)."""

    @property
    def moved(self) -> bool:
        """Transferred to another service (the same label, a new queue)."""
        return self.service != self.label[0]


def ticket_pages(store: Store, ids: frozenset[int]) -> dict[int, TicketPage]:
    """The pages of these tickets, from one read however many follow the queue: the
    waiting ones' outlooks come from one replay (Store.outlook_of_everyone)."""
    with store.snapshot():
        tickets = store.tickets_by_id(ids)
        outlooks = (store.outlook_of_everyone()
                    if any(t.state == "waiting" for t in tickets) else {})
        slots = store.appointment_slots(ids)
    lang = store.settings.default_language
    return {t.id: TicketPage(t.id, t.label, t.service, t.state, t.lang or lang, t.counter,
                             t.recalls, outlooks.get(t.id), slots.get(t.id))
            for t in tickets}


# -- a staff console ------------------------------------------------------------------------


@dataclass(frozen=True)
class Current:
    """The ticket at a counter, as the console shows it."""

    label: str
    state: str
    service: str
    priority: bool
    """The class only: the need itself is never shown on a console."""
    recalls: int
    called_at: str | None

    @classmethod
    def of(cls, ticket: Ticket) -> Current:
        return cls(ticket.label, ticket.state, ticket.service, ticket.priority,
                   ticket.recalls, ticket.called_at)


@dataclass(frozen=True)
class CounterView:
    now: datetime
    state: str
    """The counter: open, paused or closed."""
    staff: str | None
    current: Current | None
    services: tuple[ServiceWaiting, ...]
    printers: tuple[Device, ...]
    announcers: tuple[AnnouncerState, ...]
    voices: tuple[Device, ...] = ()
    """The kiosks' voices: one that cannot speak must be seen at the counters."""


def counter(store: Store, counter_id: int) -> CounterView:
    """Everything a counter's console shows."""
    overview = status(store)
    mine = next(c for c in overview.counters if c.counter == counter_id)
    ticket = overview.current.get(counter_id)
    return CounterView(store.now(), mine.state, mine.staff,
                       None if ticket is None else Current.of(ticket), overview.services,
                       printers(overview.devices), overview.announcers,
                       voices(overview.devices))


# -- the counter's quick rating -----------------------------------------------------------------


@dataclass(frozen=True)
class RateView:
    """What the four faces facing the patron at a counter rate (the rating tablet, and the
    console's key that offers it): the ticket finished there within `[survey]
    rate_window_min` and not yet rated, by its label only (never its class or its need)."""

    counter: int
    enabled: bool
    """False: the office does not run the survey, so the faces never ask."""
    ticket_id: int | None = None
    label: str | None = None

    @property
    def asking(self) -> bool:
        return self.ticket_id is not None


def rate(store: Store, counter_id: int) -> RateView:
    """The ticket counter `counter_id`'s faces would rate now, if any."""
    if not store.settings.survey.enabled:
        return RateView(counter_id, False)
    ticket = store.rate_target(counter_id)
    if ticket is None:
        return RateView(counter_id, True)
    return RateView(counter_id, True, ticket.id, ticket.label)


# -- the admin's Today ------------------------------------------------------------------------


@dataclass(frozen=True)
class TodayView:
    now: datetime
    day: str
    status: Status
    report: dict[str, Any]
    """Today's `kiosk report` object."""
    waiting: dict[str, WaitingNow]
    """Per class: waiting now and the oldest wait."""
    everyone: WaitingNow
    """Both classes together."""
    announcers: tuple[AnnouncerState, ...]


def today(store: Store) -> TodayView:
    from kiosk import reports

    overview = status(store)
    now = store.now()
    day = overview.day
    rep = reports.report(store, store.settings, date_from=day, date_to=day)
    return TodayView(now, day, overview, rep, by_class(overview.waiting, now),
                     everyone(overview.waiting, now), overview.announcers)


# -- what stands between a patron and a ticket ---------------------------------------------


@dataclass(frozen=True)
class Trouble:
    issuing: str | None = None
    """closed | after_last_ticket | clock | store (the store cannot take a ticket now):
    no ticket can be had at all."""
    printer: str | None = None
    """paper_out | offline: tickets are issued, shown and spoken, not printed."""
    sold_out: frozenset[str] = field(default_factory=frozenset)
    """Service prefixes whose daily quota is reached."""
    day: str | None = None
    """The local day it was seen on (a closed day's reason is that day's [[closed]])."""

    def messages(self, settings: Settings, lang: str) -> list[str]:
        hours = settings.hours
        out = []
        if self.issuing == "closed_day":
            out.append(closed_day_text(settings, self.day, lang))
        elif self.issuing is not None:
            out.append(t(lang, f"trouble.{self.issuing}", open=f"{hours.open:%H:%M}",
                         close=f"{hours.close:%H:%M}", last=f"{hours.last_ticket:%H:%M}")
                       if self.issuing not in ("clock", "store")
                       else t(lang, f"trouble.{self.issuing}"))
        if self.printer == "paper_out":
            out.append(t(lang, "trouble.paper_out"))
        elif self.printer == "offline":
            out.append(t(lang, "trouble.printer_offline"))
        return out


def trouble(store: Store, printer_state: str | None) -> Trouble:
    """What stands in the way of a ticket now: the clock, the hours, quotas, the printer
    (its state as the kiosk's print worker last saw it). A store file that has gone
    raises its StoreFault (the kiosk says tickets cannot be made)."""
    with store.snapshot():
        refusal = store.issue_refusal()
        sold_out = store.sold_out()
    issuing = refusal.reason if refusal is not None else None
    printer = printer_state if printer_state in ("paper_out", "offline") else None
    return Trouble(issuing, printer, sold_out, store.today())


def closed_day_text(settings: Settings, day: str | None, lang: str) -> str:
    """"Closed today" with the [[closed]] entry's reason, as the kiosk says it."""
    closed = settings.closed_on(day) if day else None
    reason = (closed.reason or {}).get(lang) if closed is not None else None
    return (t(lang, "trouble.closed_day_reason", reason=reason) if reason
            else t(lang, "trouble.closed_day"))


# -- a ticket as the command line's --json and the HTTP API show it -------------------------

JSON_KEYS = (
    "label",
    "service",
    "need",
    "state",
    "counter",
    "kiosk",
    "people_ahead",
    "estimated_wait_min",
    "printed",
    "issued_at",
    "called_at",
    "finished_at",
)
"""The keys `--json` prints where they apply (design §5)."""


def ticket_json(ticket: Ticket | None, **extra: Any) -> dict[str, Any]:
    """A ticket as `--json` prints it: the JSON_KEYS it has, then `extra`."""
    out: dict[str, Any] = {key: None for key in ("label", "service", "state", "counter")}
    if ticket is not None:
        row = asdict(ticket)
        out.update({k: row[k] for k in JSON_KEYS if k in row})
    out.update(extra)
    return out


# -- the server's health and metrics -------------------------------------------------------


def health(store: Store) -> dict[str, Any]:
    """`GET /healthz`: the store answers (this read, of the file at its path: a removed
    store raises its StoreFault), each printer's and announcer's state."""
    store.check_file()
    overview = status(store)
    return {
        "ok": True,
        "store": "ok",
        "printers": {d.name: d.state for d in printers(overview.devices)},
        "announcers": {a.name: ("ok" if a.on else a.state) for a in overview.announcers},
    }


@dataclass(frozen=True)
class Metrics:
    """`GET /metrics`: today's counts per service, who waits now, failed prints today."""

    day: str
    counts: dict[str, dict[str, int]]
    """service -> {issued, called, served, no_show, ...} today."""
    waiting: dict[str, int]
    print_failures: int


def metrics(store: Store) -> Metrics:
    view = today(store)
    counts = {g["service"]: {k: int(g[k]) for k in ("issued", "called", "served", "no_show",
                                                    "cancelled", "expired")}
              for g in view.report["by_service"]}
    waiting = {s.service: s.waiting for s in view.status.services}
    return Metrics(view.day, counts, waiting, store.count_today("print_failed"))
