"""Appointments through a real `kiosk serve` and the real command line (issue 26): the API's
answers and statuses, the booking page walked with plain HTTP (no script) in both
languages, cancelling with a question, a slot taken meanwhile, a closed day, the check-in
that turns the booking's page into the ticket's, `kiosk check-in` and `kiosk bookings`,
the wrong codes' slow-down, the rate limit; no need anywhere, no token in the log."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.i18n import slot_words, t

from .conftest import TWO_PLACES
from .serve_support import Served

PUBLIC = "http://antrean.lobby.test:8000"
CLOSED = """
[[closed]]
date = "2026-12-01"
reason = { id = "Cuti bersama", en = "Collective leave" }
"""
LINK = re.compile(r'<a class="choice" href="([^"]+)">')
NEED_WORDS = ("lansia", "elderly", "priorit", "hamil", "pregnant")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`kiosk serve` at 09:00 on Friday 27 November 2026, a public address, 1 December
    closed, and a rate limit these tests stay under."""
    served = Served(tmp_path_factory.mktemp("booking"), CLOSED, replace={
        'public_url = ""': f'public_url = "{PUBLIC}"',
        "rate_per_minute = 120": "rate_per_minute = 100000", **TWO_PLACES})
    served.kiosk("counter", "open", "--counter", "1")
    served.start()
    try:
        yield served
    finally:
        served.stop()


def kiosk_at(site: Served, now: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`kiosk ARGS` with the clock standing at `now` (local time, "HH:MM")."""
    env = {**site.env(), "KIOSK_NOW": f"2026-11-27T{now}:00+07:00"}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, cwd=site.tmp_path,
                          capture_output=True, text=True, timeout=60)


def book(site: Served, start: str, **more: Any) -> httpx.Response:
    body = {"service": "A", "date": "2026-11-27", "start": start, **more}
    return site.post("/api/v1/bookings", json=body)


def delete(site: Served, path: str) -> httpx.Response:
    return httpx.delete(site.url + path, timeout=10)


def one_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in response.text
    return str(body["error"])


def local_path(url: str) -> str:
    return url.removeprefix(PUBLIC)


# -- the API ------------------------------------------------------------------------------------


def test_the_api_books_and_answers_each_refusal_with_its_status(site: Served):
    slots = site.get("/api/v1/slots?service=A&date=2026-11-27").json()
    assert slots[0] == {"start": "09:15", "end": "09:30", "free": 2} and len(slots) == 25
    assert site.get("/api/v1/slots?service=A&date=2026-12-01").json() == []  # closed
    made = book(site, "13:00", lang="en")
    assert made.status_code == 201
    answer = made.json()
    assert set(answer) == {"code", "token", "url", "service", "date", "slot_start",
                           "slot_end"}
    assert re.fullmatch(r"\d{6}", answer["code"]) and len(answer["token"]) == 22
    assert answer["url"] == f"{PUBLIC}/book/{answer['token']}"
    assert (answer["service"], answer["slot_start"], answer["slot_end"]) == (
        "A", "13:00", "13:15")
    assert book(site, "13:00").status_code == 201
    assert "is full" in one_error(book(site, "13:00"), 409)
    assert site.get("/api/v1/slots?service=A&date=2026-11-27").json()[15]["free"] == 0
    assert "passed" in one_error(book(site, "08:30"), 409)
    assert "closed" in one_error(book(site, "10:00", date="2026-12-01"), 409)
    assert "too far ahead" in one_error(book(site, "10:00", date="2027-01-27"), 409)
    assert "takes no bookings" in one_error(book(site, "10:00", service="B"), 404)
    assert "unknown service" in one_error(book(site, "10:00", service="Z"), 404)
    assert one_error(book(site, "10:00", date="27/11/2026"), 422).startswith("date:")
    assert one_error(book(site, "10:07"), 422).startswith("start:")
    assert one_error(book(site, "10:00", need="vip"), 422).startswith("need:")
    assert one_error(book(site, "10:00", lang="fr"), 422).startswith("lang:")
    one_error(book(site, "10:00", name="Budi"), 422)  # no field for a name
    one_error(site.post("/api/v1/bookings", json={"service": "A"}), 422)
    one_error(site.post("/api/v1/bookings", content=b"{", headers={
        "content-type": "application/json"}), 400)
    one_error(site.get("/api/v1/slots?service=A&date=tomorrow"), 422)
    one_error(site.get("/api/v1/slots?service=A"), 422)
    token = answer["token"]
    assert site.get(f"/api/v1/bookings/{token}").json() == {
        "code": answer["code"], "service": "A", "date": "2026-11-27", "slot_start": "13:00",
        "slot_end": "13:15", "state": "booked", "label": None}
    one_error(site.get("/api/v1/bookings/" + "q" * 22), 404)
    # its check-in code is no key to it: six digits are guessed far sooner than a token
    one_error(delete(site, f"/api/v1/bookings/{answer['code']}"), 422)
    assert site.get(f"/api/v1/bookings/{token}").json()["state"] == "booked"
    gone = delete(site, f"/api/v1/bookings/{token}")
    assert gone.status_code == 200 and gone.json()["state"] == "cancelled"
    assert "already cancelled" in one_error(delete(site, f"/api/v1/bookings/{token}"), 409)
    assert book(site, "13:00").status_code == 201  # its place is free again


def test_a_priority_booking_says_priority_nowhere(site: Served):
    made = book(site, "13:30", need="hamil", lang="en").json()
    texts = [json.dumps(made), site.get(f"/api/v1/bookings/{made['token']}").text,
             site.get(local_path(made["url"])).text,
             site.get(local_path(made["url"]) + "?lang=id").text]
    for text in texts:
        for word in NEED_WORDS:
            assert word not in text.lower(), word


# -- the page, without script ---------------------------------------------------------------


@pytest.mark.parametrize("lang, start, end", [("id", "14:00", "14:15"),
                                              ("en", "14:15", "14:30")])
def test_the_booking_page_works_without_script_in_each_language(site: Served, lang: str,
                                                                start: str, end: str):
    first = site.get(f"/book?lang={lang}")
    assert first.status_code == 200 and f'<html lang="{lang}">' in first.text
    assert "<script" not in first.text  # nothing here needs it
    assert 'content="width=device-width, initial-scale=1"' in first.text  # zoom stays on
    assert re.findall(r'(?:href|src)="(/static/[^"]+)"', first.text) == [
        "/static/kiosk/phone.css"]
    assert t(lang, "booking.choose_service") in html.unescape(first.text)
    services = LINK.findall(first.text)
    assert len(services) == 2  # A and C take bookings
    days = site.get(html.unescape(services[0]))
    assert t(lang, "booking.choose_day") in html.unescape(days.text)
    assert t(lang, "booking.today") in html.unescape(days.text)
    slots = site.get(html.unescape(LINK.findall(days.text)[0]))
    assert t(lang, "booking.choose_slot") in html.unescape(slots.text)
    free = [html.unescape(h) for h in LINK.findall(slots.text)]
    chosen = next(h for h in free if f"start={start}" in h)
    form = site.get(chosen)
    text = html.unescape(form.text)
    assert t(lang, "booking.need_question") in text
    assert slot_words(lang, "2026-11-27", start, end) in text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.text))
    assert fields == {"service": "A", "date": "2026-11-27", "start": start, "lang": lang}
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', form.text)[1])
    posted = site.post(action, data={**fields, "need": "lansia"}, follow_redirects=False,
                       headers={"Origin": site.url})
    assert posted.status_code == 303
    page = site.get(posted.headers["location"])
    text = html.unescape(page.text)
    code = re.search(r'<p class="code">(\d{6})</p>', page.text)
    assert page.status_code == 200 and code is not None
    assert t(lang, "booking.booked") in text and t(lang, "booking.code_title") in text
    assert slot_words(lang, "2026-11-27", start, end) in text
    early, late = ("13:50", "14:15") if start == "14:00" else ("14:05", "14:30")
    assert t(lang, "booking.code_hint", early=early, late=late) in text
    token = posted.headers["location"].split("/")[2].split("?")[0]
    assert f"{PUBLIC}/book/{token}" in text  # the link to keep, at the public address
    other = "en" if lang == "id" else "id"
    assert f'href="/book/{token}?lang={other}"' in page.text  # the language switch
    assert t(other, "booking.code_title") in html.unescape(
        site.get(f"/book/{token}?lang={other}").text)
    assert '<meta http-equiv="refresh" content="60">' in page.text  # today's: it follows
    for word in NEED_WORDS:
        assert word not in text.lower(), word
    again = site.post(action, data={**fields, "need": "none"}, follow_redirects=False,
                      headers={"Origin": site.url})
    assert again.status_code == 303  # the second (and last) place of the slot
    full = site.post(action, data={**fields, "need": "none"}, headers={"Origin": site.url})
    assert full.status_code == 409  # taken meanwhile: the day's times again, and why
    text = html.unescape(full.text)
    assert t(lang, "booking.refused.full") in text and t(lang, "booking.choose_slot") in text
    assert f"start={start}" not in full.text
    assert site.get(chosen).status_code == 409  # the need step of a full slot, likewise


def test_cancelling_asks_first_and_a_foreign_form_is_refused(site: Served):
    made = book(site, "14:30", lang="en").json()
    page = local_path(made["url"])
    question = site.get(f"{page}/cancel?lang=en")
    text = html.unescape(question.text)
    when = slot_words("en", "2026-11-27", "14:30", "14:45")
    assert t("en", "booking.cancel_question", when=when) in text
    assert f'action="{page}/cancel?lang=en"' in question.text
    foreign = site.post(f"{page}/cancel", headers={"Origin": "http://evil.test"})
    assert foreign.status_code == 403
    assert t("en", "booking.refused_form") in html.unescape(foreign.text)
    form = site.post("/book", data={"service": "A", "date": "2026-11-27", "start": "14:30"},
                     headers={"Origin": "http://evil.test"})
    assert form.status_code == 403
    done = site.post(f"{page}/cancel?lang=en", follow_redirects=False,
                     headers={"Origin": site.url})
    assert done.status_code == 303 and done.headers["location"] == f"{page}?lang=en"
    after = html.unescape(site.get(f"{page}?lang=en").text)
    assert t("en", "booking.cancelled") in after and t("en", "booking.cancel") not in after
    again = site.post(f"{page}/cancel", headers={"Origin": site.url})
    assert again.status_code == 409
    assert t("id", "booking.cannot_cancel") in html.unescape(again.text)


def test_a_closed_day_says_why_and_bad_addresses_are_plain_pages(site: Served):
    days = html.unescape(site.get("/book?service=A&lang=en").text)
    assert "Tuesday 1 December 2026" in days
    assert t("en", "booking.closed_reason", reason="Collective leave") in days
    assert "date=2026-12-01" not in days  # no link to a closed day
    closed = html.unescape(site.get("/book?service=A&date=2026-12-01&lang=id").text)
    assert t("id", "booking.no_slots") in closed
    unknown = site.get("/book?service=B&lang=en")
    assert unknown.status_code == 404
    assert t("en", "booking.unknown_service") in html.unescape(unknown.text)
    for token in ("nonsense", "x" * 22, "a" * 300):
        page = site.get(f"/book/{token}")
        text = html.unescape(page.text)
        assert page.status_code == 404
        assert t("id", "booking.not_found") in text and t("en", "booking.not_found") in text
        assert "Traceback" not in text


# -- the check-in: the booking becomes a ticket ------------------------------------------------


def test_check_in_turns_the_bookings_page_into_the_tickets_page(site: Served):
    made = book(site, "09:15", lang="en").json()
    token, code = made["token"], made["code"]
    before = site.get(f"/t/{token}?lang=en", follow_redirects=False)
    assert before.status_code == 303 and before.headers["location"] == f"/book/{token}?lang=en"
    early = kiosk_at(site, "09:04", "check-in", code, "--no-print")
    assert early.returncode == 1 and early.stderr.count("\n") == 1
    assert "too early for the slot 09:15–09:30: check in from 09:05" in early.stderr
    done = kiosk_at(site, "09:05", "check-in", code, "--kiosk", "lobby", "--no-print",
                    "--json")
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)
    assert issued["appointment"] is True and issued["slot"] == "09:15–09:30"
    assert issued["late"] is False and issued["state"] == "waiting"
    assert issued["kiosk"] == "lobby" and issued["label"].startswith("A")
    assert {"people_ahead", "estimated_wait_min", "printed", "issued_at", "token",
            "url"} <= set(issued)
    page = site.get(f"/book/{token}", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/t/{token}?lang=en"
    ticket = site.get(f"/t/{token}")
    assert ticket.status_code == 200 and f">{issued['label']}<" in ticket.text
    assert site.get(f"/api/v1/bookings/{token}").json()["state"] == "checked_in"
    assert site.get(f"/api/v1/bookings/{token}").json()["label"] == issued["label"]
    assert site.get(f"/api/v1/tickets/{token}").json()["label"] == issued["label"]
    twice = kiosk_at(site, "09:06", "check-in", code)
    assert twice.returncode == 1 and f"its ticket is {issued['label']}" in twice.stderr
    one_error(delete(site, f"/api/v1/bookings/{token}"), 409)  # a ticket now


def test_kiosk_check_in_prints_the_booked_time_and_says_a_late_one_plainly(site: Served):
    on_time = book(site, "09:30", lang="id").json()["code"]
    late = book(site, "09:30").json()["code"]
    printed = kiosk_at(site, "09:25", "check-in", on_time, "--json")
    assert printed.returncode == 0, printed.stderr
    answer = json.loads(printed.stdout)
    assert answer["printed"] is True and answer["appointment"] is True
    label = answer["label"]
    [preview] = (site.tmp_path / "data" / "slips").glob(f"*{label}*.txt")
    assert t("id", "slip.appointment", slot="09:30–09:45") in preview.read_text("utf-8")
    walk_in = kiosk_at(site, "09:46", "check-in", late, "--no-print")
    assert walk_in.returncode == 0, walk_in.stderr
    assert "walk-in: the booked time 09:30–09:45 has passed" in walk_in.stdout


def test_wrong_codes_are_refused_plainly_and_the_sixth_in_a_minute_waits(site: Served):
    for n in range(5):
        wrong = kiosk_at(site, "10:00", "check-in", f"99999{n}", "--kiosk", "lobby")
        assert wrong.returncode == 1 and wrong.stderr.count("\n") == 1
        assert "no booking of today has this code" in wrong.stderr
    slowed = kiosk_at(site, "10:00", "check-in", "999995", "--kiosk", "lobby")
    assert slowed.returncode == 1
    assert "too many wrong codes at this kiosk: wait 60 seconds" in slowed.stderr
    later = kiosk_at(site, "10:01", "check-in", "999995", "--kiosk", "lobby")
    assert "no booking of today has this code" in later.stderr
    tomorrow = site.post("/api/v1/bookings", json={
        "service": "C", "date": "2026-11-28", "start": "10:00"}).json()["code"]
    other = kiosk_at(site, "10:02", "check-in", tomorrow)
    assert other.returncode == 1 and "a booking on 2026-11-28 at 10:00–10:15" in other.stderr
    bad = kiosk_at(site, "10:02", "check-in", "12ab")
    assert bad.returncode == 2 and "a check-in code is six digits" in bad.stderr


def test_staff_list_and_cancel_bookings_from_the_command_line(site: Served):
    made = site.post("/api/v1/bookings", json={"service": "C", "date": "2026-11-30",
                                              "start": "11:00", "need": "anak"}).json()
    listed = kiosk_at(site, "09:00", "bookings", "list", "--date", "2026-11-30", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)["bookings"]
    assert row["code"] == made["code"] and row["priority"] is True and "need" not in row
    assert (row["slot_start"], row["state"], row["label"]) == ("11:00", "booked", None)
    text = kiosk_at(site, "09:00", "bookings", "list", "--date", "2026-11-30").stdout
    assert f"11:00–11:15  C  {made['code']}  booked  priority" in text
    cancelled = kiosk_at(site, "09:00", "bookings", "cancel", made["code"])
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    again = kiosk_at(site, "09:00", "bookings", "cancel", made["code"])
    assert again.returncode == 1 and "already cancelled" in again.stderr
    missing = kiosk_at(site, "09:00", "bookings", "cancel")
    assert missing.returncode == 2 and missing.stderr.startswith("kiosk: ")
    wrong_day = kiosk_at(site, "09:00", "bookings", "list", "--date", "30-11")
    assert wrong_day.returncode == 2 and "YYYY-MM-DD" in wrong_day.stderr
    assert site.get(f"/api/v1/bookings/{made['token']}").json()["state"] == "cancelled"


def test_no_token_in_the_servers_log(site: Served):
    made = book(site, "15:00").json()
    site.get(f"/book/{made['token']}")
    log = (site.tmp_path / "data" / "logs" / "serve.log").read_text("utf-8")
    assert "GET /book/{token} 200" in log and made["token"] not in log


def test_the_booking_pages_are_rate_limited_per_address(tmp_path: Path):
    served = Served(tmp_path, replace={"rate_per_minute = 120": "rate_per_minute = 4"})
    served.start()  # (start() asks /healthz once: a public endpoint too)
    try:
        answers = [served.get("/book").status_code for _ in range(3)]
        refused = served.get("/book?service=A")
        api = served.get("/api/v1/slots?service=A&date=2026-11-27")
    finally:
        served.stop()
    assert answers == [200, 200, 200] and refused.status_code == 429
    text = html.unescape(refused.text)
    assert t("id", "web.too_many") in text and t("en", "web.too_many") in text
    assert api.status_code == 429 and "too many requests" in api.json()["error"]


def test_every_booking_page_is_aaa_and_fits_a_phone_in_chromium(site: Served):
    """At 360 x 640, without script: every text at least 7:1 against what is behind it
    and at least 16 px, nothing wider than the screen, each choice at least 48 px tall."""
    from .conftest import require_tool
    from .test_phone_browser import TEXT_PAIRS, Phone, contrast

    require_tool("chromium")
    made = book(site, "15:15", lang="id").json()
    pages = ["/book?lang=en", "/book?service=A&lang=id",
             "/book?service=A&date=2026-11-27&lang=en",
             "/book?service=C&date=2026-11-27&start=15:00&lang=id",
             local_path(made["url"]), f"{local_path(made['url'])}/cancel?lang=en"]
    phone = Phone(javascript=False)
    try:
        for path in pages:
            phone.page.goto(site.url + path)
            for fg, bg, text, size in phone.page.evaluate(TEXT_PAIRS):
                assert contrast(fg, bg) >= 7, (path, text, fg, bg)
                assert size >= 16, (path, text, size)
            width = phone.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)
            heights = phone.page.evaluate(
                "[...document.querySelectorAll('a.choice, button, label.answer')]"
                ".map(e => e.getBoundingClientRect().height)")
            assert all(h >= 48 for h in heights), (path, heights)
        assert phone.outside == []
    finally:
        phone.close()
