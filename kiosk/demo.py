"""Realistic demo history: simulated library days played through the store's own verbs.

A day: arrivals shaped like a library lobby (a mid-morning peak and an early-afternoon one,
a dip at lunch), about 15% priority patrons, services with their own service times, several
counters that pause for lunch and short breaks, patrons who walk away (they become no-shows
when called, or expire if never called), transfers, and what still waits at closing expires.
Served patrons answer the satisfaction survey (a share of them, through the store's own
`answer_survey`) and tap a face at the counter, less happily the longer they waited, so the
admin's Survey view shows the link; those draws come from a random stream of their own, so
the queue plays out exactly as it would without them.

`simulate_day` drives any object with the Store's verbs: a real `Store` on a ManualClock
(`kiosk demo-data`; `Store.bulk()` commits one day per transaction) or the benchmarks'
`FastWriter` (benchmarks/fast_writer.py), which writes the same rows and events straight
into the tables for a year-long history (tests check that both produce identical rows).

Appointments (`Plan.booked`, a Store only: `kiosk demo-data` books 10%): that share of the
patrons of the services that take bookings book the slot their arrival falls in instead,
before the day opens (the slot's places permitting; a full slot: they walk in). Of those,
some cancel, some never come, a few come after the grace (a walk-in ticket); the rest
check in at the kiosk between early_min before their slot and a little after its start.
Those draws come from a stream of their own; with `booked = 0` a day is what it was.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from kiosk import survey
from kiosk.clock import ManualClock
from kiosk.config import Settings
from kiosk.exceptions import BookingRefused, IssueRefused, NotAllowed
from kiosk.rows import Booking, Issued, Ticket
from kiosk.store.bookings import slot_bounds

if TYPE_CHECKING:
    from kiosk.store import Store

SERVICE_MIX = {"A": 0.2, "B": 0.4, "C": 0.12, "D": 0.16, "E": 0.12}
"""Share of arrivals per service prefix (others: an equal share)."""
SERVICE_MEAN_S = {"A": 360.0, "B": 180.0, "C": 480.0, "D": 300.0, "E": 300.0}
"""Mean service time per prefix (others: 5 minutes)."""
RECALL_S = 40.0
"""Staff call an absent patron again after this long, then mark a no-show."""
RUSH = 1.5
"""A rush day's load over an ordinary day's."""
PAUSE_SAID_MIN = (5, 15, 30, 60)
"""The return times the console offers when staff pause (kiosk.ui.staff.dialogs)."""
ARRIVALS_BY_HOUR = {8: 0.5, 9: 1.0, 10: 1.5, 11: 1.3, 12: 0.7, 13: 1.35, 14: 1.2, 15: 0.6}
"""Relative arrival rate per local hour: peaks mid-morning and early afternoon."""
ELEMENT_LEVEL = {"U1": 3.3, "U2": 3.2, "U3": 3.6, "U4": 3.8, "U5": 3.3, "U6": 3.4,
                 "U7": 3.5, "U8": 3.0, "U9": 3.1}
"""A contented patron's answer to each element before the wait is counted (a library is
mostly free: U4 high; complaints handling and facilities lower)."""
U3_LOSS_PER_MIN = 1 / 20
OTHER_LOSS_PER_MIN = 1 / 120
RATING_LOSS_PER_MIN = 1 / 30
"""U3 (waktu penyelesaian) falls a point for every 20 minutes waited; the other elements
a point per 120 minutes, the counter's quick rating a point per 30."""
SUGGESTIONS = {
    "id": {"wait": ("Antreannya terlalu lama, mohon tambah petugas di jam sibuk.",
                    "Loket yang buka terlalu sedikit saat jam makan siang.",
                    "Perkiraan waktu tunggu di tiket meleset jauh."),
           "other": ("Mohon tambah kursi di ruang tunggu.",
                     "Petugasnya ramah dan membantu, terima kasih.",
                     "Wi-Fi di ruang tunggu sering putus.",
                     "Toiletnya perlu lebih sering dibersihkan.")},
    "en": {"wait": ("The wait was far too long; please open more counters at busy times.",
                    "Too few counters are open around lunch.",
                    "The wait printed on the ticket was far off."),
           "other": ("More chairs in the waiting room, please.",
                     "Friendly and helpful staff, thank you.",
                     "The waiting room's Wi-Fi keeps dropping.",
                     "The toilets need cleaning more often.")},
}
"""What demo patrons write in the survey's box, in the ticket's language."""


@dataclass(frozen=True)
class Plan:
    """What a simulated day looks like."""

    load: float = 0.7
    """Offered work / counter capacity over the opening hours."""
    vary: bool = True
    """Vary each day's load by -20%..+25%, and make `rush_days` of them rush days."""
    rush_days: float = 0.15
    """Share of days with RUSH times the load (a market day, a deadline): the queue
    outlasts the hours and what still waits at closing expires, as in a real lobby."""
    priority_share: float = 0.15
    walk_away: float = 0.03
    """Patrons who leave soon after taking a ticket (no-shows when called)."""
    patience_min: float = 120.0
    """Mean patience: who waits longer may leave too."""
    transfer: float = 0.03
    pauses: bool = True
    shared_lunch: bool = False
    """Every counter breaks for lunch at 12:00 together (an office that closes its desks
    for ishoma), back after 50 to 60 minutes, saying 60; otherwise lunches are staggered."""
    survey: float = 0.3
    """Share of served patrons who answer the satisfaction survey on their phone (when the
    site runs it: [survey] enabled)."""
    rating: float = 0.4
    """Share of served patrons who tap one of the four faces at the counter."""
    booked: float = 0.0
    """Share of the patrons of the services that take bookings ([booking] services) who
    book their slot instead of walking in (a Store only: the fast writer books nothing)."""
    booking_cancelled: float = 0.05
    booking_no_show: float = 0.08
    booking_late: float = 0.07
    """Of the bookings: cancelled that morning, nobody comes, come after the grace."""


class Verbs(Protocol):
    """The store's verbs a simulated day uses: a `Store`, or the benchmarks' FastWriter."""

    def issue(self, service: str, need: str | None = None, *, lang: str | None = None,
              kiosk: str | None = None, actor: str | None = None) -> Issued: ...
    def call_next(self, counter: int, *, actor: str | None = None) -> Ticket | None: ...
    def recall(self, counter: int, *, actor: str | None = None) -> Ticket: ...
    def start(self, counter: int, *, actor: str | None = None) -> Ticket: ...
    def finish(self, counter: int, *, actor: str | None = None) -> Ticket: ...
    def no_show(self, counter: int, *, actor: str | None = None) -> Ticket: ...
    def transfer(self, label: str, service: str, *, position: str | None = None,
                 actor: str | None = None) -> Ticket: ...
    def counter(self, counter: int, action: str, *, actor: str | None = None,
                minutes: int | None = None) -> str: ...
    def day_open(self, *, actor: str | None = None) -> int: ...
    def day_close(self, *, actor: str | None = None) -> int: ...
    def answer_survey(self, token: str, answers: dict[str, object], *,
                      profile: dict[str, object] | None = None, suggestion: object = None,
                      via: str = "phone") -> Ticket: ...
    def rate(self, counter: int, score: int, *, actor: str | None = None) -> Ticket: ...
    # Appointments (Plan.booked > 0): a Store's verbs.
    def book(self, service: str, day: str, start: str, need: str | None = None,
             lang: str | None = None, *, actor: str | None = None,
             ) -> tuple[Booking, str, str]: ...
    def cancel_booking(self, token_or_code: str, *, day: str | None = None,
                       actor: str | None = None) -> Booking: ...
    def check_in(self, code: str, *, kiosk: str | None = None, lang: str | None = None,
                 now: datetime | None = None, actor: str | None = None) -> Issued: ...


class Sim:
    """One simulated day; `target` has the Store's verbs, `clock` is what it reads."""

    def __init__(self, target: Verbs, clock: ManualClock, settings: Settings, plan: Plan,
                 rng: random.Random,
                 on_issue: Callable[[Any], None] | None = None,
                 feedback_rng: random.Random | None = None,
                 booking_rng: random.Random | None = None) -> None:
        self.t = target
        self.clock = clock
        self.settings = settings
        self.plan = plan
        self.rng = rng
        self.feedback_rng = feedback_rng or random.Random(0)
        """The survey's and the faces' draws: a stream apart from the queue's."""
        self.on_issue = on_issue
        self.arrived: dict[int, tuple[float, str | None]] = {}
        """Ticket id -> (when it was taken, its token)."""
        self.last_call: dict[int, float] = {}
        self.heap: list[tuple[float, int, str, Any]] = []
        self.seq = 0
        self.tz = settings.site.tz
        self.booking_rng = booking_rng or random.Random(0)
        """Who books and what becomes of it: a stream apart, drawn from only when
        `plan.booked` (the queue's own stream is then what it was without bookings)."""
        self.wants_slot: list[tuple[float, str, str | None]] = []
        """(when they would have come, service, need) of the patrons who book."""

    def at(self, when: float, kind: str, payload: Any = None) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, kind, payload))

    def _local(self, day: date, hour: int, minute: int = 0) -> float:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz).timestamp()

    def run(self, day: date) -> None:
        s, plan, rng = self.settings, self.plan, self.rng
        hours = s.hours
        t_open = datetime.combine(day, hours.open, self.tz).timestamp()
        t_last = datetime.combine(day, hours.last_ticket, self.tz).timestamp()
        self.t_close = datetime.combine(day, hours.close, self.tz).timestamp()
        prefixes = [x.prefix for x in s.services]
        weights = [SERVICE_MIX.get(p, 1.0 / len(prefixes)) for p in prefixes]
        mean_s = sum(w * SERVICE_MEAN_S.get(p, 300.0) for p, w in zip(prefixes, weights,
                                                                        strict=True))
        mean_s /= sum(weights)
        # Capacity counts what a counter really spends per patron: the walk to the counter
        # and the gap before the next call (about a minute), and the lunch pauses.
        pause_s = 2100.0 if plan.pauses else 0.0
        capacity = len(s.counters) * (t_last - t_open + 1800 - pause_s) / (mean_s + 55.0)
        # Days differ: some are quiet, some overrun (then patrons are still waiting at
        # closing and expire).
        expected = plan.load * capacity * (rng.uniform(0.8, 1.25) if plan.vary else 1.0)
        # A rush day is drawn apart (its own seed), so the other days stay as they were.
        if plan.vary and random.Random(day.toordinal() * 7919).random() < plan.rush_days:
            expected *= RUSH
        # Arrival times: an hour-shaped density between open and last ticket.
        spans = []
        h = t_open
        while h < t_last:
            local_hour = datetime.fromtimestamp(h, self.tz).hour
            end = min(t_last, h + 3600 - (h % 3600))
            spans.append((h, end, ARRIVALS_BY_HOUR.get(local_hour, 0.5) * (end - h)))
            h = end
        total_w = sum(w for *_, w in spans)
        for start, end, w in spans:
            n = _poisson(rng, expected * w / total_w)
            for _ in range(n):
                service = rng.choices(prefixes, weights)[0]
                need = None
                if s.needs and rng.random() < plan.priority_share:
                    need = rng.choice(list(s.needs))
                when = rng.uniform(start, end)
                if (plan.booked and service in s.booking.services
                        and self.booking_rng.random() < plan.booked):
                    self.wants_slot.append((when, service, need))
                else:
                    self.at(when, "arrive", (service, need))
        if self.wants_slot:
            self._book(day, t_open)
        self.clock.set(datetime.fromtimestamp(t_open - 300, self.tz))
        self.t.day_open(actor="demo")
        self.idle: set[int] = set()
        self.present: dict[int, tuple[float, bool]] = {}  # ticket id -> (patience end, here)
        self.pause_due: dict[int, float] = {}
        for i, counter in enumerate(s.counters):
            start = t_open + rng.uniform(-120, 240)
            self.at(start, "open", counter.id)
            if plan.pauses:
                lunch = self._local(day, 11, 30) + (i % 4) * 1500 + rng.uniform(0, 600)
                length = rng.uniform(1500, 2700)
                if plan.shared_lunch:
                    lunch, length = self._local(day, 12, 0), rng.uniform(3000, 3600)
                self.at(lunch, "want_pause", (counter.id, length))
                if rng.random() < 0.5:
                    brk = rng.uniform(t_open + 3600, t_last - 3600)
                    self.at(brk, "want_pause", (counter.id, rng.uniform(300, 900)))
        self.at(self.t_close, "closing")
        while self.heap:
            when, _, kind, payload = heapq.heappop(self.heap)
            self.clock.set(datetime.fromtimestamp(when, self.tz))
            getattr(self, "_" + kind)(when, payload)
        self.clock.set(datetime.fromtimestamp(max(self.t_close, self.clock.now().timestamp())
                                              + 300, self.tz))
        self.t.day_close(actor="demo")

    def _book(self, day: date, t_open: float) -> None:
        """Before the day opens, the patrons who book take the slot their arrival falls in
        (a full slot, or none then: they walk in); what becomes of each booking is drawn
        here, and its check-in is put on the day's agenda."""
        plan, brng = self.plan, self.booking_rng
        rules = self.settings.booking
        self.clock.set(datetime.fromtimestamp(t_open - 600, self.tz))
        for when, service, need in sorted(self.wants_slot):
            local = datetime.fromtimestamp(when, self.tz)
            minute = local.hour * 60 + local.minute
            slot = next((b for b, e in slot_bounds(self.settings.slots_of(service))
                         if b <= minute < e), None)
            if slot is None:
                self.at(when, "arrive", (service, need))
                continue
            lang = brng.choice(self.settings.site.languages)
            try:
                _, token, code = self.t.book(service, day.isoformat(),
                                             f"{slot // 60:02d}:{slot % 60:02d}", need, lang,
                                             actor="demo")
            except BookingRefused:  # the slot is full: they come anyway
                self.at(when, "arrive", (service, need))
                continue
            starts = self._local(day, slot // 60, slot % 60)
            fate = brng.random()
            if fate < plan.booking_cancelled:
                self.t.cancel_booking(token, actor="demo")
            elif fate < plan.booking_cancelled + plan.booking_no_show:
                pass  # nobody comes: a no-show of the booking once the day is over
            elif fate < plan.booking_cancelled + plan.booking_no_show + plan.booking_late:
                self.at(starts + (rules.late_min + brng.uniform(1.0, 20.0)) * 60.0,
                        "check_in", (code, token))
            else:
                early = brng.uniform(-rules.early_min + 0.5, min(rules.late_min, 10)) * 60.0
                self.at(max(t_open + 30.0, starts + early), "check_in", (code, token))

    # events ------------------------------------------------------------------------------

    def _check_in(self, now: float, payload: tuple[str, str]) -> None:
        code, token = payload
        try:
            issued = self.t.check_in(code, actor="demo")
        except IssueRefused:  # too late even for a walk-in ticket: they go home
            return
        self._came(now, issued, token)  # the booking's link is the ticket's page

    def _arrive(self, now: float, payload: tuple[str, str | None]) -> None:
        service, need = payload
        lang = self.rng.choice(self.settings.site.languages)
        issued = self.t.issue(service, need, lang=lang, actor="demo")
        self._came(now, issued, issued.token)

    def _came(self, now: float, issued: Issued, token: str | None) -> None:
        """A patron holds a ticket now: when they may leave, and a free counter calls."""
        self.arrived[issued.ticket.id] = (now, token)
        if self.on_issue is not None:
            self.on_issue(issued)
        leaves = self.rng.random() < self.plan.walk_away
        patience = self.rng.expovariate(1.0 / (self.plan.patience_min * 60.0))
        self.present[issued.ticket.id] = (now + (60.0 if leaves else patience), True)
        for counter in sorted(self.idle):
            self.at(now + 1.0, "free", counter)
        self.idle.clear()

    def _closing(self, now: float, _: None) -> None:
        for counter in sorted(self.idle):
            self.t.counter(counter, "close", actor="demo")
        self.idle.clear()

    def _open(self, now: float, counter: int) -> None:
        self.t.counter(counter, "open", actor="demo")
        self._free(now, counter)

    def _want_pause(self, now: float, payload: tuple[int, float]) -> None:
        counter, seconds = payload
        if now >= self.t_close - 1800:
            return
        self.pause_due[counter] = seconds
        if counter in self.idle:
            self.idle.discard(counter)
            self._free(now, counter)

    def _resume(self, now: float, counter: int) -> None:
        self.t.counter(counter, "resume", actor="demo")
        self._free(now, counter)

    def _free(self, now: float, counter: int) -> None:
        """The counter is free: pause, close, or call the next patron."""
        if counter in self.pause_due:
            seconds = self.pause_due.pop(counter)
            # Staff say when they will be back, as the console offers it (5, 15, 30 or 60
            # minutes): the nearest, so the estimate around a break is as wrong as in life.
            said = min(PAUSE_SAID_MIN, key=lambda m: abs(m * 60 - seconds))
            self.t.counter(counter, "pause", actor="demo", minutes=said)
            self.at(now + seconds, "resume", counter)
            return
        if now >= self.t_close:
            self.t.counter(counter, "close", actor="demo")
            return
        ticket = self.t.call_next(counter, actor="demo")
        if ticket is None:
            self.idle.add(counter)
            return
        self._called(now, counter, ticket)

    def _called(self, now: float, counter: int, ticket: Ticket) -> None:
        leaves_at, _ = self.present.get(ticket.id, (now + 1e9, True))
        if leaves_at <= now:
            self.at(now + RECALL_S, "absent", (counter, 0))
            return
        self.last_call[ticket.id] = now
        walk = self.rng.uniform(15.0, 60.0)
        self.at(now + walk, "start", (counter, ticket))

    def _absent(self, now: float, payload: tuple[int, int]) -> None:
        counter, recalls = payload
        if recalls < self.settings.queue.max_recalls:
            self.t.recall(counter, actor="demo")
            self.at(now + RECALL_S, "absent", (counter, recalls + 1))
            return
        self.t.no_show(counter, actor="demo")
        self._free(now, counter)

    def _start(self, now: float, payload: tuple[int, Ticket]) -> None:
        counter, ticket = payload
        self.t.start(counter, actor="demo")
        mean = SERVICE_MEAN_S.get(ticket.service, 300.0)
        duration = max(30.0, self.rng.lognormvariate(0, 0.5) * mean * 0.885)
        self.at(now + duration, "done", (counter, ticket))

    def _done(self, now: float, payload: tuple[int, Ticket]) -> None:
        counter, ticket = payload
        prefixes = [s.prefix for s in self.settings.services if s.prefix != ticket.service]
        if prefixes and now < self.t_close - 900 and self.rng.random() < self.plan.transfer:
            target = self.rng.choice(prefixes)
            self.t.transfer(ticket.label, target, actor="demo")
            self.present[ticket.id] = (now + 1e9, True)
            for idle in sorted(self.idle):
                self.at(now + 1.0, "free", idle)
            self.idle.clear()
        else:
            self.t.finish(counter, actor="demo")
            self._feedback(now, counter, ticket)
        self.at(now + self.rng.uniform(5.0, 30.0), "free", counter)

    def _feedback(self, now: float, counter: int, ticket: Ticket) -> None:
        """A served patron may tap a face at the counter and answer the survey on the
        phone; the longer the wait (from taking the ticket to the last call), the less
        happy, U3 (time) most of all."""
        settings, plan, rng = self.settings.survey, self.plan, self.feedback_rng
        arrived, token = self.arrived.get(ticket.id, (now, None))
        if not settings.enabled or token is None:
            return
        waited = (self.last_call.get(ticket.id, now) - arrived) / 60.0
        mood = rng.gauss(0.0, 0.4)
        if rng.random() < plan.rating:
            self.t.rate(counter, _answer(rng, 3.5 + mood - waited * RATING_LOSS_PER_MIN),
                        actor="demo")
        if rng.random() >= plan.survey:
            return
        answers: dict[str, object] = {
            code: _answer(rng, level + mood - waited * (U3_LOSS_PER_MIN if code == "U3"
                                                        else OTHER_LOSS_PER_MIN))
            for code, level in ELEMENT_LEVEL.items()}
        for question in settings.questions:
            answers[question.code] = _answer(rng, 3.0 + mood)
        profile = None
        if settings.profile and rng.random() < 0.7:
            profile = {field: rng.choice(codes) for field, codes in survey.PROFILE.items()}
            if ticket.need == "lansia":
                profile["age"] = "60+"
        suggestion = None
        if settings.suggestion and rng.random() < (0.25 if waited > 30 else 0.08):
            texts = SUGGESTIONS.get(ticket.lang or "", SUGGESTIONS["en"])
            suggestion = rng.choice(texts["wait" if waited > 30 else "other"])
        self.t.answer_survey(token, answers, profile=profile, suggestion=suggestion)


def _answer(rng: random.Random, level: float) -> int:
    """An answer 1..4 around `level`."""
    return min(4, max(1, round(level + rng.gauss(0.0, 0.6))))


def _poisson(rng: random.Random, mean: float) -> int:
    """Poisson by summing exponential gaps (means here are small enough)."""
    if mean <= 0:
        return 0
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def simulate_day(target: Verbs, clock: ManualClock, settings: Settings, day: date,
                 plan: Plan | None = None, seed: int | None = None,
                 on_issue: Callable[[Any], None] | None = None) -> None:
    """Play one local day through `target`'s verbs (a Store or a FastWriter)."""
    seed = seed if seed is not None else day.toordinal()
    Sim(target, clock, settings, plan or Plan(), random.Random(seed), on_issue,
        feedback_rng=random.Random(f"feedback-{seed}"),
        booking_rng=random.Random(f"booking-{seed}")).run(day)


def generate(store: Store, days: int, *, end: date, plan: Plan | None = None,
             seed: int = 1, progress: Callable[[int], None] | None = None) -> int:
    """`days` simulated days ending `end` through `store`'s verbs, all in one transaction:
    an interrupted run (Ctrl-C, a full disk) leaves nothing half-made. The store's clock
    must be a ManualClock. Returns tickets made."""
    if not isinstance(store.clock, ManualClock):
        raise TypeError("demo data needs a store on a ManualClock")
    first = end - timedelta(days=days - 1)
    before, newest = store.ticket_days()
    if newest is not None and newest >= first.isoformat():
        raise NotAllowed(
            f"the store already has tickets up to {newest}; demo history can only follow"
            f" them (--end after {newest}, with --days to fit) or go into a store of its"
            " own (kiosk --db demo.db --create demo-data ...)")
    with store.bulk():
        for i in range(days):
            day = first + timedelta(days=i)
            simulate_day(store, store.clock, store.settings, day, plan, seed * 100003 + i)
            if progress is not None:
                progress(i + 1)
    return store.ticket_days()[0] - before
