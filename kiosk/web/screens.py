"""The Textual screens on the server's port: `/screen/patron?kiosk=ID`,
`/screen/staff?counter=N`, `/screen/board`, `/screen/admin`, `/screen/rate?counter=N` (the
counter's four faces, on a small tablet facing the patron).

Each browser tab gets its own app process, driven through textual-serve's `AppService`
from this server's own websocket route (the seam: AppService's three callbacks and its
start/stop; nothing of textual-serve is copied or patched). The page is ours
(templates/screen.html): local fonts, the site's languages, and a script that reconnects
by itself (static/screen.js). What this route adds around the app process:

- an unknown screen, counter or kiosk, a network that may not open it, or a screen kind at
  its cap is a plain page in the site's languages, never an app process;
- the websocket refuses a foreign Origin and counts against the same caps;
- when the app process ends (it crashed, was killed, or quit), the socket is closed, so
  the page says it is reconnecting and reloads into a fresh app instead of showing a
  frozen screen;
- files an app delivers (the admin's exports) are downloaded by the browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shlex
import sys
from pathlib import Path

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.websockets import WebSocketDisconnect
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from kiosk.config import Settings
from kiosk.i18n import both
from kiosk.web.guard import same_origin
from kiosk.web.pages import page
from kiosk.web.state import Served, served

log = logging.getLogger(__name__)

router = APIRouter()
SCREENS = ("patron", "staff", "board", "admin", "rate")
NETWORK_ONLY = {"patron", "staff", "admin", "rate"}
"""Screens a browser outside `[web] staff_networks` may not open (the board is public; the
rating tablet sits at its counter, on the office's network, and writes to the store)."""
PER_COUNTER = ("staff", "rate")
"""Screens opened for one counter (`?counter=N`)."""
STOP_S = 5.0
downloads = DownloadManager()


def _kind(screen: str, counter: int | None) -> str:
    return f"{screen}:{counter}" if screen in PER_COUNTER else screen


def _cap(settings: Settings, kind: str) -> int:
    web = settings.web
    if kind.startswith(("staff:", "rate:")):
        # A counter's rating tablets count against the same cap as its consoles (each its
        # own kind: a console open twice leaves the tablet its own); no key of their own.
        return web.max_staff_per_counter
    return {"patron": web.max_patron, "board": web.max_boards, "admin": web.max_admin}[kind]


def _refusal(state: Served, conn: Request | WebSocket, screen: str,
             query: dict[str, str]) -> tuple[int, str, dict[str, str]] | None:
    """Why this screen cannot be served to this client: (status, catalogue key, its
    values) or None."""
    settings = state.settings
    if screen not in SCREENS:
        return 404, "web.unknown_screen", {"screen": screen[:40]}
    if screen in NETWORK_ONLY and not state.networks.allows(conn):
        return 403, "web.not_allowed", {}
    if screen in PER_COUNTER:
        counter = query.get("counter", "")
        known = [str(c.id) for c in settings.counters]
        if counter not in known:
            return 404, "web.unknown_counter", {"counter": counter[:20] or "?",
                                                "known": ", ".join(known)}
    if screen == "patron":
        kiosk = query.get("kiosk") or settings.kiosks[0].id
        known = [k.id for k in settings.kiosks]
        if kiosk not in known:
            return 404, "web.unknown_kiosk", {"kiosk": kiosk[:40], "known": ", ".join(known)}
    counter = int(query["counter"]) if screen in PER_COUNTER else None
    kind = _kind(screen, counter)
    if (state.screens.get(kind, 0) >= _cap(settings, kind)
            or sum(state.screens.values()) >= settings.web.max_screens):
        return 503, "web.busy", {}
    return None


def command(settings: Settings, screen: str, query: dict[str, str]) -> str:
    """The app process a tab gets: the same `kiosk SCREEN` a terminal runs, on the same
    config and store file."""
    argv = [sys.executable, "-m", "kiosk"]
    if settings.source and not settings.source.startswith("<"):
        argv += ["--config", str(Path(settings.source).resolve())]
    argv += ["--db", str(Path(settings.store.path).resolve()), screen]
    if screen in PER_COUNTER:
        argv += ["--counter", query["counter"]]
    if screen == "patron":
        argv += ["--kiosk", query.get("kiosk") or settings.kiosks[0].id]
    return shlex.join(argv)


@router.get("/screen/{screen}", response_class=HTMLResponse, include_in_schema=False)
async def screen_page(screen: str, request: Request) -> Response:
    state = served(request)
    query = dict(request.query_params)
    refusal = _refusal(state, request, screen, query)
    if refusal is not None:
        status, key, values = refusal
        return page(request, state.settings, key, status=status, values=values,
                    retry=status == 503)
    font = query.get("fontsize", "")
    font_size = int(font) if font.isascii() and font.isdigit() and 6 <= int(font) <= 96 else 16
    langs = state.settings.site.languages
    title = f"{state.settings.site.name} — {screen}"
    # The screen's own parameter goes in the path: textual.js appends "?width=&height=".
    target = query.get("counter") if screen in PER_COUNTER else (
        query.get("kiosk") or state.settings.kiosks[0].id) if screen == "patron" else "-"
    socket = f"/screen/{screen}/ws/{target}"
    return request.app.state.templates.TemplateResponse(request, "screen.html", {
        "title": title, "font_size": font_size, "socket": socket, "lang": langs[0],
        "screen": screen, "fixed_font": "fontsize" in query,
        "reconnecting": both(langs, "web.reconnecting"),
        "reconnecting_hint": both(langs, "web.reconnecting_hint"),
    })


@router.websocket("/screen/{screen}/ws/{target}")
async def screen_socket(websocket: WebSocket, screen: str, target: str) -> None:
    state = served(websocket)
    query = dict(websocket.query_params)  # width and height
    if screen in PER_COUNTER:
        query["counter"] = target
    elif screen == "patron":
        query["kiosk"] = target
    if not same_origin(websocket, state.settings.web.public_url):
        log.warning("screen %s: refused a websocket from origin %r", screen,
                    websocket.headers.get("origin"))
        await websocket.close(code=4403, reason="foreign origin")
        return
    refusal = _refusal(state, websocket, screen, query)
    if refusal is not None:
        await websocket.close(code=4000 + refusal[0], reason=refusal[1])
        return
    counter = int(query["counter"]) if screen in PER_COUNTER else None
    kind = _kind(screen, counter)
    state.screens[kind] = state.screens.get(kind, 0) + 1
    try:
        await websocket.accept()
        await _serve(websocket, command(state.settings, screen, query), query)
    finally:
        state.screens[kind] -= 1


def _size(query: dict[str, str], name: str, default: int) -> int:
    value = query.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 1000 \
        else default


async def _serve(websocket: WebSocket, cmd: str, query: dict[str, str]) -> None:
    """Drive one app process from this socket until either ends; then end the other."""

    async def close() -> None:
        with contextlib.suppress(Exception):
            await websocket.close()

    service = AppService(cmd, write_bytes=websocket.send_bytes, write_str=websocket.send_text,
                         close=close, download_manager=downloads)
    await service.start(_size(query, "width", 80), _size(query, "height", 24))
    reader = asyncio.create_task(_read(websocket, service))
    app_task = service._task  # the app's run(): ends when its process does
    try:
        waiting = [reader] + ([app_task] if app_task is not None else [])
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
        await _stop(service)
        await close()  # a page whose app is gone reconnects and reloads into a fresh one


async def _read(websocket: WebSocket, service: AppService) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            try:
                envelope = json.loads(text)
                kind, data = envelope[0], envelope[1]
            except (ValueError, IndexError, KeyError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                width, height = data.get("width"), data.get("height")
                if isinstance(width, int) and isinstance(height, int):
                    await service.set_terminal_size(width, height)
            elif kind == "ping":
                await websocket.send_text(json.dumps(["pong", data]))
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


async def _stop(service: AppService) -> None:
    """Ask the app to quit; kill its process if it has not within STOP_S."""
    try:
        await asyncio.wait_for(service.stop(), STOP_S)
    except (TimeoutError, Exception):
        process = service._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()


@router.get("/download/{key}", include_in_schema=False)
async def download(key: str) -> Response:
    """A file a served app delivered (an admin's export): to the browser, never to a
    folder on the server."""
    try:
        meta = await downloads.get_download_metadata(key)
    except KeyError:
        return Response("no such download", status_code=404, media_type="text/plain")
    content_type = meta.mime_type + (f"; charset={meta.encoding}" if meta.encoding else "")
    disposition = "inline" if meta.open_method == "browser" else "attachment"
    name = "".join(c for c in meta.file_name if c.isalnum() or c in "._-") or "download"
    return StreamingResponse(downloads.download(key), media_type=content_type,
                             headers={"Content-Disposition": f"{disposition}; filename={name}"})

