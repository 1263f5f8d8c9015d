"""The satisfaction survey through a real `kiosk serve`: the API by token, and the phone form
one question a screen (without script; in headless Chromium at 360x640, by touch and by
keyboard only)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk import config as cfg
from kiosk import survey
from kiosk.i18n import t
from kiosk.store import Store
from kiosk.store.surveys import Filters

from .conftest import require_tool
from .serve_support import Served
from .test_phone import open_lobby
from .test_phone_browser import TEXT_PAIRS, Phone, contrast

NINE = {code: 3 for code in survey.ELEMENTS}
DAY = Filters("2026-11-27", "2026-11-27")


@pytest.fixture
def lobby(tmp_path: Path) -> Iterator[Served]:
    with open_lobby(tmp_path) as site:
        yield site


def served(site: Served, lang: str = "en", *extra: str) -> str:
    """A ticket issued and served at counter 1: its token."""
    token = json.loads(site.kiosk("issue", "A", "--lang", lang, "--no-print", "--json",
                                  *extra).stdout)["token"]
    for verb in ("call", "start", "finish"):
        site.kiosk(verb, "--counter", "1")
    return str(token)


def sums(site: Served) -> tuple[int, dict[str, tuple[int, int]]]:
    with Store(cfg.load(site.config)) as store:
        return store.survey_sums(DAY)


def post(site: Served, path: str, body: Any) -> httpx.Response:
    return httpx.post(site.url + path, json=body, timeout=10)


def test_the_api_takes_one_answer_per_served_ticket(lobby: Served):
    token = served(lobby)
    answered = post(lobby, f"/api/v1/tickets/{token}/survey",
                    {"answers": NINE | {"U3": 2}, "profile": {"age": "60+"},
                     "suggestion": "A bench by the door"})
    assert answered.status_code == 201, answered.text
    assert answered.json() == {"label": "A001", "answered": True}
    again = post(lobby, f"/api/v1/tickets/{token}/survey", {"answers": NINE})
    assert again.status_code == 409 and "already answered" in again.json()["error"]
    respondents, totals = sums(lobby)
    assert respondents == 1 and totals["U3"] == (2, 1)


@pytest.mark.parametrize("body, status, says", [
    ({"answers": {"U1": 3}}, 422, "U2: unanswered"),
    ({"answers": NINE | {"U9": 5}}, 422, "U9: an answer is a whole number from 1 to 4"),
    ({"answers": NINE | {"U9": "4"}}, 422, "U9: an answer is a whole number"),
    ({"answers": NINE | {"Z1": 1}}, 422, "Z1: not a question of this survey"),
    ({"answers": NINE, "profile": {"age": "old"}}, 422, "profile.age"),
    ({"answers": NINE, "need": "hamil"}, 422, "need"),
    ({}, 422, "answers"),
])
def test_an_answer_that_cannot_be_taken_is_named(lobby: Served, body, status, says):
    token = served(lobby)
    refused = post(lobby, f"/api/v1/tickets/{token}/survey", body)
    assert refused.status_code == status and says in refused.json()["error"], refused.text
    assert sums(lobby)[0] == 0


def test_a_forged_or_early_submission_is_refused(lobby: Served):
    waiting = json.loads(lobby.kiosk("issue", "B", "--no-print", "--json").stdout)["token"]
    early = post(lobby, f"/api/v1/tickets/{waiting}/survey", {"answers": NINE})
    assert early.status_code == 409 and "once the ticket has been served" in early.text
    forged = post(lobby, "/api/v1/tickets/" + "q" * 22 + "/survey", {"answers": NINE})
    assert forged.status_code == 404


def test_the_form_works_without_script_one_question_a_screen(lobby: Served):
    token = served(lobby)
    page = httpx.get(f"{lobby.url}/t/{token}", timeout=10).text
    assert t("en", "survey.link") in html.unescape(page)
    client = httpx.Client(base_url=lobby.url, timeout=10, headers={"Origin": lobby.url})
    screen = client.post(f"/t/{token}/survey?lang=en", data={"step": "0", "go": "next"})
    assert t("en", "survey.question_of", n=1, total=9) in screen.text
    assert html.unescape(screen.text).count(t("en", "survey.U1.a1")) == 1
    missing = client.post(f"/t/{token}/survey?lang=en", data={"step": "1", "go": "next"})
    assert missing.status_code == 422
    assert t("en", "survey.missing") in missing.text and 'role="alert"' in missing.text
    form: dict[str, str] = {}
    for step, code in enumerate(survey.ELEMENTS, start=1):
        form[code] = "4" if code == "U7" else "3"
        screen = client.post(f"/t/{token}/survey?lang=en",
                             data={**form, "step": str(step), "go": "next"})
        assert screen.status_code == 200
        for kept in form:  # the answers so far ride along
            assert f'name="{kept}" value="{form[kept]}"' in screen.text or kept == code
    assert t("en", "survey.profile_title") in screen.text
    screen = client.post(f"/t/{token}/survey?lang=en",
                         data={**form, "step": "10", "go": "next", "sex": "f"})
    assert t("en", "survey.suggestion") in screen.text
    done = client.post(f"/t/{token}/survey?lang=en",
                       data={**form, "sex": "f", "step": "11", "go": "send",
                             "suggestion": "Thank you"})
    assert done.status_code == 201 and t("en", "survey.thanks") in done.text
    respondents, totals = sums(lobby)
    assert respondents == 1 and totals["U7"] == (4, 1) and totals["U1"] == (3, 1)
    again = client.get(f"/t/{token}/survey")
    assert again.status_code == 409
    assert t("en", "survey.why_answered") in html.unescape(again.text)
    foreign = client.post(f"/t/{token}/survey", data={"step": "0"},
                          headers={"Origin": "http://evil.test"})
    assert foreign.status_code == 403


def _answer_in_chromium(phone: Phone, lobby: Served, token: str, *, keyboard: bool) -> None:
    page = phone.page
    page.goto(f"{lobby.url}/t/{token}")
    link = page.get_by_text(t("en", "survey.link"))
    if keyboard:
        link.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.keyboard.press("Tab")  # the start button is the form's first control
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        with page.expect_navigation():
            link.tap()
        with page.expect_navigation():
            page.get_by_text(t("en", "survey.start")).tap()
    for fg, bg, text, size in page.evaluate(TEXT_PAIRS):  # AAA and large, as the kiosk
        assert contrast(fg, bg) >= 7.0 and size >= 16, (text, fg, bg, size)
    for code in survey.ELEMENTS:
        assert page.locator("legend .question").inner_text() == t("en", f"survey.{code}.question")
        if keyboard:  # Tab to the first answer, arrows to the third, Enter sends the form
            page.locator(f"input[name={code}]").first.focus()
            page.keyboard.press("ArrowDown")
            page.keyboard.press("ArrowDown")
            with page.expect_navigation():
                page.keyboard.press("Enter")
        else:
            page.get_by_text(t("en", f"survey.{code}.a3"), exact=True).tap()
            with page.expect_navigation():
                page.get_by_text(t("en", "survey.next"), exact=True).tap()
    with page.expect_navigation():  # the profile, skipped
        page.get_by_text(t("en", "survey.next"), exact=True).click()
    with page.expect_navigation():
        page.get_by_text(t("en", "survey.send"), exact=True).click()
    assert t("en", "survey.thanks") in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.outside == []


@pytest.mark.parametrize("keyboard", [False, True], ids=["touch", "keyboard only"])
def test_the_phone_form_in_chromium_at_360x640(lobby: Served, keyboard: bool):
    require_tool("chromium")
    token = served(lobby)
    phone = Phone()
    try:
        _answer_in_chromium(phone, lobby, token, keyboard=keyboard)
    finally:
        phone.close()
    respondents, totals = sums(lobby)
    assert respondents == 1 and all(totals[code] == (3, 1) for code in survey.ELEMENTS)


OWN = '''
[[survey.questions]]
code = "WIFI"
text = { id = "Bagaimana Wi-Fi di ruang tunggu?", en = "How was the waiting room's Wi-Fi?" }
labels.id = ["Buruk", "Cukup", "Baik", "Sangat baik"]
labels.en = ["Poor", "Fair", "Good", "Very good"]
'''


def test_a_sites_own_question_comes_after_the_nine(tmp_path: Path):
    site = Served(tmp_path, extra=OWN)
    site.kiosk("counter", "open", "--counter", "1")
    first, second = served(site), served(site)
    site.start()
    try:
        client = httpx.Client(base_url=site.url, timeout=10, headers={"Origin": site.url})
        form = {code: "3" for code in survey.ELEMENTS}
        screen = client.post(f"/t/{first}/survey?lang=en", data={**form, "step": "9"})
        assert "How was the waiting room&#39;s Wi-Fi?" in screen.text
        assert t("en", "survey.question_of", n=10, total=10) in screen.text
        assert ">Very good<" in screen.text
        answered = post(site, f"/api/v1/tickets/{second}/survey",
                        {"answers": NINE | {"WIFI": 1}})
        assert answered.status_code == 201
        unanswered_own = post(site, f"/api/v1/tickets/{first}/survey", {"answers": NINE})
        assert unanswered_own.status_code == 201  # the site's own are optional
    finally:
        site.stop()
    respondents, totals = sums(site)
    assert respondents == 2 and totals["WIFI"] == (1, 1) and totals["U1"] == (6, 2)
