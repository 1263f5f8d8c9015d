"""The lobby board: every call seen at once, across the room, whatever the speech is doing.

Top to bottom: the site and the time; the newest call in block letters as large as the
screen allows, highlighted (yellow block, black letters) until the next call; the other
calls still open at other counters; the last calls as plain text, the newest included;
per service how many wait and about how long a ticket taken now waits; and, when no
announcer has reported in lately, a notice that spoken announcements are off (patrons who
rely on hearing their number must then watch the board).

Every text is in all site languages (the board is patron-facing). The board never shows a
patron's need: it reads no need at all.

It follows the store that other processes write: a `Follower` thread polls
`PRAGMA data_version` every 50 ms and re-reads only after a commit, so a new call is on
screen within one poll plus one frame. `kiosk board --speak` also runs the announcer in a
thread of this process, with its own store connection; the board never waits for it.

Rooms: `app.py` (the App), `tiles.py` (a call in block letters), `board.tcss`.
"""

from __future__ import annotations

from kiosk.ui.board.app import ALSO, BoardApp, read_board, run
from kiosk.ui.board.tiles import CallTile

__all__ = ["ALSO", "BoardApp", "CallTile", "read_board", "run"]
