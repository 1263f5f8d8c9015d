"""The satisfaction survey's writes and reads (design §11): one response per served ticket,
the counter's quick four-face rating, and the sums the index is computed from.

A response is tied to its ticket's day, service, counter and class, never to a person and
never to the need; its answers are rows of (code, 1..4). What the sums mean (the NRRs, the
index, its category, the sample a period needs) is kiosk.survey's, pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kiosk import clock as clk
from kiosk import survey
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.rows import Ticket
from kiosk.store.tickets import TOKEN_KEPT_S, Tickets

VIA = ("phone", "api")
WHY_NOT = {
    "off": "this office does not run the survey",
    "not_served": "the survey opens once the ticket has been served",
    "closed": "the survey was open for a day after the service; it has closed",
    "answered": "this ticket's survey is already answered: thank you",
}
"""Why a ticket's survey cannot be answered, by code (the catalogues' survey.why_CODE)."""


@dataclass(frozen=True)
class Filters:
    """Which responses a report counts: local days `first`..`last`, and optionally one
    service, one counter, one class (True: priority)."""

    first: str
    last: str
    service: str | None = None
    counter: int | None = None
    priority: bool | None = None

    def where(self, table: str) -> tuple[str, list[Any]]:
        sql = [f"{table}.day BETWEEN ? AND ?"]
        params: list[Any] = [self.first, self.last]
        for column, value in (("service", self.service), ("counter", self.counter),
                              ("priority", self.priority)):
            if value is not None:
                sql.append(f"{table}.{column} = ?")
                params.append(int(value) if isinstance(value, bool) else value)
        return " AND ".join(sql), params


class Surveys(Tickets):
    """Answering the survey, the quick rating, and what the reports read of them."""

    # -- the survey -------------------------------------------------------------------------

    def survey_open(self, ticket: Ticket) -> str | None:
        """Why this ticket's survey cannot be answered now (a WHY_NOT code), or None."""
        if not self.settings.survey.enabled:
            return "off"
        if ticket.state != "done" or ticket.finished_at is None:
            return "not_served"
        ended = clk.parse(ticket.finished_at)
        if (self.now() - ended).total_seconds() > TOKEN_KEPT_S:
            return "closed"
        if self.conn.execute("SELECT 1 FROM survey_responses WHERE ticket_id = ?",
                             (ticket.id,)).fetchone():
            return "answered"
        return None

    def answer_survey(self, token: str, answers: Mapping[str, object], *,
                      profile: Mapping[str, object] | None = None,
                      suggestion: object = None, via: str = "phone") -> Ticket:
        """Record the one response a served ticket may give. UsageError for a wrong token or
        an answer that cannot be taken (its field named), NotAllowed when the ticket may
        not answer (not served, already answered, too late)."""
        own = tuple(q.code for q in self.settings.survey.questions)
        try:
            given = survey.answers_of(answers, own)
            who = survey.profile_of(profile) if self.settings.survey.profile else {}
            text = survey.suggestion_of(suggestion) if self.settings.survey.suggestion else None
        except survey.Invalid as exc:
            raise UsageError(str(exc)) from None
        ticket = self.by_token(token)
        with self.transaction():
            why = self.survey_open(ticket)  # under the write lock: two at once, one wins
            if why is not None:
                raise NotAllowed(WHY_NOT[why])
            at = clk.iso(self.now())
            cur = self.conn.execute(
                "INSERT INTO survey_responses (ticket_id, day, service, counter, priority, at,"
                " via, age, sex, education, occupation, suggestion)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ticket.id, ticket.day, ticket.service, ticket.counter, int(ticket.priority),
                 at, via if via in VIA else "phone", who.get("age"), who.get("sex"),
                 who.get("education"), who.get("occupation"), text))
            self.conn.executemany(
                "INSERT INTO survey_answers (response_id, code, value) VALUES (?, ?, ?)",
                [(cur.lastrowid, code, value) for code, value in given.items()])
            self._event("survey_answered", at, ticket_id=ticket.id, counter=ticket.counter,
                        actor="patron", detail={"label": ticket.label, "via": via})
        return ticket

    # -- the counter's quick rating ----------------------------------------------------------

    def rate_target(self, counter: int, ticket_id: int | None = None) -> Ticket | None:
        """The ticket finished at `counter` within [survey] rate_window_min, not yet rated
        (the latest; with `ticket_id`, only that one): what the four faces rate."""
        since = clk.iso(self.now() - timedelta(minutes=self.settings.survey.rate_window_min))
        only = "" if ticket_id is None else " AND id = ?"
        row = self.conn.execute(
            f"SELECT {Ticket.COLUMNS} FROM tickets WHERE state = 'done' AND counter = ?"
            f" AND day = ? AND finished_at >= ?{only} AND NOT EXISTS (SELECT 1 FROM"
            " quick_ratings q WHERE q.ticket_id = tickets.id)"
            " ORDER BY finished_at DESC, id DESC LIMIT 1",
            (counter, self.today(), since, *(() if ticket_id is None else (ticket_id,)))
        ).fetchone()
        return None if row is None else Ticket(*row)

    def rate(self, counter: int, score: int, *, ticket_id: int | None = None,
             actor: str | None = None) -> Ticket:
        """The patron's one tap: 1 (unhappy) .. 4 (very happy) for the ticket just finished
        at `counter`; with `ticket_id`, for that ticket only (the one the faces showed, even
        if staff finished another meanwhile)."""
        self._check_counter(counter)
        if not self.settings.survey.enabled:
            raise NotAllowed(WHY_NOT["off"])
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 4:
            raise UsageError("a rating is a whole number from 1 to 4")
        with self.transaction():
            ticket = self.rate_target(counter, ticket_id)
            if ticket is None:
                raise NotAllowed(f"nothing to rate at counter {counter}: no ticket was"
                                 f" finished there in the last"
                                 f" {self.settings.survey.rate_window_min} minutes")
            at = clk.iso(self.now())
            self.conn.execute(
                "INSERT INTO quick_ratings (ticket_id, day, service, counter, priority, at,"
                " score) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ticket.id, ticket.day, ticket.service, counter, int(ticket.priority), at,
                 score))
            self._event("rated", at, ticket_id=ticket.id, counter=counter,
                        actor=actor or f"rate:{counter}",
                        detail={"label": ticket.label, "score": score})
        return ticket

    # -- what the reports read ---------------------------------------------------------------

    def survey_sums(self, filters: Filters) -> tuple[int, dict[str, tuple[int, int]]]:
        """(respondents, {code: (sum of answers, answers)}) of the responses counted."""
        where, params = filters.where("r")
        with self.snapshot():
            respondents = self.conn.execute(
                f"SELECT count(*) FROM survey_responses r WHERE {where}", params).fetchone()[0]
            rows = self.conn.execute(
                "SELECT a.code, sum(a.value), count(*) FROM survey_answers a"
                f" JOIN survey_responses r ON r.id = a.response_id WHERE {where}"
                " GROUP BY a.code", params).fetchall()
        return int(respondents), {code: (int(total), int(n)) for code, total, n in rows}

    def survey_months(self, filters: Filters) -> list[tuple[str, int, dict[str, tuple[int,
                                                                                     int]]]]:
        """Per month (YYYY-MM): (month, respondents, sums), oldest first: the trend."""
        where, params = filters.where("r")
        rows = self.conn.execute(
            "SELECT substr(r.day, 1, 7) AS month, a.code, sum(a.value), count(*),"
            " count(DISTINCT r.id) FROM survey_answers a"
            f" JOIN survey_responses r ON r.id = a.response_id WHERE {where}"
            " GROUP BY month, a.code ORDER BY month", params).fetchall()
        months: dict[str, tuple[int, dict[str, tuple[int, int]]]] = {}
        for month, code, total, n, people in rows:
            seen, sums = months.setdefault(month, (0, {}))
            sums[code] = (int(total), int(n))
            months[month] = (max(seen, int(people)), sums)
        return [(month, people, sums) for month, (people, sums) in months.items()]

    def survey_suggestions(self, filters: Filters, limit: int = 200) -> list[dict[str, Any]]:
        """The suggestions, newest first: for admins only."""
        where, params = filters.where("r")
        rows = self.conn.execute(
            "SELECT r.day, r.service, r.counter, r.suggestion FROM survey_responses r"
            f" WHERE {where} AND r.suggestion IS NOT NULL ORDER BY r.at DESC LIMIT ?",
            [*params, limit]).fetchall()
        return [{"day": d, "service": s, "counter": c, "text": text} for d, s, c, text in rows]

    def quick_counts(self, filters: Filters) -> dict[int, int]:
        """The counter's quick ratings: how many of each score 1..4."""
        where, params = filters.where("q")
        rows = self.conn.execute(
            f"SELECT score, count(*) FROM quick_ratings q WHERE {where} GROUP BY score",
            params).fetchall()
        counts = dict.fromkeys(range(1, 5), 0)
        counts.update({int(score): int(n) for score, n in rows})
        return counts

    def served_count(self, filters: Filters) -> int:
        """Tickets served in the period (the population the sample is drawn from)."""
        where, params = filters.where("t")
        where = where.replace("t.priority = ?", "(t.need IS NOT NULL) = ?")
        return int(self.conn.execute(
            f"SELECT count(*) FROM tickets t WHERE t.state = 'done' AND {where}",
            params).fetchone()[0])
