"""What the patron sees: contrast computed from the colours Textual actually renders, target
sizes and reach at 120 x 40, meaning never by colour alone, and snapshots of each screen in
both themes (pytest-textual-snapshot; `pytest --snapshot-update` after a deliberate change).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from textual.pilot import Pilot

from kiosk.ui import themes
from kiosk.ui.blocks import draw_lines
from kiosk.ui.patron.checkin import CheckInScreen
from kiosk.ui.patron.more_time import MoreTimeScreen
from kiosk.ui.patron.priority import PriorityScreen
from kiosk.ui.patron.staff_exit import StaffScreen
from kiosk.ui.patron.ticket import TicketScreen
from kiosk.ui.patron.widgets import BigNumber, Choice

from .conftest import local
from .patron_fakes import SIZE, FakePrinter, Kit
from .test_patron import GUARD, STAFF_GESTURE, key, settle

MIN_CONTRAST = 7.0


def luminance(color: RichColor) -> float:
    triplet = color.get_truecolor()

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in triplet)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RichColor, b: RichColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def in_256_colours(color: RichColor) -> RichColor:
    """The colour a 256-colour terminal shows for `color` (Rich's own downgrade, to the
    xterm palette's cube and greys, whose values are fixed)."""
    return RichColor.from_triplet(color.downgrade(ColorSystem.EIGHT_BIT).get_truecolor())


def pair_contrast(pair: tuple[str, str]) -> float:
    """A (text, background) pair's contrast, the lower of full colour and 256 colours: the
    kiosk may run in a terminal that has only the palette (issue 20, point 6)."""
    fg, bg = RichColor.parse(pair[0]), RichColor.parse(pair[1])
    return min(contrast(fg, bg), contrast(in_256_colours(fg), in_256_colours(bg)))


def rendered_pairs(kit: Kit) -> dict[tuple[str, str], str]:
    """Every (text colour, background) pair on screen now, with a sample of its text."""
    pairs: dict[tuple[str, str], str] = {}
    seen = 0
    for y, strip in enumerate(kit.app.screen._compositor.render_strips()):
        for segment in strip:
            if segment.control or not segment.text.strip():
                continue
            style = segment.style
            assert style is not None, f"row {y}: unstyled text {segment.text!r}"
            assert not style.dim, f"row {y}: dim text {segment.text!r}"
            fg, bg = style.color, style.bgcolor
            if style.reverse:
                fg, bg = bg, fg
            assert fg is not None and bg is not None, f"row {y}: default colour {segment.text!r}"
            name = (fg.get_truecolor().hex, bg.get_truecolor().hex)
            pairs.setdefault(name, f"row {y}: {segment.text.strip()[:30]!r}")
            seen += 1
    assert seen >= 10  # the check saw real text
    return pairs


# -- the screens, each reached the way a patron reaches it -------------------------------

Setup = Callable[[Kit, Pilot], Awaitable[None]]


async def welcome(kit: Kit, pilot: Pilot) -> None:
    kit.mono.advance(GUARD)


async def welcome_focused_with_trouble(kit: Kit, pilot: Pilot) -> None:
    kit.printer.set_state("paper_out")
    await kit.app.refresh_trouble()
    kit.mono.advance(GUARD)
    await key(kit, pilot, "down", "down")


async def welcome_closed(kit: Kit, pilot: Pilot) -> None:
    kit.clock.set(local(17, 0))
    await kit.app.refresh_trouble()
    await settle(pilot)


async def priority_focused(kit: Kit, pilot: Pilot) -> None:
    kit.mono.advance(GUARD)
    await key(kit, pilot, "2", "tab", "tab")
    assert isinstance(kit.app.screen, PriorityScreen)


async def ticket(kit: Kit, pilot: Pilot) -> None:
    kit.mono.advance(GUARD)
    await key(kit, pilot, "3", "2")
    assert isinstance(kit.app.screen, TicketScreen)


async def ticket_print_failed(kit: Kit, pilot: Pilot) -> None:
    kit.printer.succeed = False
    await ticket(kit, pilot)
    await key(kit, pilot, "tab")


async def more_time(kit: Kit, pilot: Pilot) -> None:
    kit.mono.advance(GUARD)
    await key(kit, pilot, "1")
    kit.mono.advance(kit.settings.patron.idle_s)
    await pilot.pause(0.25)
    await settle(pilot)
    assert isinstance(kit.app.screen, MoreTimeScreen)


async def staff(kit: Kit, pilot: Pilot) -> None:
    kit.store.staff_add("Sari", "staff", "2468")
    kit.mono.advance(GUARD)
    await key(kit, pilot, *STAFF_GESTURE, every=0.5)
    assert isinstance(kit.app.screen, StaffScreen)
    await key(kit, pilot, "1", "5", "enter")


async def checkin_typed(kit: Kit, pilot: Pilot) -> None:
    """Three digits typed, the focus ring on a digit target."""
    kit.mono.advance(GUARD)
    await key(kit, pilot, "6", "4", "0", "9", "tab")
    assert isinstance(kit.app.screen, CheckInScreen)


async def checkin_refused(kit: Kit, pilot: Pilot) -> None:
    kit.mono.advance(GUARD)
    await key(kit, pilot, "6", *"123456", "enter")  # no booking has it


async def checkin_early(kit: Kit, pilot: Pilot) -> None:
    code = kit.store.book("A", "2026-11-27", "09:30")[2]  # it is 09:00: too early
    kit.mono.advance(GUARD)
    await key(kit, pilot, "6", *code, "enter")
    assert kit.app.screen.query_one("#early").display


async def checkin_slowed(kit: Kit, pilot: Pilot) -> None:
    kit.mono.advance(GUARD)
    await key(kit, pilot, "6")
    for _ in range(6):
        await key(kit, pilot, *"123456", "enter")
    assert isinstance(kit.app.screen, CheckInScreen) and kit.app.screen.slowed_until


async def booked_ticket(kit: Kit, pilot: Pilot, at: datetime) -> None:
    code = kit.store.book("A", "2026-11-27", "09:15")[2]
    kit.clock.set(at)
    kit.mono.advance(GUARD)
    await key(kit, pilot, "6", *code, "enter")
    assert isinstance(kit.app.screen, TicketScreen)


async def appointment_ticket(kit: Kit, pilot: Pilot) -> None:
    await booked_ticket(kit, pilot, local(9, 10))


async def late_ticket(kit: Kit, pilot: Pilot) -> None:
    await booked_ticket(kit, pilot, local(9, 31))


SCREENS: dict[str, Setup] = {
    "welcome": welcome,
    "welcome_focused_with_trouble": welcome_focused_with_trouble,
    "welcome_closed": welcome_closed,
    "priority_focused": priority_focused,
    "ticket": ticket,
    "ticket_print_failed": ticket_print_failed,
    "more_time": more_time,
    "staff": staff,
    "checkin_typed": checkin_typed,
    "checkin_refused": checkin_refused,
    "checkin_early": checkin_early,
    "checkin_slowed": checkin_slowed,
    "appointment_ticket": appointment_ticket,
    "late_ticket": late_ticket,
}


def inspect(tmp_path, setup: Setup, theme: str, check: Callable[[Kit], None]) -> None:
    kit = Kit(tmp_path, printer=FakePrinter())

    async def main() -> None:
        async with kit.app.run_test(size=SIZE) as pilot:
            kit.app.theme = theme
            await settle(pilot)
            await setup(kit, pilot)
            await settle(pilot)
            check(kit)

    try:
        asyncio.run(main())
    finally:
        kit.close()


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
@pytest.mark.parametrize("name", sorted(SCREENS))
def test_every_rendered_text_colour_pair_is_at_least_7_to_1(tmp_path, name: str, theme: str):
    def check(kit: Kit) -> None:
        pairs = rendered_pairs(kit)
        low = {pair: (round(pair_contrast(pair), 2), where) for pair, where in pairs.items()}
        failing = {pair: v for pair, v in low.items() if v[0] < MIN_CONTRAST}
        assert not failing, failing

    inspect(tmp_path, SCREENS[name], theme, check)


def test_the_contrast_check_can_fail():
    assert contrast(RichColor.parse("#777777"), RichColor.parse("#000000")) < MIN_CONTRAST
    assert contrast(RichColor.parse("#ffffff"), RichColor.parse("#000000")) == pytest.approx(21)
    # Measured before issue 20: 10.7:1 in full colour, 5.4:1 in 256 colours.
    assert pair_contrast(("#dce8f4", "#13314f")) < MIN_CONTRAST


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_targets_are_big_and_main_choices_within_reach(tmp_path, name: str):
    def check(kit: Kit) -> None:
        # (on the staff screen the name list and the PIN pad take turns)
        choices = [c for c in kit.app.screen.query(Choice) if c.display and c.region.area]
        assert choices
        height = SIZE[1]
        for choice in choices:
            region = choice.region
            assert region.width >= 10 and region.height >= 3, (choice.id, region)
            if (choice.has_class("service", "need", "staff", "action", "pad", "early")
                    or choice.id == "more-time"):
                assert region.y >= height / 3, (choice.id, region)  # lower two thirds
            assert region.bottom <= height, (choice.id, region)

    inspect(tmp_path, SCREENS[name], themes.CONTRAST, check)


def test_the_number_is_the_largest_thing_on_the_ticket_screen(tmp_path):
    def check(kit: Kit) -> None:
        screen = kit.app.screen
        number = screen.query_one("#number", BigNumber)
        lines, scale = number.layout_now
        drawn = len(draw_lines(lines, scale))
        assert scale and drawn >= SIZE[1] / 3, (lines, scale)
        for widget in screen.query("#details > *"):
            assert widget.region.height < drawn, widget.id

    inspect(tmp_path, ticket, themes.CONTRAST, check)


# -- snapshots ---------------------------------------------------------------------------

SNAPSHOTS = ["welcome", "priority_focused", "ticket", "ticket_print_failed", "more_time",
             "checkin_typed", "checkin_slowed", "appointment_ticket"]


@pytest.mark.parametrize("theme", [themes.CONTRAST, themes.HIGH_CONTRAST])
@pytest.mark.parametrize("name", SNAPSHOTS)
def test_snapshot(tmp_path, snap_compare, name: str, theme: str):
    kit = Kit(tmp_path, printer=FakePrinter())

    async def run_before(pilot: Pilot) -> None:
        kit.app.theme = theme
        await settle(pilot)
        await SCREENS[name](kit, pilot)
        await settle(pilot)

    try:
        assert snap_compare(kit.app, terminal_size=SIZE, run_before=run_before)
    finally:
        kit.close()
