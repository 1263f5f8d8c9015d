"""The patron's phone page (design §10): `/t/{token}`, its stream, "I'm leaving", and the
same ticket through the API (`/api/v1/tickets/{token}`, its stream, DELETE).

Only the token opens a ticket (a label is guessable). Every page follows the queue through
one `Follower` (kiosk.web.live): after each batch of events one read gives every followed
ticket's page (kiosk.views.ticket_pages), and each stream gets its own only when it changed.
The page is server-rendered; its script swaps in the fragment the stream sends (the same
template), so there is one wording; without script it reloads itself every 15 s. Nothing
here shows a need or even the word priority.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from kiosk.config import Settings
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.i18n import ahead_text, t, wait_text
from kiosk.rows import Ticket
from kiosk.store import Store
from kiosk.views import TicketPage, ticket_pages
from kiosk.web.guard import ApiError
from kiosk.web.hub import event_stream, message
from kiosk.web.live import Follower
from kiosk.web.state import Served, served

router = APIRouter()

REFRESH_S = 15
"""Without script, the page loads itself again this often."""
ALIVE_S = 15.0
"""The stream says it is alive this often (the page shows "updated HH:MM" from it)."""
ENDED = frozenset({"done", "no_show", "expired", "cancelled"})
CALLED = frozenset({"called"})


def follower(state: Served) -> Follower[int, TicketPage]:
    assert state.pages is not None
    return Follower("ticket", state.hub, state.pages, ticket_pages)


async def _ticket(state: Served, token: str) -> Ticket:
    """The token's ticket (UsageError "no such ticket" otherwise: a 404)."""
    assert state.pages is not None
    return await state.pages.run(Store.by_token, token)


# -- what the page says ------------------------------------------------------------------------


def _counter(settings: Settings, counter: int | None, lang: str) -> str:
    try:
        return settings.counter(counter).name[lang] if counter is not None else ""
    except KeyError:
        return str(counter)


def _service(settings: Settings, prefix: str, lang: str) -> str:
    try:
        return settings.service(prefix).name[lang]
    except KeyError:
        return prefix


def words(settings: Settings, page: TicketPage, lang: str) -> dict[str, Any]:
    """The page's content in `lang`: the headline for its state and the lines under it."""
    counter = _counter(settings, page.counter, lang)
    lines: list[str] = []
    if page.state == "waiting":
        headline = t(lang, "phone.waiting")
        if page.outlook is not None:
            lines += [ahead_text(lang, page.outlook.people_ahead),
                      wait_text(lang, page.outlook.estimated_wait_min, page.outlook.opens_at,
                                settings.site.tz)]
    elif page.state == "called":
        key = "phone.recalled" if page.recalls else "phone.called"
        headline = t(lang, key, counter=counter)
    elif page.state == "serving":
        headline = t(lang, "phone.serving", counter=counter)
    else:
        headline = t(lang, f"phone.{page.state}")
    if page.moved and page.state in ("waiting", "called"):
        lines.insert(0, t(lang, "phone.moved", service=_service(settings, page.service, lang)))
    if page.slot is not None:  # checked in for a booked slot: said like the slip says it
        lines.insert(0, t(lang, "checkin.appointment", slot=page.slot))
    return {
        "label": page.label,
        "service": t(lang, "ticket.service", service=_service(settings, page.service, lang)),
        "state": page.state,
        "headline": headline,
        "lines": lines,
        "called": page.state in CALLED,
        "alert": f"{page.state}:{page.counter}:{page.recalls}" if page.state in CALLED else "",
        "title": (t(lang, "phone.called_title", label=page.label) if page.state in CALLED
                  else t(lang, "phone.title", label=page.label)),
        "can_leave": page.state == "waiting",
        "survey": page.state == "done" and settings.survey.enabled,
    }


def _lang(settings: Settings, wanted: str | None, page: TicketPage) -> str:
    return wanted if wanted in settings.site.languages else page.lang


def _context(state: Served, token: str, page: TicketPage, lang: str) -> dict[str, Any]:
    settings = state.settings
    now = state.clock.now().astimezone(settings.site.tz)
    return {
        "title": words(settings, page, lang)["title"], "lang": lang, "token": token,
        "view": words(settings, page, lang), "site": settings.site.name,
        "updated": t(lang, "phone.updated", time=now.strftime("%H:%M")),
        "refresh": REFRESH_S if page.state not in ENDED else None,
        "languages": [(code, t(code, "language.name")) for code in settings.site.languages
                      if code != lang],
        "t": lambda key, **values: t(lang, key, **values),
    }


def _fragment(request: Request, context: dict[str, Any]) -> str:
    template = request.app.state.templates.get_template("phone_ticket.html")
    return str(template.render(context))


def _not_found(request: Request, state: Served, status: int = 404,
               key: str = "phone.not_found") -> HTMLResponse:
    from kiosk.web.pages import page

    return page(request, state.settings, key, status=status)


async def ticket_of(request: Request, state: Served, token: str) -> Ticket | HTMLResponse:
    """The token's ticket (this address's request counted against the rate limit), or the
    plain page that says why there is none (404, 429)."""
    try:
        state.limit.check(request)
    except ApiError as exc:
        return _not_found(request, state, exc.status, "web.too_many")
    try:
        return await _ticket(state, token)
    except UsageError:
        return _not_found(request, state)


async def _page_of(request: Request, token: str) -> tuple[Served, TicketPage] | HTMLResponse:
    """The ticket's page now, or the plain page that says why there is none."""
    state = served(request)
    ticket = await ticket_of(request, state, token)
    if isinstance(ticket, HTMLResponse):
        return ticket
    page = await state.live["ticket"].value(ticket.id)
    return _not_found(request, state) if page is None else (state, page)


# -- the page ------------------------------------------------------------------------------------


async def _show(request: Request, token: str, lang: str | None, template: str) -> Response:
    found = await _page_of(request, token)
    if isinstance(found, HTMLResponse):
        return found
    state, page = found
    context = _context(state, token, page, _lang(state.settings, lang, page))
    return request.app.state.templates.TemplateResponse(
        request, template, context, headers={"Cache-Control": "no-store"})


@router.get("/t/{token}", response_class=HTMLResponse, include_in_schema=False)
async def ticket_page(request: Request, token: str, lang: str | None = None) -> Response:
    shown = await _show(request, token, lang, "phone.html")
    if shown.status_code == 404:  # a booking's link before its check-in: its page
        booked = await _booking_before_check_in(served(request), token)
        if booked:
            query = f"?lang={lang}" if lang in served(request).settings.site.languages else ""
            return RedirectResponse(f"/book/{token}{query}", status_code=303)
    return shown


async def _booking_before_check_in(state: Served, token: str) -> bool:
    """Does this token open a booking that has no ticket yet (kiosk.web.booking)?"""
    try:
        booking = await state.store.run(Store.booking_by_token, token)
    except UsageError:
        return False
    return booking.state != "checked_in"


@router.get("/t/{token}/stream", include_in_schema=False)
async def ticket_page_stream(request: Request, token: str, lang: str | None = None) -> Response:
    """The page's fragment each time it changes (event `view`), and `alive` meanwhile."""
    found = await _page_of(request, token)
    if isinstance(found, HTMLResponse):
        return found
    state, first = found
    chosen = _lang(state.settings, lang, first)

    def render(page: TicketPage) -> str:
        context = _context(state, token, page, chosen)
        view = context["view"]
        return message("view", {"html": _fragment(request, context), "state": page.state,
                             "alert": view["alert"], "title": view["title"],
                             "updated": context["updated"]})

    def alive() -> str:
        now = state.clock.now().astimezone(state.settings.site.tz)
        return message("alive", {"updated": t(chosen, "phone.updated",
                                            time=now.strftime("%H:%M"))})

    return event_stream(_follow(state, first.id, render, alive))


@router.get("/t/{token}/leave", response_class=HTMLResponse, include_in_schema=False)
async def leave_question(request: Request, token: str, lang: str | None = None) -> Response:
    return await _show(request, token, lang, "phone_leave.html")


@router.post("/t/{token}/leave", include_in_schema=False)
async def leave(request: Request, token: str, lang: str | None = None) -> Response:
    """The form of the question above: cancels a waiting ticket, then back to its page."""
    state = served(request)
    if not same_site(request):
        return _not_found(request, state, 403, "phone.cannot_leave")
    try:
        state.limit.check(request)
        assert state.pages is not None
        await state.pages.run(Store.cancel_by_token, token)
    except ApiError as exc:
        return _not_found(request, state, exc.status, "web.too_many")
    except UsageError:
        return _not_found(request, state)
    except NotAllowed:
        return _not_found(request, state, 409, "phone.cannot_leave")
    query = f"?lang={lang}" if lang in state.settings.site.languages else ""
    return RedirectResponse(f"/t/{token}{query}", status_code=303)


def same_site(request: Request) -> bool:
    """A form posted from this server's own page (the token in the address is the secret;
    this also keeps another site from making a phone post it)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin in ("null", f"{request.url.scheme}://{request.url.netloc}")


# -- the same ticket through the API ------------------------------------------------------------


def ticket_json(settings: Settings, page: TicketPage) -> dict[str, Any]:
    """`GET /api/v1/tickets/{token}` (public): never the need, nor the class."""
    outlook = page.outlook
    return {"label": page.label, "service": page.service, "state": page.state,
            "people_ahead": outlook.people_ahead if outlook else None,
            "estimated_wait_min": outlook.estimated_wait_min if outlook else None,
            "opens_at": outlook.opens_at if outlook else None,
            "counter": page.counter, "recalls": page.recalls}


async def _api_page(request: Request, token: str) -> tuple[Served, TicketPage]:
    state = served(request)
    state.limit.check(request)
    ticket = await _ticket(state, token)  # UsageError: 404 {"error": ...}
    page = await state.live["ticket"].value(ticket.id)
    if page is None:
        raise ApiError(404, "no such ticket")
    return state, page


@router.get("/api/v1/tickets/{token}", tags=["public"])
async def api_ticket(request: Request, token: str) -> dict[str, Any]:
    """A ticket by its token (public: the token is the key): its state, people ahead, the
    estimate, the counter that called it."""
    state, page = await _api_page(request, token)
    return ticket_json(state.settings, page)


@router.get("/api/v1/tickets/{token}/stream", tags=["public"],
            response_class=StreamingResponse)
async def api_ticket_stream(request: Request, token: str) -> Response:
    """Server-sent events (public): `ticket` with the object above each time it changes."""
    state, first = await _api_page(request, token)
    return event_stream(_follow(
        state, first.id, lambda page: message("ticket", ticket_json(state.settings, page)),
        lambda: ": alive\n\n"))


@router.delete("/api/v1/tickets/{token}", tags=["public"])
async def api_leave(request: Request, token: str) -> dict[str, Any]:
    """The holder cancels a waiting ticket ("I'm leaving"): a `cancelled` event, actor
    `patron`; 409 once it is called or ended."""
    state = served(request)
    state.limit.check(request)
    assert state.pages is not None
    ticket = await state.pages.run(Store.cancel_by_token, token)
    return {"label": ticket.label, "state": ticket.state}


# -- streams -------------------------------------------------------------------------------------


async def _follow(state: Served, ticket_id: int, render: Callable[[TicketPage], str],
                  alive: Callable[[], str]) -> AsyncIterator[str]:
    """The ticket's values as they change (rendered), `alive()` between them."""
    yield "retry: 2000\n\n"
    async for page in state.live["ticket"].follow(ticket_id, idle_s=ALIVE_S):
        yield alive() if page is None else render(page)
