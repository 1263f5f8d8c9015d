"""Verbs of the satisfaction survey: `survey report` (the index of a period, its elements,
the sample it needed, the trend by month, the quick rating apart)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from kiosk import clock as clk
from kiosk.cli.common import clock_of, number, open_store, settings_of
from kiosk.config import KNOWN_LANGUAGES
from kiosk.exceptions import UsageError
from kiosk.i18n import t

Verb = Callable[..., argparse.ArgumentParser]


def table(rep: dict[str, Any], lang: str) -> str:
    """The publication table, then what the admin reads beside it: the trend by month, the
    site's own questions and the counter's quick rating (apart from the index)."""
    from kiosk.reports import survey

    def say(key: str, **values: Any) -> str:
        return t(lang, f"survey_report.{key}", **values)

    lines = [survey.publication_text(rep, lang), ""]
    if rep["by_month"]:
        lines.append(say("trend_title"))
        for m in rep["by_month"]:
            said = say("month_line", n=m["respondents"], ikm=survey.number(m["ikm"], 2),
                       category=m["category"] or "–")
            lines.append(f"  {survey.month_text(lang, m['month']):<10}{said}")
        lines.append("")
    if rep["own_questions"]:
        lines.append(say("own_title"))
        for q in rep["own_questions"]:
            lines.append("  " + say("own_line", code=q["code"], text=q["text"] or "",
                                    mean=survey.number(q["mean"], 2), n=q["answers"]))
        lines.append("")
    quick = rep["quick_rating"]
    lines.append(say("quick_title"))
    if quick["ratings"]:
        lines.append("  " + say("quick_line", n=quick["ratings"],
                                mean=survey.number(quick["mean"], 2)))
        lines.append("  " + " · ".join(f"{t(lang, f'rate.face{score}')} {n:,}"
                                       for score, n in quick["counts"].items()))
    else:
        lines.append("  " + say("quick_none"))
    return "\n".join(lines)


def cmd_survey(args: argparse.Namespace) -> int:
    from kiosk.reports import survey

    settings = settings_of(args)
    date_to = args.to or clk.local_day(clock_of().now(), settings.site.tz)
    date_from = args.date_from or date_to
    priority = {"priority": True, "regular": False, None: None}[args.cls]
    lang = args.lang or settings.default_language
    if args.central:
        from kiosk.central.survey import central_survey_report

        rep = central_survey_report(args.central, settings, args.site or "all",
                                    date_from=date_from, date_to=date_to,
                                    service=args.service, counter=args.counter,
                                    priority=priority)
    elif args.site:
        raise UsageError("--site needs --central URL (a site's store reports on itself)")
    else:
        with open_store(args) as store:
            rep = survey.survey_report(store, settings, date_from, date_to,
                                       service=args.service, counter=args.counter,
                                       priority=priority)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(json.dumps(rep, ensure_ascii=False))
    elif fmt == "csv":
        sys.stdout.write(survey.publication_csv(rep, lang))
    else:
        print(table(rep, lang))
    return 0


def register(verb: Verb, as_json: argparse.ArgumentParser) -> None:
    """Add the survey's verbs to the `kiosk` parser."""
    p = verb("survey", cmd_survey, "the satisfaction survey (SKM): the index of a period",
             as_json)
    p.add_argument("what", choices=["report"])
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help="first local date, YYYY-MM-DD (default: --to)")
    p.add_argument("--to", metavar="DATE", help="last local date, inclusive (default: today)")
    p.add_argument("--service", metavar="S", help="only this service's tickets")
    p.add_argument("--counter", type=number, metavar="N",
                   help="only the tickets this counter served")
    p.add_argument("--class", dest="cls", choices=["priority", "regular"],
                   help="only one class of patrons")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table",
                   help="table and csv: the regulation's publication table")
    p.add_argument("--central", metavar="URL",
                   help="the index from the central PostgreSQL (what the sites shipped)")
    p.add_argument("--site", metavar="ID",
                   help="with --central: one site's id, or all (default: all, pooled)")
    p.add_argument("--lang", choices=sorted(KNOWN_LANGUAGES),
                   help="the words of the table and the CSV (default: the site's first"
                        " language)")
