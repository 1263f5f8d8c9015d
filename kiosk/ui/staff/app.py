"""The console's app: its store thread and follower, signing in and out, and each action
(one keystroke, guarded against a double tap) as one store verb."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import App

from kiosk import clock as clk
from kiosk import views
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.i18n import both, localized, staff_languages
from kiosk.rows import Ticket
from kiosk.store import Store
from kiosk.ui import themes
from kiosk.ui.sign_in import SignInForm
from kiosk.ui.staff.console import REPEAT_GUARD_S, ConsoleScreen, SignInScreen
from kiosk.ui.staff.dialogs import Reclass, ReclassifyDialog, TransferDialog, TransferTo
from kiosk.ui.store_thread import Fresh, StoreThread, follow, fresh_data

# -- the app -----------------------------------------------------------------------------


class StaffApp(App[None]):
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
        self.busy = False
        self._last: tuple[str, float] = ("", -1e9)

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
        try:
            names = await self.store.run(Store.staff_names)
        except Exception as exc:  # the sign-in screen still comes up and says what is wrong
            self.log.error(f"staff: cannot read the staff list: {exc!r}")
            names = []
        await self.push_screen(SignInScreen(names))

    async def on_unmount(self) -> None:
        self.follower.stop()
        self.store.close()

    def on_fresh(self, message: Fresh[views.CounterView]) -> None:
        data = fresh_data(self, message, "staff")
        if data is None:
            return
        self.view = data
        if isinstance(self.screen, ConsoleScreen):
            self.screen.show(data)

    # -- sign-in and out -------------------------------------------------------------------

    async def sign_in(self, screen: SignInForm, name: str, pin: str) -> None:
        try:
            person = await self.store.run(Store.sign_in, name, pin, self.counter.id)
        except KioskError as exc:
            screen.refused(str(exc))
            return
        except Exception as exc:  # a broken store file: a plain line, never a traceback
            self.log.error(f"staff: sign-in failed: {exc!r}")
            screen.refused(f"{type(exc).__name__}: {exc}")
            return
        self.follower.poke()
        await self.switch_screen(ConsoleScreen(person.name))

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
        except KioskError as exc:
            screen.say(str(exc), trouble=True)
        except Exception as exc:  # never a traceback on the counter's screen
            self.log.error(f"staff action {action} failed: {exc!r}")
            screen.say(f"{type(exc).__name__}: {exc}", trouble=True)
        else:
            if message:
                screen.say(message)
        finally:
            self.busy = False
            self.follower.poke()

    async def _do(self, screen: ConsoleScreen, action: str) -> str | None:
        counter = self.counter.id
        actor = screen.staff_name
        langs = self.languages
        run = self.store.run
        if action == "next":
            ticket = await run(Store.call_next, counter, actor=actor)
            if ticket is None:
                return both(langs, "staff.done_nothing")
            return both(langs, "staff.done_called", label=ticket.label)
        if action == "recall":
            ticket = await run(Store.recall, counter, actor=actor)
            return both(langs, "staff.done_recalled", label=ticket.label,
                        n=ticket.recalls, max=self.settings.queue.max_recalls)
        if action == "start":
            ticket = await run(Store.start, counter, actor=actor)
            return both(langs, "staff.done_started", label=ticket.label)
        if action == "finish":
            ticket = await run(Store.finish, counter, actor=actor)
            return both(langs, "staff.done_finished", label=ticket.label)
        if action == "no_show":
            ticket = await run(Store.no_show, counter, actor=actor)
            return both(langs, "staff.done_no_show", label=ticket.label)
        if action == "transfer":
            return await self._transfer(actor)
        if action == "reclassify":
            return await self._reclassify(actor)
        if action == "pause":
            state = (await run(Store.counter_states))[counter].state
            move = "resume" if state == "paused" else "pause"
            await run(Store.counter, counter, move, actor=actor)
            return both(langs, "staff.done_resumed" if move == "resume" else "staff.done_paused")
        if action == "sign_out":
            await run(Store.sign_out, actor, counter)
            names = await run(Store.staff_names)
            await self.switch_screen(SignInScreen(names))
            return None
        raise KioskError(f"unknown action {action}")

    async def _current(self) -> Ticket:
        current = await self.store.run(Store.current, self.counter.id)
        if current is None:
            raise KioskError(both(self.languages, "staff.no_current"))
        return current

    async def _transfer(self, actor: str) -> str | None:
        current = await self._current()
        dialog = TransferDialog(self.settings, self.languages, current.label,
                                current.service)
        choice = await self.push_screen_wait(dialog)
        if not isinstance(choice, TransferTo):
            return None
        ticket = await self.store.run(Store.transfer, current.label, choice.service,
                                      position=choice.position, actor=actor)
        return both(self.languages, "staff.done_transferred", label=ticket.label,
                    service=ticket.service,
                    position=both(self.languages, f"staff.{choice.position}"))

    async def _reclassify(self, actor: str) -> str | None:
        current = await self._current()
        choice = await self.push_screen_wait(
            ReclassifyDialog(self.settings, self.languages, current.label))
        if not isinstance(choice, Reclass):
            return None
        ticket = await self.store.run(Store.reclassify, current.label, choice.need,
                                      actor=actor)
        klass = "priority.word" if ticket.priority else "staff.regular"
        return both(self.languages, "staff.done_reclassified", label=ticket.label,
                    klass=both(self.languages, klass))


def run(settings: Settings, counter: int, *, clock: clk.Clock | None = None) -> None:
    """`kiosk staff --counter N`: the console in this terminal (or a textual-serve tab)."""
    StaffApp(settings, counter, clock=clock).run()
