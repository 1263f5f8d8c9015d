"""The HTTP API of `kiosk serve` (design §10): health, metrics, services, tickets, counter
verbs, transfer, status, report and the event stream.

Every handler reads through the read side (kiosk.views, kiosk.reports) and writes through
the store's verbs, on the server's store thread; nothing here computes what the screens
compute. Keys and scopes: kiosk.web.guard. The actor of every verb is `api:KEYNAME`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from kiosk import views
from kiosk.exceptions import IssueRefused
from kiosk.rows import ApiKey, Issued, Ticket
from kiosk.store import ANY, Store
from kiosk.web.guard import ApiError
from kiosk.web.hub import event_stream
from kiosk.web.state import served

router = APIRouter()

TICKET_VERBS = {"call": Store.call_next, "recall": Store.recall, "start": Store.start,
                "finish": Store.finish, "no-show": Store.no_show}
COUNTER_ACTIONS = ("pause", "resume", "open", "close")


def scope(name: str) -> Any:
    """A handler's key, with `name` among its scopes: checked before the body is (401 and
    403 come before 422)."""

    async def check(request: Request) -> ApiKey:
        return await served(request).keys.require(request, name)

    return Depends(check)


def public_ticket(ticket: Ticket | None, **extra: Any) -> dict[str, Any]:
    """A ticket as the API shows it: never its need (only whether it is priority)."""
    out = views.ticket_json(ticket, **extra)
    need = out.pop("need", None)
    if ticket is not None:
        out["priority"] = need is not None
    return out


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketIn(_Body):
    service: str = Field(min_length=1, max_length=1, description="the service's prefix")
    need: str | None = Field(None, max_length=40, description="a priority need's code")
    lang: str | None = Field(None, max_length=8)
    kiosk: str | None = Field(None, max_length=40, description="whose printer prints")
    print: bool = False


class TransferIn(_Body):
    service: str = Field(min_length=1, max_length=1)
    position: Literal["front", "back"] | None = None


class CounterIn(_Body):
    minutes: int | None = Field(None, ge=1, le=600, description="pause: back in this long")


# -- public -------------------------------------------------------------------------------------


@router.get("/healthz", tags=["public"])
async def healthz(request: Request, response: Response) -> dict[str, Any]:
    """The store answers, and each printer's and announcer's state; 503 when the store
    cannot be read."""
    state = served(request)
    state.limit.check(request)
    try:
        body = await state.store.run(views.health)
    except Exception as exc:
        response.status_code = 503
        return {"ok": False, "store": str(exc), "printers": {}, "announcers": {}}
    body["streams"] = len(state.hub.listeners)
    return body


@router.get("/api/v1/services", tags=["public"])
async def services(request: Request) -> list[dict[str, Any]]:
    """Each service: its names, who waits, the estimated wait for a ticket taken now
    (minutes, rounded as the kiosk says it; 0 = under 5), and whether it is served now."""
    state = served(request)
    state.limit.check(request)
    outlook = await state.store.run(Store.waiting_outlook)
    names = {s.prefix: s.name for s in state.settings.services}
    return [{"prefix": o.service, "name": names.get(o.service, {}), "waiting": o.waiting,
             "estimated_wait_min": o.estimated_wait_min, "opens_at": o.opens_at,
             "open": o.estimated_wait_min is not None and o.opens_at is None}
            for o in outlook]


@router.get("/metrics", tags=["public"], response_class=PlainTextResponse)
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus text: today's tickets per service and outcome, who waits now, failed
    prints today, live event streams. From the staff networks only."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    state = served(request)
    if not state.networks.allows(request):
        raise ApiError(403, "metrics are for the office network")
    data = await state.store.run(views.metrics)
    streams = len(state.hub.listeners)

    class Today:
        def collect(self) -> Any:
            tickets = GaugeMetricFamily("kiosk_tickets_today", "tickets today by outcome",
                                        labels=["service", "outcome"])
            for service, counts in data.counts.items():
                for outcome, n in counts.items():
                    tickets.add_metric([service, outcome], n)
            yield tickets
            waiting = GaugeMetricFamily("kiosk_waiting", "tickets waiting now",
                                        labels=["service"])
            for service, n in data.waiting.items():
                waiting.add_metric([service], n)
            yield waiting
            yield GaugeMetricFamily("kiosk_print_failures_today", "slips not printed today",
                                    value=data.print_failures)
            yield GaugeMetricFamily("kiosk_event_streams", "live event streams", value=streams)

    registry = CollectorRegistry()
    registry.register(Today())  # type: ignore[arg-type]
    return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


# -- tickets ------------------------------------------------------------------------------------


@router.post("/api/v1/tickets", status_code=201, tags=["tickets"])
async def issue(body: TicketIn, request: Request,
                key: ApiKey = scope("issue")) -> dict[str, Any]:
    """Issue a ticket (scope `issue`), printed on the named kiosk's printer when asked."""
    state = served(request)
    try:
        issued: Issued = await state.issuer.issue(
            service=body.service.upper(), need=body.need, lang=body.lang, kiosk=body.kiosk,
            actor=f"api:{key.name}")
    except IssueRefused as exc:
        raise ApiError(409, f"not issued: {exc}") from None
    printed: bool | None = None
    if body.print:
        from printers.worker import print_issued

        printed = await state.printing.run(print_issued, issued, body.kiosk)
    ticket = issued.ticket
    url = state.settings.ticket_url(issued.token, str(request.base_url))
    return {"label": ticket.label, "token": issued.token, "url": url, "service": ticket.service,
            "state": ticket.state, "priority": ticket.need is not None,
            "people_ahead": issued.people_ahead,
            "estimated_wait_min": issued.estimated_wait_min, "opens_at": issued.opens_at,
            "issued_at": ticket.issued_at, "printed": printed}


@router.post("/api/v1/tickets/{label}/transfer", tags=["staff"])
async def transfer(label: str, body: TransferIn, request: Request,
                   key: ApiKey = scope("staff")) -> dict[str, Any]:
    """Move a waiting or called ticket to another service's queue (scope `staff`)."""
    state = served(request)
    ticket = await state.store.run(Store.transfer, label, body.service.upper(),
                                   position=body.position, actor=f"api:{key.name}")
    return public_ticket(ticket)


# -- counters -----------------------------------------------------------------------------------


@router.post("/api/v1/counters/{counter_id}/{verb}", tags=["staff"])
async def counter_verb(counter_id: int, verb: str, request: Request,
                       body: CounterIn | None = None,
                       key: ApiKey = scope("staff")) -> dict[str, Any]:
    """A counter's verb (scope `staff`): call (finish the current ticket and call the
    next), recall, start, finish, no-show, or the counter's pause, resume, open, close."""
    state = served(request)
    actor = f"api:{key.name}"
    if verb in TICKET_VERBS:
        ticket = await state.store.run(TICKET_VERBS[verb], counter_id, actor=actor, expect=ANY)
        return public_ticket(ticket, counter=counter_id)
    if verb in COUNTER_ACTIONS:
        minutes = body.minutes if body is not None else None
        new = await state.store.run(Store.counter, counter_id, verb, actor=actor,
                                    minutes=minutes)
        return {"counter": counter_id, "state": new}
    known = ", ".join([*TICKET_VERBS, *COUNTER_ACTIONS])
    raise ApiError(404, f'unknown counter verb "{verb}" (verbs: {known})')


# -- reading ------------------------------------------------------------------------------------


@router.get("/api/v1/status", tags=["read"])
async def status(request: Request, key: ApiKey = scope("read")) -> dict[str, Any]:
    """The object of `kiosk status --json` (scope `read`)."""
    state = served(request)
    overview = await state.store.run(views.status)
    return overview.as_json()


def _day(text: str | None, name: str) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ApiError(400, f"{name}: a date is YYYY-MM-DD, got {text[:40]!r}") from None


@router.get("/api/v1/report", tags=["admin"])
async def report(request: Request,
                 date_from: str | None = Query(None, alias="from"),
                 date_to: str | None = Query(None, alias="to"),
                 service: str | None = Query(None, max_length=1),
                 counter: int | None = None,
                 key: ApiKey = scope("admin")) -> dict[str, Any]:
    """The object of `kiosk report --format json` (scope `admin`); dates are local
    YYYY-MM-DD, both default to today."""
    from kiosk import reports

    state = served(request)
    to = _day(date_to, "to")
    start = _day(date_from, "from")

    def read(store: Store) -> dict[str, Any]:
        last = to or store.today()
        rep = reports.report(store, state.settings, date_from=start or last, date_to=last,
                             service=service.upper() if service else None, counter=counter)
        # Every use of the admin scope is in the log, under the key's name.
        store.log("api_report", actor=f"api:{key.name}",
                  detail={"from": start or last, "to": last})
        return rep

    return await state.store.run(read)


@router.get("/api/v1/events", tags=["read"], response_class=StreamingResponse)
async def events(request: Request, after: int | None = Query(None, ge=0),
                 last_event_id: str | None = Header(None),
                 key: ApiKey = scope("read")) -> StreamingResponse:
    """Server-sent events (scope `read`): `id:` the event's id, `event:` its kind, `data:`
    the event as JSON (a need only as "priority"). Resumes after `Last-Event-ID` (or
    `?after=ID`); without either, from now on."""
    state = served(request)
    start = after
    if last_event_id is not None:
        if not last_event_id.strip().isdigit() or not last_event_id.isascii():
            raise ApiError(400, f"Last-Event-ID is an event id, got {last_event_id[:40]!r}")
        start = int(last_event_id)
    return event_stream(state.hub.stream(start))
