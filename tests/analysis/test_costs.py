"""Costs: delivery separate from implementation, the incremental cost per extra completed case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impl_sim.analysis.costs import incremental_cost, incremental_cost_table
from impl_sim.experiment.runner import run_one
from impl_sim.params import Params

SMALL = {"services.count": 2, "services.therapists_per_service": 6,
         "simulation.horizon_months": 36}


def _summary(extra_cost: np.ndarray, extra_cases: np.ndarray) -> pd.DataFrame:
    n = len(extra_cost)
    base_cost, base_cases = np.linspace(1e5, 2e5, n), np.arange(20, 20 + n, dtype=float)
    rows = [{"point": 0, "replication": r, "arm": "ref", "cost_total": base_cost[r],
             "cases_completed": base_cases[r]} for r in range(n)]
    rows += [{"point": 0, "replication": r, "arm": "new",
              "cost_total": base_cost[r] + extra_cost[r],
              "cases_completed": base_cases[r] + extra_cases[r]} for r in range(n)]
    return pd.DataFrame(rows)


def test_the_icer_is_extra_cost_over_extra_cases_with_an_interval_around_it():
    rng = np.random.default_rng(1)
    extra_cases = 10 + rng.normal(0, 1, 40)
    summary = _summary(1000 * extra_cases + rng.normal(0, 500, 40), extra_cases)
    result = incremental_cost(summary, "new", "ref")
    assert result["icer"] == pytest.approx(1000, rel=0.05)
    assert result["icer_lo"] < result["icer"] < result["icer_hi"]
    assert result["extra_cases_lo"] > 0 and result["n"] == 40


def test_the_icer_interval_is_undefined_when_the_extra_cases_may_be_zero():
    rng = np.random.default_rng(2)
    result = incremental_cost(_summary(rng.normal(500, 10, 30), rng.normal(0, 3, 30)),
                              "new", "ref")
    assert result["extra_cases_lo"] < 0 < result["extra_cases_hi"]
    assert math.isnan(result["icer_lo"]) and math.isnan(result["icer_hi"])


def test_the_table_compares_every_arm_with_the_first():
    summary = _summary(np.full(5, 100.0), np.full(5, 2.0))
    table = incremental_cost_table(summary, ["ref", "new"])
    assert table["reference"].tolist() == ["ref"] and table["icer"].iloc[0] == pytest.approx(50)


def test_delivery_cost_is_therapist_time_and_the_total_adds_both_parts():
    cheap = run_one(Params.from_overrides(SMALL), seed=4).summary
    dear = run_one(Params.from_overrides({**SMALL, "training.therapist_hour_cost": 2 * Params()
                                          .training.therapist_hour_cost}), seed=4).summary
    assert cheap["cases_started"] == dear["cases_started"] > 0  # costing changes no behaviour
    assert dear["cost_delivery"] == pytest.approx(2 * cheap["cost_delivery"])
    for s in (cheap, dear):
        assert s["cost_total"] == pytest.approx(s["cost_implementation"] + s["cost_delivery"])
        assert s["cost_per_completed_case"] == pytest.approx(s["cost_total"]
                                                             / s["cases_completed"])
    no_cases = run_one(Params.from_overrides({**SMALL, "services.eligible_referrals_per_month":
                                              0.0}), seed=4).summary
    assert no_cases["cost_delivery"] == 0.0 and no_cases["cost_implementation"] > 0
    assert math.isnan(no_cases["cost_per_completed_case"])
