"""The kiosk's two colour themes, as Textual themes whose `kiosk-*` variables the .tcss uses.

Every text colour pair is chosen for a contrast ratio of at least 7:1 (WCAG 1.4.6, AAA);
tests/test_patron.py checks that on the colours Textual actually renders, because Textual
blends alpha and "auto" colours and the numbers below alone would prove nothing. Only opaque
colours are used, so what is written here is what reaches the screen. The pairs hold in a
256-colour terminal too, where each colour becomes its nearest in the xterm palette (the
tests check that as well: the choice background was once #13314f, whose nearest palette
colour, teal #005f5f, left the descriptions at 5.4:1).
"""

from __future__ import annotations

from textual.theme import Theme

CONTRAST = "kiosk-contrast"
HIGH_CONTRAST = "kiosk-high-contrast"

#: config [patron].theme -> Textual theme name
BY_SETTING = {"contrast": CONTRAST, "high-contrast": HIGH_CONTRAST}


def _theme(name: str, colours: dict[str, str]) -> Theme:
    return Theme(
        name=name,
        primary=colours["kiosk-accent"],
        foreground=colours["kiosk-fg"],
        background=colours["kiosk-bg"],
        surface=colours["kiosk-bg"],
        panel=colours["kiosk-choice-bg"],
        dark=True,
        variables=colours,
    )


_CONTRAST = {
    "kiosk-bg": "#0a1a2b",          # deep navy
    "kiosk-fg": "#ffffff",
    "kiosk-muted": "#dce8f4",       # secondary lines, still about 14:1 on the navy
    "kiosk-accent": "#ffe14d",      # numbers and the ticket label
    "kiosk-choice-bg": "#112b48",   # (in 256 colours: the cube's navy, #00005f)
    "kiosk-choice-fg": "#ffffff",
    "kiosk-choice-line": "#b8d8f5",
    "kiosk-focus-bg": "#ffd000",    # the focus ring: a yellow block with a heavy black frame
    "kiosk-focus-fg": "#000000",
    "kiosk-focus-line": "#000000",
    "kiosk-alert-bg": "#5c0a0a",
    "kiosk-alert-fg": "#ffffff",
    "kiosk-alert-line": "#ffb3b3",
    "kiosk-ok-fg": "#ffffff",
}

_HIGH_CONTRAST = {
    "kiosk-bg": "#000000",
    "kiosk-fg": "#ffffff",
    "kiosk-muted": "#ffffff",
    "kiosk-accent": "#ffff00",
    "kiosk-choice-bg": "#000000",
    "kiosk-choice-fg": "#ffffff",
    "kiosk-choice-line": "#ffffff",
    "kiosk-focus-bg": "#ffff00",
    "kiosk-focus-fg": "#000000",
    "kiosk-focus-line": "#000000",
    "kiosk-alert-bg": "#000000",
    "kiosk-alert-fg": "#ffff00",
    "kiosk-alert-line": "#ffff00",
    "kiosk-ok-fg": "#ffffff",
}

THEMES = (_theme(CONTRAST, _CONTRAST), _theme(HIGH_CONTRAST, _HIGH_CONTRAST))
