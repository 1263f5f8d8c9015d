"""The counter's four-face rating (issue 24, point 2): the tablet facing the patron through
Textual's pilot on a real store file and a hand-moved clock (idle, a ticket finished at its
counter asked about by label, one key or one tap rates it, thanks, idle again; a second tap
is not a second rating; another counter's ticket and a ticket finished too long ago are not
asked about; never a need; the input guard; a fault is a plain sentence; contrast), the
staff console's key that offers it, the served screen's refusals, and a tap on a face in
headless Chromium through `kiosk web rate` rating the ticket."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk import views
from kiosk.i18n import both, t
from kiosk.store import Store
from kiosk.store.surveys import Filters
from kiosk.ui import themes
from kiosk.ui.rate import Face, RateApp, rate_shown
from kiosk.ui.staff import ConsoleScreen

from .browser import wait_for
from .conftest import require_tool
from .serve_support import Served
from .test_board_web import RecordedScreen
from .test_patron_look import MIN_CONTRAST, pair_contrast, rendered_pairs
from .test_staff_support import (
    Site,
    message_of,
    run_app,
    screen_text,
    signed_in_console,
    until,
)

SIZE = (60, 20)
"""The small tablet's geometry (kiosk/web/static/screen.js)."""
LANGS = ("id", "en")


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    s = Site(tmp_path)
    yield s
    s.close()


def rate_app(site: Site, counter: int = 1, **kwargs: Any) -> RateApp:
    kwargs.setdefault("guard_s", 0.0)
    kwargs.setdefault("thanks_s", 0.6)
    return RateApp(site.settings, counter, clock=site.clock, **kwargs)


def served_and_finished(site: Site, counter: int = 1, service: str = "A",
                        need: str | None = None) -> str:
    """A ticket issued, called and finished at `counter`: its label."""
    label = site.store.issue(service, need).ticket.label
    called = site.store.call_next(counter)
    assert called is not None and called.label == label
    site.store.finish(counter)
    return label


def counts(site: Site) -> dict[int, int]:
    day = site.store.today()
    return site.store.quick_counts(Filters(day, day))


def shown(app: RateApp) -> str:
    return screen_text(app)


async def asking(pilot: Pilot, label: str) -> None:
    app = pilot.app
    assert isinstance(app, RateApp)
    await until(pilot, lambda: app.mode == "asking" and label in shown(app),
                f"the faces asking about {label}")


# -- the tablet --------------------------------------------------------------------------


def test_idle_then_a_finished_ticket_is_rated_with_one_key_then_thanks_then_idle(site):
    app = rate_app(site)

    async def scenario(pilot: Pilot) -> None:
        await until(pilot, lambda: t("en", "rate.nothing") in shown(app), "the greeting")
        text = shown(app)
        assert t("id", "rate.nothing") in text and "Loket 1 / Counter 1" in text
        assert t("en", "rate.question") not in text
        label = served_and_finished(site)
        await asking(pilot, label)
        text = shown(app)
        for lang in LANGS:
            assert t(lang, "rate.question") in text
            assert t(lang, "rate.for_ticket", label=label) in text
        for n in (1, 2, 3, 4):  # each face's words, wrapped to its width on screen
            face = app.query_one(f"#face-{n}", Face)
            assert face.words == [t(lang, f"rate.face{n}") for lang in LANGS]
            assert all(word.split()[0] in text for word in face.words)
        for face in ("😞", "😐", "🙂", "😄"):
            assert face in text
        await pilot.press("3")
        await until(pilot, lambda: app.mode == "thanks", "the thanks")
        assert counts(site) == {1: 0, 2: 0, 3: 1, 4: 0}
        text = shown(app)
        assert t("id", "rate.thanks") in text and t("en", "rate.thanks") in text
        assert "🙂" in text and "😞" not in text  # the face chosen, alone
        await pilot.press("4")  # a second key while thanking
        await pilot.press("1")
        await until(pilot, lambda: app.mode == "idle", "the greeting again", timeout=5)
        assert t("en", "rate.nothing") in shown(app)
        await pilot.press("4")  # and after: nothing is left to rate
        await pilot.pause(0.3)
        assert app.mode == "idle"

    run_app(app, scenario, SIZE)
    assert counts(site) == {1: 0, 2: 0, 3: 1, 4: 0}
    rated = site.events("rated")
    assert len(rated) == 1
    assert rated[0]["actor"] == "rate:1" and rated[0]["counter"] == 1
    assert json.loads(rated[0]["detail"]) == {"label": "A001", "score": 3}


def test_a_tap_on_a_face_rates_it_and_a_double_tap_rates_once(site):
    app = rate_app(site)

    async def scenario(pilot: Pilot) -> None:
        label = served_and_finished(site)
        await asking(pilot, label)
        assert await pilot.click("#face-1")
        await pilot.click("#face-1")  # the same finger again (the faces may be gone by now)
        await pilot.click("#face-4")
        await pilot.press("2")
        await until(pilot, lambda: app.mode == "thanks", "the thanks")
        await pilot.pause(0.2)

    run_app(app, scenario, SIZE)
    assert counts(site) == {1: 1, 2: 0, 3: 0, 4: 0}
    assert len(site.events("rated")) == 1


def test_the_next_ticket_finished_is_asked_about_after_the_thanks(site):
    app = rate_app(site)

    async def scenario(pilot: Pilot) -> None:
        first = served_and_finished(site)
        await asking(pilot, first)
        await pilot.press("2")
        await until(pilot, lambda: app.mode == "thanks", "the thanks")
        second = served_and_finished(site)  # finished while the first patron is thanked
        await asking(pilot, second)
        await pilot.press("4")
        await until(pilot, lambda: app.mode == "thanks", "the second thanks")

    run_app(app, scenario, SIZE)
    assert [json.loads(e["detail"]) for e in site.events("rated")] == [
        {"label": "A001", "score": 2}, {"label": "A002", "score": 4}]


def test_another_counters_ticket_is_not_asked_about(site):
    app = rate_app(site, counter=1)

    async def scenario(pilot: Pilot) -> None:
        await until(pilot, lambda: app.mode == "idle" and app.latest is not None,
                    "the first read")
        label = served_and_finished(site, counter=2, service="B")
        assert site.store.rate_target(2) is not None
        await pilot.pause(1.5)  # a commit and a timed read later
        assert app.mode == "idle" and label not in shown(app)
        await pilot.press("3")
        await pilot.pause(0.2)

    run_app(app, scenario, SIZE)
    assert counts(site) == {1: 0, 2: 0, 3: 0, 4: 0}
    assert site.store.rate_target(2) is not None  # still counter 2's to rate


def test_after_the_window_nothing_is_asked(site):
    window = site.settings.survey.rate_window_min
    app = rate_app(site)

    async def scenario(pilot: Pilot) -> None:
        label = served_and_finished(site)
        await asking(pilot, label)
        site.clock.advance(window * 60 + 1)  # nobody commits: the timed read sees it
        await until(pilot, lambda: app.mode == "idle", "the faces gone", timeout=5)
        assert label not in shown(app)
        await pilot.press("3")
        await pilot.pause(0.2)

    run_app(app, scenario, SIZE)
    assert counts(site) == {1: 0, 2: 0, 3: 0, 4: 0}
    assert site.events("rated") == []


def test_never_a_need_nor_the_word_priority(site):
    app = rate_app(site)
    need = site.settings.needs["lansia"]
    words = [*need.label.values(), t("id", "priority.word"), t("en", "priority.word"),
             "lansia", "Prioritas", "Priority"]

    async def scenario(pilot: Pilot) -> None:
        label = served_and_finished(site, need="lansia")
        assert site.ticket(label).priority
        await asking(pilot, label)
        seen.append(shown(app))
        await pilot.press("4")
        await until(pilot, lambda: app.mode == "thanks", "the thanks")
        seen.append(shown(app))

    seen: list[str] = []
    run_app(app, scenario, SIZE)
    for text in seen:
        for word in words:
            assert word.lower() not in text.lower(), word
    assert counts(site)[4] == 1


def test_input_is_ignored_just_after_the_faces_appear(site):
    now = [100.0]
    app = rate_app(site, guard_s=0.4, monotonic=lambda: now[0])

    async def scenario(pilot: Pilot) -> None:
        label = served_and_finished(site)
        await asking(pilot, label)
        await pilot.press("1")  # 0 s after: a tap meant for the greeting
        await pilot.pause(0.2)
        assert app.mode == "asking" and counts(site)[1] == 0
        now[0] += 0.5
        await pilot.press("2")
        await until(pilot, lambda: app.mode == "thanks", "the thanks")

    run_app(app, scenario, SIZE)
    assert counts(site) == {1: 0, 2: 1, 3: 0, 4: 0}


def test_the_ticket_shown_is_the_one_rated_or_none(site):
    """A tap rates the ticket on screen, even when staff have finished another there since
    (the patron tapped for their own service); then the new one is asked about. A ticket
    already rated is not rated again."""
    first = served_and_finished(site)
    shown_id = site.ticket(first).id
    site.clock.advance(60)
    second = served_and_finished(site)
    rated = rate_shown(site.store, 1, shown_id, 3)
    assert rated is not None and rated.label == first
    assert rate_shown(site.store, 1, shown_id, 4) is None
    assert counts(site) == {1: 0, 2: 0, 3: 1, 4: 0}
    rated = rate_shown(site.store, 1, site.ticket(second).id, 3)
    assert rated is not None and rated.label == second


def test_a_fault_is_a_plain_sentence_and_nothing_is_counted(site, monkeypatch):
    app = rate_app(site)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the sky fell")

    async def scenario(pilot: Pilot) -> None:
        label = served_and_finished(site)
        await asking(pilot, label)
        monkeypatch.setattr(Store, "rate", broken)
        await pilot.press("3")
        await until(pilot, lambda: app.mode == "thanks", "the sentence")
        await pilot.pause(0.1)
        seen.append(str(app.query_one("#thanks-text", Static).content))
        seen[0] += shown(app)
        assert not app.query_one("#chosen").display  # no face beside a rating not saved

    seen: list[str] = []
    run_app(app, scenario, SIZE)
    assert t("id", "rate.failed") in seen[0] and t("en", "rate.failed") in seen[0]
    assert "RuntimeError" not in seen[0] and "sky" not in seen[0]
    assert t("en", "rate.thanks") not in seen[0]
    assert counts(site) == {1: 0, 2: 0, 3: 0, 4: 0}


def test_a_site_without_the_survey_never_asks(tmp_path):
    site = Site(tmp_path, replace={"\nenabled = true": "\nenabled = false"})
    app = rate_app(site)

    async def scenario(pilot: Pilot) -> None:
        served_and_finished(site)
        await pilot.pause(1.5)
        assert app.mode == "idle" and app.latest is not None and not app.latest.enabled
        await pilot.press("3")
        await pilot.pause(0.2)

    try:
        run_app(app, scenario, SIZE)
        assert counts(site) == {1: 0, 2: 0, 3: 0, 4: 0}
    finally:
        site.close()


@pytest.mark.parametrize("size", [SIZE, (36, 30), (100, 36)])
def test_every_face_is_a_big_target_with_its_face_drawn(site, size):
    app = rate_app(site)

    async def scenario(pilot: Pilot) -> None:
        await asking(pilot, served_and_finished(site))
        await pilot.pause(0.1)
        for n in (1, 2, 3, 4):
            face = app.query_one(f"#face-{n}")
            region = face.region
            assert region.width >= 12 and region.height >= 8, (n, region)
            assert region.right <= size[0] and region.bottom <= size[1], (n, region)
            assert "█" in str(face.render())  # the face drawn, not only the emoji

    run_app(app, scenario, size)


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
def test_every_rendered_text_colour_pair_is_at_least_7_to_1(site, theme):
    app = rate_app(site, thanks_s=30)
    failing: dict[tuple[str, str], tuple[float, str]] = {}

    def check() -> None:
        for pair, where in rendered_pairs(SimpleNamespace(app=app)).items():
            if pair_contrast(pair) < MIN_CONTRAST:
                failing[pair] = (round(pair_contrast(pair), 2), where)

    async def scenario(pilot: Pilot) -> None:
        # The greeting has the question's colours (too few words on it for the check).
        app.theme = theme
        await until(pilot, lambda: t("en", "rate.nothing") in shown(app), "the greeting")
        await asking(pilot, served_and_finished(site))
        check()
        await pilot.press("4")
        await until(pilot, lambda: app.mode == "thanks", "the thanks")
        await pilot.pause(0.1)
        check()

    run_app(app, scenario, SIZE)
    assert not failing, failing


# -- the staff console's key -------------------------------------------------------------


@pytest.mark.parametrize("how", ["key", "button"])
def test_the_consoles_key_says_whether_the_tablet_is_asking(site, how):
    site.store.issue("A")
    app = site.staff()
    window = site.settings.survey.rate_window_min

    async def offer(pilot: Pilot) -> str:
        if how == "key":
            await pilot.press("a")
        else:
            await pilot.pause(0.25)  # Button ignores a second press within 0.2 s
            assert await pilot.click("#key-rate")
        await until(pilot, lambda: not app.busy, "the offer")
        await pilot.pause()
        return message_of(app)

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        await pilot.press("n")
        await until(pilot, lambda: not app.busy and app.shown() == "A001", "the call")
        said = await offer(pilot)  # served, not finished: nothing to rate yet
        assert both(app.languages, "rate.offer_nothing", minutes=window) in said
        assert app.screen.query_one("#message").has_class("-trouble")
        await pilot.press("f")
        await until(pilot, lambda: not app.busy and app.shown() is None, "the finish")
        said = await offer(pilot)
        assert both(app.languages, "rate.offered", label="A001") in said
        assert not app.screen.query_one("#message").has_class("-trouble")
        assert isinstance(app.screen, ConsoleScreen)

    run_app(app, scenario)
    assert site.events("rated") == []  # offering writes nothing: the patron's tap does


def test_the_consoles_button_carries_the_offer_in_both_languages(site):
    app = site.staff()

    async def scenario(pilot: Pilot) -> None:
        await signed_in_console(pilot)
        label = str(app.screen.query_one("#key-rate").label)
        for lang in ("id", "en"):
            assert " ".join(label.split()).find(t(lang, "rate.offer")) >= 0, label
        region = app.screen.query_one("#key-rate").region
        assert region.height >= 8 and region.right <= 120

    run_app(app, scenario)


def test_the_view_names_the_label_only(site):
    label = served_and_finished(site, need="hamil")
    view = views.rate(site.store, 1)
    assert view.asking and view.label == label and view.enabled
    assert set(vars(view)) == {"counter", "enabled", "ticket_id", "label"}
    assert not views.rate(site.store, 2).asking


# -- served ------------------------------------------------------------------------------


def test_the_served_rate_screen_is_for_known_counters_on_the_staff_networks(tmp_path):
    served = Served(tmp_path)
    served.start()
    try:
        page = httpx.get(served.url + "/screen/rate?counter=9")
        assert page.status_code == 404 and "There is no counter 9 here." in page.text
        page = httpx.get(served.url + "/screen/rate?counter=1")
        assert page.status_code == 200 and 'data-screen="rate"' in page.text
        assert "/screen/rate/ws/1" in page.text
        assert "/screen/rate?counter=1" in httpx.get(served.url + "/").text
    finally:
        served.stop()
    (tmp_path / "outside").mkdir()
    outside = Served(tmp_path / "outside", replace={
        'staff_networks = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",'
        ' "192.168.0.0/16", "fc00::/7"]': 'staff_networks = ["10.0.0.0/8"]'})
    outside.start()
    try:
        assert httpx.get(outside.url + "/screen/rate?counter=1").status_code == 403
    finally:
        outside.stop()


def face_cell(site: Site, score: int, cols: int, rows: int) -> tuple[int, int]:
    """The centre cell of a face as the tablet lays it out at this terminal size (the same
    app, headless, on its own copy of nothing: it only lays out)."""
    app = rate_app(site)
    where: dict[str, int] = {}

    async def main() -> None:
        async with app.run_test(size=(cols, rows)) as pilot:
            app._show_mode("asking")
            await pilot.pause()
            region = app.query_one(f"#face-{score}").region
            where.update(col=region.x + region.width // 2, row=region.y + region.height // 2)

    probe = threading.Thread(target=asyncio.run, args=(main(),))  # Playwright owns this loop
    probe.start()
    probe.join(60)
    return where["col"], where["row"]


def test_a_tap_on_a_face_in_chromium_rates_the_ticket(tmp_path):
    require_tool("chromium")
    site = Site(tmp_path)
    try:
        label = served_and_finished(site)
        args = ["--config", str(site.config_path)]
        with RecordedScreen("rate", env=site.env(), global_args=args,
                            args=["--counter", "1"], viewport=(1024, 600), font_size=22,
                            touch=True) as web:
            wait_for(lambda: t("en", "rate.for_ticket", label=label) in web.sent_text(), 30,
                     "the faces asking about the ticket")
            assert "😄" in web.sent_text()
            # A tap in the first input_guard_s after the faces appear is ignored on purpose
            # (a hand still moving from the last screen): tap once it has passed.
            time.sleep(site.settings.patron.input_guard_s + 0.3)
            web.tap(*face_cell(site, 4, web.cols, web.rows))
            wait_for(lambda: counts(site)[4] == 1, 20, "the tap's rating")
            wait_for(lambda: t("en", "rate.thanks") in web.sent_text(), 10, "the thanks")
            assert web.server is not None and web.server.poll() is None
        assert counts(site) == {1: 0, 2: 0, 3: 0, 4: 1}
        assert [e["actor"] for e in site.events("rated")] == ["rate:1"]
    finally:
        site.close()
