"""The ticket's token and the patron's phone page (issue 23): the token at issue and on the
slip's QR code, the page and its stream through a real `kiosk serve`, "I'm leaving", the API
by token, bad tokens, and no need anywhere."""

from __future__ import annotations

import contextlib
import html
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import views
from kiosk.clock import ManualClock
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.i18n import t
from kiosk.store import Store
from kiosk.store.tokens import digest
from printers.decode import read
from printers.fake import FakePrinter

from .conftest import write_config
from .serve_support import Served
from .test_print_support import SHIPPED_PRINTER, network, toml_value

PUBLIC = "http://antrean.lobby.test:8000"
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


# -- the token in the store --------------------------------------------------------------------


def test_each_ticket_gets_a_random_token_and_the_store_keeps_only_its_digest(store: Store):
    first, second = store.issue("A"), store.issue("A")
    assert first.token and second.token and first.token != second.token
    assert TOKEN.fullmatch(first.token)
    assert store.by_token(first.token).label == "A001"
    assert store.by_token(second.token).label == "A002"
    with open(store.path, "rb") as raw:  # the token itself is nowhere in the file
        data = raw.read()
    wal = store.path.with_name(store.path.name + "-wal")
    data += wal.read_bytes() if wal.exists() else b""
    assert first.token.encode() not in data and digest(first.token) in data
    for wrong in ("", "A001", "x" * 22, first.token[:-1] + "!", first.token + "A"):
        with pytest.raises(UsageError, match="no such ticket"):
            store.by_token(wrong)


def test_issue_many_gives_each_its_own_token(store: Store):
    answers = store.issue_many([{"service": "A"}, {"service": "B"}, {"service": "A"}])
    tokens = [a.token for a in answers]  # type: ignore[union-attr]
    assert len(set(tokens)) == 3
    assert [store.by_token(tok).label for tok in tokens] == ["A001", "B001", "A002"]


def test_im_leaving_cancels_a_waiting_ticket_as_the_patron(store: Store):
    issued = store.issue("A")
    assert issued.token
    cancelled = store.cancel_by_token(issued.token)
    assert cancelled.state == "cancelled"
    event = store.events_after(0)[-1]
    assert (event.kind, event.actor, event.ticket_id) == ("cancelled", "patron", cancelled.id)
    with pytest.raises(NotAllowed):
        store.cancel_by_token(issued.token)


def test_a_called_ticket_is_not_cancelled_from_its_page(store: Store):
    store.counter(1, "open")
    issued = store.issue("A")
    store.call_next(1)
    assert issued.token
    with pytest.raises(NotAllowed, match="A001 is called"):
        store.cancel_by_token(issued.token)


def test_a_page_is_kept_a_day_after_its_ticket_ended(store: Store, clock: ManualClock):
    issued = store.issue("A")
    assert issued.token
    store.cancel_by_token(issued.token)
    clock.advance(23 * 3600)
    assert store.by_token(issued.token).state == "cancelled"
    clock.advance(2 * 3600)
    with pytest.raises(UsageError):
        store.by_token(issued.token)


def test_a_ticket_of_yesterday_is_not_cancelled_by_its_old_link(store: Store,
                                                                 clock: ManualClock):
    """Yesterday's A001 still waiting (before the day rolls over) must not cancel today's
    A001: the label is someone else's today."""
    old = store.issue("A")
    assert old.token
    clock.advance(24 * 3600)
    store.issue("A")  # the roll-over: yesterday's ticket expires
    assert store.by_token(old.token).state == "expired"
    with pytest.raises(NotAllowed):
        store.cancel_by_token(old.token)
    assert store.find("A001").state == "waiting"


def test_everyones_page_comes_from_one_read_and_never_shows_a_need(store: Store):
    store.counter(1, "open")
    for service, need in (("A", None), ("A", "lansia"), ("A", None), ("B", None)):
        store.issue(service, need)
    store.call_next(1)  # the priority ticket first
    tickets = {t.label: t for t in store.tickets_by_id(range(1, 5))}
    pages = views.ticket_pages(store, frozenset(t.id for t in tickets.values()))
    a1, a2, a3 = (pages[tickets[label].id] for label in ("A001", "A002", "A003"))
    assert a2.state == "called" and a2.counter == 1 and a2.outlook is None
    assert (a1.outlook.people_ahead, a3.outlook.people_ahead) == (0, 1)  # type: ignore[union-attr]
    for page in pages.values():  # not even the class
        assert not hasattr(page, "need") and not hasattr(page, "priority")
    # the same outlook as a ticket alone has
    alone = store.outlook(tickets["A003"])
    assert (a3.outlook.people_ahead, a3.outlook.estimated_wait_min) == (  # type: ignore[union-attr]
        alone.people_ahead, alone.estimated_wait_min)


# -- the token on the slip and the command line ----------------------------------------------------


def site_config(tmp_path: Path, *, public: bool = True, printer_port: int | None = None) -> Path:
    """The shipped config, with [web] public_url and a loopback network printer if asked."""
    replace = {}
    if public:
        replace['public_url = ""'] = f'public_url = "{PUBLIC}"'
    if printer_port is not None:
        replace[SHIPPED_PRINTER] = "[printers.main]\n" + "".join(
            f"{k} = {toml_value(v)}\n" for k, v in network(printer_port).items())
    return write_config(tmp_path, replace=replace)


def test_the_slips_qr_code_opens_the_tickets_page(tmp_path: Path):
    """With [web] public_url, the slip's QR code (decoded from the printed bytes) holds the
    ticket's page, the slip says so in words, and that address opens the ticket."""
    with FakePrinter() as fake:
        site = Served(tmp_path)
        site.config = site_config(tmp_path, printer_port=fake.port)
        issued = json.loads(site.kiosk("issue", "A", "--lang", "en", "--json").stdout)
        [data] = fake.slips()
    slip = read(data, "TM-T20II")
    token = issued["token"]
    assert TOKEN.fullmatch(token)
    assert issued["url"] == f"{PUBLIC}/t/{token}"
    assert slip.qr_native == [issued["url"]]
    assert t("en", "slip.follow_phone") in slip.texts()
    site.start()
    try:
        page = site.get(slip.qr_native[0].removeprefix(PUBLIC))
        assert page.status_code == 200 and ">A001<" in page.text
    finally:
        site.stop()


def test_without_a_public_address_the_qr_code_is_the_label(tmp_path: Path):
    with FakePrinter() as fake:
        site = Served(tmp_path)
        site.config = site_config(tmp_path, public=False, printer_port=fake.port)
        issued = json.loads(site.kiosk("issue", "B", "--json").stdout)
        [data] = fake.slips()
    slip = read(data, "TM-T20II")
    assert slip.qr_native == ["B001"]
    assert t("id", "slip.follow_phone") not in slip.texts()
    # the command line still gives the page on this PC's server
    assert issued["url"] == f"http://127.0.0.1:8000/t/{issued['token']}"


def test_a_reprinted_slip_has_a_new_link_and_the_old_one_stops(tmp_path: Path):
    with FakePrinter() as fake:
        site = Served(tmp_path)
        site.config = site_config(tmp_path, printer_port=fake.port)
        first = json.loads(site.kiosk("issue", "A", "--json").stdout)["token"]
        again = json.loads(site.kiosk("reprint", "A001", "--json").stdout)
        [_, data] = fake.slips()
    [url] = read(data, "TM-T20II").qr_native
    assert again["printed"] is True and url.startswith(f"{PUBLIC}/t/")
    assert url.endswith(first) is False
    site.start()
    try:
        assert site.get(url.removeprefix(PUBLIC)).status_code == 200
        assert site.get(f"/t/{first}").status_code == 404
    finally:
        site.stop()


# -- the page, its stream, and the API, through a real server --------------------------------------


@contextlib.contextmanager
def open_lobby(tmp_path: Path) -> Iterator[Served]:
    """`kiosk serve` on a site with a public address and counter 1 open."""
    site = Served(tmp_path)
    site.config = site_config(tmp_path)
    site.kiosk("counter", "open", "--counter", "1")
    site.start()
    try:
        yield site
    finally:
        site.stop()


@pytest.fixture
def lobby(tmp_path: Path) -> Iterator[Served]:
    with open_lobby(tmp_path) as site:
        yield site


def issue(site: Served, *args: str) -> dict:
    return json.loads(site.kiosk("issue", *args, "--no-print", "--json").stdout)


def test_the_page_says_where_the_ticket_stands_in_its_language(lobby: Served):
    ahead = issue(lobby, "A", "--lang", "en")
    mine = issue(lobby, "A", "--lang", "en")
    page = lobby.get(f"/t/{mine['token']}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="en">' in html and ">A002<" in html
    assert t("en", "phone.waiting") in html and "1 person ahead of you" in html
    assert '<noscript><meta http-equiv="refresh" content="15"></noscript>' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert f'/t/{mine["token"]}?lang=id' in html  # the switch
    indonesian = lobby.get(f"/t/{mine['token']}?lang=id").text
    assert '<html lang="id">' in indonesian and t("id", "phone.waiting") in indonesian
    lobby.kiosk("call", "--counter", "1")
    lobby.kiosk("call", "--counter", "1")  # finishes A001, calls A002
    called = lobby.get(f"/t/{mine['token']}").text
    assert t("en", "phone.called", counter="Counter 1") in called
    assert 'class="phone called"' in called
    assert lobby.get(f"/t/{ahead['token']}").text.count(t("en", "phone.done")) == 1


@pytest.mark.parametrize("steps, key", [
    (["recall"], "phone.recalled"),
    (["start"], "phone.serving"),
    (["start", "finish"], "phone.done"),
    (["recall", "no-show"], "phone.no_show"),  # a no-show: after a recall (or 60 s)
])
def test_each_turn_of_a_ticket_is_said_plainly(lobby: Served, steps, key):
    mine = issue(lobby, "A", "--lang", "en")
    lobby.kiosk("call", "--counter", "1")
    for step in steps:
        lobby.kiosk(step, "--counter", "1")
    html = lobby.get(f"/t/{mine['token']}").text
    assert t("en", key, counter="Counter 1") in html
    if key == "phone.done":
        assert "<noscript>" not in html  # an ended ticket's page stops reloading


def test_a_transfer_keeps_the_label_and_says_the_new_service(lobby: Served):
    mine = issue(lobby, "A", "--lang", "en")
    lobby.kiosk("transfer", "A001", "B")
    html = lobby.get(f"/t/{mine['token']}").text
    service = lobby_settings(lobby).service("B").name["en"]
    assert ">A001<" in html and t("en", "phone.moved", service=service) in html


def test_im_leaving_asks_then_cancels(lobby: Served):
    mine = issue(lobby, "A", "--lang", "en")
    token = mine["token"]
    question = lobby.get(f"/t/{token}/leave")
    assert t("en", "phone.leave_question", label="A001") in question.text
    assert f'action="/t/{token}/leave?lang=en"' in question.text
    foreign = lobby.post(f"/t/{token}/leave", headers={"Origin": "http://evil.test"})
    assert foreign.status_code == 403
    done = lobby.post(f"/t/{token}/leave?lang=en", follow_redirects=False,
                      headers={"Origin": lobby.url})
    assert done.status_code == 303 and done.headers["location"] == f"/t/{token}?lang=en"
    assert t("en", "phone.cancelled") in lobby.get(f"/t/{token}").text
    with Store(lobby_settings(lobby)) as store:
        event = store.events_after(0)[-1]
    assert (event.kind, event.actor) == ("cancelled", "patron")


def test_a_bad_token_is_a_plain_page_in_both_languages(lobby: Served):
    for token in ("nonsense", "A001", "x" * 22, "%00", "a" * 300):
        page = lobby.get(f"/t/{token}")
        assert page.status_code == 404, token
        text = html.unescape(page.text)
        assert t("id", "phone.not_found") in text and t("en", "phone.not_found") in text
        assert "Traceback" not in page.text and "Error" not in page.text
    assert lobby.get("/t/nonsense/stream").status_code == 404


def test_the_api_by_token(lobby: Served):
    mine = issue(lobby, "A", "--need", "lansia")
    token = mine["token"]
    got = lobby.get(f"/api/v1/tickets/{token}").json()
    assert got == {"label": "A001", "service": "A", "state": "waiting", "people_ahead": 0,
                   "estimated_wait_min": 0, "opens_at": None, "counter": None, "recalls": 0}
    assert lobby.get("/api/v1/tickets/" + "y" * 22).status_code == 404
    gone = httpx_delete(lobby, f"/api/v1/tickets/{token}")
    assert gone.status_code == 200 and gone.json() == {"label": "A001", "state": "cancelled"}
    again = httpx_delete(lobby, f"/api/v1/tickets/{token}")
    assert again.status_code == 409 and "error" in again.json()


def lobby_settings(site: Served):
    from kiosk import config as cfg

    return cfg.load(site.config)


def httpx_delete(site: Served, path: str):
    import httpx

    return httpx.delete(site.url + path, timeout=10)


def test_the_need_is_nowhere_on_a_priority_tickets_page(lobby: Served):
    mine = issue(lobby, "A", "--need", "hamil", "--lang", "en")
    texts = [lobby.get(f"/t/{mine['token']}").text,
             lobby.get(f"/t/{mine['token']}?lang=id").text,
             json.dumps(lobby.get(f"/api/v1/tickets/{mine['token']}").json())]
    for text in texts:
        lowered = text.lower()
        for word in ("hamil", "pregnant", "priorit", "lansia", "prioritas"):
            assert word not in lowered, word


def test_the_stream_sends_the_new_view_when_the_ticket_is_called(lobby: Served):
    import httpx

    mine = issue(lobby, "A", "--lang", "en")
    seen: list[dict] = []
    with httpx.stream("GET", f"{lobby.url}/t/{mine['token']}/stream", timeout=20) as stream:
        lines = stream.iter_lines()
        for line in lines:
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
                if len(seen) == 1:
                    lobby.kiosk("call", "--counter", "1")
                elif seen[-1]["state"] == "called":
                    break
    assert seen[0]["state"] == "waiting"
    assert seen[-1]["state"] == "called" and seen[-1]["alert"]
    assert t("en", "phone.called", counter="Counter 1") in seen[-1]["html"]
    assert seen[-1]["title"] == t("en", "phone.called_title", label="A001")


def test_no_token_in_the_servers_log(lobby: Served):
    mine = issue(lobby, "A")
    lobby.get(f"/t/{mine['token']}")
    lobby.get(f"/api/v1/tickets/{mine['token']}")
    lobby.get("/t/" + "z" * 22)
    log = (lobby.tmp_path / "data" / "logs" / "serve.log").read_text("utf-8")
    assert "GET /t/{token} 200" in log and "GET /api/v1/tickets/{token} 200" in log
    assert mine["token"] not in log and "z" * 22 not in log
    assert mine["token"] not in lobby.log.read_text("utf-8")


def test_the_page_is_small(lobby: Served):
    mine = issue(lobby, "A")
    page = lobby.get(f"/t/{mine['token']}")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert sorted(assets) == ["/static/kiosk/phone.css", "/static/kiosk/phone.js"]
    total = len(page.content) + sum(len(lobby.get(a).content) for a in assets)
    assert total < 50_000, total
    print(f"the phone page with everything: {total:,} bytes")
    assert "http://" not in page.text.replace(PUBLIC, "") and "https://" not in page.text


def test_sqlite_never_holds_the_token(tmp_path: Path):
    site = Served(tmp_path)
    site.config = site_config(tmp_path)
    token = issue(site, "A")["token"]
    with sqlite3.connect(tmp_path / "data" / "kiosk.db") as conn:
        rows = conn.execute("SELECT * FROM tickets").fetchall()
    assert token not in repr(rows)


def test_the_page_and_its_stream_are_rate_limited_per_address(tmp_path: Path):
    site = Served(tmp_path, replace={"rate_per_minute = 120": "rate_per_minute = 4"})
    # (start() asks /healthz once: a public endpoint too)
    token = issue(site, "A")["token"]
    site.start()
    try:
        answers = [site.get(f"/t/{token}").status_code for _ in range(3)]
        refused = site.get(f"/t/{token}/stream")
        api = site.get(f"/api/v1/tickets/{token}")
    finally:
        site.stop()
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    text = html.unescape(refused.text)
    assert t("id", "web.too_many") in text and t("en", "web.too_many") in text
    assert api.status_code == 429 and "too many requests" in api.json()["error"]
