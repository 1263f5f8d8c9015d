"""Typed settings loaded from config.toml.

Long because: this is the config.toml contract, one typed model per table with a docstring
per field, and the tables check each other (Settings._cross_check): one file to read.

Every mistake in the file becomes one `ConfigError` whose text names the file, the key and
what is wrong (`config.toml: services[2].prefix: must be one capital letter, got "ab"`), so
the command line can print it as one line and exit 2. Unknown keys are errors: a typo must
never be silently ignored. List indexes in key paths count from 0, as in TOML tools.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import date as Date
from datetime import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from kiosk.exceptions import ConfigError
from kiosk.queue import HeadStart, head_start_from

#: Languages with a message catalogue in kiosk/locales.
KNOWN_LANGUAGES = ("id", "en")
MAX_SERVICES = 8
ENV_VAR = "KIOSK_CONFIG"
EMBEDDED = "<embedded default>"

Localized = dict[str, str]
"""A text in each of the site's languages, e.g. `{ id = "Loket 1", en = "Counter 1" }`."""


class _Model(BaseModel):
    # strict: TOML has types, and a number written as text ("120") is a mistake to name
    # now, not a value to guess at; nan and inf mean nothing anywhere here.
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True,
                              strict=True, allow_inf_nan=False)


def _named(value: Path) -> Path:
    if str(value).strip() in ("", "."):
        raise ValueError("must name a file or folder, e.g. \"data/...\"")
    return value


FilePath = Annotated[Path, Field(strict=False), AfterValidator(_named)]
"""A path: TOML writes it as text; an empty one would mean the current folder."""


def _hhmm(value: Any) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        raise ValueError(f'must be a time "HH:MM", got {value!r}')
    hours, minutes = int(value[:2]), int(value[3:])
    if hours > 23 or minutes > 59:
        raise ValueError(f'must be a time "HH:MM", got {value!r}')
    return time(hours, minutes)


def _head_start_value(cls: type, value: Any) -> Any:
    """Minutes 0..1440 or "strict"; checked before pydantic's union reports both branches."""
    if value is None or value == "strict":
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        return value
    raise ValueError(f'must be minutes (0..1440) or "strict", got {value!r}')


SITE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
"""A site id: a short slug, lower-case letters, digits and dashes (2..40)."""


class Site(_Model):
    id: str = Field("lobby", pattern=SITE_ID_PATTERN)
    """This site's stable identifier (a short slug such as "jakarta-pusat"), written into
    every row shipped to the central database: never change it once a site syncs."""
    name: str = Field("Perpustakaan", min_length=1, pattern=r"\S")
    """Shown on the kiosk, the board and every slip."""
    timezone: str = "Asia/Jakarta"
    """IANA time zone that decides "the day" and the hours; times are stored in UTC."""
    languages: list[str] = Field(default_factory=lambda: ["id", "en"], min_length=1)
    """Languages offered to patrons; the first is the kiosk's default."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            if lang not in KNOWN_LANGUAGES:
                known = ", ".join(KNOWN_LANGUAGES)
                raise ValueError(f"no message catalogue for language {lang!r} (have: {known})")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Hours(_Model):
    open: time = time(8, 0)
    """First ticket of the day ("HH:MM", local time)."""
    last_ticket: time = time(15, 30)
    """After this the kiosk stops issuing and says so."""
    close: time = time(16, 0)
    """End of the day; counters may still serve what waits."""

    @field_validator("open", "last_ticket", "close", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> time:
        return _hhmm(value)

    @model_validator(mode="after")
    def _in_order(self) -> Hours:
        if not self.open < self.last_ticket <= self.close:
            raise ValueError("must be in order: open < last_ticket <= close")
        return self


class StoreSettings(_Model):
    path: FilePath = Path("data/kiosk.db")
    """The SQLite file: the single source of truth and the serve-time log."""


class QueueSettings(_Model):
    head_start_minutes: int | Literal["strict"] = 60
    """Minutes a priority ticket is moved ahead of regular ones; "strict" = no bound."""
    max_recalls: int = Field(2, ge=0, le=10)
    """How often staff may call a ticket again before they are offered no-show."""
    transfer_position: Literal["front", "back"] = "front"
    """Where a transferred ticket joins its new queue."""
    stale_call_s: int = Field(120, gt=0, le=86400)
    """Calls older than this are shown on the board but no longer spoken."""
    no_show_after_s: int = Field(60, ge=0, le=600)
    """A called ticket cannot be marked a no-show for this long after the call (unless it
    was called again once): the patron may still be walking to the desk. 0 = at once."""

    _head_start = field_validator("head_start_minutes", mode="before")(_head_start_value)


class Target(_Model):
    wait_min: float = Field(gt=0, le=1440)
    """A ticket is within target when it was called after at most this many minutes."""
    share: float = Field(gt=0, le=1)
    """The standard: this share of tickets within target (0.9 = 90%)."""


class Targets(_Model):
    priority: Target = Target(wait_min=10, share=0.9)
    """Target for patrons who asked for priority service."""
    regular: Target = Target(wait_min=30, share=0.9)
    """Target for everyone else."""


class Service(_Model):
    prefix: str
    """One capital letter; it starts every ticket label of the service (A012)."""
    name: Localized
    """The service's name in each site language."""
    detail: Localized | None = None
    """Optional smaller line under the name on the kiosk."""
    icon: str = ""
    """An emoji shown beside the words (never instead of them)."""
    quota: int = Field(0, ge=0, le=9999)
    """Tickets a day; 0 = no limit."""
    spoken: Localized | None = None
    """How the name is said, where the shown name does not read aloud well (a language
    missing here is said as shown, through kiosk.speech.phrases.for_the_ear)."""

    def said(self, lang: str) -> str:
        """The name as the kiosk says it in `lang`."""
        return (self.spoken or {}).get(lang) or self.name[lang]

    @field_validator("prefix")
    @classmethod
    def _letter(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Z]", value):
            raise ValueError(f'must be one capital letter, got "{value}"')
        return value


class Counter(_Model):
    id: int = Field(ge=1, le=99)
    """The number staff and patrons see ("Loket 3")."""
    name: Localized
    """How the counter is named on screens and in calls."""
    services: list[str] = Field(min_length=1)
    """Prefixes of the services this counter calls from, in no particular order."""


class Need(_Model):
    label: Localized
    """Shown on the kiosk's priority question only; never printed, shown elsewhere or spoken."""
    icon: str = ""
    """An emoji beside the words."""
    head_start_minutes: int | Literal["strict"] | None = None
    """Overrides [queue].head_start_minutes for this need."""

    _head_start = field_validator("head_start_minutes", mode="before")(_head_start_value)


class Kiosk(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)
    """Short name recorded on each ticket ("lobby")."""
    printer: str | None = None
    """The [printers.NAME] table this kiosk prints on; absent = no printer."""
    player: list[Annotated[str, Field(pattern=r"\S")]] = Field(
        default_factory=lambda: ["aplay", "-q"], min_length=1)
    """Command that plays a WAV file, given as its last argument."""
    headset_player: Annotated[list[Annotated[str, Field(pattern=r"\S")]] | None,
                              Field(min_length=1)] = None
    """The private listening path (ADA 707.5): a command that plays a WAV on the headset
    jack, e.g. ["aplay", "-q", "-D", "plughw:CARD=Headset"]. While a headset is plugged in
    (`headset_detect`), every prompt goes there and the lobby speaker stays quiet; the
    calls at counters still go to the lobby. Absent: no headset."""
    headset_detect: Annotated[list[Annotated[str, Field(pattern=r"\S")]] | None,
                              Field(min_length=1)] = None
    """A command whose exit status says whether a headset is plugged in (0 = plugged),
    asked every few seconds, e.g. ["sh", "-c", "amixer -c 1 cget name='Headphone Jack' |
    grep -q values=on"]."""


class UsbIds(_Model):
    vendor: int = Field(ge=0, le=0xFFFF)
    """USB vendor id, e.g. 0x04b8 for Epson."""
    product: int = Field(ge=0, le=0xFFFF)
    """USB product id."""


class SerialPort(_Model):
    device: str = "/dev/ttyUSB0"
    """Serial device path."""
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 19200
    """Line speed, one of the standard rates."""


class Printer(_Model):
    connection: Literal["network", "usb", "serial", "cups", "file", "none"] = "file"
    """How the printer is reached."""
    path: FilePath = Path("data/slips")
    """For `file`: the folder that receives each slip's bytes and a text preview."""
    host: str | None = None
    """For `network`: the printer's address (required: there is no sensible default)."""
    port: int = Field(9100, ge=1, le=65535)
    """For `network`: the raw printing port."""
    usb: UsbIds | None = None
    """For `usb`: vendor and product ids."""
    serial: SerialPort = SerialPort()
    """For `serial`: device and baud rate."""
    cups: str | None = None
    """For `cups`: the CUPS queue name."""
    profile: str = "default"
    """python-escpos capability profile (e.g. "TM-T20II")."""
    paper_width_mm: Literal[58, 80] = 80
    """Paper roll width."""
    timeout_s: float = Field(3, gt=0, le=60)
    """Longest a print may take before it counts as failed."""
    status: StrictBool = True
    """For `network`, `usb` and `serial`: ask the printer's state (DLE EOT) before and after
    each slip. Set false only for a printer that never answers those queries: its slips are
    then sent without confirmation and its paper is not reported."""

    @model_validator(mode="after")
    def _complete(self) -> Printer:
        if self.connection == "network" and not (self.host or "").strip():
            raise ValueError('connection "network" needs host = "the printer\'s address"')
        if self.connection == "usb" and self.usb is None:
            raise ValueError('connection "usb" needs usb = { vendor = 0x..., product = 0x... }')
        if self.connection == "cups" and not self.cups:
            raise ValueError('connection "cups" needs cups = "QUEUE-NAME"')
        return self

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        get_profile_class = escpos_capabilities().get_profile_class
        try:
            get_profile_class(value)
        except Exception:  # escpos raises NotSupported, its own class
            raise ValueError(f"unknown python-escpos profile {value!r}") from None
        return value


def escpos_capabilities() -> Any:
    """python-escpos' profile database, imported without its side effects or its race.

    On import, escpos.capabilities calls tempfile.mkdtemp() (even when
    ESCPOS_CAPABILITIES_PICKLE_DIR is set) and, without that variable, re-parses its 1 MB
    capabilities file into that new folder: an empty /tmp folder and ~200 ms in every
    process. Here its pickle lives in the user's cache folder and mkdtemp is pointed there
    for the one import. Every later `import escpos...` reuses the loaded module.

    The library writes its pickle by truncating the file and filling it for ~200 ms, so a
    process that starts meanwhile reads a torn file ("Ran out of input"). Processes that
    start together (a host's kiosk, board and announcer after an upgrade) would. So the
    pickle is made here first, under a lock, into a temporary name moved into place; one
    that is torn or stale is made again. The library then only reads it."""
    import sys
    import tempfile

    module = sys.modules.get("escpos.capabilities")
    if module is not None:
        return module
    cache = Path(platformdirs.user_cache_dir("kiosk", appauthor=False)) / "escpos"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(cache)
    _escpos_pickle(cache)
    original = tempfile.mkdtemp
    tempfile.mkdtemp = lambda *args, **kwargs: str(cache)  # type: ignore[assignment]
    try:
        import escpos.capabilities as module
    finally:
        tempfile.mkdtemp = original
    return module


def _escpos_pickle(cache: Path) -> None:
    """Make sure `cache` holds a whole, current capabilities pickle for this Python."""
    import fcntl
    import importlib.resources
    import pickle
    import platform

    source = importlib.resources.files("escpos") / "capabilities.json"
    target = cache / f"{platform.python_version()}.capabilities.pickle"

    def whole() -> bool:
        try:
            if target.stat().st_mtime < os.stat(str(source)).st_mtime:
                return False  # the library would re-parse (and rewrite) it
            with target.open("rb") as f:
                f.seek(-1, os.SEEK_END)
                return f.read(1) == pickle.STOP  # a torn pickle misses its last opcode
        except OSError:
            return False

    if whole():
        return
    with (cache / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process makes it; the others wait, then read
        if whole():
            return
        import json

        data = json.loads(source.read_text("utf-8"))
        fd, tmp = tempfile_in(cache)
        with os.fdopen(fd, "wb") as out:
            pickle.dump(data, out, protocol=2)
        os.replace(tmp, target)


def tempfile_in(folder: Path) -> tuple[int, str]:
    """A new temporary file in `folder` (for a write that ends with os.replace)."""
    import tempfile

    return tempfile.mkstemp(dir=folder, prefix=".tmp-")


ALIKE_LETTERS = "BCDEGPTVZ"
"""Letters that sound alike when called, in either language (B, C, D, E rhyme in English;
B, D, E are "be", "de", "e" in Indonesian; with P, T, V, G, Z): said with their words by
default."""
ALIKE_IN = {"en": "A" + ALIKE_LETTERS}
"""More per language: English "A" (said "eh") was heard as E in 6 of 20 calls
(benchmarks/speech_intelligibility.py); Indonesian "a" is like no other letter."""


def alike_letters(lang: str) -> str:
    return ALIKE_IN.get(lang, ALIKE_LETTERS)


class Speech(_Model):
    output: Literal["speaker", "wav", "none"] = "speaker"
    """Where calls go: played on the speaker, written as WAV files, or nowhere."""
    wav_dir: FilePath = Path("data/announcements")
    """Folder for the WAV files of each announcement."""
    voices: dict[str, Annotated[str, Field(pattern=r"^[\w+./-]+$")]] = Field(
        default_factory=lambda: {"id": "id", "en": "en-us"})
    """espeak-ng voice per language (English: en-us, which a recogniser understood best:
    benchmarks/speech_intelligibility.py)."""
    rate: int = Field(140, ge=80, le=300)
    """Words a minute; 140 is calm enough for older listeners."""
    repeat: int = Field(2, ge=1, le=5)
    """How often each call is said."""
    pause_s: float = Field(1.5, ge=0, le=10)
    """Silence between the repeats of a call."""
    numbers: Literal["words", "digits"] = "words"
    """ "words": A twelve; "digits": A one two."""
    letter_words: Literal["alike", "all", "none"] = "alike"
    """A ticket's letter said with a word from the catalogue ("B, Bunga" / "B as in Bravo"):
    for the letters that sound alike (ALIKE_LETTERS), for every letter, or never."""
    words: dict[Annotated[str, Field(pattern=r"^[A-Z]$")], Localized] = Field(
        default_factory=dict)
    """A site's own word for a letter, per language, instead of the catalogue's
    ({ B = { id = "Bandung", en = "Bravo" } })."""
    volume: float = Field(1.0, gt=0, le=4)
    """Gain of the announcements (1.0 = as synthesised)."""


VOLUME_STEPS = 8
"""The kiosk voice's volume steps (1 = softest), 3 dB apart: 21 dB of gain from 1 to 8,
of which the top two pass through the limiter (measured: 19 dB of loudness, RMS)."""
DEFAULT_VOLUME_STEP = 5
"""The step a new patron hears unless [patron] volume_step says otherwise; the step whose
peaks are at -3 dBFS (kiosk.speech.voice.level_db)."""


class Patron(_Model):
    idle_s: int = Field(45, ge=10, le=600)
    """Mid-flow, after this much stillness the kiosk asks "Need more time?"."""
    more_time_s: int = Field(20, ge=20, le=600)
    """How long "Need more time?" waits before going back (at least 20 s, WCAG 2.2.1)."""
    ticket_screen_s: int = Field(10, ge=3, le=120)
    """How long the ticket stays on screen before the kiosk greets the next patron."""
    theme: Literal["contrast", "high-contrast"] = "contrast"
    """The theme a new patron sees; `*` switches."""
    input_guard_s: float = Field(0.4, ge=0, le=2)
    """Input ignored after each screen change, against trembling double taps."""
    volume_step: int = Field(DEFAULT_VOLUME_STEP, ge=1, le=VOLUME_STEPS)
    """The kiosk voice's loudness a new patron hears, 1 to 8 (`+`/`-` move one step; each
    step is 3 dB; 5 puts the speech's peaks at -3 dBFS, leaving headroom; 8 is 9 dB louder
    than 5, through a limiter so nothing clips)."""
    voice_hint_s: int = Field(25, ge=0, le=300)
    """While the welcome screen waits, this often a short, quiet spoken hint that the kiosk
    speaks ("Tekan 0 untuk panduan suara"), in each site language (0: never). Never while
    the kiosk is closed."""
    repeat_guard_s: float = Field(1.0, ge=0, le=3)
    """After a screen change, the same key again (or a tap at the same place) is ignored
    for this long: a trembling hand's second press must not answer a question it has not
    heard yet (0: off). Any other key or place acts after `input_guard_s`."""



def _date(value: Any) -> Date:
    """A date as TOML writes it (2026-12-25) or as text ("2026-12-25")."""
    if isinstance(value, Date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return Date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f'must be a date "YYYY-MM-DD", got {value!r}')


class ClosedDay(_Model):
    """A day the site is closed (a holiday, a cuti bersama): no ticket is issued and no
    booking is taken for it."""

    date: Date
    """The local date, "YYYY-MM-DD"."""
    reason: Localized | None = None
    """Why, in each site language (shown on the kiosk and the booking page), e.g.
    { id = "Hari Raya Natal", en = "Christmas Day" }."""

    @field_validator("date", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Date:
        return _date(value)


class BookingHours(_Model):
    """One service's own booking settings: each key left out is [booking]'s."""

    slot_min: int | None = Field(None, ge=5, le=240)
    """Minutes a slot of this service lasts."""
    per_slot: int | None = Field(None, ge=1, le=100)
    """Bookings one slot of this service takes."""
    open: time | None = None
    """The first slot of this service starts then ("HH:MM")."""
    close: time | None = None
    """Every slot of this service ends by then ("HH:MM")."""

    @field_validator("open", "close", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> time | None:
        return None if value is None else _hhmm(value)


class BookingSettings(_Model):
    """Appointments (design §14): a patron books a slot on the /book page or through the
    API, and checks in at the kiosk with a six-digit code."""

    services: list[Annotated[str, Field(pattern=r"^[A-Z]$")]] = Field(default_factory=list)
    """Prefixes of the services that take bookings; empty: no bookings at all."""
    slot_min: int = Field(15, ge=5, le=240)
    """Minutes a slot lasts."""
    per_slot: int = Field(1, ge=1, le=100)
    """Bookings one slot takes (what the counters can serve in it besides walk-ins). Keep
    it well under what the service's counters serve in a slot: a patron who finds a slot
    full books the next one, which spreads the booked patrons out (at 30% booked and load
    0.85, 1 a slot meets the punctuality and walk-in targets that 2 misses:
    benchmarks/estimate_bench.py --booked-only)."""
    days_ahead: int = Field(14, ge=0, le=365)
    """How many days ahead a slot can be booked (0: today only)."""
    punctual_min: int = Field(10, ge=0, le=240)
    """Reports: an appointment called at most this many minutes after its slot's start
    (or before it) was served on time (`kiosk report`'s appointments.punctual_share)."""
    early_min: int = Field(10, ge=0, le=240)
    """A booked patron may check in this many minutes before the slot starts; earlier,
    the kiosk says when to come back (or gives a walk-in ticket)."""
    late_min: int = Field(15, ge=0, le=240)
    """...and up to this many minutes after it starts: the ticket then still goes by the
    slot's start. Later, it becomes a walk-in ticket, said plainly."""
    lead_min: int = Field(75, ge=0, le=240)
    """An appointment checked in within its grace is ordered as if it had come this many
    minutes before its slot's start (less its need's head start, if any), on the one key
    walk-ins have (kiosk.queue). 0 is the plain "slot start" rule, under which a booked
    patron waits like a walk-in who came at its slot's start (p90 of call - slot 44-48 min
    at load 0.85). 75 meets the issue's targets in benchmarks/estimate_bench.py (p90 of
    call - slot 7.9-9.6 min, walk-ins' median wait -5% to +10%) at a cost: a regular
    appointment also goes before a priority walk-in who came less than 15 minutes (75 -
    the priority head start of 60) before its slot. 60 keeps priority walk-ins first but
    misses the punctuality target (p90 11-12 min). A regular walk-in is passed only by an
    appointment that checked in less than late_min + lead_min after them."""
    open: time | None = None
    """The first slot starts then ("HH:MM"); default: [hours] open."""
    close: time | None = None
    """Every slot ends by then ("HH:MM"); default: [hours] last_ticket."""
    overrides: dict[str, BookingHours] = Field(default_factory=dict)
    """A service's own slot length, places or hours, by prefix ([booking.overrides.A])."""

    @field_validator("open", "close", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> time | None:
        return None if value is None else _hhmm(value)

    @field_validator("services")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a service is listed twice")
        return value


@dataclass(frozen=True)
class Slots:
    """One service's booking rules with every default filled in (Settings.slots_of)."""

    slot_min: int
    per_slot: int
    open: time
    close: time


def _network(value: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError(f'must be a network like "192.168.0.0/16", got {value!r}') from None
    return value


def _public_url(value: str) -> str:
    if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise ValueError(f'must be empty or an address like "http://10.0.0.5:8000", got {value!r}')
    return value.rstrip("/")


def masked(url: str) -> str:
    """A database URL with its password replaced by "***": the one form of a URL any
    message, log line or JSON output may show."""
    return re.sub(r"^([a-z]+://[^:/@\s]*):[^@\s]*@", r"\1:***@", url)


def _central_url(value: str) -> str:
    if value and not re.fullmatch(r"postgres(ql)?://\S+", value):
        raise ValueError('must be empty or a PostgreSQL URL like'
                         f' "postgresql://kiosk@head-office/queues", got "{masked(value)}"')
    return value


class SyncSettings(_Model):
    url: Annotated[str, AfterValidator(_central_url)] = ""
    """The central PostgreSQL database (postgresql://user:password@host/db); empty: this
    site keeps its queue to itself. Never shown with its password."""
    batch: int = Field(20_000, ge=1, le=100_000)
    """Events shipped per batch (one transaction at the centre)."""
    interval_s: int = Field(30, ge=1, le=86400)
    """Seconds between two syncs when the site is caught up."""
    send_needs: StrictBool = False
    """Ship each priority ticket's need (health data); false: only its class, "priority"."""


PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                    "fc00::/7"]


class SurveyQuestion(_Model):
    """A site's own question, asked after the nine elements; never in the IKM."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,15}$")
    """Its key in answers and reports (not U1..U9)."""
    text: Localized
    """The question in each site language."""
    labels: dict[str, list[Annotated[str, Field(min_length=1)]]]
    """Each language's four answers, from 1 (worst) to 4 (best)."""

    @field_validator("code")
    @classmethod
    def _not_an_element(cls, value: str) -> str:
        if re.fullmatch(r"U[1-9]", value):
            raise ValueError(f"{value} is one of the nine elements; choose another code")
        return value

    @field_validator("labels")
    @classmethod
    def _four(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, labels in value.items():
            if len(labels) != 4:
                raise ValueError(f"{lang}: four answers (1 to 4), got {len(labels)}")
        return value


class Survey(_Model):
    enabled: bool = True
    """The satisfaction survey (SKM, PermenPANRB 14/2017): offered on a finished ticket's
    phone page and through the API, with the counter's four-face rating."""
    profile: bool = True
    """Offer the regulation's optional respondent profile (age band, sex, education,
    occupation); never required."""
    suggestion: bool = True
    """Offer a box for a suggestion in the patron's words (kept for admins, never shown on
    a board or a phone)."""
    questions: list[SurveyQuestion] = Field(default_factory=list, max_length=10)
    """The site's own questions, after the nine; reported apart, never in the IKM."""
    rate_window_min: int = Field(15, ge=1, le=240)
    """The counter's four-face rating rates the ticket finished at that counter within
    this many minutes (and not yet rated)."""


class WebSettings(_Model):
    idle_lock_min: float = Field(5, ge=0, le=240)
    """Staff and admin screens lock after this many minutes without a key or a touch and
    ask for the PIN again (0 = never). The counter stays open while its screen is locked."""
    host: str = Field("127.0.0.1", min_length=1, max_length=253)
    """The address `kiosk serve` listens on: 127.0.0.1 (this PC only) unless told; 0.0.0.0
    for every network of the PC."""
    port: int = Field(8000, ge=1, le=65535)
    """The one port of `kiosk serve`."""
    public_url: Annotated[str, AfterValidator(_public_url)] = ""
    """The address patrons' phones and the slip's QR code use (e.g. http://10.0.0.5:8000);
    empty: none."""
    staff_networks: list[Annotated[str, AfterValidator(_network)]] = Field(
        default_factory=lambda: list(PRIVATE_NETWORKS))
    """Networks whose browsers may open the staff and admin screens (and the patron kiosk's
    screen); default: this PC and the private ranges."""
    max_patron: int = Field(4, ge=1, le=64)
    """Served patron kiosk screens at once (each an app process of about 60 MB)."""
    max_staff_per_counter: int = Field(2, ge=1, le=16)
    """Served consoles per counter at once."""
    max_boards: int = Field(4, ge=1, le=64)
    """Served Textual boards at once (the web board /board costs no process)."""
    max_admin: int = Field(2, ge=1, le=16)
    """Served admin screens at once."""
    max_screens: int = Field(16, ge=1, le=256)
    """Served screens of every kind at once: a client beyond a cap gets a plain page."""
    rate_per_minute: int = Field(120, ge=1, le=100_000)
    """Requests a minute one client address may make to the public endpoints."""


class Settings(_Model):
    site: Site = Site()
    """Who we are and where."""
    hours: Hours = Hours()
    """When tickets are issued."""
    store: StoreSettings = StoreSettings()
    """Where the store lives."""
    queue: QueueSettings = QueueSettings()
    """The call policy."""
    targets: Targets = Targets()
    """The published service standard."""
    services: list[Service] = Field(min_length=1)
    """The queues a patron can choose, in kiosk order (1..8)."""
    counters: list[Counter] = Field(min_length=1)
    """The counters and the services each calls from."""
    needs: dict[str, Need] = Field(default_factory=dict)
    """Priority needs by code (lansia, disabilitas, ...)."""
    kiosks: list[Kiosk] = Field(default_factory=lambda: [Kiosk(id="lobby")])
    """The ticket kiosks."""
    printers: dict[str, Printer] = Field(default_factory=dict)
    """Printers by name."""
    speech: Speech = Speech()
    """Spoken calls."""
    patron: Patron = Patron()
    """The patron kiosk's timing and theme."""
    web: WebSettings = WebSettings()
    """Staff and admin screens (and, next, the web server)."""
    survey: Survey = Survey()
    """The satisfaction survey (SKM) and the counter's quick rating."""
    sync: SyncSettings = SyncSettings()
    """Shipping this site's log to the head office's PostgreSQL (kiosk sync)."""
    booking: BookingSettings = BookingSettings()
    """Appointments: which services take bookings, their slots and the check-in grace."""
    closed: list[ClosedDay] = Field(default_factory=list)
    """Days the site is closed ([[closed]]): no tickets, no bookings."""

    # Filled in by load(); not part of the file.
    source: str = Field(EMBEDDED, exclude=True)
    """The file this came from, for messages."""
    warnings: tuple[str, ...] = Field((), exclude=True)
    """Things that work but are probably not intended."""

    @field_validator("services")
    @classmethod
    def _not_too_many(cls, value: list[Service]) -> list[Service]:
        if len(value) > MAX_SERVICES:
            raise ValueError(f"at most {MAX_SERVICES} services fit the kiosk, got {len(value)}")
        return value

    @field_validator("needs")
    @classmethod
    def _need_codes(cls, value: dict[str, Need]) -> dict[str, Need]:
        for code in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
                raise ValueError(f"need code {code!r} must be lower-case letters, digits, _")
        if len(value) > 7:
            raise ValueError(f"at most 7 needs fit the priority question, got {len(value)}")
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> Settings:
        langs = self.site.languages
        problems: list[tuple[str, str]] = []

        def need_langs(where: str, text: Localized | None) -> None:
            if text is None:
                return
            for lang in langs:
                if not text.get(lang, "").strip():
                    problems.append((where, f"missing the {lang!r} text"))

        prefixes = [s.prefix for s in self.services]
        for i, service in enumerate(self.services):
            if prefixes.index(service.prefix) != i:
                problems.append((f"services[{i}].prefix", f'duplicate prefix "{service.prefix}"'))
            need_langs(f"services[{i}].name", service.name)
            need_langs(f"services[{i}].detail", service.detail)
        ids = [c.id for c in self.counters]
        for i, counter in enumerate(self.counters):
            if ids.index(counter.id) != i:
                problems.append((f"counters[{i}].id", f"duplicate counter id {counter.id}"))
            need_langs(f"counters[{i}].name", counter.name)
            for j, prefix in enumerate(counter.services):
                if prefix not in prefixes:
                    problems.append(
                        (f"counters[{i}].services[{j}]", f'unknown service "{prefix}"')
                    )
        for code, need in self.needs.items():
            need_langs(f"needs.{code}.label", need.label)
        kiosk_ids = [k.id for k in self.kiosks]
        for i, kiosk in enumerate(self.kiosks):
            if kiosk_ids.index(kiosk.id) != i:
                problems.append((f"kiosks[{i}].id", f'duplicate kiosk id "{kiosk.id}"'))
            if kiosk.printer is not None and kiosk.printer not in self.printers:
                problems.append((f"kiosks[{i}].printer", f'unknown printer "{kiosk.printer}"'))
        for lang in langs:
            if lang not in self.speech.voices:
                problems.append(("speech.voices", f"no voice for language {lang!r}"))
        codes = [q.code for q in self.survey.questions]
        for i, question in enumerate(self.survey.questions):
            where = f"survey.questions[{i}]"
            if codes.index(question.code) != i:
                problems.append((f"{where}.code", f'duplicate question "{question.code}"'))
            need_langs(f"{where}.text", question.text)
            for lang in langs:
                if lang not in question.labels:
                    problems.append((f"{where}.labels", f"missing the {lang!r} answers"))
        problems += self._booking_problems(prefixes)
        seen: set[Date] = set()
        for i, closed in enumerate(self.closed):
            if closed.date in seen:
                problems.append((f"closed[{i}].date", f"{closed.date} is listed twice"))
            seen.add(closed.date)
            need_langs(f"closed[{i}].reason", closed.reason)
        if problems:
            where, what = problems[0]
            raise _KeyedError(where, what)
        return self

    def _booking_problems(self, prefixes: list[str]) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        booking = self.booking
        for i, prefix in enumerate(booking.services):
            if prefix not in prefixes:
                problems.append((f"booking.services[{i}]", f'unknown service "{prefix}"'))
        for prefix in booking.overrides:
            if prefix not in booking.services:
                problems.append((f"booking.overrides.{prefix}",
                                 f'"{prefix}" is not one of booking.services'))
                continue
            problems += self._slot_problems(f"booking.overrides.{prefix}", prefix)
        if not problems and booking.services:
            problems += self._slot_problems("booking", None)
        return problems

    def _slot_problems(self, where: str, prefix: str | None) -> list[tuple[str, str]]:
        hours = self.hours
        rules = self.slots_of(prefix)
        if not hours.open <= rules.open < rules.close <= hours.close:
            return [(where, f"slots from {rules.open:%H:%M} to {rules.close:%H:%M} must lie"
                            f" within [hours] ({hours.open:%H:%M}–{hours.close:%H:%M}),"
                            " opening before they close")]
        start = rules.open.hour * 60 + rules.open.minute
        end = rules.close.hour * 60 + rules.close.minute
        if end - start < rules.slot_min:
            return [(where, f"not one slot of {rules.slot_min} minutes fits between"
                            f" {rules.open:%H:%M} and {rules.close:%H:%M}")]
        return []

    # -- look-ups the rest of the program uses ---------------------------------------------

    @property
    def default_language(self) -> str:
        return self.site.languages[0]

    def log_file(self, process: str) -> Path:
        """Where a screen or worker process logs (logs/PROCESS.log beside the store): the
        file a plain error message on a screen points to."""
        return self.store.path.parent / "logs" / f"{process}.log"

    @property
    def local_url(self) -> str:
        """Where a browser on this PC reaches `kiosk serve` (a wildcard host as 127.0.0.1)."""
        host = "127.0.0.1" if self.web.host in ("0.0.0.0", "::") else self.web.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.web.port}"

    def ticket_url(self, token: str | None, base: str | None = None) -> str | None:
        """A ticket's phone page at `[web] public_url` (what the slip's QR code holds), else
        at `base`; None without a token, or without either address."""
        root = self.web.public_url or (base or "").rstrip("/")
        return f"{root}/t/{token}" if token and root else None

    def booking_url(self, token: str | None, base: str | None = None) -> str | None:
        """A booking's page (/book/TOKEN), as `ticket_url` gives a ticket's."""
        root = self.web.public_url or (base or "").rstrip("/")
        return f"{root}/book/{token}" if token and root else None

    def slots_of(self, prefix: str | None) -> Slots:
        """The booking rules of a service (its overrides over [booking]'s, the site's hours
        where [booking] names none)."""
        booking = self.booking
        own = booking.overrides.get(prefix or "", BookingHours())
        return Slots(
            slot_min=own.slot_min or booking.slot_min,
            per_slot=own.per_slot or booking.per_slot,
            open=own.open or booking.open or self.hours.open,
            close=own.close or booking.close or self.hours.last_ticket)

    def closed_on(self, day: str | Date) -> ClosedDay | None:
        """The [[closed]] entry of a local day (YYYY-MM-DD), if the site is closed then."""
        wanted = Date.fromisoformat(day) if isinstance(day, str) else day
        return next((c for c in self.closed if c.date == wanted), None)

    def service(self, prefix: str) -> Service:
        for service in self.services:
            if service.prefix == prefix:
                return service
        raise KeyError(prefix)

    def counter(self, counter_id: int) -> Counter:
        for counter in self.counters:
            if counter.id == counter_id:
                return counter
        raise KeyError(counter_id)

    def kiosk(self, kiosk_id: str | None = None) -> Kiosk:
        if kiosk_id is None:
            return self.kiosks[0]
        for kiosk in self.kiosks:
            if kiosk.id == kiosk_id:
                return kiosk
        raise KeyError(kiosk_id)

    def head_start(self) -> HeadStart:
        """The call policy's head start per need (seconds; None = strict)."""
        overrides = {code: need.head_start_minutes for code, need in self.needs.items()}
        return head_start_from(self.queue.head_start_minutes, overrides)

    def target(self, need: str | None) -> Target:
        return self.targets.regular if need is None else self.targets.priority


class _KeyedError(ValueError):
    """A cross-check failure that knows its own key path."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(what)
        self.where = where
        self.what = what


# -- loading -------------------------------------------------------------------------------


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before", "function-plain") or "[" in part:
            continue  # pydantic's names for validator layers and union members
        elif part in ("int", "str", "literal['strict']") or part.startswith("literal["):
            continue
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        return f"{err['msg'].lower()}, got {value!r}"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]
    if msg.startswith("Assertion failed, "):
        return msg[len("Assertion failed, ") :]
    return f"{msg[0].lower()}{msg[1:]}, got {value!r}"


def _format(source: str, exc: ValidationError) -> str:
    errors = exc.errors()
    # Prefer the error closest to what the user wrote: skip union noise when a better one exists.
    err = errors[0]
    ctx_error = err.get("ctx", {}).get("error")
    if isinstance(ctx_error, _KeyedError):
        return f"{source}: {ctx_error.where}: {ctx_error.what}"
    return f"{source}: {_key_path(err['loc'])}: {_message(err)}"


def _warnings(settings: Settings) -> tuple[str, ...]:
    served = {prefix for counter in settings.counters for prefix in counter.services}
    out = []
    alike = [s.prefix for s in settings.services if s.prefix[:1] in ALIKE_LETTERS]
    if settings.speech.letter_words == "none" and len(alike) > 1:
        used = {s.prefix[:1] for s in settings.services}
        others = [c for c in "AHKMSLNRFJ" if c not in used][:len(alike)]
        out.append(
            f'{settings.source}: speech.letter_words = "none": the prefixes'
            f" {', '.join(alike)} sound alike when called ({'/'.join(ALIKE_LETTERS)}); say"
            f' them with their words (letter_words = "alike") or choose prefixes such as'
            f" {', '.join(others)}"
        )
    if settings.booking.services and len(settings.services) >= 8:
        out.append(
            f"{settings.source}: booking.services: with {len(settings.services)} services no"
            " digit is left for the kiosk's appointment choice (9 is the other language):"
            " patrons reach it only with the arrows or Tab; offer at most 7 services there"
        )
    for i, service in enumerate(settings.services):
        if service.prefix not in served:
            out.append(
                f'{settings.source}: services[{i}]: no counter serves "{service.prefix}";'
                " its tickets would wait forever"
            )
    return tuple(out)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def fix(p: Path) -> Path:
        p = p.expanduser()
        return p if p.is_absolute() else base / p

    printers = {
        name: printer.model_copy(update={"path": fix(printer.path)})
        for name, printer in settings.printers.items()
    }
    return settings.model_copy(
        update={
            "store": settings.store.model_copy(update={"path": fix(settings.store.path)}),
            "speech": settings.speech.model_copy(update={"wav_dir": fix(settings.speech.wav_dir)}),
            "printers": printers,
        }
    )


def embedded_text() -> str:
    """The default config.toml shipped inside the package."""
    return resources.files("kiosk").joinpath("default_config.toml").read_text("utf-8")


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("kiosk", appauthor=False))


def parse(text: str, source: str, base: Path) -> Settings:
    """Parse config text; relative paths resolve against `base`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format(source, exc)) from None
    settings = _resolve_paths(settings, base)
    settings = settings.model_copy(update={"source": source})
    return settings.model_copy(update={"warnings": _warnings(settings)})


def find(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use: --config, else $KIOSK_CONFIG, else ./config.toml, else None
    (meaning the embedded default)."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    local = Path("config.toml")
    return local if local.is_file() else None


def load(
    explicit: str | os.PathLike[str] | None = None, *, db: str | os.PathLike[str] | None = None
) -> Settings:
    """Load settings following the lookup order of design §5; `db` overrides [store].path."""
    path = find(explicit)
    if path is None:
        settings = parse(embedded_text(), EMBEDDED, user_data_dir())
    else:
        name = str(path)
        if path.is_dir():
            raise ConfigError(f"{name}: is a folder, not a config file")
        try:
            text = path.read_text("utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{name}: no such config file") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{name}: not UTF-8 text") from None
        except OSError as exc:
            raise ConfigError(f"{name}: cannot read: {exc.strerror}") from None
        settings = parse(text, name, path.absolute().parent)
    if db is not None:
        settings = settings.model_copy(
            update={"store": StoreSettings(path=Path(db).expanduser().absolute())}
        )
    return settings
