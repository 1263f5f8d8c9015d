"""The lobby board as a web page (design §10): `/board`, its stream, and the calls' WAVs.

A TV in a second hall opens `/board` (`?services=A,B`: only those services; `?sound=1`: it
plays each call's announcement from the announcer's `wav` output, `/audio/{event_id}.wav`).
What it shows is what the Textual board shows (kiosk/ui/board), read through the same
`views.board`: the calls being made now, the newest highlighted until the next call, the
last calls, waiting and the estimate per service, and "announcements off". Every page
rides the server's one event poller through a `Follower` (kiosk/web/live.py): one store
read per batch of events for all the boards, and no process of their own.

One template (templates/board.html) renders the whole page and, from its `board` block,
the fragment each change sends down the stream, so the page has one wording.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment
from markupsafe import Markup

from kiosk import views
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.i18n import board_languages, t, wait_text
from kiosk.rows import Call, ServiceOutlook
from kiosk.store import Store
from kiosk.web.hub import event_stream, message
from kiosk.web.live import Follower
from kiosk.web.pages import page
from kiosk.web.state import Served, served

log = logging.getLogger(__name__)
router = APIRouter()

TEMPLATE = "board.html"
RECENT = 8
"""The last calls listed, as on the Textual board (kiosk/ui/board/app.py)."""
ALSO = 3
"""Other open calls shown beside the newest, as on the Textual board."""
READ = 4 * RECENT
"""Calls read per batch: enough that a hall showing some services still has its own."""
REFRESH_S = 5.0
"""Read again this often without events: "announcements off" follows the announcers'
heartbeats, which are not events."""
TICK_S = 15.0
"""A `tick` event (the site's time) this often: keeps proxies from closing a quiet stream
and lets the page notice a stream that died without a word."""
AUDIO_MISSING = {"Cache-Control": "no-store"}

Key = tuple[str, ...]
"""The services a page shows (their prefixes, in config order); () for all."""
Words = tuple[tuple[str, str], ...]
"""A text in each site language, (lang, text), said once when the languages agree."""


@dataclass(frozen=True)
class CallLine:
    event_id: int
    label: str
    counter: int
    where: Words
    """The counter's name from config."""
    recall: bool
    open: bool
    """Still being made: the ticket is called or served at that counter."""


@dataclass(frozen=True)
class ServiceLine:
    prefix: str
    name: Words
    waiting: int
    wait: Words


@dataclass(frozen=True)
class Board:
    """What one board page shows (compared to decide whether its stream sends)."""

    calling: tuple[CallLine, ...]
    """The calls being made now, newest first: the first is highlighted."""
    last: tuple[CallLine, ...]
    services: tuple[ServiceLine, ...]
    announcements_on: bool


# -- words ------------------------------------------------------------------------------------


def _each(languages: Sequence[str], text: Callable[[str], str]) -> Words:
    said: dict[str, str] = {}
    for lang in languages:
        said.setdefault(text(lang), lang)
    return tuple((lang, words) for words, lang in said.items())


def words(languages: Sequence[str], key: str, **values: object) -> Words:
    return _each(languages, lambda lang: t(lang, key, **values))


def named(names: dict[str, str], languages: Sequence[str]) -> Words:
    return _each([lang for lang in languages if lang in names], names.__getitem__)


def say(text: Words) -> Markup:
    """Each language in its own `lang` span, joined as the Textual board joins them."""
    return Markup(" / ").join(Markup('<span lang="{}">{}</span>').format(lang, part)
                              for lang, part in text)


CAPTIONS = {
    "now_calling": "call.now_calling", "announcements_off": "call.announcements_off",
    "last_calls": "board.last_calls", "no_calls": "board.no_calls", "again": "board.again",
    "service": "board.service", "waiting": "board.waiting", "wait": "board.wait",
    "new": "web_board.new", "also": "web_board.also", "sound": "web_board.sound",
    "sound_on": "web_board.sound_on", "title": "web_board.title",
    "reconnecting": "web.reconnecting", "reconnecting_hint": "web.reconnecting_hint"}
"""The page's own words, by the name the template uses: the Textual board's where it has
them."""


@lru_cache(maxsize=8)
def captions(languages: tuple[str, ...]) -> dict[str, Words]:
    return {name: words(languages, key) for name, key in CAPTIONS.items()}


# -- what a board shows -----------------------------------------------------------------------


def _where(settings: Settings, languages: Sequence[str], counter: int) -> Words:
    try:
        return named(settings.counter(counter).name, languages)
    except KeyError:  # a counter since removed from config
        return tuple((lang, f"{text} {counter}")
                     for lang, text in words(languages, "call.counter"))


def _line(settings: Settings, languages: Sequence[str], call: Call) -> CallLine:
    return CallLine(call.event_id, call.label, call.counter,
                    _where(settings, languages, call.counter), call.recall, call.open)


def _service(settings: Settings, languages: Sequence[str], row: ServiceOutlook) -> ServiceLine:
    try:
        name = named(settings.service(row.service).name, languages)
    except KeyError:
        name = ()
    tz = settings.site.tz
    wait = _each(languages, lambda lang: wait_text(lang, row.estimated_wait_min, row.opens_at,
                                                   tz, short=True))
    return ServiceLine(row.service, name, row.waiting, wait)


def board_of(settings: Settings, view: views.BoardView, key: Key,
             queues: dict[str, str]) -> Board:
    """One page's board from the one read: only the services of `key` (all when empty),
    ordered and chosen as the Textual board does."""
    languages = board_languages(settings)
    calls = [c for c in view.calls if not key or queues.get(c.label, c.label[:1]) in key]
    calling = [c for c in calls if c.open][:1 + ALSO]
    rows = [r for r in view.services if not key or r.service in key]
    return Board(tuple(_line(settings, languages, c) for c in calling),
                 tuple(_line(settings, languages, c) for c in calls[:RECENT]),
                 tuple(_service(settings, languages, r) for r in rows),
                 view.announcements_on)


def _queues(store: Store, calls: Sequence[Call]) -> dict[str, str]:
    """Each called label's queue now: a transfer keeps the label, and the call belongs to
    the hall of the service that serves it."""
    out = {}
    for call in calls:
        with contextlib.suppress(UsageError):  # not today's: the label's letter
            out[call.label] = store.find(call.label).service
    return out


def compute(settings: Settings) -> Callable[[Store, frozenset[Key]], dict[Key, Board]]:
    def read(store: Store, keys: frozenset[Key]) -> dict[Key, Board]:
        with store.snapshot():
            view = views.board(store, READ)
            queues = _queues(store, view.calls) if any(keys) else {}
        return {key: board_of(settings, view, key, queues) for key in keys}

    return read


def follower(state: Served) -> Follower[Key, Board]:
    assert state.pages is not None
    return Follower("board", state.hub, state.pages, compute(state.settings),
                    refresh_s=REFRESH_S)


# -- the page and its stream ------------------------------------------------------------------


def _key(settings: Settings, asked: str) -> Key | str:
    """The services asked for, in config order; or the first unknown one."""
    known = [s.prefix for s in settings.services]
    wanted = {p.strip().upper() for p in asked.split(",") if p.strip()}
    for prefix in sorted(wanted):
        if prefix not in known:
            return prefix
    return tuple(p for p in known if p in wanted)


def _unknown(request: Request, settings: Settings, prefix: str) -> HTMLResponse:
    known = ", ".join(s.prefix for s in settings.services)
    return page(request, settings, "web_board.unknown_service", status=404,
                values={"service": prefix[:20], "known": known})


def _clock(state: Served) -> tuple[str, int]:
    """The site's time now: as shown (HH:MM), and its wall time in ms for the page's clock
    (the server's clock and the site's zone, whatever the TV's own say)."""
    local = state.clock.now().astimezone(state.settings.site.tz)
    return local.strftime("%H:%M"), int(local.replace(tzinfo=UTC).timestamp() * 1000)


@lru_cache(maxsize=32)
def fragment(env: Environment, value: Board, languages: tuple[str, ...]) -> str:
    """The board block alone (what a change sends), once per value for every page."""
    template = env.get_template(TEMPLATE)
    context = template.new_context({"b": value, "say": say, "t": captions(languages)})
    return "".join(template.blocks["board"](context))


@router.get("/board", response_class=HTMLResponse, include_in_schema=False)
async def board_page(request: Request, services: str = "", sound: str = "") -> Response:
    state = served(request)
    state.limit.check(request)
    key = _key(state.settings, services)
    if isinstance(key, str):
        return _unknown(request, state.settings, key)
    try:
        value = await state.live["board"].value(key)
    except Exception as exc:  # a busy or broken store: say so, and ask again by itself
        log.warning("board: cannot read the store: %s", exc)
        return page(request, state.settings, "board.store_trouble", status=503, retry=True)
    languages = tuple(board_languages(state.settings))
    text = captions(languages)
    time, wall_ms = _clock(state)
    query = f"?services={','.join(key)}" if key else ""
    name = state.settings.site.name
    return request.app.state.templates.TemplateResponse(request, TEMPLATE, {
        "b": value, "say": say, "t": text, "lang": languages[0], "site": name,
        "title": f"{name} — {' / '.join(part for _, part in text['title'])}",
        "time": time, "wall_ms": wall_ms, "stream": f"/board/stream{query}",
        "sound": sound == "1"})


@router.get("/board/stream", include_in_schema=False)
async def board_stream(request: Request, services: str = "") -> Response:
    state = served(request)
    state.limit.check(request)
    key = _key(state.settings, services)
    if isinstance(key, str):
        return _unknown(request, state.settings, key)
    env = request.app.state.templates.env
    return event_stream(_stream(state, env, key))


async def _stream(state: Served, env: Environment, key: Key) -> AsyncIterator[str]:
    """The board's fragment whenever it changes (the current one first, so a page that
    reconnects catches up), and the time every TICK_S."""
    languages = tuple(board_languages(state.settings))
    async for value in state.live["board"].follow(key, idle_s=TICK_S):
        wall_ms = _clock(state)[1]
        if value is None:
            yield message("tick", {"clock": wall_ms})
        else:
            yield message("board", {"html": fragment(env, value, languages),
                                     "clock": wall_ms})


# -- the calls' announcements -----------------------------------------------------------------


def announcement(folder: Path, event_id: int) -> Path | None:
    """The WAV the announcer wrote for call event `event_id` (`DAY-EVENTID-LABEL.wav`,
    kiosk/announcer.py), found by the id alone: nothing of the request names a path."""
    found = [p for p in folder.glob(f"*-{event_id:08d}-*.wav") if p.is_file()]
    return max(found) if found else None


@router.get("/audio/{name}", include_in_schema=False)
async def audio(request: Request, name: str) -> Response:
    """A call's announcement for boards with `?sound=1`; 404 until the announcer wrote it
    (the page asks again for a few seconds)."""
    state = served(request)
    state.limit.check(request)
    stem = name.removesuffix(".wav")
    path = None
    if name.endswith(".wav") and stem.isascii() and stem.isdigit() and len(stem) <= 12:
        path = await asyncio.to_thread(announcement, state.settings.speech.wav_dir, int(stem))
    if path is None:
        return Response(f"no announcement {name[:40]!r} here\n", status_code=404,
                        media_type="text/plain", headers=AUDIO_MISSING)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "max-age=3600"})
