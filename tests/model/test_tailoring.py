"""Tailoring at three levels (seed 000 theme 4 and conclusion; seed 004): each strategy changes
the determinant it is sourced for, in the direction the source gives."""

from __future__ import annotations

import numpy as np

from impl_sim import Params, run_one
from impl_sim.model.model import ImplementationModel


def _mean(overrides: dict, name: str, reps: int = 6) -> float:
    params = Params.from_overrides(overrides)
    return float(np.nanmean([run_one(params, 3, r).summary[name] for r in range(reps)]))


def test_individual_tailoring_of_flexibility_raises_structure_fit_and_use():
    rigid = {"training.programme_flexibility": 0.0}
    model = ImplementationModel(Params.from_overrides(
        {**rigid, "strategies.tailored_flexibility.enabled": True}), 1)
    before = model.therapists.structure_fit.copy()
    model.step()
    tailored = model.strategy("tailored_flexibility").therapists.tailored
    assert tailored.any()
    gap_before, gap_after = 1 - before[tailored], 1 - model.therapists.structure_fit[tailored]
    np.testing.assert_allclose(gap_after, 0.5 * gap_before)  # half the mismatch removed
    tailored_runs = {**rigid, "strategies.tailored_flexibility.enabled": True}
    assert _mean(tailored_runs, "cases_started") > _mean(rigid, "cases_started")


def test_organisational_tailoring_protects_time_only_where_pressure_is_high():
    params = Params.from_overrides({"child_welfare.share": 0.5,
                                    "strategies.tailored_organisational_support.enabled": True,
                                    "leaders.max_protected_hours_per_week": 0.0})
    model = ImplementationModel(params, 2)
    model.step()
    hours = model.services.protected_hours
    assert (hours[model.services.child_welfare] == 1.5).all()
    assert (hours[~model.services.child_welfare] == 0.0).all()


def test_cultural_tailoring_keeps_more_families_with_caregiver_barriers():
    on = {"strategies.cultural_tailoring.enabled": True}
    assert _mean(on, "completion_rate") > _mean({}, "completion_rate") + 0.01
    # and does nothing when no family has caregiver barriers
    none = {"cases.caregiver_barrier_prevalence": 0.0}
    assert _mean({**none, **on}, "completion_rate") == _mean(none, "completion_rate")
