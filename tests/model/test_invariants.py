"""Invariants that hold every month, whatever the parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from impl_sim import Params, run_one
from impl_sim.experiment.runner import seed_for
from impl_sim.model.cases import ACTIVE, COMPLETED, DROPPED, ENDED_BY_TURNOVER
from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.model.therapist import CAN_DELIVER, State

# A busy world that exercises every mechanism: many referrals (caseloads hit the maximum),
# high turnover, leader turnover, funding reviews, and every built-in strategy switched on.
STRESS = {
    "services.count": 3, "services.therapists_per_service": 7,
    "services.eligible_referrals_per_month": 4.0, "therapists.annual_turnover": 0.5,
    "leaders.annual_turnover": 0.5, "context.funding_cycle_months": 12,
    "context.renewal_base": 0.3, "context.refunding_monthly": 0.2,
    "simulation.horizon_months": 48, "cases.max_cpp_caseload": 2,
    **{f"strategies.{name}.enabled": True for name in (
        "protected_time", "booster_consultation", "central_case_routing", "leadership_training",
        "champions", "audit_feedback", "commissioning_support", "tailored_readiness_support",
        "ongoing_training", "tailored_flexibility", "tailored_organisational_support",
        "cultural_tailoring")},
}
LEGAL_STATES = {int(s) for s in State if s is not State.LEFT}


def _check_month(model: ImplementationModel, per_service: int, n_posts: int) -> None:
    pool, cases, p = model.therapists, model.cases, model.params
    assert set(np.unique(pool.state).tolist()) <= LEGAL_STATES
    assert pool.n == n_posts
    assert (np.bincount(pool.service, minlength=model.services.n) == per_service).all()
    status = cases.status[: cases.size]
    active = np.flatnonzero(status == ACTIVE)
    assert np.array_equal(np.sort(active), np.sort(cases.active))
    # the caseload is exactly the open cases, never above the maximum
    held = np.bincount(cases.slot[active], minlength=pool.n)
    assert np.array_equal(held, pool.cpp_caseload)
    assert pool.cpp_caseload.max(initial=0) <= p.cases.max_cpp_caseload
    # nobody untrained carries a CPP case; every case began with an able therapist
    assert (pool.enrolled_month[cases.slot[active]] >= 0).all()
    assert (pool.state[cases.slot[active]] != State.UNTRAINED).all()
    # bookkeeping: started = active + completed + dropped + ended by turnover
    counts = np.bincount(status, minlength=4)
    assert cases.size == counts[[ACTIVE, COMPLETED, DROPPED, ENDED_BY_TURNOVER]].sum()
    assert cases.size == model.tally["cpp_starts"]
    for values in (pool.motivation, pool.readiness, pool.competence, pool.fidelity,
                   model.services.climate):
        assert ((values >= 0) & (values <= 1)).all()


@pytest.mark.parametrize("replication", range(3))
def test_invariants_hold_every_month_under_stress(replication):
    params = Params.from_overrides(STRESS)
    per_service = params.services.therapists_per_service
    model = ImplementationModel(params, seed_for(11, replication))
    n_posts = model.therapists.n
    for _ in range(params.simulation.horizon_months):
        model.step()
        _check_month(model, per_service, n_posts)
    assert model.departures  # turnover happened, so the checks covered replacement
    assert model.cases.count(ENDED_BY_TURNOVER) > 0


def test_cases_start_only_with_therapists_who_may_deliver():
    model = ImplementationModel(Params.from_overrides(STRESS), seed_for(5, 0))
    opened = model._start_cases
    states_at_start: list[np.ndarray] = []

    def checked_start(referrals, families, slots):
        states_at_start.append(model.therapists.state[slots].copy())
        opened(referrals, families, slots)

    model._start_cases = checked_start
    model.run_model()
    states = np.concatenate(states_at_start)
    assert len(states) > 50
    assert CAN_DELIVER[states].all()  # in training or trained, never untrained or given up


def test_zero_turnover_means_nobody_leaves():
    params = Params.from_overrides({"therapists.annual_turnover": 0.0,
                                    "training.annual_dropout": 0.9})
    model = ImplementationModel(params, seed_for(2, 0))
    people = model.therapists.person_id.copy()
    model.run_model()
    assert model.departures == []
    assert np.array_equal(model.therapists.person_id, people)
    assert model.cases.count(ENDED_BY_TURNOVER) == 0


def test_no_referrals_means_no_cases():
    result = run_one(Params.from_overrides({"services.eligible_referrals_per_month": 0.0}), 4)
    assert result.summary["cases_started"] == 0
    assert math.isnan(result.summary["penetration"])
    assert result.summary["adoption"] == 0.0
    assert (result.series["active_cases"] == 0).all()


def test_outcomes_that_are_shares_lie_in_the_unit_interval():
    for r in range(3):
        summary = run_one(Params.from_overrides(STRESS), 9, r).summary
        for name, spec in OUTCOMES.items():
            if spec.share and not math.isnan(summary[name]):
                assert 0.0 <= summary[name] <= 1.0, name
    series = run_one(Params.from_overrides(STRESS), 9).series
    defined = series["sustainment"][~np.isnan(series["sustainment"])]
    assert len(defined) and ((defined >= 0) & (defined <= 1)).all()
