"""The satisfaction survey's report (issue 24, design §11): a period's index with its nine
elements, the sample the period needed, the trend by month, the site's own questions, and
the counter's quick four-face rating apart; and the regulation's publication table of it.

Figures are rounded as the regulation's tables print them (NRR to 2 decimals, weighted NRR
to 3, the IKM to 2), half up; the category is kiosk.survey's, read on the unrounded index
at two decimals, so the letter always agrees with the IKM printed beside it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from kiosk import i18n
from kiosk import survey as skm
from kiosk.config import Settings
from kiosk.exceptions import UsageError
from kiosk.i18n import date_text, t
from kiosk.reports.report import parse_day
from kiosk.store.surveys import Filters

if TYPE_CHECKING:
    from kiosk.store import Store

CATEGORY_WORDS = {"A": "sangat baik", "B": "baik", "C": "kurang baik", "D": "tidak baik"}
"""The regulation's own words for each category (the JSON's `category_words`)."""
SUGGESTIONS_SHOWN = 200


def half_up(value: float | None, digits: int) -> float | None:
    # round() is half-even on the binary value (88.305 would print 88.3 beside an A);
    # kiosk.survey.category reads the index the same way as this.
    return None if value is None else round(value + 1e-9, digits)


def _filters(settings: Settings, date_from: str, date_to: str, service: str | None,
             counter: int | None, priority: bool | None) -> Filters:
    first = parse_day(date_from, "--from")
    last = parse_day(date_to, "--to")
    if last < first:
        raise UsageError(f"--to ({date_to}) is before --from ({date_from})")
    if service:
        service = service.upper()
        try:
            settings.service(service)
        except KeyError:
            known = ", ".join(s.prefix for s in settings.services)
            raise UsageError(f'unknown service "{service}" (configured: {known})') from None
    if counter is not None:
        try:
            settings.counter(counter)
        except KeyError:
            known = ", ".join(str(c.id) for c in settings.counters)
            raise UsageError(f"unknown counter {counter} (configured: {known})") from None
    return Filters(first.isoformat(), last.isoformat(), service or None, counter, priority)


def _message(respondents: int, needed: int, population: int) -> str | None:
    """Said plainly when the period has too few respondents (None: enough)."""
    if respondents == 0:
        return ("Nobody answered the survey in this period"
                + (f" ({population:,} tickets served)." if population else "."))
    if respondents >= needed:
        return None
    return (f"Too few answered: {respondents:,} of the {needed:,} respondents this period"
            f" needs have answered (Krejcie and Morgan, for {population:,} tickets served);"
            " read the index as a first indication only.")


def _index(sums: dict[str, tuple[int, int]], respondents: int) -> skm.Index:
    return skm.index({code: sums[code] for code in skm.ELEMENTS if code in sums}, respondents)


@dataclass
class Parts:
    """What a survey report is computed from, as sums: parts of several sites (or
    periods) add up to the parts of all of them (`add`), so the central report pools
    every site's answers before the index is computed, never averaging indexes."""

    respondents: int = 0
    sums: dict[str, tuple[int, int]] = field(default_factory=dict)
    months: dict[str, tuple[int, dict[str, tuple[int, int]]]] = field(default_factory=dict)
    population: int = 0
    quick: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 5), 0))

    def add(self, other: Parts) -> None:
        self.respondents += other.respondents
        self.population += other.population
        _add_sums(self.sums, other.sums)
        for month, (people, sums) in other.months.items():
            seen, mine = self.months.setdefault(month, (0, {}))
            _add_sums(mine, sums)
            self.months[month] = (seen + people, mine)
        for score, n in other.quick.items():
            self.quick[score] = self.quick.get(score, 0) + n


def _add_sums(into: dict[str, tuple[int, int]], sums: dict[str, tuple[int, int]]) -> None:
    for code, (total, n) in sums.items():
        had = into.get(code, (0, 0))
        into[code] = (had[0] + total, had[1] + n)


def survey_filters(settings: Settings, date_from: str, date_to: str,
                   service: str | None = None, counter: int | None = None,
                   priority: bool | None = None) -> Filters:
    """The report's question, checked: one plain line for a wrong date, service or
    counter."""
    return _filters(settings, date_from, date_to, service, counter, priority)


def survey_parts(store: Store, filters: Filters) -> Parts:
    """The sums of one store, from one read."""
    with store.snapshot():
        respondents, sums = store.survey_sums(filters)
        months = store.survey_months(filters)
        population = store.served_count(filters)
        quick = store.quick_counts(filters)
    return Parts(respondents, sums, {m: (people, s) for m, people, s in months}, population,
                 quick)


def survey_report(store: Store, settings: Settings, date_from: str, date_to: str,
                  service: str | None = None, counter: int | None = None,
                  priority: bool | None = None) -> dict[str, Any]:
    """The survey of local days `date_from`..`date_to` (inclusive), exactly the JSON of
    `kiosk survey report --format json`: `respondents`, `min_sample` (for `population`, the
    tickets served), `enough`, `message`, `elements` [{code, answers, nrr, weighted}],
    `weighted_total` (their sum), `ikm` (25 x that), `category` (A..D), `category_words`,
    `by_month`, `own_questions`, `quick_rating` {counts, ratings, mean} (never in the
    index)."""
    filters = _filters(settings, date_from, date_to, service, counter, priority)
    return survey_finish(survey_parts(store, filters), settings, filters)


def survey_finish(parts: Parts, settings: Settings, filters: Filters) -> dict[str, Any]:
    """The report's JSON from its sums (one store's, or several sites' added up)."""
    respondents, sums, quick, population = (parts.respondents, parts.sums, parts.quick,
                                            parts.population)
    index = _index(sums, respondents)
    needed = skm.min_sample(population)
    ratings = sum(quick.values())
    texts = {q.code: q.text for q in settings.survey.questions}
    own = [code for code in texts if code in sums] + sorted(
        code for code in sums if code not in skm.ELEMENTS and code not in texts)
    lang = settings.default_language
    return {
        "from": filters.first,
        "to": filters.last,
        "timezone": settings.site.timezone,
        "unit": settings.site.name,
        "filters": {"service": filters.service, "counter": filters.counter,
                    "priority": filters.priority},
        "population": population,
        "respondents": respondents,
        "min_sample": needed,
        "enough": respondents > 0 and respondents >= needed,
        "message": _message(respondents, needed, population),
        "elements": [{"code": e.code, "answers": e.answers, "nrr": half_up(e.nrr, 2),
                      "weighted": half_up(e.weighted, 3)} for e in index.elements],
        "weighted_total": half_up(None if index.ikm is None else index.ikm / 25, 3),
        "ikm": half_up(index.ikm, 2),
        "category": index.category,
        "category_words": CATEGORY_WORDS.get(index.category or ""),
        "by_month": [_month(month, people, month_sums)
                     for month, (people, month_sums) in sorted(parts.months.items())],
        "own_questions": [{"code": code, "text": texts.get(code, {}).get(lang),
                           "answers": sums[code][1],
                           "mean": half_up(sums[code][0] / sums[code][1], 2)}
                          for code in own],
        "quick_rating": {"counts": {str(score): n for score, n in sorted(quick.items())},
                         "ratings": ratings,
                         "mean": half_up(sum(s * n for s, n in quick.items()) / ratings, 2)
                         if ratings else None},
    }


def _month(month: str, people: int, sums: dict[str, tuple[int, int]]) -> dict[str, Any]:
    index = _index(sums, people)
    return {"month": month, "respondents": people, "ikm": half_up(index.ikm, 2),
            "category": index.category,
            "nrr": {e.code: half_up(e.nrr, 2) for e in index.elements}}


def survey_suggestions(store: Store, settings: Settings, date_from: str, date_to: str,
                       service: str | None = None, counter: int | None = None,
                       priority: bool | None = None,
                       limit: int = SUGGESTIONS_SHOWN) -> list[dict[str, Any]]:
    """The period's suggestions in the patrons' words, newest first: {day, service,
    counter, text} (for admins only: never on a board or a phone)."""
    filters = _filters(settings, date_from, date_to, service, counter, priority)
    return store.survey_suggestions(filters, limit)


# -- the publication table ------------------------------------------------------------------


@dataclass(frozen=True)
class Publication:
    """The regulation's table of a report in one language: a head of (label, value) lines
    naming the unit, the period and the respondents; a row per element; then the sum of
    the weighted NRRs, the IKM and its category."""

    title: str
    head: list[tuple[str, str]]
    columns: tuple[str, str, str, str]
    rows: list[tuple[str, str, str, str]]
    """(code, the element's name, NRR, weighted NRR)."""
    foot: list[tuple[str, str]]


def number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def period_text(lang: str, first: str, last: str) -> str:
    """The period the site's way in `lang` ("1 Nov 2026 s.d. 30 Nov 2026")."""
    if first == last:
        return date_text(lang, first)
    return t(lang, "admin.dates", first=date_text(lang, first), last=date_text(lang, last))


def filters_text(lang: str, filters: dict[str, Any]) -> str:
    parts = []
    if filters.get("service"):
        parts.append(t(lang, "admin.filter_service", service=filters["service"]))
    if filters.get("counter") is not None:
        parts.append(t(lang, "admin.filter_counter", counter=filters["counter"]))
    if filters.get("priority") is not None:
        parts.append(t(lang, "admin.class_priority" if filters["priority"]
                       else "admin.class_regular"))
    return " · ".join(parts)


def category_text(lang: str, letter: str | None) -> str:
    """"B (baik)": the letter and the regulation's word for it in `lang`."""
    if letter is None:
        return "–"
    return t(lang, "survey_report.category_value", letter=letter,
             words=t(lang, f"survey_report.cat_{letter}"))


def too_few_text(lang: str, rep: dict[str, Any]) -> str | None:
    """The report's `message` in `lang` (None: enough answered)."""
    if rep["enough"]:
        return None
    if rep["respondents"] == 0:
        return t(lang, "survey_report.none")
    return t(lang, "survey_report.too_few", n=rep["respondents"], needed=rep["min_sample"])


def publication(rep: dict[str, Any], lang: str) -> Publication:
    def say(key: str, **values: Any) -> str:
        return t(lang, f"survey_report.{key}", **values)

    head = [(say("unit"), rep["unit"]),
            (say("period"), period_text(lang, rep["from"], rep["to"]))]
    chosen = filters_text(lang, rep["filters"])
    if chosen:
        head.append((say("filters"), chosen))
    head.append((say("respondents"), say("respondents_value", n=rep["respondents"],
                                         needed=rep["min_sample"], served=rep["population"])))
    note = too_few_text(lang, rep)
    if note:
        head.append((say("note"), note))
    rows = [(e["code"], t(lang, f"survey.{e['code']}.name"), number(e["nrr"], 2),
             number(e["weighted"], 3)) for e in rep["elements"]]
    foot = [(say("total_weighted"), number(rep["weighted_total"], 3)),
            (say("ikm"), number(rep["ikm"], 2)),
            (say("category"), category_text(lang, rep["category"]))]
    return Publication(t(lang, "survey.title"), head,
                       (say("col_code"), say("col_element"), say("col_nrr"),
                        say("col_weighted")), rows, foot)


def publication_csv(rep: dict[str, Any], lang: str) -> str:
    """The publication table as CSV, ready to open and print: the head (unit, period,
    respondents), a blank line, a row per element, then the sum of the weighted NRRs, the
    IKM and its category (their values in the weighted NRR's column)."""
    pub = publication(rep, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([pub.title])
    for label, value in pub.head:
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow(pub.columns)
    writer.writerows(pub.rows)
    for label, value in pub.foot:
        writer.writerow(["", label, "", value])
    return buffer.getvalue()


def publication_text(rep: dict[str, Any], lang: str) -> str:
    """The publication table in fixed-width columns, for a terminal or a printer."""
    pub = publication(rep, lang)
    name_w = max(len(pub.columns[1]), *(len(r[1]) for r in pub.rows),
                 *(len(label) for label, _ in pub.foot))
    nrr_w = max(len(pub.columns[2]), 5)
    weighted_w = max(len(pub.columns[3]), *(len(v) for _, v in pub.foot))
    label_w = max(len(label) for label, _ in pub.head)
    lines = [pub.title, *(f"{label + ':':<{label_w + 1}} {value}" for label, value in pub.head),
             ""]

    def line(code: str, name: str, nrr: str, weighted: str) -> str:
        return f"{code:<5}{name:<{name_w}}  {nrr:>{nrr_w}}  {weighted:>{weighted_w}}".rstrip()

    rule = "-" * (5 + name_w + 2 + nrr_w + 2 + weighted_w)
    lines.extend([line(*pub.columns), rule, *(line(*row) for row in pub.rows), rule])
    lines.extend(line("", label, "", value) for label, value in pub.foot)
    return "\n".join(lines)


def month_text(lang: str, month: str) -> str:
    """"2026-11" as "Nov 2026" in `lang`."""
    day = date.fromisoformat(f"{month}-01")
    return f"{i18n.month_text(lang, day.month)} {day.year}"
