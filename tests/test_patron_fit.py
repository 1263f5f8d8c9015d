"""The patron kiosk on every screen it runs on (issue 20, points 1, 2, 6 and 9): at the
geometry a served kiosk fits on each display (measured in Chromium by
tests/test_serve_screens.py, which checks this table) and on an 80 x 24 terminal, every
step a patron goes through shows every word it should, whole, in both languages; every
target is at least 44 px; the ticket number is at least a third of the screen's height.
The appointment's steps too (issue 26): the code refused, too early, checked in within the
grace and after it. Snapshots of each step in both orientations, both themes and both
languages."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget

from kiosk.i18n import t, wait_text
from kiosk.ui import themes
from kiosk.ui.blocks import draw_lines
from kiosk.ui.patron.priority import PriorityScreen
from kiosk.ui.patron.ticket import TicketScreen
from kiosk.ui.patron.widgets import BigNumber, Choice

from .conftest import local
from .patron_fakes import FakePrinter, Kit
from .test_patron import GUARD, key, settle

GEOMETRIES: dict[str, tuple[int, int, int]] = {
    "1920x1080": (112, 28, 29),
    "1080x1920": (67, 51, 28),
    "1366x768": (113, 29, 20),
    "1280x1024": (106, 39, 20),
}
"""Display -> (columns, rows, font px) of the served patron kiosk fitted to it."""
TERMINAL = (80, 24)
"""The smallest terminal the kiosk supports."""
SIZES = {**{name: (cols, rows) for name, (cols, rows, _px) in GEOMETRIES.items()},
         "80x24": TERMINAL}
STEPS = ("welcome", "priority", "ticket", "checkin", "checkin_early", "appointment_ticket",
         "late_ticket")
"""A patron's steps: a walk-in ticket; an appointment's code refused (its sentence), too
early (the sentence and two choices), checked in within the grace and after it."""
SNAPSHOT_STEPS = ("welcome", "priority", "ticket", "checkin", "checkin_early")
BOOKED = {"checkin_early": "09:30", "appointment_ticket": "09:15", "late_ticket": "09:15"}
"""Steps with a booking of service A: its slot (it is 09:00; the grace opens 10 minutes
before the slot)."""
CHECKED_IN_AT = {"appointment_ticket": local(9, 10), "late_ticket": local(9, 31)}
MIN_TARGET_PX = 44


async def reach(kit: Kit, pilot: Pilot, step: str, lang: str) -> None:
    """Walk to `step` the way a patron does, in `lang` (9 switches from Bahasa Indonesia)."""
    kit.mono.advance(GUARD)
    if lang == "en":
        await key(kit, pilot, "9")
    if step == "checkin" or step in BOOKED:
        code = kit.store.book("A", "2026-11-27", BOOKED[step])[2] if step in BOOKED else (
            "123456")  # no booking has it
        if step in CHECKED_IN_AT:
            kit.clock.set(CHECKED_IN_AT[step])
        await key(kit, pilot, "6", *code, "enter")
        return
    if step in ("priority", "ticket"):
        await key(kit, pilot, "5")  # the service with the longest name and description
        assert isinstance(kit.app.screen, PriorityScreen)
    if step == "ticket":
        await key(kit, pilot, "6")
        assert isinstance(kit.app.screen, TicketScreen)


def expected(kit: Kit, step: str, lang: str) -> list[str]:
    """Every catalogue and config string the step should show."""
    settings = kit.settings
    screen = kit.app.screen
    tools = [t(lang, "language.switch"), t(lang, "common.repeat"), t(lang, "common.contrast"),
             t(lang, "common.softer"), t(lang, "common.louder")]
    service = settings.services[0 if step in BOOKED else 4]
    if step == "welcome":
        return [t(lang, "welcome.greeting", site=settings.site.name), t(lang, "language.name"),
                t(lang, "welcome.prompt"), t(lang, "welcome.keys_hint"),
                *(s.name[lang] for s in settings.services),
                *(s.detail[lang] for s in settings.services if s.detail),
                t(lang, "checkin.choice"), t(lang, "checkin.choice_detail"), *tools]
    if step in ("checkin", "checkin_early"):
        # Here 9, 0 and - type or delete digits: the toolbar shows the words alone.
        words = [t(lang, "checkin.choice"), t(lang, "common.back"), *tools]
        if step == "checkin":
            return [*words, t(lang, "checkin.prompt"), t(lang, "checkin.keys_hint"),
                    t(lang, "checkin.refused.unknown"), *"1234567890",
                    t(lang, "checkin.delete"), t(lang, "checkin.confirm")]
        return [*words, t(lang, "checkin.early_hint"),
                t(lang, "checkin.refused.early", slot="09:30–09:45", time="09:20"),
                t(lang, "checkin.walk_in"), service.name[lang], t(lang, "checkin.start_again")]
    if step == "priority":
        return [service.name[lang], t(lang, "priority.question"),
                t(lang, "kiosk.priority_hint"), t(lang, "priority.no"),
                *(need.label[lang] for need in settings.needs.values()),
                t(lang, "common.back"), *tools]
    assert isinstance(screen, TicketScreen) and screen.issued is not None
    issued = screen.issued
    return [t(lang, "ticket.your_number"), issued.ticket.label,
            t(lang, "ticket.service", service=service.name[lang]),
            t(lang, "ticket.people_ahead_none") if issued.people_ahead == 0 else t(
                lang, "ticket.people_ahead", n=issued.people_ahead),
            wait_text(lang, issued.estimated_wait_min, issued.opens_at, settings.site.tz),
            t(lang, "ticket.printed"), t(lang, "ticket.thanks"), t(lang, "kiosk.done_hint"),
            t(lang, "kiosk.done"), *tools, *{
                "appointment_ticket": [t(lang, "checkin.appointment", slot="09:15–09:30")],
                "late_ticket": [t(lang, "checkin.late")]}.get(step, [])]


def shown(kit: Kit, widget: Widget) -> str:
    """The words drawn inside the widget's region of the screen, its lines joined."""
    region = widget.region
    lines = []
    for y, strip in enumerate(kit.app.screen._compositor.render_strips()):
        if region.y <= y < region.bottom:
            text = "".join(segment.text for segment in strip.crop(region.x, region.right))
            lines.append(text.strip(" │┃╭╮╰╯┏┓┗┛━─"))
    return " ".join(" ".join(lines).split())


def check_fit(kit: Kit, step: str, lang: str, size: tuple[int, int],
              px: tuple[float, float] | None) -> dict[str, Any]:
    """Every expected string whole in one widget's region; targets on screen and (served)
    at least 44 px; the figures measured."""
    screen = kit.app.screen
    widgets = [w for w in screen.query("*") if w.display and w.region and not w.children]
    texts = [shown(kit, w) for w in widgets]
    missing = [s for s in expected(kit, step, lang)
               if not any(" ".join(s.split()) in text for text in texts)]
    assert not missing, f"{step} ({lang}) at {size[0]}x{size[1]}: cut or lost: {missing}"
    cols, rows = size
    figures: dict[str, Any] = {}
    for choice in screen.query(Choice):
        if not all(node.display for node in choice.ancestors_with_self
                   if isinstance(node, Widget)):
            continue  # itself or a container hidden (the check-in's pad, too early)
        region = choice.region
        assert region.right <= cols and region.bottom <= rows, (choice.id, region)
        if px is not None:
            width_px, height_px = region.width * px[0], region.height * px[1]
            assert min(width_px, height_px) >= MIN_TARGET_PX, (choice.id, width_px, height_px)
            figures["smallest target px"] = min(figures.get("smallest target px", 1e9),
                                                 round(min(width_px, height_px)))
    if step.endswith("ticket"):
        number = screen.query_one("#number", BigNumber)
        lines, scale = number.layout_now
        assert scale, "the number is not drawn in block letters"
        drawn = len(draw_lines(lines, scale))
        figures["number share"] = round(drawn / rows, 2)
        figures["number lines"] = len(lines)
    return figures


def run(kit: Kit, size: tuple[int, int], step: str, lang: str, then: Any) -> Any:
    async def main() -> Any:
        async with kit.app.run_test(size=size) as pilot:
            await settle(pilot)
            await reach(kit, pilot, step, lang)
            await settle(pilot)
            return then()

    return asyncio.run(main())


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("geometry", list(SIZES))
def test_every_word_is_shown_whole_and_the_number_is_a_third_of_the_screen(
        tmp_path, geometry: str, step: str, lang: str):
    size = SIZES[geometry]
    served = geometry in GEOMETRIES
    width, height = (int(n) for n in geometry.split("x"))
    px = (width / size[0], height / size[1]) if served else None
    kit = Kit(tmp_path, printer=FakePrinter())
    try:
        figures = run(kit, size, step, lang, lambda: check_fit(kit, step, lang, size, px))
    finally:
        kit.close()
    print(f"{geometry} {step} {lang}: {figures}")
    if step.endswith("ticket") and served:
        assert figures["number share"] >= 1 / 3, figures
        # Portrait: the letters over the digits, which draws them twice as large.
        assert figures["number lines"] == (2 if height > width else 1), figures


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
@pytest.mark.parametrize("step", SNAPSHOT_STEPS)
@pytest.mark.parametrize("geometry", ["1920x1080", "1080x1920"])
def test_snapshot(tmp_path, snap_compare, geometry: str, step: str, theme: str, lang: str):
    kit = Kit(tmp_path, printer=FakePrinter())

    async def run_before(pilot: Pilot) -> None:
        kit.app.theme = theme
        await settle(pilot)
        await reach(kit, pilot, step, lang)
        await settle(pilot)

    try:
        assert snap_compare(kit.app, terminal_size=SIZES[geometry], run_before=run_before)
    finally:
        kit.close()
