"""`kiosk serve`: one ASGI process for the whole lobby (design §10).

`create_app(settings)` builds the FastAPI application: the Textual screens
(kiosk/web/screens.py), the HTTP API and its event stream (kiosk/web/api.py,
kiosk/web/hub.py), the API documentation from local assets, and around them what every
response needs: security headers (a Content-Security-Policy that forbids framing and
outside sources), a body size limit, and every error as one JSON line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import KioskError
from kiosk.host import notify
from kiosk.host.notify import Notifier
from kiosk.store import Store
from kiosk.store.thread import StoreThread
from kiosk.web import api, board, booking, phone, screens, survey
from kiosk.web.batch import IssueBatcher
from kiosk.web.guard import ApiError, Keys, Networks, RateLimit, status_of
from kiosk.web.hub import EventHub
from kiosk.web.request_log import RequestLog, shown_path
from kiosk.web.state import Served

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ICON_FONTS = {
    "emoji.ttf": (Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
                  "fonts-noto-color-emoji"),
    "symbols.ttf": (Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
                    "fonts-dejavu-core"),
}
"""/fonts/NAME -> (the file on the host, the Debian package that has it): the icons and
symbols the grid font (Roboto Mono) lacks; screen.css gives each its unicode-range."""
MAX_BODY = 64 * 1024
"""The largest request body any endpoint takes (a ticket's JSON is under 200 bytes)."""


def _csp(request: Request) -> str:
    host = request.headers.get("host", "")
    sockets = f" ws://{host} wss://{host}" if host else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            " img-src 'self' data:; font-src 'self'; media-src 'self';"
            f" connect-src 'self'{sockets}; frame-ancestors 'none'; base-uri 'none';"
            " form-action 'self'; object-src 'none'")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "the body is not valid JSON"
    parts = []
    for e in errors[:3]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return 422, "; ".join(parts)


def create_app(settings: Settings, *, clock: clk.Clock | None = None,
               home: tuple[str, dict[str, str]] | None = None,
               notifier: Notifier | None = None) -> FastAPI:
    """The application; `home`: (screen, its parameters) that "/" opens (`kiosk web
    SCREEN`), else "/" lists the screens; `notifier`: systemd's line (ready once the store
    is open and the hub runs, the watchdog pinged by the hub's poll)."""
    notifier = notifier or Notifier({})
    clock = clock or clk.from_environment()
    store = StoreThread(settings, clock, name="kiosk-serve-store")
    state = Served(
        settings=settings, store=store,
        printing=StoreThread(settings, clock, name="kiosk-serve-print"),
        hub=EventHub(StoreThread(settings, clock, name="kiosk-serve-hub"),
                     alive=notifier.alive),
        issuer=IssueBatcher(store),
        keys=Keys(store), limit=RateLimit(settings.web.rate_per_minute),
        networks=Networks(settings.web.staff_networks),
        pages=StoreThread(settings, clock, name="kiosk-serve-pages"), clock=clock)
    state.live = {"board": board.follower(state), "ticket": phone.follower(state)}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await state.store.run(Store.data_version)  # open (and migrate) now, not at a request
        await state.hub.start()
        for follower in state.live.values():
            await follower.start()
        notifier.ready(f"serving {settings.site.name}")
        try:
            yield
        finally:
            notifier.stopping()
            for follower in state.live.values():
                await follower.stop()
            await state.hub.stop()
            await state.issuer.stop()
            for thread in (state.store, state.printing, state.hub.store, state.pages):
                if thread is not None:
                    thread.close()

    # The documentation is the Swagger UI of the swagger-ui-bundle package (4.x, served
    # from here: a lobby LAN has no internet), which reads OpenAPI 3.0 documents only.
    app = FastAPI(title=f"{settings.site.name} — kiosk API", version="1",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.openapi_version = "3.0.3"
    app.state.served = state
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    _mount_static(app)
    app.include_router(api.router)
    app.include_router(screens.router)
    app.include_router(phone.router)
    app.include_router(survey.router)
    app.include_router(booking.router)
    app.include_router(board.router)
    _add_pages(app, settings, home)
    _add_errors(app)
    app.add_middleware(Guard)
    app.add_middleware(RequestLog)  # the outermost: it sees every refusal too
    return app


def _mount_static(app: FastAPI) -> None:
    import swagger_ui_bundle
    import textual_serve

    app.mount("/static/kiosk", StaticFiles(directory=HERE / "static"), name="kiosk-static")
    app.mount("/static/textual",
              StaticFiles(directory=Path(textual_serve.__file__).parent / "static"),
              name="textual-static")
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
              name="swagger-static")


def _add_pages(app: FastAPI, settings: Settings,
               home: tuple[str, dict[str, str]] | None) -> None:
    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs(request: Request) -> Response:
        return app.state.templates.TemplateResponse(request, "docs.html", {
            "title": f"{settings.site.name} — API", "lang": "en"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)  # browsers ask; there is none to fetch from outside

    @app.get("/fonts/{name}", include_in_schema=False)
    async def icon_font(name: str) -> Response:
        """The icons' fonts, from the host (Debian's fonts-noto-color-emoji and
        fonts-dejavu-core, both under free licences): served from here, since a lobby LAN
        has no internet."""
        if name not in ICON_FONTS:
            return _error(404, f"no font {name[:40]!r} here")
        path, package = ICON_FONTS[name]
        if not path.exists():
            return _error(404, f"no font at {path}: apt install {package}")
        return FileResponse(path, media_type="font/ttf",
                            headers={"Cache-Control": "max-age=86400"})

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def index(request: Request) -> Response:
        if home is not None:
            screen, params = home
            query = urlencode({**dict(request.query_params), **params})
            return RedirectResponse(f"/screen/{screen}?{query}", status_code=307)
        return app.state.templates.TemplateResponse(request, "index.html", {
            "title": settings.site.name, "lang": settings.site.languages[0],
            "counters": [c.id for c in settings.counters],
            "kiosks": [k.id for k in settings.kiosks],
            "booking": bool(settings.booking.services)})


def _add_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return _error(exc.status, str(exc))

    @app.exception_handler(KioskError)
    async def kiosk_error(request: Request, exc: KioskError) -> Response:
        return _error(status_of(exc), str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(*_validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: f"no such address: {request.url.path}",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(
                       exc.status_code, str(exc.detail))
        return _error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, shown_path(request.scope))
        return _error(500, f"the server failed on {request.url.path} because of a fault in"
                           " the program; the details are in the server's log")


class Guard:
    """Around every request (plain ASGI: Starlette's BaseHTTPMiddleware costs more than a
    ticket does): a body over MAX_BODY is refused with 413 before it is read, and every
    response carries the security headers (a CSP that forbids framing and outside
    sources, no sniffing, no referrer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        extra = [(k.encode(), v.encode()) for k, v in (
            ("content-security-policy", _csp(request)), ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"))]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        length = request.headers.get("content-length", "")
        refusal: JSONResponse | None = None
        if length and (not length.isascii() or not length.isdigit() or int(length) > MAX_BODY):
            refusal = _error(413, f"the body is too large: at most {MAX_BODY} bytes")
        elif (request.headers.get("transfer-encoding", "").lower() == "chunked"
              and scope["method"] in ("POST", "PUT", "PATCH", "DELETE")):
            refusal = _error(411, "send the body with a Content-Length")
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def run(settings: Settings, host: str, port: int, *,
        home: tuple[str, dict[str, str]] | None = None, **uvicorn_options: Any) -> None:
    """Serve until stopped (SIGINT/SIGTERM), with uvicorn."""
    import uvicorn

    # A stop closes the screens' sockets at once (their pages reconnect to the next server)
    # instead of waiting for browsers that never hang up.
    uvicorn_options.setdefault("timeout_graceful_shutdown", 3)
    # log_config=None: uvicorn's records go where this process's log goes (kiosk.host.logs);
    # its own access log is off, RequestLog writes one line per request without tokens.
    uvicorn.run(create_app(settings, home=home, notifier=notify.for_this_process()),
                host=host, port=port, log_level="warning", log_config=None,
                access_log=False, **uvicorn_options)
