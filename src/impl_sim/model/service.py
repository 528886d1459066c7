"""Services: workload, implementation climate, funding status and running tallies."""

from __future__ import annotations

import numpy as np

from impl_sim.model.numeric import bounded, clip01
from impl_sim.params import Params


class ServicePool:
    """One entry per service."""

    def __init__(self, n_services: int, params: Params, rng: np.random.Generator) -> None:
        self.n = n_services
        self.referral_rate = referral_rates(params, n_services, rng)
        self.climate = np.full(n_services, params.services.climate_initial)
        self.funded = np.full(n_services, params.context.funded_at_start, dtype=bool)
        self.months_funded = np.zeros(n_services, dtype=np.int64)
        self.improved_this_cycle = np.zeros(n_services, dtype=np.int64)
        self.funding_losses = np.zeros(n_services, dtype=np.int64)
        self.funding_returns = np.zeros(n_services, dtype=np.int64)
        # set by the leaders each month (DESIGN §3, "leaders act")
        self.protected_hours = np.zeros(n_services)
        self.routed_share = np.zeros(n_services)
        self.follow_up_probability = np.zeros(n_services)
        self.agenda = np.zeros(n_services)
        self.peer_boost = np.zeros(n_services)  # champions

    def free_hours(self, params: Params) -> float:
        """Hours per week a therapist can find for CPP without protection.

        Production pressure eats them (seed 004: organisational constraints).
        """
        s = params.services
        return s.free_hours_per_week * (1.0 - s.production_pressure)

    def update_climate(self, params: Params, target: np.ndarray) -> None:
        """Climate moves a step toward what leadership sustains (first-order lag, S1/S11)."""
        self.climate += (target - self.climate) / params.services.climate_lag_months
        clip01(self.climate)


def referral_rates(params: Params, n_services: int, rng: np.random.Generator) -> np.ndarray:
    """Each service's mean eligible referrals per month.

    Services differ in catchment, intake and local awareness (seed 003: regional disparities),
    so some trainees see few eligible families; the factor is gamma-distributed with mean 1
    and the given coefficient of variation, drawn once per run.
    """
    s = params.services
    mean, cv = s.eligible_referrals_per_month, s.referral_rate_cv
    # one draw from the world stream whatever cv is, so arms differing in cv keep the same
    # network and cohort draws (common random numbers)
    own = np.random.default_rng(rng.integers(2**63))
    if cv == 0.0:
        return np.full(n_services, mean)
    shape = 1.0 / cv**2
    return mean * own.gamma(shape, 1.0 / shape, n_services)


def climate_target(agenda: np.ndarray, training_running: np.ndarray,
                   delivering_share: np.ndarray) -> np.ndarray:
    """What a service's climate tends to: leadership agenda first, then visible practice.

    Leadership → climate → use (Williams et al. 2020): the agenda weighs most; the training
    programme and colleagues seen delivering add the rest.
    """
    return 0.1 + 0.55 * agenda + 0.15 * training_running + 0.2 * delivering_share


def monthly_hazard(annual: float) -> float:
    """Convert a yearly leaving probability to a monthly hazard."""
    return 1.0 - (1.0 - annual) ** (1.0 / 12.0)


def turnover_hazard(params: Params, climate: np.ndarray) -> np.ndarray:
    """Monthly leaving hazard per service: pressure raises it, climate lowers it (F12, S8)."""
    t = params.therapists
    base = monthly_hazard(t.annual_turnover)
    log_ratio = (t.turnover_pressure_effect * (params.services.production_pressure - 0.5)
                 - t.turnover_climate_effect * (climate - 0.5))
    return bounded(base * np.exp(log_ratio))
