"""The event log: careers in a legal order, counts that rebuild the monthly series, no events
that did not happen, determinism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from impl_sim.model import model as model_module
from impl_sim.model.events import EVENT_KINDS, EventLog, event_frame_columns
from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import OUTCOMES, summarise
from impl_sim.params import Params

# a small world with everything happening: turnover, funding reviews, leader turnover,
# services that stop offering CPP and restart it
BUSY = {"services.count": 3, "services.therapists_per_service": 8,
        "simulation.horizon_months": 72, "therapists.annual_turnover": 0.35,
        "leaders.annual_turnover": 0.3, "context.funding_cycle_months": 12,
        "programme.discontinuation_per_year": 0.3, "programme.readoption_per_year": 0.5}
CASE_END = ("case_completed", "case_dropped", "case_closed_by_leaving")


def _run(overrides: dict | None = None, seed: int = 3, events: bool = True,
         ) -> ImplementationModel:
    model = ImplementationModel(Params.from_overrides({**BUSY, **(overrides or {})}), seed,
                                events=events)
    model.run_model()
    return model


def _frame(model: ImplementationModel) -> pd.DataFrame:
    frame = pd.DataFrame(event_frame_columns(model.events.columns(model)))
    return frame.astype({"event": str, "entity": str, "detail": str})


@pytest.fixture(scope="module")
def busy():
    model = _run()
    return model, _frame(model)


def test_every_kind_of_event_belongs_to_one_entity_and_the_busy_run_has_the_main_ones(busy):
    _, events = busy
    entity_of = dict(EVENT_KINDS)
    assert (events["entity"] == events["event"].map(entity_of)).all()
    seen = set(events["event"])
    assert {"hired", "enrolled", "first_case", "case_started", "case_completed",
            "case_dropped", "completed_training", "left", "startup", "appointed",
            "leader_left", "funding_lost", "programme_stopped", "programme_restarted"} <= seen
    assert events["month"].is_monotonic_increasing


def test_each_persons_events_are_in_a_legal_order(busy):
    _, events = busy
    people = events[events["entity"] == "therapist"]
    for person, rows in people.groupby("id", sort=False):
        kinds = rows["event"].tolist()
        months = dict(zip(kinds[::-1], rows["month"].tolist()[::-1], strict=True))  # first
        assert kinds[0] == "hired", person
        assert rows["post"].nunique() == 1  # a person holds one post
        if "left" in kinds:
            assert kinds.count("left") == 1 and kinds[-1] == "left", person
        if "first_case" in kinds or "completed_training" in kinds:
            assert "enrolled" in kinds, person  # no case and no completion before enrolment
            assert kinds.index("enrolled") < kinds.index("case_started"
                                                         if "case_started" in kinds
                                                         else "completed_training")
        if "first_case" in kinds:
            assert kinds.index("first_case") < kinds.index("case_started")
            assert months["first_case"] == months["case_started"]
        if "certified" in kinds:
            assert kinds.index("completed_training") < kinds.index("certified")
        # each programme ended (completed or left) was entered first (re-training may repeat)
        ended = sum(kinds.count(k) for k in ("completed_training", "left_training"))
        assert ended <= kinds.count("enrolled"), person


def test_every_case_starts_once_and_ends_at_most_once_after_it_started(busy):
    _, events = busy
    cases = events[events["event"].isin(("case_started", *CASE_END))]
    starts = cases[cases["event"] == "case_started"].set_index("value")
    ends = cases[cases["event"] != "case_started"].set_index("value")
    assert starts.index.is_unique and ends.index.is_unique
    assert set(ends.index) <= set(starts.index)
    assert (ends["month"] >= starts.loc[ends.index, "month"]).all()
    assert (ends["id"] == starts.loc[ends.index, "id"]).all()  # the same therapist


def _open_cases(events: pd.DataFrame, month: int) -> pd.DataFrame:
    start = events[events["event"] == "case_started"].set_index("value")["month"]
    end = events[events["event"].isin(CASE_END)].set_index("value")["month"]
    end = end.reindex(start.index, fill_value=10**9)
    people = events[events["event"] == "case_started"].set_index("value")["id"]
    open_ = (start <= month) & (end > month)
    return pd.DataFrame({"person": people[open_]})


def _cumulative(events: pd.DataFrame, kind: str, horizon: int, **where) -> np.ndarray:
    rows = events[events["event"] == kind]
    for column, test in where.items():
        rows = rows[test(rows[column])]
    return np.cumsum(np.bincount(rows["month"], minlength=horizon))


def test_counts_rebuilt_from_events_equal_the_monthly_series(busy):
    model, events = busy
    v, horizon = model.series.values, model.horizon
    for month in range(horizon):
        open_ = _open_cases(events, month)
        assert len(open_) == v["active_cases"][month]
        assert open_["person"].nunique() == v["delivering"][month]
    entered = _cumulative(events, "enrolled", horizon)
    exited = sum(_cumulative(events, kind, horizon) for kind in ("completed_training",
                                                                 "left_training"))
    left_in_training = _cumulative(events, "left", horizon, detail=lambda d: d == "in_training")
    assert np.array_equal(entered - exited - left_in_training, v["in_training"])
    assert np.array_equal(_cumulative(events, "left", horizon), v["leavers_cumulative"])
    assert np.array_equal(_cumulative(events, "first_case", horizon), v["adopters_total"])
    n0 = model.therapists.n
    assert np.array_equal(_cumulative(events, "left", horizon, id=lambda i: i < n0),
                          v["month0_staff_left"])
    funded = (model.services.n * model.params.context.funded_at_start
              - _cumulative(events, "funding_lost", horizon)
              + _cumulative(events, "funding_regained", horizon))
    assert np.array_equal(funded, v["funded_services"])
    offering = (model.services.n - _cumulative(events, "programme_stopped", horizon)
                + _cumulative(events, "programme_restarted", horizon))
    assert np.array_equal(offering, v["services_offering"])


def test_training_cases_per_enrolled_equals_the_cases_the_cohort_started_while_training(busy):
    """F9c's outcome, rebuilt from the careers: each first-cohort member's CPP cases started
    from the month they enrolled to the month their training ended (completed, left the
    programme or left the job; cases of that month were started before it ended)."""
    model, events = busy
    cohort = set(model._first_cohort.tolist())  # month-0 staff: person id = post
    cases = 0
    for person in cohort:
        mine = events[(events["entity"] == "therapist") & (events["id"] == person)]
        start = mine.loc[mine["event"] == "enrolled", "month"]
        assert len(start) == 1
        ends = mine.loc[mine["event"].isin(("completed_training", "left_training", "left")),
                        "month"]
        end = ends.min() if len(ends) else model.horizon
        started = mine[(mine["event"] == "case_started") & mine["month"].between(
            start.iloc[0], end)]
        cases += len(started)
    assert cases > 0
    assert summarise(model)["training_cases_per_enrolled"] == cases / len(cohort)


def test_service_delivery_events_follow_the_cases_of_the_service(busy):
    model, events = busy
    horizon, window = model.horizon, model.series.window
    starts = events[events["event"] == "case_started"].set_index("value")
    ends = events[events["event"].isin(CASE_END)].set_index("value")["month"]
    active = np.zeros((horizon, model.services.n), dtype=bool)
    for case, row in starts.iterrows():
        active[row["month"]: ends.get(case, horizon - 1) + 1, row["service"]] = True
    assert np.array_equal(active, model.series.service_active)
    delivering = [active[max(0, m - window + 1): m + 1].any(axis=0).sum()
                  for m in range(horizon)]
    assert np.array_equal(delivering, model.series.as_dict()["services_delivering"])
    for service in range(model.services.n):
        history = events[(events["entity"] == "service") & (events["id"] == service)]
        kinds = history["event"].tolist()
        delivery = [k for k in kinds if k in ("startup", "delivery_stopped",
                                              "delivery_restarted")]
        if active[:, service].any():
            assert delivery[0] == "startup"
            assert history.loc[history["event"] == "startup", "month"].item() == \
                np.argmax(active[:, service])
        # stops and restarts alternate
        for a, b in itertools.pairwise(delivery[1:]):
            assert a != b
        for _, stop in history[history["event"] == "delivery_stopped"].iterrows():
            last = stop["value"]  # no case in the `window` months after the last active one
            assert active[last, service] and not active[last + 1: last + 1 + window,
                                                        service].any()


def test_service_trajectories_agree_with_the_service_events(busy):
    from impl_sim.model.outcomes import delivery_trajectories

    model, events = busy
    labels = delivery_trajectories(model.series.service_active, model.series.window)
    for service, label in enumerate(labels):
        kinds = events[(events["entity"] == "service") & (events["id"] == service)]["event"]
        expected = ("restarted" if (kinds == "delivery_restarted").any() else
                    "stopped" if (kinds == "delivery_stopped").any() else
                    "sustained" if (kinds == "startup").any() else "never")
        assert label == expected, service
    assert len(set(labels)) > 1  # the busy run has more than one kind of history


def test_a_run_without_turnover_has_no_leaving():
    model = _run({"therapists.annual_turnover": 0.0, "leaders.annual_turnover": 0.0})
    events = _frame(model)
    assert not events["event"].isin(("left", "leader_left", "case_closed_by_leaving")).any()
    assert (events["event"] == "hired").sum() == model.therapists.n  # only the month-0 staff
    assert summarise(model)["staff_left_24m"] == 0.0


def test_the_same_seed_gives_the_same_events_and_another_seed_others():
    a, b, c = (_run({"simulation.horizon_months": 36}, seed=s) for s in (5, 5, 6))
    cols_a, cols_b, cols_c = (m.events.columns(m) for m in (a, b, c))
    for name in cols_a:
        assert np.array_equal(cols_a[name], cols_b[name])
    assert len(cols_a["month"]) != len(cols_c["month"]) or not all(
        np.array_equal(cols_a[n], cols_c[n]) for n in cols_a)


def test_recording_events_does_not_change_the_run():
    with_log, without = _run(events=True), _run(events=False)
    assert summarise(with_log) == pytest.approx(summarise(without), nan_ok=True)
    assert len(without.events.columns(without)["month"]) == 0


def test_the_log_grows_past_its_first_capacity():
    model = ImplementationModel(Params.from_overrides(BUSY), 1, events=True)
    model.events = EventLog(model, capacity=8)
    model.run_model()
    assert model.events.size > 8
    assert len(_frame(model)) > 8


def test_everyone_leaving_during_training_gives_completion_zero_and_in_post_undefined(
        monkeypatch):
    monkeypatch.setattr(model_module, "turnover_hazard",
                        lambda params, climate, *rest: np.ones_like(climate))
    # no later cohorts (hires are not enrolled), so only the first cohort is in training
    model = _run({"simulation.horizon_months": 30, "therapists.consultation_turnover_ratio": 1.0,
                  "training.hire_enrolment_share": 0.0})
    summary = summarise(model)
    assert summary["training_completion"] == 0.0
    assert math.isnan(summary["training_completion_in_post"])
    assert summary["training_turnover"] == 1.0
    assert summary["staff_left_24m"] == 1.0


def test_every_share_outcome_names_its_denominator():
    shares = [o for o in OUTCOMES.values() if o.share and o.name != "fidelity"]
    assert shares and all(o.denominator for o in shares), [
        o.name for o in shares if not o.denominator]


def test_a_service_stops_and_restarts_its_programme_alternately(busy):
    _, events = busy
    decisions = events[events["event"].isin(("programme_stopped", "programme_restarted"))]
    assert len(decisions)
    for _service, rows in decisions.groupby("service"):
        kinds = rows["event"].tolist()
        assert kinds[0] == "programme_stopped"
        assert all(a != b for a, b in itertools.pairwise(kinds))
