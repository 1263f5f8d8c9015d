"""What the kiosk talks to besides the store: its voice and its printer (protocols, so tests
and benchmarks pass fakes), and the real ones, loaded lazily after the first frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.config import DEFAULT_VOLUME_STEP, VOLUME_STEPS, Settings

if TYPE_CHECKING:  # the kiosk imports its rows after the first frame
    from kiosk.rows import Issued

# -- the services the screen needs ---------------------------------------------------------


class Voice(Protocol):
    volume: int
    speaking: bool
    private: bool

    def headset_plugged(self) -> bool: ...
    def say(self, text: str, lang: str) -> None: ...
    def say_many(self, parts: Sequence[tuple[str, str]], *,
                 step: int | None = None) -> None: ...
    def say_after(self, parts: Sequence[tuple[str, str]]) -> None: ...
    def stop(self) -> None: ...
    def volume_up(self) -> None: ...
    def volume_down(self) -> None: ...
    def reset_volume(self) -> None: ...
    def close(self) -> None: ...


class Printer(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def state(self) -> str: ...
    def submit(self, issued: Issued, *, on_done: Callable[[bool, str | None], None]) -> None:
        ...


class SilentVoice:
    """A voice that only records what it was asked to say (benchmarks, layout probes)."""

    speaking = False
    private = False

    def headset_plugged(self) -> bool:
        return False

    def __init__(self) -> None:
        self.volume = DEFAULT_VOLUME_STEP
        self.log: list[tuple[str, str, int]] = []

    def say(self, text: str, lang: str) -> None:
        self.log.append((text, lang, self.volume))

    def say_many(self, parts: Sequence[tuple[str, str]], *, step: int | None = None) -> None:
        for text, lang in parts:
            self.log.append((text, lang, self.volume if step is None else step))

    def say_after(self, parts: Sequence[tuple[str, str]]) -> None:
        self.say_many(parts)

    def stop(self) -> None:
        pass

    def volume_up(self) -> None:
        self.volume = min(VOLUME_STEPS, self.volume + 1)

    def volume_down(self) -> None:
        self.volume = max(1, self.volume - 1)

    def reset_volume(self) -> None:
        self.volume = DEFAULT_VOLUME_STEP

    def close(self) -> None:
        pass


def default_voice(settings: Settings, kiosk_id: str) -> Any:
    """The kiosk's voice (kiosk/speech/voice.py)."""
    from kiosk.speech.voice import KioskVoice

    return KioskVoice(settings, kiosk_id)


def default_printer(settings: Settings, kiosk_id: str) -> Any:
    """The kiosk's print worker, or None when it has no printer (or printing is not built)."""
    if settings.kiosk(kiosk_id).printer is None:
        return None
    try:
        from printers.worker import PrintWorker
    except ImportError:
        return None
    return PrintWorker(settings, kiosk_id)
