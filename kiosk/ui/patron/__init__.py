"""The patron kiosk: two touches (or two keys) to a ticket, self-voicing, bilingual, locked down.

Flow (design §6): welcome (services 1..8) -> "Do you need priority service?" (1 = no, 2.. =
each need) -> the ticket (number in block letters, service, people ahead, estimated wait,
print state) -> back to welcome after `ticket_screen_s` or a touch. Where bookings are taken
(design §14), the welcome screen's next key after the services is "I have an appointment":
the booking's six-digit code, then its ticket (checkin.py).

Keypad map: `1`-`8` choose, `9` the other language, `0` repeats the spoken prompt, `*` high
contrast, `+`/`-` volume, Backspace/Delete/`.` back, Tab/arrows move the focus ring, Enter
chooses. With NumLock off a USB numpad sends navigation keys instead of digits; the kiosk
reads End, PgDn, Home, PgUp and Insert as 1, 3, 7, 9 and 0 (the digits printed on those
keys), Delete as `.`, and the arrows on 2, 4, 6 and 8 move the focus ring, whose target is
spoken; Enter then chooses.

Time is read from an injectable monotonic function so the 0.4 s input guard, the idle prompt
and the ticket screen's return are tested without waiting; deadlines are checked by one
10 Hz ticker. Store calls run on one worker thread (the store's connection is only ever
used from there, one call at a time); printing and speech are the workers' own threads.

Speed (final touch -> number on screen, p95 <= 100 ms on two cores): the ticket screen is
built once at start and filled in on the touch; a screen speaks (and the ticket prints)
once its frame is drawn; the garbage collector is held from the final touch to that frame,
what exists after start is frozen out of its walks, and the rest is collected between
patrons (benchmarks/patron_bench.py; each workaround is in kiosk/ui/latency.py).

Rooms: `app.py` (the App), `base.py` (keys, the shared screen behaviour), one module per
screen (`welcome.py`, `priority.py`, `checkin.py`, `ticket.py`, `more_time.py`,
`staff_exit.py`),
`devices.py` (the voice and the printer it talks to), `widgets.py`, `patron.tcss`.
"""

from __future__ import annotations

from kiosk.ui.patron.app import PatronApp, run
from kiosk.ui.patron.devices import SilentVoice

__all__ = ["PatronApp", "SilentVoice", "run"]
