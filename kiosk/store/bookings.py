"""Appointments (design §14, issue 26): the slots a service offers, booking one, its page
by token, cancelling, the day's list, and the check-in that turns a booking into a ticket.

A booking is a service, a day and a slot, a declared need if any, a six-digit code and a
token (kept as a digest, as a ticket's): no name, phone or ID number. Every verb is one
`BEGIN IMMEDIATE` transaction, so the places of a slot are counted under the write lock
and two people can never take its last place. A check-in issues the ticket in the same
transaction: within the grace [slot - early_min, slot + late_min] it goes by the slot's
start (`order_at` = that time, so the one call policy orders it; `slot_at` says so), later
it is a walk-in ticket, earlier it is refused with the time to come back. The ticket takes
the booking's token digest: the booking's link becomes the ticket's page. Wrong codes are
`check_in_refused` events; the sixth within a minute at one kiosk waits.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from kiosk import clock as clk
from kiosk.config import Slots
from kiosk.exceptions import (
    BookingRefused,
    CheckInEarly,
    CheckInRefused,
    CheckInSlowed,
    IssueRefused,
    KioskError,
    UsageError,
    WrongField,
)
from kiosk.rows import Booking, Issued, Slot, Ticket
from kiosk.store import tokens
from kiosk.store.tickets import Tickets

CODE = re.compile(r"[0-9]{6}")
WRONG_CODES = 5
"""Wrong codes one kiosk may try within SLOW_WINDOW_S; the next waits."""
SLOW_WINDOW_S = 60.0
WRONG_REASONS = ("unknown", "other_day", "cancelled")
"""The refusals that count as a wrong code (a good code too early, or checked in twice,
is no guess)."""
BOOKING_KEPT_DAYS = 1
"""A booking's page stays this many days after its day (as a ticket's does)."""


def _hhmm(moment: time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def slot_bounds(rules: Slots) -> list[tuple[int, int]]:
    """(start, end) in minutes after local midnight of every slot a day has under these
    rules (Settings.slots_of): from `open`, `slot_min` apart, each ending by `close`. Pure:
    the reports count the places a period offered from it."""
    out = []
    start, close = _minutes(rules.open), _minutes(rules.close)
    while start + rules.slot_min <= close:
        out.append((start, start + rules.slot_min))
        start += rules.slot_min
    return out


def _day_of(text: str) -> date:
    if not (isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)):
        raise WrongField("date", f'date: a day is written YYYY-MM-DD, got "{str(text)[:40]}"')
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WrongField("date", f'date: there is no day "{text}"') from None


def _start_of(text: str) -> str:
    if not (isinstance(text, str) and re.fullmatch(r"\d{2}:\d{2}", text)):
        raise WrongField("start", f'start: a time is written HH:MM, got "{str(text)[:40]}"')
    return text


class Bookings(Tickets):
    """Slots, bookings and the check-in."""

    # -- slots -------------------------------------------------------------------------

    def _bookable(self, service: str) -> None:
        self._check_service(service)
        bookable = self.settings.booking.services
        if service not in bookable:
            known = ", ".join(bookable) or "none"
            raise UsageError(f'service "{service}" takes no bookings (bookable: {known})')

    def _slot_times(self, service: str, day: date) -> list[tuple[str, str, datetime]]:
        """(start "HH:MM", end "HH:MM", start as a local time) of every slot of the day."""
        return [(f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}",
                 datetime.combine(day, time(start // 60, start % 60), self.tz))
                for start, end in slot_bounds(self.settings.slots_of(service))]

    def _horizon(self, day: date, now: datetime) -> str | None:
        """Why nothing can be booked on `day` (a BookingRefused reason), or None."""
        today = now.astimezone(self.tz).date()
        if self.settings.closed_on(day) is not None:
            return "closed_day"
        if day < today:
            return "past"
        if day > today + timedelta(days=self.settings.booking.days_ahead):
            return "too_far"
        return None

    def booking_days(self) -> list[str]:
        """The local days a slot can be booked on, today first ([booking] days_ahead),
        closed days included (the booking page says why they are closed)."""
        today = self.now().astimezone(self.tz).date()
        return [(today + timedelta(days=n)).isoformat()
                for n in range(self.settings.booking.days_ahead + 1)]

    def slots(self, service: str, day: str) -> list[Slot]:
        """The slots of `service` on `day` that can still be booked (they start later than
        now), each with its free places (0: full); none on a closed day, a past one or
        beyond [booking] days_ahead. UsageError for a service that takes no bookings."""
        self._bookable(service)
        wanted = _day_of(day)
        now = self.now()
        if self._horizon(wanted, now) is not None:
            return []
        places = self.settings.slots_of(service).per_slot
        taken = dict(self.conn.execute(
            "SELECT slot_start, COUNT(*) FROM bookings WHERE day = ? AND service = ?"
            " AND state != 'cancelled' GROUP BY slot_start", (wanted.isoformat(), service)))
        return [Slot(service, wanted.isoformat(), start, end, clk.iso(at), places,
                     int(taken.get(start, 0)))
                for start, end, at in self._slot_times(service, wanted) if at > now]

    # -- booking -----------------------------------------------------------------------

    def book(self, service: str, day: str, start: str, need: str | None = None,
             lang: str | None = None, *, actor: str | None = None,
             ) -> tuple[Booking, str, str]:
        """Book the slot of `service` starting at `start` ("HH:MM") on `day`: (the booking,
        its token, its six-digit code). The slot's places are counted inside the
        transaction, so its last place is never taken twice. BookingRefused: full, past,
        closed_day, too_far; WrongField: a malformed day or time, one that is no slot, an
        unknown need or language; UsageError: a service that takes no bookings."""
        self._bookable(service)
        wanted = _day_of(day)
        start = _start_of(start)
        if need is not None and need not in self.settings.needs:
            raise WrongField("need", f'need: unknown need "{need}" (configured:'
                                     f" {', '.join(self.settings.needs) or 'none'})")
        lang = lang or self.settings.default_language
        if lang not in self.settings.site.languages:
            raise WrongField("lang", f'lang: "{lang}" is not one of the site\'s languages')
        slot = next((s for s in self._slot_times(service, wanted) if s[0] == start), None)
        if slot is None:
            times = self._slot_times(service, wanted)
            every = self.settings.slots_of(service).slot_min
            first = times[0][0] if times else "-"
            raise WrongField("start", f"start: {start} is not a slot of {service} (slots"
                                      f" start at {first} and every {every} minutes)")
        _, end, begins = slot
        with self.transaction():
            now = self.now()
            why = self._horizon(wanted, now) or ("past" if begins <= now else None)
            if why is not None:
                raise self._refusal(why, wanted.isoformat(), f"{start}–{end}")
            places = self.settings.slots_of(service).per_slot
            taken = self.conn.execute(
                "SELECT COUNT(*) FROM bookings WHERE day = ? AND service = ?"
                " AND slot_start = ? AND state != 'cancelled'",
                (wanted.isoformat(), service, start)).fetchone()[0]
            if taken >= places:
                raise self._refusal("full", wanted.isoformat(), f"{start}–{end}")
            code = self._new_code(wanted.isoformat(), now)
            token, token_hash = tokens.new_token()
            at = clk.iso(now)
            booking = self._booking_returning(
                "INSERT INTO bookings (token_hash, code, service, day, slot_start, slot_end,"
                " slot_at, need, lang, state, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?)",
                (token_hash, code, service, wanted.isoformat(), start, end, clk.iso(begins),
                 need, lang, at))
            self._event("booked", at, actor=actor or "patron",
                        detail=self._detail(booking))
        return booking, token, code

    def _refusal(self, why: str, day: str, slot: str) -> BookingRefused:
        messages = {
            "full": f"the slot {slot} on {day} is full; choose another",
            "past": f"the slot {slot} on {day} has already begun or passed",
            "closed_day": f"the office is closed on {day}",
            "too_far": f"{day} is too far ahead: bookings open"
                       f" {self.settings.booking.days_ahead} days ahead",
        }
        return BookingRefused(why, messages[why], day=day, slot=slot,
                              days=self.settings.booking.days_ahead)

    def _new_code(self, day: str, now: datetime) -> str:
        """Six random digits used by no booking of `day` or a later day that is not
        cancelled (so a patron who comes on the wrong day never checks in someone else's
        booking). The file's unique index is the last word."""
        today = clk.local_day(now, self.tz)
        for _ in range(1000):
            code = f"{secrets.randbelow(10**6):06d}"
            if self.conn.execute(
                    "SELECT 1 FROM bookings WHERE code = ? AND day >= ?"
                    " AND state != 'cancelled'", (code, min(day, today))).fetchone() is None:
                return code
        raise BookingRefused("full", f"no free check-in code is left for {day}")

    @staticmethod
    def _detail(booking: Booking) -> dict[str, object]:
        """What an event says of a booking: never the need, only that there is one."""
        detail: dict[str, object] = {"booking": booking.id, "service": booking.service,
                                     "day": booking.day, "slot": booking.slot}
        if booking.need is not None:
            detail["priority"] = True
        return detail

    def _booking_returning(self, sql: str, params: tuple[object, ...]) -> Booking:
        cur = self.conn.execute(f"{sql} RETURNING {Booking.COLUMNS}", params)
        (row,) = cur.fetchall()
        return Booking(*row)

    def _bookings_where(self, where: str, params: tuple[object, ...] = ()) -> list[Booking]:
        return [Booking(*row) for row in self.conn.execute(
            f"SELECT {Booking.COLUMNS} FROM bookings WHERE {where}", params).fetchall()]

    # -- by token, by code, the day's list ------------------------------------------------

    def booking_by_token(self, token: str) -> Booking:
        """The booking this token opens; UsageError ("no such booking") for a token that is
        malformed or unknown, or of a booking whose day ended more than a day ago."""
        if tokens.well_formed(token):
            row = self.conn.execute(
                f"SELECT token_hash, {Booking.COLUMNS} FROM bookings WHERE token_hash = ?",
                (tokens.digest(token),)).fetchone()
            if row is not None and tokens.same(row[0], token):
                booking = Booking(*row[1:])
                kept = date.fromisoformat(self.today()) - timedelta(days=BOOKING_KEPT_DAYS)
                if booking.day >= kept.isoformat():
                    return booking
        raise UsageError("no such booking: the link is wrong, or the booking's page is no"
                         " longer kept")

    def bookings(self, day: str | None = None) -> list[Booking]:
        """The bookings of a local day (today by default), by slot, cancelled ones too."""
        wanted = _day_of(day) if day is not None else date.fromisoformat(self.today())
        return sorted(self._bookings_where("day = ?", (wanted.isoformat(),)),
                      key=lambda b: (b.slot_start, b.service, b.id))

    def ticket_of_booking(self, booking: Booking) -> Ticket | None:
        """The ticket a checked-in booking was given (None before, or once purged)."""
        if booking.ticket_id is None:
            return None
        found = self._tickets("id = ?", (booking.ticket_id,))
        return found[0] if found else None

    def appointment_of(self, ticket: Ticket) -> tuple[bool, str] | None:
        """A ticket issued at a booking's check-in: (an appointment, i.e. within the grace;
        the booked slot "09:30–09:45"); None for a walk-in (a reprinted slip says it again)."""
        row = self.conn.execute(
            "SELECT t.slot_at, b.slot_start, b.slot_end FROM tickets t"
            " JOIN bookings b ON b.id = t.booking_id WHERE t.id = ?", (ticket.id,)).fetchone()
        return None if row is None else (row[0] is not None, f"{row[1]}–{row[2]}")

    def cancel_booking(self, token_or_code: str, *, staff: bool = False,
                       day: str | None = None, actor: str | None = None) -> Booking:
        """Cancel a booking by its token (its holder, actor "patron") or, with `staff`, by
        its code (the code of a booking of today or later; `day` when the code is used on
        several days). A code is only a check-in key: a public page or the API never
        cancels by one (six digits are guessed far sooner than a token). BookingRefused:
        already cancelled, checked in, or its day has passed."""
        key = token_or_code.strip()
        with self.transaction():
            if tokens.well_formed(key):
                booking = self.booking_by_token(key)
                actor = actor or "patron"
            elif staff and CODE.fullmatch(key):
                booking = self._by_code(key, day)
            else:
                raise WrongField("code", f'"{key[:40]}" is neither a six-digit code nor a'
                                         " booking's link")
            if booking.state == "cancelled":
                raise BookingRefused("cancelled", f"the booking {booking.code} is already"
                                                  " cancelled", slot=booking.slot)
            if booking.state == "checked_in":
                raise BookingRefused("checked_in", f"the booking {booking.code} has been"
                                                   " checked in; it has a ticket now")
            if booking.day < self.today():
                raise BookingRefused("ended", f"the booking {booking.code} was for"
                                              f" {booking.day}, which has passed")
            at = clk.iso(self.now())
            cancelled = self._booking_returning(
                "UPDATE bookings SET state = 'cancelled', cancelled_at = ? WHERE id = ?",
                (at, booking.id))
            self._event("booking_cancelled", at, actor=actor or "cli",
                        detail=self._detail(cancelled))
        return cancelled

    def _by_code(self, code: str, day: str | None) -> Booking:
        """Staff's look-up: the booking of today or later with this code."""
        if day is not None:
            found = self._bookings_where("code = ? AND day = ?",
                                         (code, _day_of(day).isoformat()))
        else:
            found = self._bookings_where("code = ? AND day >= ?", (code, self.today()))
        live = [b for b in found if b.state != "cancelled"]
        if len(live) > 1:
            days = ", ".join(sorted(b.day for b in live))
            raise UsageError(f"the code {code} is used on several days ({days}): say which"
                             " with --date")
        if live:
            return live[0]
        if found:
            return max(found, key=lambda b: b.id)
        raise UsageError(f"no booking has the code {code}"
                         + (f" on {day}" if day else " today or later"))

    # -- check-in -------------------------------------------------------------------------

    def check_in(self, code: str, *, kiosk: str | None = None, lang: str | None = None,
                 now: datetime | None = None, actor: str | None = None) -> Issued:
        """The patron types the booking's code at a kiosk: its ticket, issued at once in
        the same transaction. Within the grace the ticket is an appointment (`slot_at`,
        `order_at` = the slot's start); later it is a walk-in (`late`). Refusals, each a
        CheckInRefused with a catalogue reason: unknown, other_day, cancelled, checked_in,
        early (CheckInEarly: when to come back), slowed (CheckInSlowed: too many wrong codes
        at this kiosk in a minute); IssueRefused as for any ticket (closed, the clock)."""
        code = code.strip()
        if not CODE.fullmatch(code):
            raise WrongField("code", f'a check-in code is six digits, got "{code[:40]}"')
        who = actor or (f"kiosk:{kiosk}" if kiosk else "cli")
        if kiosk is not None:
            try:
                self.settings.kiosk(kiosk)
            except KeyError:
                raise UsageError(f'unknown kiosk "{kiosk}"') from None
        if lang is not None and lang not in self.settings.site.languages:
            raise UsageError(f'language "{lang}" is not one of the site\'s languages')
        refusal: KioskError | None = None
        done: tuple[Ticket, Booking, bool] | None = None
        with self.transaction():
            moment = now or self.now()
            at = clk.iso(moment)
            trouble = self.clock_problem()
            if trouble is not None:
                self._clock_jump_once(at, trouble, who)
                refusal = IssueRefused("clock", trouble)
            else:
                refusal = self._slowed(who, moment)
            if refusal is None:
                try:
                    done = self._check_in(code, moment, kiosk, lang, who)
                except CheckInRefused as exc:  # nothing written yet: log it, and keep that
                    detail: dict[str, object] = {"reason": exc.reason}
                    if "booking" in exc.values:
                        detail["booking"] = exc.values.pop("booking")
                    self._event("check_in_refused", at, actor=who, detail=detail)
                    refusal = exc
                except IssueRefused as exc:
                    refusal = exc
        if refusal is not None:
            raise refusal
        assert done is not None
        ticket, booking, appointment = done
        issued = self.outlook(ticket)
        return replace(issued, appointment=appointment, slot=booking.slot,
                       late=not appointment)

    def _slowed(self, who: str, moment: datetime) -> CheckInSlowed | None:
        """The sixth try within a minute of five wrong codes from `who`: wait."""
        since = clk.iso(moment - timedelta(seconds=SLOW_WINDOW_S))
        marks = ", ".join("?" for _ in WRONG_REASONS)
        rows = self.conn.execute(
            "SELECT at FROM events WHERE at > ? AND kind = 'check_in_refused' AND actor = ?"
            f" AND json_extract(detail, '$.reason') IN ({marks}) ORDER BY at DESC LIMIT ?",
            (since, who, *WRONG_REASONS, WRONG_CODES)).fetchall()
        if len(rows) < WRONG_CODES:
            return None
        oldest = clk.epoch(rows[-1][0])
        wait = max(1, math.ceil(oldest + SLOW_WINDOW_S - moment.timestamp()))
        return CheckInSlowed(f"too many wrong codes at this kiosk: wait {wait} seconds,"
                             " then try again", wait_s=wait)

    def _check_in(self, code: str, moment: datetime, kiosk: str | None, lang: str | None,
                  who: str) -> tuple[Ticket, Booking, bool]:
        today = clk.local_day(moment, self.tz)
        found = self._bookings_where("code = ? AND day = ? AND state != 'cancelled'",
                                     (code, today))
        if not found:
            raise self._not_today(code, today)
        booking = found[0]
        if booking.state == "checked_in":
            ticket = self.ticket_of_booking(booking)
            label = ticket.label if ticket is not None else "?"
            raise CheckInRefused("checked_in", f"this booking is already checked in: its"
                                               f" ticket is {label}", label=label,
                                 booking=booking.id)
        slot_at = clk.epoch(booking.slot_at)
        rules = self.settings.booking
        opens = slot_at - rules.early_min * 60
        if moment.timestamp() < opens:
            back = datetime.fromtimestamp(opens, self.tz)
            raise CheckInEarly(f"too early for the slot {booking.slot}: check in from"
                               f" {_hhmm(back.time())}, or take a walk-in ticket now",
                               come_back=_hhmm(back.time()), come_back_at=clk.iso(back),
                               slot=booking.slot)
        appointment = moment.timestamp() <= slot_at + rules.late_min * 60
        self._check_service(booking.service)  # (a service taken out of config since)
        chosen = lang or booking.lang or self.settings.default_language
        token_hash = self.conn.execute("SELECT token_hash FROM bookings WHERE id = ?",
                                       (booking.id,)).fetchone()[0]
        ticket, _ = self._new_ticket(booking.service, booking.need, chosen, kiosk, who,
                                     moment, booking=booking, appointment=appointment,
                                     token_hash=token_hash)
        at = clk.iso(moment)
        checked = self._booking_returning(
            "UPDATE bookings SET state = 'checked_in', checked_in_at = ?, ticket_id = ?"
            " WHERE id = ?", (at, ticket.id, booking.id))
        self._event("checked_in", at, ticket_id=ticket.id, actor=who,
                    detail={**self._detail(checked), "label": ticket.label,
                            "appointment": appointment})
        return ticket, checked, appointment

    def _not_today(self, code: str, today: str) -> CheckInRefused:
        """Why no booking of today has this code: cancelled, another day's, or none."""
        found = self._bookings_where("code = ?", (code,))
        cancelled = [b for b in found if b.day == today and b.state == "cancelled"]
        if cancelled:
            booking = cancelled[-1]
            return CheckInRefused("cancelled", f"the booking with this code ({booking.slot})"
                                               " was cancelled", slot=booking.slot,
                                  booking=booking.id)
        others = sorted((b for b in found if b.state == "booked"),
                        key=lambda b: (b.day < today, abs((date.fromisoformat(b.day)
                                                           - date.fromisoformat(today)).days)))
        if others:
            booking = others[0]
            return CheckInRefused("other_day", f"this code is for a booking on {booking.day}"
                                               f" at {booking.slot}, not today",
                                  day=booking.day, slot=booking.slot, booking=booking.id)
        return CheckInRefused("unknown", "no booking of today has this code; check it and"
                                         " try again")
