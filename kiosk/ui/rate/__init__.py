"""The counter's rating tablet: four faces facing the patron, one tap for the ticket just
finished at that counter (`kiosk rate --counter N`, `/screen/rate?counter=N`).

Idle, it greets (`rate.nothing`). When a ticket has just been finished at its counter
(`kiosk.views.rate`: finished within `[survey] rate_window_min` and not yet rated) it asks
"How was our service just now?" for that ticket's label, with four faces (1 unhappy .. 4
very happy) on the keys 1-4 and to tap, each a quarter of the screen with its face drawn as
large as the tablet allows. One tap rates (`Store.rate`) and thanks for a few seconds; a
second tap finds nothing to rate. Input is ignored for `[patron] input_guard_s` after the
faces appear. Words are in every site language (the tablet faces any patron). It never
shows a need, nor even the ticket's class: only its label. The rating is tied to the
ticket's day, service, counter and class in the store, never to a person, and is reported
apart from the satisfaction index.

It follows the store as the board does: a `Follower` thread polls `PRAGMA data_version`
and reads again after any commit (the console's finish) and every second (the window
closes with time); the tap runs on the app's own store thread.

Rooms: `app.py` (the App), `faces.py` (a face to tap), `rate.tcss`.
"""

from __future__ import annotations

from kiosk.ui.rate.app import RateApp, rate_shown, run
from kiosk.ui.rate.faces import EMOJI, SCORES, Face

__all__ = ["EMOJI", "SCORES", "Face", "RateApp", "rate_shown", "run"]
