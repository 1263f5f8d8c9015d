"""The satisfaction index's rules worked by hand (kiosk.survey), and the store's one response
per served ticket (kiosk.store.surveys)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from kiosk import config as cfg
from kiosk import survey
from kiosk.clock import ManualClock
from kiosk.exceptions import NotAllowed, UsageError
from kiosk.store import Store
from kiosk.store.surveys import Filters

from .conftest import local, write_config

ALL_THREES = {code: 3 for code in survey.ELEMENTS}


# -- the rules, by hand ------------------------------------------------------------------------


def test_the_index_worked_by_hand():
    # Four respondents. U1: 4+3+3+4 = 14 -> 3.5; U2..U9 all 3s -> 3.0 each.
    sums = {code: (12, 4) for code in survey.ELEMENTS} | {"U1": (14, 4)}
    result = survey.index(sums, respondents=4)
    u1 = result.elements[0]
    assert (u1.code, u1.answers, u1.nrr) == ("U1", 4, 3.5)
    assert u1.weighted == pytest.approx(3.5 / 9)
    # IKM = 25 x (3.5 + 8 x 3.0) / 9 = 25 x 27.5 / 9 = 76.388... -> C (65.00-76.60)
    assert result.ikm == pytest.approx(76.3888889)
    assert result.category == "C"


def test_an_element_nobody_answered_shares_its_weight():
    sums = {code: (8, 2) for code in survey.ELEMENTS if code != "U4"}  # all 4.0, no U4
    result = survey.index(sums, respondents=2)
    u4 = result.elements[3]
    assert (u4.code, u4.answers, u4.nrr, u4.weighted) == ("U4", 0, None, None)
    assert result.elements[0].weighted == pytest.approx(4.0 / 8)
    assert result.ikm == pytest.approx(100.0) and result.category == "A"


def test_no_answers_no_index():
    result = survey.index({}, respondents=0)
    assert (result.ikm, result.category) == (None, None)
    assert all(e.nrr is None for e in result.elements)


@pytest.mark.parametrize("ikm, letter", [
    (100.0, "A"), (88.31, "A"), (88.305, "A"), (88.30, "B"), (88.3049, "B"),
    (76.61, "B"), (76.60, "C"), (65.00, "C"), (64.99, "D"), (64.994, "D"), (25.0, "D"),
])
def test_the_category_boundaries(ikm: float, letter: str):
    assert survey.category(ikm) == letter


@pytest.mark.parametrize("population, sample", [
    (0, 0), (10, 10), (50, 44), (100, 80), (500, 217), (1000, 278), (5000, 357),
    (10000, 370), (100000, 383), (1000000, 384),
])
def test_the_minimum_sample_is_krejcie_and_morgans_table(population: int, sample: int):
    assert survey.min_sample(population) == sample


@pytest.mark.parametrize("answers, field", [
    ({code: 3 for code in survey.ELEMENTS[:8]}, "U9"),
    (ALL_THREES | {"U2": 5}, "U2"),
    (ALL_THREES | {"U2": 0}, "U2"),
    (ALL_THREES | {"U3": "4"}, "U3"),
    (ALL_THREES | {"U3": True}, "U3"),
    (ALL_THREES | {"U3": 2.5}, "U3"),
    (ALL_THREES | {"X9": 2}, "X9"),
])
def test_an_answer_that_cannot_be_taken_names_its_field(answers, field):
    with pytest.raises(survey.Invalid) as caught:
        survey.answers_of(answers)
    assert caught.value.field == field


def test_the_profile_and_the_suggestion_are_optional_and_checked():
    assert survey.profile_of(None) == {}
    assert survey.profile_of({"age": "60+", "sex": ""}) == {"age": "60+"}
    with pytest.raises(survey.Invalid, match="profile.age"):
        survey.profile_of({"age": "61"})
    assert survey.suggestion_of("  more   chairs \n please ") == "more chairs please"
    assert survey.suggestion_of("   ") is None
    assert len(survey.suggestion_of("x" * 5000) or "") == survey.SUGGESTION_MAX


# -- the store ----------------------------------------------------------------------------------


def served(store: Store, service: str = "A", need: str | None = None) -> str:
    """A ticket issued, called at counter 1, served and finished: its token."""
    issued = store.issue(service, need)
    store.call_next(1)
    store.start(1)
    store.finish(1)
    assert issued.token
    return issued.token


def test_a_served_ticket_answers_once_tied_to_its_day_service_counter_and_class(
        store: Store, clock: ManualClock):
    store.counter(1, "open")
    token = served(store, "A", "hamil")
    ticket = store.answer_survey(token, ALL_THREES | {"U1": 4},
                                 profile={"age": "30-39"}, suggestion="More chairs")
    assert ticket.label == "A001"
    respondents, sums = store.survey_sums(Filters("2026-11-27", "2026-11-27"))
    assert respondents == 1 and sums["U1"] == (4, 1) and sums["U9"] == (3, 1)
    row = store.conn.execute("SELECT day, service, counter, priority, via, age, suggestion"
                             " FROM survey_responses").fetchone()
    assert tuple(row) == ("2026-11-27", "A", 1, 1, "phone", "30-39", "More chairs")
    columns = [r[1] for r in store.conn.execute("PRAGMA table_info(survey_responses)")]
    assert "need" not in columns  # the class only, never the need
    with pytest.raises(NotAllowed, match="already answered"):
        store.answer_survey(token, ALL_THREES)
    assert store.events_after(0)[-1].kind == "survey_answered"


def test_only_a_finished_ticket_answers_and_only_for_a_day(store: Store, clock: ManualClock):
    store.counter(1, "open")
    waiting = store.issue("C").token  # counter 1 serves A and B: C waits
    assert waiting
    with pytest.raises(NotAllowed, match="once the ticket has been served"):
        store.answer_survey(waiting, ALL_THREES)
    token = served(store, "B")
    clock.advance(23 * 3600)
    store.answer_survey(token, ALL_THREES)
    late = served(store, "B")
    clock.advance(24 * 3600 + 60)
    with pytest.raises(UsageError):  # the page is gone: a wrong or stale link alike
        store.answer_survey(late, ALL_THREES)
    with pytest.raises(UsageError, match="U5"):
        store.answer_survey(late, {code: 3 for code in survey.ELEMENTS if code != "U5"})


def test_the_quick_rating_rates_the_ticket_just_finished_at_that_counter(
        store: Store, clock: ManualClock):
    store.counter(1, "open")
    store.counter(3, "open")
    assert store.rate_target(1) is None
    with pytest.raises(NotAllowed, match="nothing to rate at counter 1"):
        store.rate(1, 4)
    served(store, "A")
    assert store.rate_target(3) is None  # finished at counter 1, not 3
    assert store.rate(1, 4).label == "A001"
    assert store.rate_target(1) is None  # rated once
    served(store, "A")
    clock.advance(16 * 60)  # past [survey] rate_window_min
    assert store.rate_target(1) is None
    assert store.quick_counts(Filters("2026-11-27", "2026-11-27")) == {1: 0, 2: 0, 3: 0, 4: 1}
    with pytest.raises(UsageError):
        store.rate(1, 5)


def _answer(config: str, token: str, start: object) -> str:
    settings = cfg.load(config)
    with Store(settings, clock=ManualClock(local(10))) as store:
        start.wait()  # type: ignore[attr-defined]
        try:
            store.answer_survey(token, ALL_THREES)
            return "answered"
        except NotAllowed as exc:
            return str(exc)


def test_two_submissions_at_once_make_one_response(tmp_path: Path):
    config = write_config(tmp_path)
    settings = cfg.load(config)
    with Store(settings, clock=ManualClock(local(9))) as store:
        store.counter(1, "open")
        token = served(store)
    context = multiprocessing.get_context("spawn")
    start = context.Manager().Event()
    with context.Pool(2) as pool:
        pending = [pool.apply_async(_answer, (str(config), token, start)) for _ in range(2)]
        start.set()
        results = sorted(p.get(60) for p in pending)
    assert results[0] == "answered" and "already answered" in results[1]
    with Store(settings, clock=ManualClock(local(10))) as store:
        assert store.survey_sums(Filters("2026-11-27", "2026-11-27"))[0] == 1


def test_a_purge_of_old_tickets_keeps_the_survey(store: Store, clock: ManualClock):
    store.counter(1, "open")
    store.answer_survey(served(store), ALL_THREES)
    store.rate(1, 3)
    clock.advance(3 * 24 * 3600)
    store.purge("2026-11-29")
    month = Filters("2026-11-01", "2026-11-30")
    assert store.survey_sums(month)[0] == 1 and store.quick_counts(month)[3] == 1
    assert store.conn.execute("SELECT ticket_id FROM survey_responses").fetchone()[0] is None


def test_the_faces_rate_the_ticket_they_showed_even_if_another_finished_meanwhile(
        store: Store, clock: ManualClock):
    store.counter(1, "open")
    served(store, "A")
    shown = store.rate_target(1)
    assert shown is not None and shown.label == "A001"
    clock.advance(30)
    served(store, "A")  # staff finish A002 as the patron of A001 taps
    assert store.rate_target(1).label == "A002"  # type: ignore[union-attr]
    assert store.rate(1, 2, ticket_id=shown.id).label == "A001"
    assert store.rate_target(1).label == "A002"  # type: ignore[union-attr]
    with pytest.raises(NotAllowed):
        store.rate(1, 4, ticket_id=shown.id)  # once


def test_no_rating_where_the_survey_is_off(tmp_path: Path):
    config = write_config(tmp_path, replace={"enabled = true": "enabled = false"})
    with Store(cfg.load(config), clock=ManualClock(local(9))) as store:
        store.counter(1, "open")
        served(store)
        with pytest.raises(NotAllowed, match="does not run the survey"):
            store.rate(1, 4)
