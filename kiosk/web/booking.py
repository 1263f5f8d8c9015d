"""Appointments on the web (design §14, issue 26): the booking page `/book`, a booking's
own page `/book/{token}` (cancel with a question), and the API (`/api/v1/slots`,
`/api/v1/bookings`, `/api/v1/bookings/{token}`).

The pages are server-rendered and need no script: each step is a page of links (service,
day, time), the last a form (an optional priority need, then "Book"), posted and answered
with a redirect to the booking's page (POST-redirect-GET), so a reload never books twice.
Both languages through `?lang=`; the phone page's look (phone.css: AAA contrast, large
type, zoom never off); every request counts against the public rate limit; forms from
another site are refused. No name, phone or ID number is asked, and no page shows the
need, nor even the word priority, once chosen. After check-in a booking's page sends its
holder to the ticket's page (the ticket took the booking's token).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode as _urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kiosk import clock as clk
from kiosk.config import Settings
from kiosk.exceptions import BookingRefused, UsageError, WrongField
from kiosk.i18n import day_words, refusal_text, slot_words, t
from kiosk.rows import Booking
from kiosk.store import Store
from kiosk.web.guard import ApiError
from kiosk.web.phone import same_site
from kiosk.web.state import Served, served

router = APIRouter()


def urlencode(query: dict[str, Any]) -> str:
    """A query string that keeps a time readable (start=09:30, not 09%3A30)."""
    return _urlencode(query, safe=":")

REFRESH_S = 60
"""A booking's page on its day loads itself again this often: checked in, it becomes the
ticket's page without a tap."""


# -- what the pages say --------------------------------------------------------------------


def _lang(settings: Settings, wanted: str | None, fallback: str | None = None) -> str:
    if wanted in settings.site.languages:
        return str(wanted)
    return fallback if fallback in settings.site.languages else settings.default_language


def _service_name(settings: Settings, prefix: str, lang: str) -> str:
    try:
        return settings.service(prefix).name[lang]
    except KeyError:
        return prefix


def _switch(request: Request, settings: Settings, lang: str) -> list[tuple[str, str, str]]:
    """(code, its name, this page's address in it) for each other site language."""
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    return [(code, t(code, "language.name"),
             f"{request.url.path}?{urlencode({**query, 'lang': code})}")
            for code in settings.site.languages if code != lang]


def _page(request: Request, state: Served, template: str, lang: str, title: str,
          status: int = 200, **context: Any) -> Response:
    settings = state.settings
    return request.app.state.templates.TemplateResponse(
        request, template,
        {"title": title, "lang": lang, "site": settings.site.name,
         "languages": _switch(request, settings, lang),
         "t": lambda key, **values: t(lang, key, **values), **context},
        status_code=status, headers={"Cache-Control": "no-store"})


def _plain(request: Request, state: Served, key: str, status: int) -> HTMLResponse:
    from kiosk.web.pages import page

    return page(request, state.settings, key, status=status)


def _limited(request: Request, state: Served) -> HTMLResponse | None:
    """The rate limit's plain page (429), or None when the address may go on."""
    try:
        state.limit.check(request)
    except ApiError as exc:
        return _plain(request, state, "web.too_many", exc.status)
    return None


def _free_text(lang: str, free: int) -> str:
    if free <= 0:
        return t(lang, "booking.full")
    return t(lang, "booking.free_one") if free == 1 else t(lang, "booking.free", n=free)


def _day_label(lang: str, day: str, today: str) -> str:
    words = day_words(lang, day)
    tomorrow = (date.fromisoformat(today) + timedelta(days=1)).isoformat()
    if day == today:
        return f"{t(lang, 'booking.today')}: {words}"
    if day == tomorrow:
        return f"{t(lang, 'booking.tomorrow')}: {words}"
    return words


# -- /book: service, day, time, need -------------------------------------------------------


def _days(store: Store, service: str) -> list[tuple[str, int, str | None]]:
    """(day, free places, closed reason key or None) for every bookable day."""
    out = []
    for day in store.booking_days():
        closed = store.settings.closed_on(day)
        if closed is not None:
            out.append((day, 0, "closed"))
            continue
        out.append((day, sum(s.free for s in store.slots(service, day)), None))
    return out


@router.get("/book", response_class=HTMLResponse, include_in_schema=False)
async def book_page(request: Request, lang: str | None = None, service: str | None = None,
                    day: str | None = Query(None, alias="date"),
                    start: str | None = None) -> Response:
    state = served(request)
    limited = _limited(request, state)
    if limited is not None:
        return limited
    return await _step(request, state, _lang(state.settings, lang), service, day, start)


async def _step(request: Request, state: Served, lang: str, service: str | None,
                day: str | None, start: str | None, *, notice: str | None = None,
                status: int = 200) -> Response:
    """The booking page at the step its parameters reach."""
    settings = state.settings
    title = t(lang, "booking.title")
    bookable = settings.booking.services
    if not bookable:
        return _page(request, state, "book.html", lang, title, 404, step="none")
    if service is None and len(bookable) == 1:
        service = bookable[0]
    if service is None:
        choices = [(settings.service(p), f"/book?{urlencode({'service': p, 'lang': lang})}")
                   for p in bookable]
        return _page(request, state, "book.html", lang, title, status, step="service",
                     services=[(s.icon, s.name[lang], (s.detail or {}).get(lang, ""), href)
                               for s, href in choices], notice=notice)
    service = service.upper()
    if service not in bookable:
        return _page(request, state, "book.html", lang, title, 404, step="unknown",
                     back=f"/book?lang={lang}")
    name = _service_name(settings, service, lang)
    base = {"service": service, "lang": lang}
    services_back = f"/book?lang={lang}" if len(bookable) > 1 else None
    if day is None:
        today = await state.store.run(Store.today)
        days = await state.store.run(_days, service)
        rows = []
        for when, free, closed in days:
            label = _day_label(lang, when, today)
            if closed:
                entry = settings.closed_on(when)
                reason = (entry.reason or {}).get(lang) if entry else None
                note = (t(lang, "booking.closed_reason", reason=reason) if reason
                        else t(lang, "booking.closed"))
                rows.append((label, note, None))
            else:
                href = f"/book?{urlencode({**base, 'date': when})}" if free else None
                rows.append((label, _free_text(lang, free), href))
        return _page(request, state, "book.html", lang, title, status, step="day",
                     service=name, days=rows, back=services_back, notice=notice)
    try:
        slots = await state.store.run(Store.slots, service, day)
    except WrongField:
        return _plain(request, state, "booking.not_found", 404)
    day_back = f"/book?{urlencode(base)}"
    if start is None:
        rows = [(f"{s.start}–{s.end}", _free_text(lang, s.free),
                 f"/book?{urlencode({**base, 'date': day, 'start': s.start})}"
                 if s.free else None) for s in slots]
        return _page(request, state, "book.html", lang, title, status, step="slot",
                     service=name, day=day_words(lang, day), slots=rows, back=day_back,
                     any_free=any(href for _label, _note, href in rows), notice=notice)
    chosen = next((s for s in slots if s.start == start), None)
    if chosen is None or not chosen.free:
        notice = t(lang, "booking.refused.full" if chosen else "booking.refused.past")
        return await _step(request, state, lang, service, day, None, notice=notice,
                           status=409)
    needs = [(code, need.icon, need.label.get(lang, code))
             for code, need in settings.needs.items()]
    return _page(request, state, "book.html", lang, title, status, step="need",
                 service=name, when=slot_words(lang, day, chosen.start, chosen.end),
                 slot=f"{chosen.start}–{chosen.end}", needs=needs,
                 form={"service": service, "date": day, "start": chosen.start},
                 back=f"/book?{urlencode({**base, 'date': day})}")


@router.post("/book", response_class=HTMLResponse, include_in_schema=False)
async def book_post(request: Request, lang: str | None = None) -> Response:
    """The need form: book, then the booking's page (303); a slot taken meanwhile shows
    the day's times again with the reason (409)."""
    state = served(request)
    if not same_site(request):
        return _plain(request, state, "booking.refused_form", 403)
    limited = _limited(request, state)
    if limited is not None:
        return limited
    form = {k: str(v) for k, v in (await request.form()).items()}
    chosen = _lang(state.settings, form.get("lang") or lang)
    service = form.get("service", "").upper()
    day, start = form.get("date", ""), form.get("start", "")
    need = form.get("need") or None
    if need == "none":
        need = None
    try:
        _booking, token, _code = await state.store.run(
            Store.book, service, day, start, need, chosen)
    except BookingRefused as exc:
        return await _step(request, state, chosen, service, day, None,
                           notice=refusal_text(chosen, exc), status=409)
    except WrongField:
        return _plain(request, state, "booking.not_found", 422)
    except UsageError:
        return _page(request, state, "book.html", chosen, t(chosen, "booking.title"), 404,
                     step="unknown", back=f"/book?lang={chosen}")
    return RedirectResponse(f"/book/{token}?{urlencode({'lang': chosen, 'new': 1})}",
                            status_code=303)


# -- /book/{token}: the booking's own page ---------------------------------------------------


async def _booking(request: Request, state: Served, token: str) -> Booking | HTMLResponse:
    limited = _limited(request, state)
    if limited is not None:
        return limited
    try:
        return await state.store.run(Store.booking_by_token, token)
    except UsageError:
        return _plain(request, state, "booking.not_found", 404)


def _times(settings: Settings, booking: Booking) -> tuple[str, str]:
    """The check-in window in local "HH:MM": from early_min before the slot's start to
    late_min after it."""
    start = clk.parse(booking.slot_at).astimezone(settings.site.tz)
    rules = settings.booking
    early = start - timedelta(minutes=rules.early_min)
    late = start + timedelta(minutes=rules.late_min)
    return f"{early:%H:%M}", f"{late:%H:%M}"


def booking_view(settings: Settings, booking: Booking, lang: str, today: str,
                 url: str | None) -> dict[str, Any]:
    """What a booking's page says in `lang` (never the need)."""
    early, late = _times(settings, booking)
    when = slot_words(lang, booking.day, booking.slot_start, booking.slot_end)
    ended = booking.state == "booked" and booking.day < today
    headline = (t(lang, "booking.cancelled") if booking.state == "cancelled"
                else t(lang, "booking.ended") if ended else None)
    return {
        "code": booking.code, "state": booking.state, "headline": headline,
        "what": t(lang, "booking.slot",
                  service=_service_name(settings, booking.service, lang), when=when),
        "when": when, "hint": t(lang, "booking.code_hint", early=early, late=late),
        "url": url, "live": booking.state == "booked" and not ended,
        "can_cancel": booking.state == "booked" and not ended,
        "refresh": REFRESH_S if booking.state == "booked" and booking.day == today else None,
    }


@router.get("/book/{token}", response_class=HTMLResponse, include_in_schema=False)
async def booking_page(request: Request, token: str, lang: str | None = None,
                       new: int | None = None) -> Response:
    state = served(request)
    found = await _booking(request, state, token)
    if isinstance(found, HTMLResponse):
        return found
    chosen = _lang(state.settings, lang, found.lang)
    if found.state == "checked_in":  # the booking is a ticket now: its page
        return RedirectResponse(f"/t/{token}?lang={chosen}", status_code=303)
    today = await state.store.run(Store.today)
    url = state.settings.booking_url(token, str(request.base_url))
    view = booking_view(state.settings, found, chosen, today, url)
    title = t(chosen, "booking.booked" if new and view["live"] else "booking.your_booking")
    return _page(request, state, "booking.html", chosen, title, token=token, view=view,
                 new=bool(new) and view["live"])


@router.get("/book/{token}/cancel", response_class=HTMLResponse, include_in_schema=False)
async def cancel_question(request: Request, token: str, lang: str | None = None) -> Response:
    state = served(request)
    found = await _booking(request, state, token)
    if isinstance(found, HTMLResponse):
        return found
    chosen = _lang(state.settings, lang, found.lang)
    today = await state.store.run(Store.today)
    view = booking_view(state.settings, found, chosen, today, None)
    return _page(request, state, "booking_cancel.html", chosen,
                 t(chosen, "booking.your_booking"), token=token, view=view)


@router.post("/book/{token}/cancel", include_in_schema=False)
async def cancel(request: Request, token: str, lang: str | None = None) -> Response:
    """The question's form: cancels the booking, then back to its page (303)."""
    state = served(request)
    if not same_site(request):
        return _plain(request, state, "booking.refused_form", 403)
    found = await _booking(request, state, token)
    if isinstance(found, HTMLResponse):
        return found
    chosen = _lang(state.settings, lang, found.lang)
    try:
        await state.store.run(Store.cancel_booking, token)
    except BookingRefused:
        return _plain(request, state, "booking.cannot_cancel", 409)
    return RedirectResponse(f"/book/{token}?lang={chosen}", status_code=303)


# -- the API -------------------------------------------------------------------------------


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(min_length=1, max_length=1, description="the service's prefix")
    date: str = Field(min_length=1, max_length=10, description="the local day, YYYY-MM-DD")
    start: str = Field(min_length=1, max_length=5, description="the slot's start, HH:MM")
    need: str | None = Field(None, max_length=40, description="a priority need's code")
    lang: str | None = Field(None, max_length=8)


def booking_json(booking: Booking) -> dict[str, Any]:
    return {"code": booking.code, "service": booking.service, "date": booking.day,
            "slot_start": booking.slot_start, "slot_end": booking.slot_end,
            "state": booking.state}


@router.get("/api/v1/slots", tags=["public"])
async def api_slots(request: Request, service: str = Query(min_length=1, max_length=1),
                    day: str = Query(alias="date", min_length=1, max_length=10),
                    ) -> list[dict[str, Any]]:
    """The slots of a service on a local day that can still be booked, in local time:
    `[{"start": "HH:MM", "end": "HH:MM", "free": N}]` (free 0: full); none on a closed
    day, a past one or beyond [booking] days_ahead. 404: a service that takes no
    bookings; 422: a day that is not YYYY-MM-DD."""
    state = served(request)
    state.limit.check(request)
    slots = await state.store.run(Store.slots, service.upper(), day)
    return [{"start": s.start, "end": s.end, "free": s.free} for s in slots]


@router.post("/api/v1/bookings", status_code=201, tags=["public"])
async def api_book(body: BookingIn, request: Request) -> dict[str, Any]:
    """Book a slot (public: no key, no personal data): 201 with the six-digit check-in
    `code`, the `token` and `url` of the booking's page (which becomes the ticket's at
    check-in). 409: the slot is full or past, the day closed or too far ahead; 404: a
    service that takes no bookings; 422: a field that is wrong (a day, a time that is no
    slot, an unknown need or language)."""
    state = served(request)
    state.limit.check(request)
    booking, token, code = await state.store.run(
        Store.book, body.service.upper(), body.date, body.start, body.need, body.lang)
    return {"code": code, "token": token,
            "url": state.settings.booking_url(token, str(request.base_url)),
            "service": booking.service, "date": booking.day,
            "slot_start": booking.slot_start, "slot_end": booking.slot_end}


@router.get("/api/v1/bookings/{token}", tags=["public"])
async def api_booking(request: Request, token: str) -> dict[str, Any]:
    """A booking by its token: its code, service, day, slot and state (booked, cancelled,
    checked_in) and, once checked in, its ticket's `label`."""
    state = served(request)
    state.limit.check(request)

    def read(store: Store) -> dict[str, Any]:
        booking = store.booking_by_token(token)
        ticket = store.ticket_of_booking(booking)
        return {**booking_json(booking), "label": ticket.label if ticket else None}

    return await state.store.run(read)


@router.delete("/api/v1/bookings/{token}", tags=["public"])
async def api_cancel(request: Request, token: str) -> dict[str, Any]:
    """Its holder cancels a booking: 200; again, or once checked in or past: 409."""
    state = served(request)
    state.limit.check(request)
    booking = await state.store.run(Store.cancel_booking, token)
    return booking_json(booking)
