"""The workforce: a stationary staff whose turnover falls with tenure, a CPP team of
established staff, consultation that protects against leaving, and a team that is replaced
rather than the whole staff trained (docs/odd.md §5, §7.9)."""

from __future__ import annotations

import numpy as np
import pytest
from ensembles import ensemble, mean, outcome, paired_difference

from impl_sim import Params
from impl_sim.experiment.runner import seed_for
from impl_sim.model.constants import MONTHS_PER_YEAR, NEVER
from impl_sim.model.model import ImplementationModel
from impl_sim.model.service import (
    established_hazard,
    initial_tenures,
    mean_tenure,
    tenure_survival,
    turnover_hazard,
)

# the hazard is exactly the solved one: no climate, pressure, support or consultation terms
NEUTRAL = {"therapists.turnover_climate_effect": 0.0, "therapists.turnover_pressure_effect": 0.0,
           "leaders.support_turnover_effect": 0.0,
           "therapists.consultation_turnover_ratio": 1.0}


@pytest.mark.parametrize("rate, ratio, months", [(0.3, 2.0, 12), (0.5, 3.0, 6), (0.25, 1.0, 12)])
def test_solved_hazard_gives_the_reported_yearly_rate(rate, ratio, months):
    h = established_hazard(rate, ratio, months)
    # renewal theory: leavers per post and year = 12 / mean completed tenure
    assert MONTHS_PER_YEAR / mean_tenure(h, ratio, months) == pytest.approx(rate, rel=1e-9)
    # brute force: the mean of the tenure distribution the two hazards imply
    a = np.arange(5000)
    stay = np.cumprod(np.where(a < months, 1 - ratio * h, 1 - h))
    assert 1 + stay[:-1].sum() == pytest.approx(mean_tenure(h, ratio, months), rel=1e-6)


def test_without_a_tenure_effect_the_hazard_is_the_constant_one():
    # 1 / mean tenure = rate per month, so h = rate / 12 exactly
    assert established_hazard(0.3, 1.0, 12) == pytest.approx(0.3 / MONTHS_PER_YEAR)
    assert established_hazard(0.0, 2.0, 12) == 0.0


def test_simulated_turnover_rate_equals_the_parameter_when_nothing_modulates_it():
    # the month-0 staff are stationary and the posts refilled: the realised leavers per
    # post-year match the reported rate the hazard was solved for
    runs = ensemble({**NEUTRAL, "therapists.annual_turnover": 0.35}, replications=20)
    rates = outcome(runs, "staff_turnover_rate")
    half_width = 2.1 * rates.std(ddof=1) / np.sqrt(len(rates))
    assert abs(rates.mean() - 0.35) < max(half_width, 0.01), rates.mean()


def test_month0_staff_leave_less_than_new_hires_when_turnover_falls_with_tenure():
    flat = ensemble({**NEUTRAL, "therapists.early_tenure_hazard_ratio": 1.0})
    steep = ensemble({**NEUTRAL, "therapists.early_tenure_hazard_ratio": 3.0})
    # same yearly rate, but the stock of established staff leaves less ...
    assert mean(steep, "staff_left_24m") < mean(flat, "staff_left_24m") - 0.03
    # ... while the yearly rate (driven by the churn of new hires) stays the same
    assert abs(mean(steep, "staff_turnover_rate") - mean(flat, "staff_turnover_rate")) < 0.03
    # with a constant hazard the month-0 share gone by month 24 is 1 − (1 − h)^24
    h = established_hazard(Params().therapists.annual_turnover, 1.0, 12)
    assert mean(flat, "staff_left_24m") == pytest.approx(1 - (1 - h) ** 24, abs=0.03)


def test_initial_tenures_follow_the_stationary_distribution():
    params = Params.from_overrides({"therapists.early_tenure_hazard_ratio": 2.5})
    tenures = initial_tenures(params, 200_000, np.random.default_rng(3))
    survival = tenure_survival(params, params.therapists.initial_tenure_max_months)
    expected_mean = (np.arange(len(survival)) * survival).sum() / survival.sum()
    assert tenures.mean() == pytest.approx(expected_mean, rel=0.02)
    assert tenures.min() >= 0 and tenures.max() < params.therapists.initial_tenure_max_months


def test_hazard_terms_early_tenure_and_consultation():
    params = Params.from_overrides({**NEUTRAL, "therapists.early_tenure_hazard_ratio": 2.0,
                                    "therapists.consultation_turnover_ratio": 0.5})
    climate = np.full(4, 0.5)
    hazard = turnover_hazard(params, climate, np.zeros(4),
                             consulted=np.array([False, True, False, True]),
                             tenure=np.array([30, 30, 3, 3]), pressure=0.5)
    base = hazard[0]
    np.testing.assert_allclose(hazard / base, [1.0, 0.5, 2.0, 1.0])


def test_first_cohort_is_drawn_from_established_staff():
    params = Params.from_overrides({"training.min_tenure_months": 12})
    model = ImplementationModel(params, seed_for(11, 0))
    cohort = model._first_cohort
    tenure = -model.therapists.hired_month
    per_service = params.services.therapists_per_service
    for s in range(params.services.count):
        posts = np.arange(s * per_service, (s + 1) * per_service)
        chosen = np.intersect1d(cohort, posts)
        assert len(chosen) == round(params.training.enrolled_share * per_service)
        established = posts[tenure[posts] >= 12]
        if len(established) >= len(chosen):  # enough established staff: only they are sent
            assert (tenure[chosen] >= 12).all()
        else:
            assert set(established) <= set(chosen)


def test_consultation_protects_trainees_from_leaving():
    unprotected = ensemble({"therapists.consultation_turnover_ratio": 1.0})
    protected = ensemble({"therapists.consultation_turnover_ratio": 0.5})
    assert paired_difference(unprotected, protected, "training_turnover").mean() < -0.03


def _run(overrides: dict) -> ImplementationModel:
    model = ImplementationModel(Params.from_overrides(
        {"therapists.annual_turnover": 0.5, "training.hire_enrolment_share": 1.0, **overrides}),
        seed_for(5, 0))
    model.run_model()
    return model


def test_only_hires_who_replace_the_cpp_team_are_nominated():
    # without a CPP team nobody's successor is nominated ...
    nobody = _run({"training.enrolled_share": 0.0})
    assert (nobody.therapists.nominated_month == NEVER).all()
    assert (nobody.therapists.enrolled_month == NEVER).all()
    # ... with a team of 4 in 10 posts, the trained therapists after five years of 50 %
    # turnover are the team's successors, not the whole staff
    team = _run({"training.enrolled_share": 0.4})
    pool = team.therapists
    on_team = pool.on_cpp_team()
    assert 0 < on_team.sum() <= 0.5 * pool.n
    everyone = _run({"training.enrolled_share": 1.0})
    assert everyone.therapists.on_cpp_team().sum() > 0.9 * pool.n
