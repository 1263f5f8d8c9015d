"""Named errors. Each carries one plain sentence that a screen or the command line shows as
it is; none of them should ever reach a patron as a traceback."""

from __future__ import annotations


class KioskError(Exception):
    """Base of every error the program expects and explains."""

    exit_code = 1


class ConfigError(KioskError):
    """config.toml (or a command-line argument naming config) is wrong."""

    exit_code = 2


class UsageError(KioskError):
    """A command names something that does not exist: a counter, a service, a label."""

    exit_code = 2


class WrongField(UsageError):
    """A value given for a field is malformed or not one of its choices (a date, a time
    that is no slot, an unknown need); `field` names it (the API answers 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotAllowed(KioskError):
    """The action is impossible in the current state (nothing called, recall limit...)."""


class CounterTaken(NotAllowed):
    """A console tried to sign in at a counter another console holds; `holder` is who,
    `since` when they signed in (local "HH:MM", or None)."""

    def __init__(self, holder: str, since: str | None, message: str) -> None:
        super().__init__(message)
        self.holder = holder
        self.since = since


class ConsoleGone(NotAllowed):
    """This console no longer holds its counter: `reason` "taken" (`holder` signed in
    over it) or "closed" (it was away so long that the counter was closed, or the counter
    was closed from elsewhere). It must sign in again."""

    def __init__(self, message: str, *, holder: str | None, reason: str) -> None:
        super().__init__(message)
        self.holder = holder
        self.reason = reason


class TicketMoved(NotAllowed):
    """A console's verb named a ticket the counter no longer has (another console or the
    command line acted first): nothing was done; `have` is what the counter has now."""

    def __init__(self, message: str, *, have: str | None) -> None:
        super().__init__(message)
        self.have = have


class IssueRefused(KioskError):
    """No ticket can be issued now; `reason` is a catalogue key the kiosk shows and speaks."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BookingRefused(NotAllowed):
    """A booking cannot be made or changed: `reason` is a catalogue key under
    `booking.refused` (full, past, closed_day, too_far, cancelled, checked_in, ended) that the
    booking page says; the message says it for staff and the API."""

    def __init__(self, reason: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


class CheckInRefused(NotAllowed):
    """A check-in code was not taken: `reason` is a catalogue key under `checkin.refused`
    (unknown, other_day, cancelled, checked_in, early, slowed) and `values` fill it in."""

    def __init__(self, reason: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values


class CheckInEarly(CheckInRefused):
    """Too early for the slot: `come_back` is the local "HH:MM" from which the code is
    taken (`come_back_at` in UTC ISO); the patron may take a walk-in ticket instead."""

    def __init__(self, message: str, *, come_back: str, come_back_at: str, slot: str) -> None:
        super().__init__("early", message, time=come_back, slot=slot)
        self.come_back = come_back
        self.come_back_at = come_back_at


class CheckInSlowed(CheckInRefused):
    """Too many wrong codes at this kiosk within a minute: no code is tried for `wait_s`
    seconds (guessing a code takes too long to be worth it)."""

    def __init__(self, message: str, *, wait_s: int) -> None:
        super().__init__("slowed", message, seconds=wait_s)
        self.wait_s = wait_s


class StoreBusy(KioskError):
    """The store file stayed locked by another writer for longer than the busy timeout."""


class StoreFault(KioskError):
    """The store file or its disk failed (full, read-only, damaged, gone); `kind` says
    which (kiosk.store.faults), the message says where and what to do."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class PinError(KioskError):
    """Sign-in failed: wrong PIN or locked out."""


class PrinterError(KioskError):
    """The printer could not print; the ticket stays valid."""


class SpeechError(KioskError):
    """Synthesis or playback failed."""
