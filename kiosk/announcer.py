"""The announcer: speaks each new call from the event log, one at a time, once.

It reads `called` and `recalled` events after its cursor (a row per announcer name in the
store's `cursors` table) and, for each: a chime, the call in every site language, repeated
per [speech]; then it appends `announced` (with the audio length) and moves the cursor in
one transaction. So after a clean restart nothing is said twice, and a crash between the
start of playback and that commit repeats at most that one call. A call older than
[queue].stale_call_s when its turn comes is not spoken but logged as `announce_skipped`
(the board still shows it), so a burst at opening never builds a long backlog.

Failures never stop `run_forever`: a missing or crashing engine, or a player that fails, is
logged, shown in the heartbeat and retried with backoff (the call stays pending until it is
spoken or goes stale). The heartbeat is a `devices` row (kind "announcer", named
`announcer:NAME`; see `device_name`) updated at least every HEARTBEAT_S seconds while
running; screens use `announcements_off()` to show "announcements off".
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import KioskError, SpeechError, UsageError
from kiosk.rows import Event
from kiosk.speech.audio import write_wav
from kiosk.speech.engine import SpeechEngine, SynthesisRequest, render, shared_engine
from kiosk.speech.phrases import call_phrases
from kiosk.speech.player import PlayedWithError, Player
from kiosk.store import Store
from kiosk.views import ANNOUNCER_KIND, announcer_device

log = logging.getLogger("kiosk.announcer")

KINDS = ("called", "recalled")
POLL_S = 0.05
"""How often the event log is checked (PRAGMA data_version: a cheap read)."""
HEARTBEAT_S = 5.0
"""The heartbeat is written at least this often while running (the read side calls an
announcer off after kiosk.views.HEARTBEAT_STALE_S without one)."""
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
BATCH = 50


class Announcer:
    """Announce new calls from the store; see the module docstring.

    Opens its own Store in the thread that runs it (the board runs `run_forever` in a
    thread of its own). `engine` defaults to this process's shared engine worker, `player`
    to the kiosk's (`kiosk` id, else the first [[kiosks]] entry: the host's own speaker)."""

    def __init__(
        self,
        settings: Settings,
        *,
        name: str = "main",
        output: str | None = None,
        clock: clk.Clock | None = None,
        kiosk: str | None = None,
        engine: SpeechEngine | None = None,
        player: list[str] | None = None,
        alive: Callable[[], None] = lambda: None,
    ) -> None:
        if not name or not name.strip():
            raise UsageError("an announcer needs a name")
        self.settings = settings
        self.name = name.strip()
        self.output = output or settings.speech.output
        if self.output not in ("speaker", "wav", "none"):
            raise UsageError(f'speech output must be speaker, wav or none, got "{self.output}"')
        try:
            kiosk_settings = settings.kiosk(kiosk)
        except KeyError:
            raise UsageError(f'unknown kiosk "{kiosk}"') from None
        self.player = Player(player or kiosk_settings.player)
        self.clock: clk.Clock = clock or clk.SystemClock()
        self._engine = engine
        self.alive = alive
        """Called between calls and on every turn of the loop: the watchdog's ping
        (kiosk.host.notify), so a stuck synthesis or player gets the process restarted."""
        self.actor = announcer_device(self.name)
        self.requests: list[SynthesisRequest] = []
        """Every synthesis asked for (text, voice, rate, lang), for tests and diagnosis."""
        self.voices_used: list[str] = []
        """The voice espeak-ng reported for each request, in the same order."""
        self.files: list[Path] = []
        """WAV files written (output "wav")."""
        self.last_error: str | None = None
        self._store: Store | None = None
        self._store_thread: int | None = None
        self._opened = False
        """Once the store has been opened, a missing file is a fault, not a new store."""
        self._stop = threading.Event()
        self._beat_at = -math.inf
        self._beat_last: tuple[str, str | None] | None = None
        self._failed_events: set[int] = set()
        self._tmp: Path | None = None

    # -- plumbing --------------------------------------------------------------------------

    @property
    def engine(self) -> SpeechEngine:
        if self._engine is None:
            self._engine = shared_engine()
        return self._engine

    def _open(self) -> Store:
        me = threading.get_ident()
        if self._store is None or self._store_thread != me:
            self._store = Store(self.settings, clock=self.clock, create=not self._opened)
            self._store_thread = me
            self._opened = True
        return self._store

    def _beat(self, store: Store, state: str, detail: str | None = None, *,
              force: bool = False) -> None:
        now = time.monotonic()
        if not force and (state, detail) == self._beat_last and now - self._beat_at < HEARTBEAT_S:
            return
        store.set_device(self.actor, ANNOUNCER_KIND, state, detail)
        self._beat_at = now
        self._beat_last = (state, detail)
        # The announcer runs all day: it also closes counters whose console has gone (a
        # read only, unless one has), so a lobby with one console still notices it.
        closed = store.sweep_unattended()
        if closed:
            log.info("closed unattended counter(s) %s", ", ".join(map(str, closed)))

    def close(self, *, state: str | None = "off", detail: str = "stopped") -> None:
        """Say "off" in the heartbeat (unless state is None) and close the store."""
        store, self._store = self._store, None
        if store is not None:
            try:
                if state is not None:
                    store.set_device(self.actor, ANNOUNCER_KIND, state, detail)
            except Exception as exc:  # closing must not fail on a busy or broken store
                log.warning("could not write the heartbeat: %s", exc)
            store.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> Announcer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one pass --------------------------------------------------------------------------

    def _start_cursor(self, store: Store) -> int:
        known = store.cursor(self.name)
        if known is not None:
            return known
        # First run under this name: earlier calls are history (they would all be stale);
        # start after the newest event older than the stale window, silently.
        cutoff = self.clock.now() - timedelta(seconds=self.settings.queue.stale_call_s)
        start = store.newest_event_id(before=cutoff)
        store.set_cursor(self.name, start)
        return start

    def run_once(self) -> int:
        """Announce every pending call (skipping stale ones); return how many were spoken.

        A synthesis or playback failure is recorded (heartbeat "error", one
        `announce_failed` event per call) and raised as SpeechError; that call stays
        pending for the next try."""
        store = self._open()
        if self.output == "none":
            return self._pass_silently(store)
        if self.last_error is None:  # while failing, the heartbeat keeps saying "error"
            self._beat(store, "ok")
        cursor = self._start_cursor(store)
        spoken = 0
        while not self._stop.is_set():
            batch = store.events_after(cursor, KINDS, limit=BATCH)
            if not batch:
                break
            for event in batch:
                if self._stop.is_set():
                    break
                if self._announce(store, event):
                    spoken += 1
                cursor = event.id
                self.alive()
        if self.last_error is None:  # "ok" again only once a call has really been played
            self._beat(store, "ok")
        return spoken

    def _pass_silently(self, store: Store) -> int:
        """Output "none": nothing is spoken; the cursor follows so a later switch to a
        speaker does not replay the day."""
        self._beat(store, "off", "speech output is none")
        self.last_error = None  # nothing to play; the store answered again
        newest = store.events_after(store.get_cursor(self.name), KINDS, limit=10**6)
        if newest:
            store.set_cursor(self.name, newest[-1].id)
        return 0

    def _announce(self, store: Store, event: Event) -> bool:
        label = event.detail.get("label")
        if not label and event.ticket_id is not None:
            label = store.ticket(event.ticket_id).label
        kind = event.kind
        age = self.clock.now().timestamp() - clk.epoch(event.at)
        facts = {"label": label, "call": kind, "event": event.id}
        if age > self.settings.queue.stale_call_s:
            self._done(store, event, "announce_skipped",
                       {**facts, "reason": "stale", "age_s": round(age, 1)})
            log.info("skipped %s (%s %.0f s ago): too old to announce", label, kind, age)
            return False
        if event.ticket_id is not None:
            # Staff may have moved on before this call's turn came (finished, transferred,
            # cancelled, or called the next one): sending the patron there would mislead.
            now = store.ticket(event.ticket_id)
            if not now.is_open or now.counter != event.counter:
                self._done(store, event, "announce_skipped",
                           {**facts, "reason": "no longer called", "state": now.state})
                log.info("skipped %s: no longer called at counter %s (now %s)",
                         label, event.counter, now.state)
                return False
        try:
            parts = call_phrases(self.settings, str(label), int(event.counter),
                                 recall=kind == "recalled")
        except (KeyError, ValueError, TypeError) as exc:  # a counter gone from config...
            self._done(store, event, "announce_skipped",
                       {**facts, "reason": f"cannot phrase: {exc}"})
            log.warning("skipped %s: cannot phrase the call: %s", label, exc)
            return False
        try:
            audio_s, path, render_ms = self._speak(store, event, str(label), parts)
        except PlayedWithError as exc:
            # The sound was out: the call was heard. Report the player, never loop the call.
            self._failed(store, event, facts, str(exc))
            self._done(store, event, "announced",
                       {**facts, "output": self.output, "player_error": str(exc)[:200]})
            return True
        except SpeechError as exc:
            self._failed(store, event, facts, str(exc))
            raise
        self._done(store, event, "announced",
                   {**facts, "audio_s": round(audio_s, 2), "output": self.output,
                    "file": str(path) if self.output == "wav" else None,
                    "render_ms": round(render_ms, 1)})
        self.last_error = None  # a call really played: whatever failed works again
        self._beat(store, "ok")
        log.info("announced %s at counter %s (%.1f s of audio)", label, event.counter, audio_s)
        return True

    def _speak(self, store: Store, event: Event, label: str, parts: list[tuple[str, str]],
               ) -> tuple[float, Path, float]:
        speech = self.settings.speech
        started = time.perf_counter()
        rendered = render(self.engine, parts, voices=speech.voices, rate=speech.rate,
                          with_chime=True, repeat=speech.repeat, pause_s=speech.pause_s,
                          gain=speech.volume)
        assert rendered is not None
        for synthesis in rendered.syntheses:
            self.requests.append(synthesis.request)
            self.voices_used.append(synthesis.voice_used)
        if self.output == "wav":
            day = clk.local_day(clk.parse(event.at), self.settings.site.tz)
            safe = re.sub(r"[^A-Za-z0-9]", "", label) or "call"
            path = speech.wav_dir / f"{day}-{event.id:08d}-{safe}.wav"
        else:
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix=f"kiosk-announcer-{self.name}-"))
            path = self._tmp / "call.wav"
        try:
            write_wav(path, rendered.samples)
        except OSError as exc:
            raise SpeechError(f"cannot write {path}: {exc.strerror or exc}") from None
        render_ms = (time.perf_counter() - started) * 1000
        if self.output == "wav":
            self.files.append(path)
        else:
            self.player.play(path, audio_s=rendered.duration_s,
                             tick=lambda late: self._playing(store, late))
        return rendered.duration_s, path, render_ms

    def _playing(self, store: Store, late: bool) -> None:
        """The heartbeat while a call plays: "ok" while the player is within the audio's
        length, "error" as soon as it runs late (a hung player: nobody hears anything, so
        every screen must say announcements are off)."""
        if late:
            self.last_error = "the player has not finished after the end of the audio"
            self._beat(store, "error", self.last_error, force=True)
        else:
            self._beat(store, "ok", "playing", force=True)

    def _done(self, store: Store, event: Event, kind: str, detail: dict[str, Any]) -> None:
        """The outcome event and the cursor move, in one transaction."""
        with store.bulk():
            store.log(kind, ticket_id=event.ticket_id, counter=event.counter,
                      actor=self.actor, detail=detail)
            store.set_cursor(self.name, event.id)

    def _failed(self, store: Store, event: Event, facts: dict[str, Any], message: str) -> None:
        self.last_error = message
        log.error("could not announce %s: %s", facts["label"], message)
        self._beat(store, "error", message[:200], force=True)
        if event.id not in self._failed_events:  # one event per call, not per retry
            self._failed_events.add(event.id)
            store.log("announce_failed", ticket_id=event.ticket_id, counter=event.counter,
                      actor=self.actor, detail={**facts, "error": message[:500]})

    # -- the loop --------------------------------------------------------------------------

    def run_forever(self, stop_event: threading.Event) -> None:
        """Announce until `stop_event` is set; never raises (each failure is logged, shown in
        the heartbeat and retried with backoff). A stop takes effect after the call being
        played, so a clean stop never cuts a call short nor says it twice."""
        self._stop = stop_event
        failures = 0
        retry_at = 0.0
        last_version: int | None = None
        try:
            while not stop_event.is_set():
                now = time.monotonic()
                if failures == 0 or now >= retry_at:
                    try:
                        store = self._open()
                        version = store.data_version()
                        if (failures or version != last_version
                                or now - self._beat_at >= HEARTBEAT_S):
                            last_version = version
                            self.run_once()
                            failures = 0
                    except Exception as exc:
                        failures += 1
                        delay = BACKOFF_S[min(failures, len(BACKOFF_S)) - 1]
                        retry_at = time.monotonic() + delay
                        self._trouble(exc, delay)
                self.alive()
                stop_event.wait(POLL_S)
        finally:
            self.close()
            self._stop = threading.Event()  # run_once works again after a stop

    def _trouble(self, exc: Exception, delay: float) -> None:
        if isinstance(exc, KioskError):  # a plain sentence already (a store fault...)
            log.error("%s; trying again in %.1f s", exc, delay)
        else:
            log.exception("announcer error; trying again in %.1f s", delay)
            store, self._store = self._store, None  # a fresh connection on the next try
            if store is not None:
                try:
                    store.close()
                except Exception:
                    pass
        message = str(exc) if isinstance(exc, KioskError) else f"{type(exc).__name__}: {exc}"
        self.last_error = message
        try:
            self._beat(self._open(), "error", message[:200], force=True)
        except Exception as beat_exc:
            log.warning("could not write the heartbeat: %s", beat_exc)
