"""The satisfaction index's rules, as pure functions (PermenPANRB 14/2017, design §11).

Nine elements (unsur) U1-U9, each answered 1-4. An element's value (NRR) is the mean of its
answers; the index (IKM) is 25 x the sum of the NRRs weighted 1/9 each; its category:
A 88.31-100 (sangat baik), B 76.61-88.30 (baik), C 65.00-76.60 (kurang baik), D 25.00-64.99
(tidak baik), read on the index rounded to two decimals as the regulation publishes it. An
element nobody answered (none can be: every response answers all nine) has no NRR and the
weight is shared by the others. The respondents needed for a period's population of served
tickets come from Krejcie and Morgan's formula (95% confidence, 5% margin), the table the
regulation's annex prints.

A site's own questions and the counter's quick four-face rating are reported apart, never
in the index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

ELEMENTS = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
LOWEST, HIGHEST = 1, 4
CATEGORIES = (("A", 88.31), ("B", 76.61), ("C", 65.00), ("D", 25.00))
"""Each category and the lowest index (two decimals) that has it."""
PROFILE = {
    "age": ("<20", "20-29", "30-39", "40-49", "50-59", "60+"),
    "sex": ("f", "m"),
    "education": ("sd", "smp", "sma", "d1-d3", "s1", "s2+"),
    "occupation": ("pns", "tni-polri", "swasta", "wirausaha", "pelajar", "lainnya"),
}
"""The optional respondent profile's fields and their codes (the words are in the
catalogues, survey.profile_*)."""
SUGGESTION_MAX = 1000
"""Characters kept of a suggestion."""


@dataclass(frozen=True)
class Element:
    code: str
    answers: int
    nrr: float | None
    """The mean of its answers (None: nobody answered it)."""
    weighted: float | None
    """Its NRR times its weight (1/9 when all nine were answered)."""


@dataclass(frozen=True)
class Index:
    respondents: int
    elements: tuple[Element, ...]
    ikm: float | None
    """25 x the sum of the weighted NRRs (None without answers)."""
    category: str | None


def category(ikm: float) -> str:
    """A..D for an index, read at two decimals (88.305 is 88.31: A)."""
    shown = round(ikm + 1e-9, 2)
    for letter, lowest in CATEGORIES:
        if shown >= lowest:
            return letter
    return "D"


def index(sums: Mapping[str, tuple[int, int]], respondents: int) -> Index:
    """The index from each element's (sum of answers, number of answers)."""
    answered = [code for code in ELEMENTS if sums.get(code, (0, 0))[1] > 0]
    weight = 1 / len(answered) if answered else 0.0
    elements = []
    for code in ELEMENTS:
        total, count = sums.get(code, (0, 0))
        nrr = total / count if count else None
        elements.append(Element(code, count, nrr, None if nrr is None else nrr * weight))
    if not answered:
        return Index(respondents, tuple(elements), None, None)
    ikm = 25 * sum(e.weighted for e in elements if e.weighted is not None)
    return Index(respondents, tuple(elements), ikm, category(ikm))


def min_sample(population: int) -> int:
    """Respondents needed for `population` served tickets: Krejcie and Morgan (1970),
    s = X2 N P(1-P) / (d2 (N-1) + X2 P(1-P)), X2 = 3.841, P = 0.5, d = 0.05, rounded to the
    nearest as their published table (and the regulation's annex) is."""
    if population <= 0:
        return 0
    chi2, p, d = 3.841, 0.5, 0.05
    s = chi2 * population * p * (1 - p) / (d * d * (population - 1) + chi2 * p * (1 - p))
    return min(population, math.floor(s + 0.5))


class Invalid(ValueError):
    """One field of a submission that cannot be taken: `field` names it for the form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def answers_of(raw: Mapping[str, object], own: tuple[str, ...] = ()) -> dict[str, int]:
    """The nine elements (all required) and the site's own questions (optional), each a
    whole number 1-4; Invalid for the first field that is missing, unknown or out of range."""
    out: dict[str, int] = {}
    for code, value in raw.items():
        if code not in ELEMENTS and code not in own:
            raise Invalid(code, "not a question of this survey")
        if isinstance(value, bool) or not isinstance(value, int) or not (
                LOWEST <= value <= HIGHEST):
            raise Invalid(code, f"an answer is a whole number from {LOWEST} to {HIGHEST}")
        out[code] = value
    for code in ELEMENTS:
        if code not in out:
            raise Invalid(code, "unanswered: every one of the nine is needed")
    return out


def profile_of(raw: Mapping[str, object] | None) -> dict[str, str]:
    """The optional profile: known fields with known codes, or nothing."""
    out: dict[str, str] = {}
    for field, value in (raw or {}).items():
        if field not in PROFILE:
            raise Invalid(f"profile.{field}", "not a field of the profile")
        if value in (None, ""):
            continue
        if value not in PROFILE[field]:
            raise Invalid(f"profile.{field}", f"one of {', '.join(PROFILE[field])}")
        out[field] = str(value)
    return out


def suggestion_of(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Invalid("suggestion", "text")
    text = " ".join(raw.split())[:SUGGESTION_MAX]
    return text or None
