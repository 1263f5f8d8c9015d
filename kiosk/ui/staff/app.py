"""The console's app: its store thread and follower, signing in and out, and each action
(one keystroke, guarded against a double tap) as one store verb.

One counter, one console: signing in takes a fresh session key, and every verb carries it
with the ticket the console shows (kiosk.store.counters). A second console is refused with
the holder's name, or takes over after a confirmation; the console whose counter was taken
over or closed goes back to the sign-in form and says why. Every CONSOLE_BEAT_S the console
tells the store it is there; the screen locks after `[web] idle_lock_min` (kiosk.ui.idle_lock).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from textual.app import App

from kiosk import clock as clk
from kiosk import views
from kiosk.config import Settings
from kiosk.exceptions import ConsoleGone, CounterTaken, KioskError, TicketMoved
from kiosk.host import logs
from kiosk.i18n import both, localized, staff_languages, t
from kiosk.store import CONSOLE_BEAT_S, Store, new_session
from kiosk.ui import themes
from kiosk.ui.idle_lock import IdleLock
from kiosk.ui.sign_in import SignInForm
from kiosk.ui.staff.console import (
    ACTIONS,
    REPEAT_GUARD_S,
    ConsoleScreen,
    SignInScreen,
    StaffLockScreen,
)
from kiosk.ui.staff.dialogs import (
    PauseDialog,
    PauseFor,
    Reclass,
    ReclassifyDialog,
    RequeueDialog,
    RequeueTo,
    TakeOverDialog,
    TransferDialog,
    TransferTo,
)
from kiosk.ui.store_thread import Fresh, StoreThread, follow, fresh_data

log = logging.getLogger("kiosk.staff")
"""Records go to the screen's log file (kiosk.host.logs.setup): Textual's own
`self.log` reaches only a connected devtools console, so nothing would be kept."""

# -- the app -----------------------------------------------------------------------------


class StaffApp(IdleLock, App[None]):
    """The counter console. `clock` is the store's clock (tests: a ManualClock)."""

    CSS_PATH = "staff.tcss"
    TITLE = "kiosk staff"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        counter: int,
        *,
        clock: clk.Clock | None = None,
        poll_s: float = 0.1,
        every_s: float = 2.0,
        repeat_guard_s: float = REPEAT_GUARD_S,
        monotonic: Callable[[], float] = time.monotonic,
        beat_s: float = CONSOLE_BEAT_S,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.counter = settings.counter(counter)
        self.languages = staff_languages(settings)
        self.clock: clk.Clock = clock or clk.SystemClock()
        self.repeat_guard_s = repeat_guard_s
        self.monotonic = monotonic
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = themes.CONTRAST
        self.store = StoreThread(settings, self.clock, name="kiosk-staff-store")
        self.follower = follow(self, settings, self.clock,
                               lambda store: views.counter(store, self.counter.id),
                               poll_s=poll_s, every_s=every_s, name="kiosk-staff-follower")
        self.view: views.CounterView | None = None
        self.store_error: str | None = None
        """Why the follower cannot read the store now (None: it can)."""
        self.busy = False
        self._last: tuple[str, float] = ("", -1e9)
        self.session: str | None = None
        """This console's key while signed in (kiosk.store.counters: one console per
        counter); None on the sign-in form."""
        self.beat_s = beat_s
        self.idle_lock_s = settings.web.idle_lock_min * 60.0
        self.last_gone: str | None = None
        """The last ticket this console marked a no-show: what `b` offers to put back."""

    @property
    def counter_name(self) -> str:
        return localized(self.counter.name, self.languages, sep=" · ")

    def header_text(self) -> str:
        services = ", ".join(
            f"{p} {self.settings.service(p).name[self.languages[0]]}"
            for p in self.counter.services
        )
        return f"{self.counter_name}\n{both(self.languages, 'staff.services')}: {services}"

    async def on_mount(self) -> None:
        self.follower.start()
        self.start_idle_lock()
        if self.beat_s > 0:
            self.set_interval(self.beat_s, self.beat)
        # No names are offered: a counter PC is in reach of patrons, and a list of accounts
        # (an admin's among them) is half of what a guess needs.
        await self.push_screen(SignInScreen())

    def beat(self) -> None:
        """Tell the store this console is still there (and let it close counters whose
        console has gone). Not while signed out."""
        if self.session is not None:
            self.run_worker(self._beat(self.session), group="beat", exclusive=True)

    async def _beat(self, session: str) -> None:
        try:
            await self.store.run(Store.console_beat, self.counter.id, session)
        except ConsoleGone as exc:
            if session == self.session:
                await self.signed_out(exc)
        except Exception as exc:  # a busy or broken store: the next beat tries again
            log.error(f"staff: heartbeat failed: {exc!r}")

    def fault_sentence(self, what_key: str) -> str:
        """What staff read when a step fails on a fault in the program: what did not work,
        in their words, and which file has the details (never an exception's name)."""
        log_file = logs.where(self.settings, f"staff-{self.counter.id}")
        return " / ".join(dict.fromkeys(
            t(lang, "staff.failed", what=t(lang, what_key), log=log_file)
            for lang in self.languages))

    async def signed_out(self, gone: ConsoleGone) -> None:
        """This console lost its counter: back to the sign-in form, saying why."""
        self.session = None
        langs = self.languages
        notice = (both(langs, "staff.signed_out_taken", name=gone.holder)
                  if gone.reason == "taken" and gone.holder
                  else both(langs, "staff.signed_out_closed"))
        while len(self.screen_stack) > 2:  # a dialog or the lock over the console
            self.pop_screen()
        await self.switch_screen(SignInScreen(notice=notice))
        self.follower.poke()

    def lock_screen(self) -> StaffLockScreen | None:
        screen = self.screen
        if self.session is None or not isinstance(screen, ConsoleScreen):
            return None
        return StaffLockScreen(fixed_name=screen.staff_name)

    async def on_unmount(self) -> None:
        self.follower.stop()
        if self.session is not None:  # the console closes: its counter is not left open
            try:
                await self.store.run(Store.console_left, self.counter.id, self.session)
            except Exception as exc:  # never keep the app from closing
                log.error(f"staff: closing the counter on exit failed: {exc!r}")
        self.store.close()

    def on_fresh(self, message: Fresh[views.CounterView]) -> None:
        data = fresh_data(self, message, "staff")
        if not self.is_running:
            return
        self._store_state(message.error)
        if data is None:
            return
        self.view = data
        if isinstance(self.screen, ConsoleScreen):
            self.screen.show(data)

    def _store_state(self, error: str | None) -> None:
        """Say on the console when the store stops (and starts again) being readable: what
        it shows meanwhile may be old, and its keys fail with the same sentence."""
        was, self.store_error = self.store_error, error
        screen = self.screen
        if error == was or not isinstance(screen, ConsoleScreen):
            return
        if error is not None:
            screen.say(both(self.languages, "staff.store_trouble", error=error), trouble=True)
        else:
            screen.say(both(self.languages, "staff.store_back"))

    # -- sign-in and out -------------------------------------------------------------------

    async def sign_in(self, screen: SignInForm, name: str, pin: str) -> None:
        if isinstance(screen, StaffLockScreen):
            await self._unlock(screen, name, pin)
            return
        session = new_session()
        try:
            try:
                person = await self.store.run(Store.sign_in, name, pin, self.counter.id,
                                              session=session)
            except CounterTaken as taken:
                if not await self._confirm_take_over(taken):
                    screen.refused(str(taken))
                    return
                person = await self.store.run(Store.sign_in, name, pin, self.counter.id,
                                              session=session, take_over=True)
        except KioskError as exc:
            screen.refused(str(exc))
            return
        except Exception:  # a broken store file: a plain line, never a traceback
            log.exception("staff: sign-in failed")
            screen.refused(self.fault_sentence("staff.sign_in"))
            return
        self.session = session
        self.follower.poke()
        await self.switch_screen(ConsoleScreen(person.name))

    async def _confirm_take_over(self, taken: CounterTaken) -> bool:
        since = (both(self.languages, "staff.taken_since", time=taken.since)
                 if taken.since else "")
        answer = await self.push_screen_wait(
            TakeOverDialog(self.languages, taken.holder, since))
        return bool(answer)

    async def _unlock(self, screen: SignInForm, name: str, pin: str) -> None:
        try:
            await self.store.run(Store.verify_pin, name, pin, counter=self.counter.id)
        except KioskError as exc:
            screen.refused(str(exc))
            return
        except Exception:
            log.exception("staff: unlock failed")
            screen.refused(self.fault_sentence("staff.unlock"))
            return
        self.unlocked(screen)

    # -- actions ---------------------------------------------------------------------------

    def act(self, screen: ConsoleScreen, action: str) -> None:
        now = self.monotonic()
        last_action, last_at = self._last
        if self.busy or (action == last_action and now - last_at < self.repeat_guard_s):
            return
        self._last = (action, now)
        self.busy = True
        self.run_worker(self._act(screen, action), group="act")

    async def _act(self, screen: ConsoleScreen, action: str) -> None:
        try:
            message = await self._do(screen, action)
        except ConsoleGone as exc:
            await self.signed_out(exc)
            return
        except TicketMoved as exc:
            have = exc.have or both(self.languages, "staff.moved_nothing")
            screen.say(both(self.languages, "staff.moved", have=have), trouble=True)
        except KioskError as exc:
            screen.say(str(exc), trouble=True)
        except Exception:  # never a traceback on the counter's screen
            log.exception(f"staff action {action} failed")
            label = next(key for _k, act, key in ACTIONS if act == action)
            screen.say(self.fault_sentence(label), trouble=True)
        else:
            if message:
                screen.say(message)
        finally:
            self.busy = False
            self.follower.poke()

    def shown(self) -> str | None:
        """The ticket this console shows now (what its verbs expect the counter to have)."""
        return self.view.current.label if self.view and self.view.current else None

    async def _do(self, screen: ConsoleScreen, action: str) -> str | None:
        counter = self.counter.id
        langs = self.languages
        run = self.store.run
        mine = {"actor": screen.staff_name, "session": self.session}
        if action in ("next", "recall", "start", "finish", "no_show"):
            verb = {"next": Store.call_next, "recall": Store.recall, "start": Store.start,
                    "finish": Store.finish, "no_show": Store.no_show}[action]
            ticket = await run(verb, counter, expect=self.shown(), **mine)
            if action == "next":
                if ticket is None:
                    return both(langs, "staff.done_nothing")
                return both(langs, "staff.done_called", label=ticket.label)
            assert ticket is not None
            if action == "recall":
                return both(langs, "staff.done_recalled", label=ticket.label,
                            n=ticket.recalls, max=self.settings.queue.max_recalls)
            if action == "start":
                return both(langs, "staff.done_started", label=ticket.label)
            if action == "finish":
                return both(langs, "staff.done_finished", label=ticket.label)
            self.last_gone = ticket.label
            return both(langs, "staff.done_no_show", label=ticket.label)
        if action == "rate":
            return await self._offer_rating()
        if action == "transfer":
            return await self._transfer(mine)
        if action == "reclassify":
            return await self._reclassify(mine)
        if action == "requeue":
            return await self._requeue(mine)
        if action == "pause":
            state = (await run(Store.counter_states))[counter].state
            if state == "paused":
                await run(Store.counter, counter, "resume", **mine)
                return both(langs, "staff.done_resumed")
            if state != "open":  # the store says why not (or that this console is out)
                await run(Store.counter, counter, "pause", **mine)
            choice = await self.push_screen_wait(PauseDialog(self.languages))
            if not isinstance(choice, PauseFor):
                return None
            await run(Store.counter, counter, "pause", minutes=choice.minutes, **mine)
            return both(langs, "staff.done_paused")
        if action == "sign_out":
            await run(Store.sign_out, screen.staff_name, counter, session=self.session)
            self.session = None
            await self.switch_screen(SignInScreen())
            return None
        raise KioskError(f"unknown action {action}")

    def _shown_or_refuse(self) -> str:
        label = self.shown()
        if label is None:
            raise KioskError(both(self.languages, "staff.no_current"))
        return label

    async def _offer_rating(self) -> str:
        """`a`: the rating tablet facing the patron asks by itself about the ticket just
        finished here; the key tells staff whether it is asking (and about which ticket) or
        why not. Nothing is written: the rating is the patron's own tap."""
        langs = self.languages
        rating = await self.store.run(views.rate, self.counter.id)
        if not rating.enabled:
            raise KioskError(both(langs, "rate.off"))
        if rating.label is None:
            raise KioskError(both(langs, "rate.offer_nothing",
                                  minutes=self.settings.survey.rate_window_min))
        return both(langs, "rate.offered", label=rating.label)

    async def _transfer(self, mine: dict[str, str | None]) -> str | None:
        label = self._shown_or_refuse()
        assert self.view is not None and self.view.current is not None
        dialog = TransferDialog(self.settings, self.languages, label,
                                self.view.current.service)
        choice = await self.push_screen_wait(dialog)
        if not isinstance(choice, TransferTo):
            return None
        ticket = await self.store.run(Store.transfer, label, choice.service,
                                      position=choice.position, counter=self.counter.id,
                                      **mine)
        return both(self.languages, "staff.done_transferred", label=ticket.label,
                    service=ticket.service,
                    position=both(self.languages, f"staff.{choice.position}"))

    async def _reclassify(self, mine: dict[str, str | None]) -> str | None:
        label = self._shown_or_refuse()
        choice = await self.push_screen_wait(
            ReclassifyDialog(self.settings, self.languages, label))
        if not isinstance(choice, Reclass):
            return None
        ticket = await self.store.run(Store.reclassify, label, choice.need,
                                      counter=self.counter.id, **mine)
        klass = "priority.word" if ticket.priority else "staff.regular"
        return both(self.languages, "staff.done_reclassified", label=ticket.label,
                    klass=both(self.languages, klass))

    async def _requeue(self, mine: dict[str, str | None]) -> str | None:
        choice = await self.push_screen_wait(
            RequeueDialog(self.languages, self.last_gone or ""))
        if not isinstance(choice, RequeueTo):
            return None
        ticket = await self.store.run(Store.requeue, choice.label, position=choice.position,
                                      counter=self.counter.id, **mine)
        if ticket.label == self.last_gone:
            self.last_gone = None
        return both(self.languages, "staff.done_requeued", label=ticket.label,
                    service=ticket.service,
                    position=both(self.languages, f"staff.{choice.position}"))


def run(settings: Settings, counter: int, *, clock: clk.Clock | None = None) -> None:
    """`kiosk staff --counter N`: the console in this terminal (or a textual-serve tab)."""
    StaffApp(settings, counter, clock=clock).run()
