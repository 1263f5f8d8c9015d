"""`kiosk doctor`: one screenful that checks what a lobby needs (kiosk.doctor) and says what
is wrong with the fix. Exit 0 when all is well (warnings alone too), 1 otherwise, also for
a config that cannot be read (then it is the only check)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.common import clock_of

if TYPE_CHECKING:
    from kiosk.doctor import Check

Verb = Callable[..., argparse.ArgumentParser]

MARKS = {"ok": "ok", "warn": "warn", "fail": "FAIL"}
MARK_WIDTH, NAME_WIDTH = 6, 15


def render(checks: Sequence[Check]) -> str:
    """A line per check (mark, name, what was found), the fix under each finding, and the
    verdict last."""
    lines = []
    for check in checks:
        lines.append(f"{MARKS[check.level]:<{MARK_WIDTH}}{check.name:<{NAME_WIDTH - 1}}"
                     f" {check.detail}")
        if check.fix and check.level != "ok":
            lines.append(f"{'':<{MARK_WIDTH}}→ fix: {check.fix}")
    problems = sum(not check.ok for check in checks)
    warnings = sum(check.level == "warn" for check in checks)
    verdict = ("all well" if not problems
               else f"{problems} problem{'s' if problems > 1 else ''}")
    if warnings:
        verdict += f" ({warnings} warning{'s' if warnings > 1 else ''})"
    return "\n".join([*lines, verdict])


def cmd_doctor(args: argparse.Namespace) -> int:
    from kiosk import doctor

    now = clock_of().now()
    loaded = doctor.load_config(args.config, args.db)
    if isinstance(loaded, doctor.Check):
        checks = [loaded]
    else:
        backups = Path(args.backups) if args.backups else None
        checks = doctor.run(loaded, now=now, backups=backups, debug=args.debug)
    ok = all(check.ok for check in checks)
    if args.json:
        print(json.dumps({"ok": ok, "checks": [c.as_json() for c in checks]},
                         ensure_ascii=False))
    else:
        print(render(checks))
    return 0 if ok else 1


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    p = verb("doctor", cmd_doctor, "check what the lobby needs and say what to fix", as_json)
    p.add_argument("--backups", metavar="DIR",
                   help="where the backup copies are (default: backups/ beside the store)")
