"""The patron kiosk's app: start-up, the screens' stack, time and input, speech, printing,
the staff gesture. What each screen shows is in its own module beside this one."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.app import App, ScreenStackError
from textual.screen import Screen

from kiosk import clock as clk
from kiosk import views
from kiosk.config import Service, Settings
from kiosk.exceptions import (
    CheckInEarly,
    CheckInRefused,
    CheckInSlowed,
    IssueRefused,
    KioskError,
    StoreFault,
)
from kiosk.host import notify
from kiosk.host.notify import Notifier
from kiosk.i18n import other_language, refusal_text, t
from kiosk.ui import themes
from kiosk.ui.blocks import bitmap
from kiosk.ui.latency import GcHold, freeze_startup, thaw, tidy_memory
from kiosk.ui.patron.base import (
    EXIT_LOCK_S,
    EXIT_TRIES,
    STAFF_TAPS,
    STAFF_WINDOW_S,
    STORE_MIN_REST_S,
    STORE_REST_S,
    TICK_S,
    KioskScreen,
    Press,
    Spoken,
)
from kiosk.ui.patron.checkin import CheckInScreen
from kiosk.ui.patron.devices import default_printer, default_voice
from kiosk.ui.patron.more_time import MoreTimeScreen
from kiosk.ui.patron.priority import PriorityScreen
from kiosk.ui.patron.staff_exit import StaffScreen
from kiosk.ui.patron.ticket import TicketScreen
from kiosk.ui.patron.welcome import WelcomeScreen
from kiosk.ui.patron.widgets import Choice

log = logging.getLogger("kiosk.patron")
"""Records go to the screen's log file (kiosk.host.logs.setup): Textual's own
`self.log` reaches only a connected devtools console, so nothing would be kept."""

if TYPE_CHECKING:
    from kiosk.rows import Issued
    from kiosk.store import Store

T = TypeVar("T")

# -- the app -----------------------------------------------------------------------------

_DEFAULT: Any = object()


class PatronApp(App[None], inherit_bindings=False):
    """The kiosk. Store, printer and voice are arguments so tests can pass fakes."""

    CSS_PATH = "patron.tcss"
    TITLE = "kiosk"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    AUTO_FOCUS = None  # no ring until the patron uses Tab or the arrows
    # The layout's classes (patron.tcss): one column of choices on a portrait screen, the
    # toolbar in two rows on a narrow one, less spacing on a low one.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"), (76, "-medium"), (100, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-short"), (26, "-low"), (36, "-tall")]
    BINDINGS: ClassVar[list[Any]] = []  # and inherit_bindings=False: no quit key

    def __init__(
        self,
        settings: Settings,
        kiosk_id: str | None = None,
        *,
        store: Store | None = None,
        printer: Any = _DEFAULT,
        voice: Any = None,
        monotonic: Callable[[], float] = time.monotonic,
        poll_s: float = 2.0,
        notifier: Notifier | None = None,
    ) -> None:
        super().__init__()
        self.notifier = notifier or Notifier({})
        """systemd's line on a console kiosk: ready once the welcome can take a ticket, the
        watchdog pinged by the tick (a frozen kiosk stops pinging and is restarted)."""
        # Lockdown: whatever $TEXTUAL says, no devtools connection and no debug mode.
        self.features = frozenset(self.features - {"devtools", "debug"})
        self.devtools = None
        self._devtools_redirector = None
        self.settings = settings
        self.kiosk_id = settings.kiosk(kiosk_id).id
        self._own_store = store is None
        self.store: Store = store  # type: ignore[assignment]  # opened in on_mount if None
        self.printer = default_printer(settings, self.kiosk_id) if printer is _DEFAULT else (
            printer)
        self.voice = voice if voice is not None else default_voice(settings, self.kiosk_id)
        if hasattr(self.voice, "on_state"):  # a kiosk that cannot speak is shown to staff
            self.voice.on_state = self._voice_state
        self.monotonic = monotonic
        self.poll_s = poll_s
        self.lang = settings.default_language
        self.default_theme = themes.BY_SETTING[settings.patron.theme]
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = self.default_theme
        self.trouble = views.Trouble()
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-store")
        self._shown_at = monotonic()
        self._guard_until = 0.0
        self._pressed: Press | None = None
        """The last input acted on."""
        self._changed_by: Press | None = None
        """The input acted on before the screen last changed (the repeat guard's)."""
        self._last_input = monotonic()
        self._heard_at = 0.0
        """When the kiosk was last heard speaking: a screen's time counts from the later of
        this and the last input, so nobody is timed out while still listening."""
        self._hint_at = 0.0
        self._hinting = False
        """The voice is saying the idle hint (which keeps no screen's time from running)."""
        self._staff_taps: list[float] = []
        self._store_fault_until = 0.0
        """Until then the welcome screen says tickets cannot be made (a store fault)."""
        self._store_fault_kind: str | None = None
        self._exit_failures = 0
        """Wrong PINs in a row at the kiosk's exit (its own count: no account's)."""
        self._exit_locked_until = 0.0
        self._starting = True
        self._adjusted = False
        """The patron changed language, theme or volume: undo it for the next one."""
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ticket_screen = TicketScreen()
        """Built once (see `_prepare_ticket_screen`), filled in for each ticket; installed,
        so leaving it keeps it for the next patron."""
        self.install_screen(self.ticket_screen, "ticket")
        self._gc = GcHold()
        """Held from the final touch to the frame with the number (kiosk.ui.latency)."""

    # lifecycle -------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.printer is not None:
            self.printer.start()
        # Textual draws nothing until on_mount returns (its start-up is one batch update), so
        # only the welcome screen is pushed here. Opening the store (its imports and file are
        # the slow part of a cold start), reading the trouble and building the ticket screen
        # follow once that frame is out; then the welcome speaks, trouble included, and
        # input counts.
        self._starting = True
        welcome = WelcomeScreen()
        await self.push_screen(welcome)
        self.call_after_refresh(self._begin_start_up, welcome)

    def _begin_start_up(self, welcome: WelcomeScreen) -> None:
        self.run_worker(self._start_up(welcome), group="start")

    async def _start_up(self, welcome: WelcomeScreen) -> None:
        if self.store is None:
            self.store = await self.in_store(_open_store, self.settings)
        await self.refresh_trouble(speak=False)
        welcome.show_trouble()
        await self._prepare_ticket_screen(welcome)
        # What exists now lives as long as the kiosk: keep it out of the collector's walks.
        freeze_startup()
        self._starting = False
        if self.screen is welcome:
            self.screen_shown(welcome)
        self.set_interval(TICK_S, self._tick)
        self.set_interval(self.poll_s, self._poll)
        self.notifier.ready(f"kiosk {self.kiosk_id} ready")

    async def _prepare_ticket_screen(self, welcome: WelcomeScreen) -> None:
        """Compose and mount the ticket screen once, unseen (no frame is drawn while it is
        on top), and load what a first ticket would otherwise load on the patron's touch:
        the block letters' font and the spoken-number words."""
        from kiosk.speech.phrases import (
            spoken_label,  # num2words: a slow import, kept off the start
        )

        spoken_label("A1", self.lang, self.settings.speech.numbers)
        bitmap("A001")
        ticket = self.ticket_screen
        if ticket.is_running or self.screen is not welcome:
            return  # a patron was quicker: it is built on first use
        with self.batch_update():
            await self.push_screen(ticket)
            await self.pop_screen()
        # The welcome screen's resume (queued by the pop) is handled before this returns.
        await welcome.wait_for_refresh()

    async def on_unmount(self) -> None:
        self._gc.release()
        thaw()
        if self.printer is not None:
            self.printer.stop()
        self.voice.stop()
        self.voice.close()
        self._db.shutdown(wait=True)
        if self._own_store and self.store is not None:
            self.store.close()

    async def in_store(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call on the store's own thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))

    # time and input --------------------------------------------------------------------

    def screen_shown(self, screen: KioskScreen) -> None:
        if self._starting:
            return  # on_mount speaks once the store has been read
        now = self.monotonic()
        self._shown_at = now
        self._guard_until = now + self.settings.patron.input_guard_s
        self._changed_by, self._pressed = self._pressed, None
        self._last_input = now
        # Speech, printing and tidying wait for the frame: on two cores an espeak-ng
        # synthesis or a print job started now would delay the screen the patron waits for.
        self.call_after_refresh(self._screen_drawn, screen)

    def _screen_drawn(self, screen: KioskScreen) -> None:
        self._gc.release()
        if self._top() is not screen:
            return
        self.speak(screen)
        if isinstance(screen, WelcomeScreen):
            tidy_memory()
        screen.after_drawn()

    def since_shown(self) -> float:
        return self.monotonic() - self._shown_at

    def accept_input(self, press: Press | None = None) -> bool:
        """False while starting (no store yet), during the guard after a screen change, and
        for `press` when it repeats the press that changed the screen within
        `[patron] repeat_guard_s` (a trembling hand's second press must not answer a
        question before it has been heard); otherwise marks the patron active."""
        now = self.monotonic()
        if self._starting or now < self._guard_until:
            return False
        repeat_s = self.settings.patron.repeat_guard_s
        if (press is not None and press.same_as(self._changed_by)
                and now - self._shown_at < repeat_s):
            return False
        self._pressed = press
        self.touched()
        return True

    def touched(self) -> None:
        self._last_input = self.monotonic()

    def _top(self) -> Screen[Any] | None:
        """The screen on top, or None once shutting down has emptied the stack (a timer or a
        printer's answer may still arrive then)."""
        try:
            return self.screen
        except ScreenStackError:
            return None

    def _tick(self) -> None:
        self.notifier.alive()
        screen = self._top()
        if not isinstance(screen, KioskScreen):
            return
        now = self.monotonic()
        if self.voice.speaking and not self._hinting:
            self._heard_at = now
        self._hint(screen, now)
        due = screen.deadline()
        if due is None:
            return
        left = due[0] - (now - max(self._last_input, self._heard_at))
        if left <= 0:
            self._last_input = now
            due[1]()
        else:
            screen.tick(left)

    async def _poll(self) -> None:
        await self._follow_headset()
        if isinstance(self._top(), WelcomeScreen):
            await self.refresh_trouble(speak=True)

    async def _follow_headset(self) -> None:
        """A headset plugged in takes every prompt (the lobby speaker goes quiet) and says
        so in it; pulled out, the speaker takes over again and says so."""
        voice = self.voice
        if getattr(voice, "headset", None) is None:
            return
        plugged = await asyncio.get_running_loop().run_in_executor(None, voice.headset_plugged)
        if plugged == voice.private:
            return
        voice.private = plugged
        self.say([t(self.lang, "common.headset_on" if plugged else "common.headset_off")])
        screen = self._top()
        if plugged and isinstance(screen, KioskScreen):
            self.say_after(screen.speech())

    async def _end_rest_if_put_right(self) -> None:
        """A full or read-only disk or a removed file, once put right, ends the rest at the
        first poll after STORE_MIN_REST_S instead of after STORE_REST_S (seen without
        writing: Store.write_fault; not at once, in case the probe sees room that a write
        still lacks)."""
        from kiosk.store.faults import PROBED  # the store's modules load after the first frame

        now = self.monotonic()
        if (now >= self._store_fault_until or self._store_fault_kind not in PROBED
                or now < self._store_fault_until - STORE_REST_S + STORE_MIN_REST_S):
            return
        try:
            fault = await self.in_store(self.store.write_fault)
        except Exception as exc:
            log.error(f"store probe failed: {exc}")
            return
        if fault is None:
            log.info("the store can be written again")
            self._store_fault_until = 0.0

    async def refresh_trouble(self, *, speak: bool = True) -> None:
        """Re-read what stands in the way of a ticket; show (and say) what changed."""
        state = self.printer.state() if self.printer is not None else None
        try:
            trouble = await self.in_store(views.trouble, self.store, state)
        except Exception as exc:  # a locked or broken store must not take the screen down
            log.error(f"trouble check failed: {exc}")
            trouble = views.Trouble(printer=self.trouble.printer)
            self._store_fault_until = self.monotonic() + STORE_REST_S
            self._store_fault_kind = getattr(exc, "kind", None)
        else:
            await self._end_rest_if_put_right()
        if trouble.issuing is None and self.monotonic() < self._store_fault_until:
            trouble = dataclasses.replace(trouble, issuing="store")
        if trouble == self.trouble:
            return
        new = set(trouble.messages(self.settings, self.lang)) - set(
            self.trouble.messages(self.settings, self.lang))
        self.trouble = trouble
        # The welcome screen shows it even under another (a check-in told "closed" goes
        # back to a welcome screen that says so).
        welcome = next((s for s in self.screen_stack if isinstance(s, WelcomeScreen)), None)
        if welcome is not None:
            welcome.show_trouble()
            if speak and new and self.screen is welcome:
                self.say(sorted(new))

    # speech ----------------------------------------------------------------------------

    def _voice_state(self, state: str, detail: str | None) -> None:
        """From the voice's thread: its state into the `voice:ID` devices row, on the store's
        own thread (the console, the admin's Today and `kiosk status` show it)."""
        def write() -> None:
            if self.store is not None:
                self.store.set_device(f"voice:{self.kiosk_id}", "voice", state,
                                      (detail or "")[:200] or None)

        try:
            self._db.submit(write)
        except RuntimeError:  # the kiosk is closing
            pass

    def say(self, parts: Iterable[Spoken]) -> None:
        """Speak now, cutting off what was being said: each part in the language on screen,
        or in its own where a part is (text, language)."""
        self._hinting = False
        self.voice.say_many([self._part(part) for part in parts])

    def say_after(self, parts: Iterable[Spoken]) -> None:
        """Speak once what is being said now has ended."""
        self._hinting = False
        self.voice.say_after([self._part(part) for part in parts])

    HINT_QUIETER = 2
    """The idle hint is this many volume steps below the patron's level (6 dB)."""

    def _hint(self, screen: KioskScreen, now: float) -> None:
        """While the welcome screen waits (and the kiosk is open), every `voice_hint_s` of
        silence a short, quiet "Tekan 0 untuk panduan suara / Press 0 for voice guidance",
        each in its own voice: nothing else tells a blind patron that this kiosk speaks."""
        every = self.settings.patron.voice_hint_s
        if (not every or not isinstance(screen, WelcomeScreen) or self.voice.speaking
                or self.trouble.issuing in ("closed", "closed_day")
                or now - max(self._last_input, self._heard_at, self._hint_at) < every):
            return
        langs = dict.fromkeys([self.lang, *self.settings.site.languages])
        self.voice.say_many([(t(lang, "welcome.voice_hint"), lang) for lang in langs],
                            step=self.voice.volume - self.HINT_QUIETER)
        self._hinting = True
        self._hint_at = now

    def _part(self, part: Spoken) -> tuple[str, str]:
        return (part, self.lang) if isinstance(part, str) else part

    def speak(self, screen: KioskScreen) -> None:
        parts = screen.speech()
        if parts:
            self.say(parts)

    def after_focus_move(self) -> None:
        self.call_after_refresh(self._say_focused)

    def _say_focused(self) -> None:
        focused = self.focused
        if isinstance(focused, Choice):
            self.voice.stop()
            self.say([focused.spoken])

    # patron actions --------------------------------------------------------------------

    def switch_language(self) -> None:
        self._adjusted = True
        self.lang = other_language(self.settings.site.languages, self.lang)
        self.run_worker(self._recompose_and_speak(), group="language")

    async def _recompose_and_speak(self) -> None:
        screen = self.screen
        if isinstance(screen, KioskScreen):
            await screen.recompose()
            if isinstance(screen, WelcomeScreen):
                screen.show_trouble()
            if isinstance(screen, TicketScreen):
                screen.show_print_state()
            if isinstance(screen, CheckInScreen):
                screen.show_state()
            self.speak(screen)

    def toggle_contrast(self) -> None:
        self._adjusted = True
        high = self.theme != themes.HIGH_CONTRAST
        self.theme = themes.HIGH_CONTRAST if high else themes.CONTRAST
        self.say([t(self.lang, "common.contrast_on" if high else "common.contrast_off")])

    def new_patron(self, *, speak: bool = True) -> None:
        """Back to welcome with everything as the next patron expects it."""
        if not self._adjusted and isinstance(self.screen, WelcomeScreen):
            return
        self._adjusted = False
        self.voice.stop()
        self.voice.reset_volume()
        self.lang = self.settings.default_language
        self.theme = self.default_theme
        # Leaving another screen makes the welcome screen speak as it appears; an idle reset
        # on the welcome screen itself (speak=False) only redraws it.
        self.run_worker(self._back_to_welcome(), group="reset", exclusive=True)

    async def _back_to_welcome(self) -> None:
        """Redraw the welcome screen in the (reset) language, then drop what is above it;
        the welcome screen speaks as it appears again."""
        welcome = self.screen_stack[1] if len(self.screen_stack) > 1 else None
        if isinstance(welcome, WelcomeScreen):
            await welcome.recompose()
            welcome.show_trouble()
        while len(self.screen_stack) > 2:
            await self.pop_screen()

    def ask_more_time(self) -> None:
        self.push_screen(MoreTimeScreen())

    def walk_in(self, service: Service | None) -> None:
        """A walk-in ticket for `service` (a choice on the welcome screen, or an early
        booked patron's "take a walk-in ticket now"): what stands in the way said, else
        the priority question, or the ticket at once where the site has no needs. The
        question takes the place of a check-in screen, so its back key leads to the
        welcome screen. No service (the booking could not be read again): the welcome."""
        if service is None:
            self.run_worker(self._back_to_welcome(), group="reset", exclusive=True)
        elif self.trouble.issuing is not None:
            self.say(self.trouble.messages(self.settings, self.lang))
        elif service.prefix in self.trouble.sold_out:
            self.say([t(self.lang, "trouble.quota")])
        elif not self.settings.needs:
            self.issue(service, None)
        elif isinstance(self.screen, CheckInScreen):
            self.switch_screen(PriorityScreen(service))
        else:
            self.push_screen(PriorityScreen(service))

    def issue(self, service: Service, need: str | None) -> None:
        self._gc.hold()
        self.run_worker(self._issue(service, need), group="issue")

    async def _issue(self, service: Service, need: str | None) -> None:
        try:
            issued = await self.in_store(self.store.issue, service.prefix, need,
                                         lang=self.lang, kiosk=self.kiosk_id)
        except IssueRefused:
            # Things changed since the welcome screen last looked: read them again, then go
            # back, where the welcome screen shows and says the reason.
            self._gc.release()
            await self.refresh_trouble(speak=False)
            await self._back_to_welcome()
            return
        except BaseException as exc:
            await self._failed(exc, "issue")
            return
        await self._show_ticket(issued, service)

    async def _failed(self, exc: BaseException, what: str) -> None:
        """A ticket or a check-in that failed for another reason than a refusal: back to
        the welcome screen. A store that cannot take a ticket (disk full, read-only,
        damaged...) made nothing: the welcome screen says so in the patron's words and asks
        them to see staff; the kiosk stays up and offers tickets again after STORE_REST_S.
        Anything that is not a KioskError is a fault of the program (or a cancel): it rises."""
        self._gc.release()
        if not isinstance(exc, KioskError):
            raise exc
        log.error(f"{what} failed: {exc}")
        if isinstance(exc, StoreFault):
            self._store_fault_until = self.monotonic() + STORE_REST_S
            self._store_fault_kind = exc.kind
            await self.refresh_trouble(speak=True)
        await self._back_to_welcome()

    async def _show_ticket(self, issued: Issued, service: Service) -> None:
        """The ticket screen filled in, in place of the question or the code that led to it
        (so Done and the timeout find the welcome screen under it)."""
        screen = self.ticket_screen
        screen.show(issued, service, "none" if self.printer is None else "printing")
        if isinstance(self.screen, PriorityScreen | CheckInScreen):
            await self.switch_screen(screen)
        else:
            await self.push_screen(screen)
        # It speaks, prints (TicketScreen.after_drawn) and lets the collector run again
        # once this frame is drawn (_screen_drawn).

    def check_in(self, screen: CheckInScreen, code: str) -> None:
        """A booking's code typed in full: its ticket, or the screen told why not."""
        self._gc.hold()
        self.run_worker(self._check_in(screen, code), group="issue")

    async def _check_in(self, screen: CheckInScreen, code: str) -> None:
        try:
            issued = await self.in_store(self.store.check_in, code, kiosk=self.kiosk_id,
                                         lang=self.lang)
        except CheckInRefused as exc:
            self._gc.release()
            if isinstance(exc, CheckInSlowed):
                screen.slowed(exc.wait_s)
            elif isinstance(exc, CheckInEarly):
                service = await self._booked_service(code)
                screen.too_early(_refusal_words(exc), service)
            else:
                screen.refused(_refusal_words(exc))
            return
        except IssueRefused as exc:
            # Closed, the clock, or (a late code: a walk-in) the last ticket or the quota:
            # the welcome screen's sentence for it, said here where the patron is.
            self._gc.release()
            await self.refresh_trouble(speak=False)
            screen.refused(self._issue_refusal_words(exc))
            return
        except BaseException as exc:
            await self._failed(exc, "check-in")
            return
        await self._show_ticket(issued, self.settings.service(issued.ticket.service))

    async def _booked_service(self, code: str) -> Service | None:
        """The service of today's booking with this code (an early patron may take a
        walk-in ticket for it; CheckInEarly names only the times)."""
        try:
            bookings = await self.in_store(self.store.bookings)
        except KioskError as exc:
            log.error(f"bookings not read: {exc}")
            return None
        for booking in bookings:
            if booking.code == code and booking.state == "booked":
                try:
                    return self.settings.service(booking.service)
                except KeyError:
                    return None
        return None

    def _issue_refusal_words(self, exc: IssueRefused) -> Callable[[str], str]:
        """An issue refusal as the welcome screen says it, in a language chosen later."""
        trouble = views.Trouble(issuing=exc.reason, day=self.trouble.day)
        return lambda lang: trouble.messages(self.settings, lang)[0]

    def print_ticket(self, screen: TicketScreen) -> None:
        if self.printer is None or screen.issued is None:
            return
        issued = screen.issued
        screen.printing = "printing"
        screen.show_print_state()
        loop = self._loop
        ticket_id = issued.ticket.id

        def done(ok: bool, reason: str | None) -> None:
            # The worker calls back on its own thread; hop onto the UI loop.
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._printed, screen, ticket_id, ok)

        self.printer.submit(issued, on_done=done)

    def _printed(self, screen: TicketScreen, ticket_id: int, ok: bool) -> None:
        # The screen is reused: an answer about an earlier patron's slip is not this one's.
        issued = screen.issued
        if (screen.is_attached and self._top() is screen and issued is not None
                and issued.ticket.id == ticket_id):
            screen.print_done(ok)

    # staff -----------------------------------------------------------------------------

    def staff_tap(self) -> None:
        if self._starting:
            return
        now = self.monotonic()
        self._staff_taps = [t0 for t0 in self._staff_taps if now - t0 <= STAFF_WINDOW_S]
        self._staff_taps.append(now)
        if len(self._staff_taps) >= STAFF_TAPS and not isinstance(self.screen, StaffScreen):
            self._staff_taps.clear()
            self.run_worker(self._open_staff(), group="staff")

    async def _open_staff(self) -> None:
        self.voice.stop()
        await self.push_screen(StaffScreen())

    def staff_exit(self, screen: StaffScreen, pin: str) -> None:
        self.run_worker(self._staff_exit(screen, pin), group="staff", exclusive=True)

    async def _staff_exit(self, screen: StaffScreen, pin: str) -> None:
        now = self.monotonic()
        if now < self._exit_locked_until:
            screen.refused("kiosk.staff_rest", seconds=int(self._exit_locked_until - now) + 1)
            return
        person = await self.in_store(self.store.match_pin, pin)
        if person is None:
            self._exit_failures += 1
            await self.in_store(self.store.log, "pin_failed", actor=f"kiosk:{self.kiosk_id}",
                                detail={"screen": "kiosk-exit"})
            if self._exit_failures >= EXIT_TRIES:
                self._exit_failures = 0
                self._exit_locked_until = now + EXIT_LOCK_S
                screen.refused("kiosk.staff_rest", seconds=int(EXIT_LOCK_S))
            else:
                screen.refused()
            return
        await self.in_store(self.store.log, "kiosk_stopped", actor=person.name,
                            detail={"kiosk": self.kiosk_id})
        self.exit()


def _refusal_words(exc: CheckInRefused) -> Callable[[str], str]:
    """A refused code's sentence in whichever language the screen shows when it is drawn."""
    return lambda lang: refusal_text(lang, exc)


def _open_store(settings: Settings) -> Store:
    from kiosk.store import Store

    return Store(settings, clock=clk.from_environment())


def run(settings: Settings, kiosk_id: str | None = None) -> None:
    """`kiosk patron`: the kiosk in this terminal (or, under textual-serve, a browser)."""
    PatronApp(settings, kiosk_id, notifier=notify.for_this_process()).run()
