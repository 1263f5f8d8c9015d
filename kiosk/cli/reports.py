"""Verbs for reports and history: `report`, `export events`, `demo-data`, `purge`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from kiosk import clock as clk
from kiosk.cli.common import actor_of, clock_of, emit, number, open_store, settings_of
from kiosk.exceptions import UsageError

Verb = Callable[..., argparse.ArgumentParser]


def _today(args: argparse.Namespace) -> str:
    settings = settings_of(args)
    return clk.local_day(clock_of().now(), settings.site.tz)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(rep: dict[str, Any]) -> str:
    """The report as plain text columns for a terminal."""
    head = (f"{'group':<14}{'issued':>7}{'served':>7}{'noshow':>7}{'expired':>8}{'transf':>7}"
            f"{'wait mean':>10}{'med':>6}{'p90':>6}{'p95':>6}{'max':>6}{'svc med':>8}"
            f"{'within':>8}{'met':>5}{'overt':>6}{'util':>6}")
    where = f"site {rep['site']}, " if "site" in rep else ""
    lines = [f"serve times {where}{rep['from']} .. {rep['to']} ({rep['timezone']})"]
    active = {k: v for k, v in rep["filters"].items() if v is not None}
    if active:
        lines.append("filters: " + ", ".join(f"{k}={v}" for k, v in active.items()))
    lines.append("minutes; within = share called within the class's target")
    lines.append(head)

    def line(label: str, g: dict[str, Any]) -> str:
        w, s = g["wait_min"], g["service_min"]
        within = g["within_target"]
        return (f"{label:<14}{g['issued']:>7}{g['served']:>7}{g['no_show']:>7}{g['expired']:>8}"
                f"{g['transferred']:>7}{_fmt(w['mean']):>10}{_fmt(w['median']):>6}"
                f"{_fmt(w['p90']):>6}{_fmt(w['p95']):>6}{_fmt(w['max']):>6}"
                f"{_fmt(s['median']):>8}"
                f"{'-' if within is None else f'{within:.0%}':>8}{_fmt(g['target_met']):>5}"
                f"{g['overtakes']:>6}"
                f"{'' if 'utilisation' not in g else _fmt(g['utilisation'], 2):>6}")

    def group(label: str, g: dict[str, Any]) -> None:
        lines.append(line(label, g))
        parts = g.get("by_arrival", [])
        if any(p["arrival"] == "appointment" and p["issued"] + p["called"] for p in parts):
            for part in parts:  # only where appointments came: the rest are all walk-ins
                lines.append(line(f"  {part['arrival'].replace('_', '-')}", part))

    group("overall", rep["overall"])
    for title, key, items in (("service", "service", rep["by_service"]),
                              ("counter", "counter", rep["by_counter"]),
                              ("hour", "hour", rep["by_hour"]),
                              ("class", "class", rep["by_class"])):
        lines.append("")
        for g in items:
            group(f"{title} {g[key]}", g)
    lines += appointments_table(rep.get("appointments"))
    return "\n".join(lines)


def appointments_table(booked: dict[str, Any] | None) -> list[str]:
    """The bookings of the period's slots and the appointments' punctuality (first call
    minus the slot's start), overall and per service; one line when none was booked."""
    if not booked:
        return []
    if not (booked["booked"] or booked["punctuality_min"]["n"]):
        return ["", f"appointments: none booked ({booked['offered']} places offered)"
                if booked["offered"] else "appointments: none"]
    lines = ["", "appointments (booked for the period's slots; punctuality = called minus"
             f" slot start, min; on time: within {booked['punctual_target_min']} min)",
             f"{'service':<14}{'booked':>7}{'cancel':>7}{'checkin':>8}{'late':>6}"
             f"{'noshow':>7}{'pending':>8}{'offered':>8}{'util':>6}{'punct med':>10}"
             f"{'p90':>6}{'on time':>8}"]

    def line(label: str, b: dict[str, Any]) -> str:
        p = b["punctuality_min"]
        share = b["punctual_share"]
        util = b["slot_utilisation"]
        return (f"{label:<14}{_fmt(b['booked']):>7}{_fmt(b['cancelled']):>7}"
                f"{_fmt(b['checked_in']):>8}{_fmt(b['late']):>6}{_fmt(b['no_show']):>7}"
                f"{_fmt(b['pending']):>8}{b['offered']:>8}"
                f"{'-' if util is None else f'{util:.0%}':>6}{_fmt(p['median']):>10}"
                f"{_fmt(p['p90']):>6}{'-' if share is None else f'{share:.0%}':>8}")

    lines.append(line("all", booked))
    lines += [line(f"service {b['service']}", b) for b in booked["by_service"]]
    return lines


def cmd_report(args: argparse.Namespace) -> int:
    from kiosk import reports

    settings = settings_of(args)
    date_to = args.to or _today(args)
    date_from = args.date_from or date_to
    priority = {"priority": True, "regular": False, None: None}[args.cls]
    if args.central:
        from kiosk.central.report import central_report

        # The sites' rows at the centre, through the site's own report code; the site
        # config (zone, hours, targets, counters) is this config's (kiosk.central.report).
        rep = central_report(args.central, settings, args.site or "all",
                             date_from=date_from, date_to=date_to, service=args.service,
                             counter=args.counter, priority=priority)
    elif args.site:
        raise UsageError("--site needs --central URL (a site's store reports on itself)")
    else:
        with open_store(args) as store:
            rep = reports.report(store, settings, date_from=date_from, date_to=date_to,
                                 service=args.service, counter=args.counter,
                                 priority=priority)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(json.dumps(rep, ensure_ascii=False))
    elif fmt == "csv":
        sys.stdout.write(reports.to_csv(rep))
    else:
        print(table(rep))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kiosk import reports

    settings = settings_of(args)
    date_to = args.to or _today(args)
    date_from = args.date_from or date_to
    with open_store(args) as store:
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                reports.export_events(store, settings, date_from=date_from, date_to=date_to,
                                      fmt=args.format, out=out)
            print(f"events {date_from} .. {date_to} written to {args.output}", file=sys.stderr)
        else:
            reports.export_events(store, settings, date_from=date_from, date_to=date_to,
                                  fmt=args.format, out=sys.stdout)
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from kiosk import demo
    from kiosk.clock import ManualClock
    from kiosk.store import Store
    from kiosk.store.surveys import Filters

    if args.days < 1:
        raise UsageError("--days must be at least 1")
    settings = settings_of(args)
    tz = settings.site.tz
    end = (datetime.strptime(args.end, "%Y-%m-%d").date() if args.end
           else datetime.fromisoformat(_today(args)).date() - timedelta(days=1))
    start = datetime.combine(end - timedelta(days=args.days - 1), time(6), tz)
    if not 0.0 <= args.booked <= 1.0:
        raise UsageError("--booked is a share of patrons, from 0 to 1")
    plan = demo.Plan(load=args.load, booked=args.booked if settings.booking.services else 0.0)
    console = Console(stderr=True, force_terminal=True if args.progress else None)
    with Store(settings, clock=ManualClock(start)) as store, Progress(
        console=console, transient=True, disable=not (console.is_terminal or args.progress)
    ) as progress:
        task = progress.add_task("simulated days", total=args.days)
        made = demo.generate(store, args.days, end=end, plan=plan, seed=args.seed,
                             progress=lambda done: progress.update(task, completed=done))
        first = (end - timedelta(days=args.days - 1)).isoformat()
        answered, _sums = store.survey_sums(Filters(first, end.isoformat()))
        booked = sum(len(store.bookings((end - timedelta(days=n)).isoformat()))
                     for n in range(args.days)) if plan.booked else 0
    payload = {"days": args.days, "from": first, "to": end.isoformat(), "tickets": made,
               "survey_responses": answered, "bookings": booked}
    emit(args, payload, f"{made} tickets over {args.days} simulated day(s), "
             f"{payload['from']} .. {payload['to']}; {answered} survey responses;"
             f" {booked} bookings")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        result = store.purge(args.before, actor=actor_of(args))
    emit(args, result, f"purged {result['tickets']} ticket(s) and {result['events']}"
             f" event(s) before {result['before']}")
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add the reports' verbs to the `kiosk` parser."""
    dates = argparse.ArgumentParser(add_help=False)
    dates.add_argument("--from", dest="date_from", metavar="DATE",
                       help="first local date, YYYY-MM-DD (default: --to)")
    dates.add_argument("--to", metavar="DATE", help="last local date, inclusive (default: today)")

    p = verb("report", cmd_report, "serve-time statistics for a range of local dates",
             dates, as_json)
    p.add_argument("--service", metavar="S", help="only this service's queue")
    p.add_argument("--counter", type=number, metavar="N", help="only what this counter called")
    p.add_argument("--class", dest="cls", choices=["priority", "regular"],
                   help="only one class of patrons")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--central", metavar="URL",
                   help="report from the central PostgreSQL (what the sites shipped)")
    p.add_argument("--site", metavar="ID",
                   help="with --central: one site's id, or all (default: all, merged)")

    p = verb("export", cmd_export, "export the event log (CSV or JSON, ISO times)", dates)
    p.add_argument("what", choices=["events"])
    p.add_argument("--format", choices=["csv", "json"], required=True)
    p.add_argument("--output", "-o", metavar="FILE", type=Path, help="write here, not stdout")

    p = verb("demo-data", cmd_demo_data,
             "realistic history through the store's own code (simulated days)", as_json)
    p.add_argument("--days", type=number, required=True, metavar="N")
    p.add_argument("--end", metavar="DATE", help="last simulated day (default: yesterday)")
    p.add_argument("--load", type=float, default=0.7, help="offered load (default 0.7)")
    p.add_argument("--booked", type=float, default=0.1, metavar="SHARE",
                   help="share of the bookable services' patrons who book a slot"
                        " (default 0.1; 0: no bookings)")
    p.add_argument("--seed", type=number, default=1)
    p.add_argument("--progress", action="store_true",
                   help="show the progress bar even when stderr is not a terminal")

    p = verb("purge", cmd_purge, "retention: delete tickets and events before a local date",
             as_json)
    p.add_argument("--before", required=True, metavar="DATE")
    p.add_argument("--actor", help=argparse.SUPPRESS)

