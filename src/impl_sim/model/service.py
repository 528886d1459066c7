"""Services: workload, implementation climate, funding status and running tallies."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from impl_sim.model.constants import (
    BISECTION_STEPS,
    MONTHS_PER_YEAR,
    NEVER,
    SCHEDULE_CACHE_SIZE,
    SEED_BOUND,
)
from impl_sim.model.numeric import bounded, clip01
from impl_sim.params import Params


class ServicePool:
    """One entry per service."""

    def __init__(self, n_services: int, params: Params, rng: np.random.Generator) -> None:
        self.n = n_services
        # service type: the last round(share × n) services are child welfare, the rest CAMHS
        self.child_welfare = np.arange(n_services) >= n_services - round(
            params.child_welfare.share * n_services)
        cw = params.child_welfare
        self.production_pressure = np.where(self.child_welfare, cw.production_pressure,
                                            params.services.production_pressure)
        self.barrier_prevalence = np.where(self.child_welfare, cw.caregiver_barrier_prevalence,
                                           params.cases.caregiver_barrier_prevalence)
        self.max_cpp_caseload = np.where(self.child_welfare, cw.max_cpp_caseload,
                                         params.cases.max_cpp_caseload)
        self.referral_rate = referral_rates(params, n_services, rng) * np.where(
            self.child_welfare, cw.referral_ratio, 1.0)
        self.climate_offset = climate_offsets(params, n_services, rng)
        self.climate = np.full(n_services, params.services.climate_initial)
        self.funded = np.full(n_services, params.context.funded_at_start, dtype=bool)
        self.months_funded = np.zeros(n_services, dtype=np.int64)
        self.improved_this_cycle = np.zeros(n_services, dtype=np.int64)
        self.funding_losses = np.zeros(n_services, dtype=np.int64)
        self.funding_returns = np.zeros(n_services, dtype=np.int64)
        # the service's own decision to offer CPP (docs/odd.md §7.2a, ``review_programmes``)
        self.offers_cpp = np.ones(n_services, dtype=bool)
        self.programme_stops = np.zeros(n_services, dtype=np.int64)
        self.programme_restarts = np.zeros(n_services, dtype=np.int64)
        # the idle clock of trained therapists (giving up) runs only while CPP is offered
        self.last_month_not_offering = np.full(n_services, NEVER, dtype=np.int64)
        # what held when a service stopped (the reasons sites give, F13): stops per condition
        self.stops_by_reason = {"unfunded": 0, "no_team": 0, "new_leader": 0}
        # set by the leaders each month (docs/odd.md §7.3, "leaders act")
        self.protected_hours = np.zeros(n_services)
        self.routed_share = np.zeros(n_services)
        self.follow_up_probability = np.zeros(n_services)
        self.agenda = np.zeros(n_services)

    def funded_and_offering(self) -> np.ndarray:
        """Services that fund and offer CPP: routing, protected time, booster consultation and
        new trainees need both."""
        return self.funded & self.offers_cpp

    def free_hours(self, params: Params) -> np.ndarray:
        """Hours per week a therapist of each service can find for CPP without protection.

        Production pressure eats them (seed 004: organisational constraints).
        """
        return params.services.free_hours_per_week * (1.0 - self.production_pressure)

    def update_climate(self, params: Params, target: np.ndarray) -> None:
        """Climate moves a step toward what the service sustains (first-order lag, S1/S11)."""
        self.climate += (target - self.climate) / params.services.climate_lag_months
        clip01(self.climate)


def _child_rng(rng: np.random.Generator) -> np.random.Generator:
    """A generator seeded by one draw of ``rng`` (so ``rng`` advances by one draw whatever the
    child is used for: arms that differ in a spread keep the same later draws)."""
    return np.random.default_rng(rng.integers(SEED_BOUND))


def referral_rates(params: Params, n_services: int, rng: np.random.Generator) -> np.ndarray:
    """Each service's mean eligible referrals per month.

    Services differ in catchment, intake and local awareness (seed 003: regional disparities),
    so some trainees see few eligible families; the factor is gamma-distributed with mean 1
    and the given coefficient of variation, drawn once per run.
    """
    s = params.services
    mean, cv = s.eligible_referrals_per_month, s.referral_rate_cv
    own = _child_rng(rng)
    if cv == 0.0:
        return np.full(n_services, mean)
    shape = 1.0 / (cv * cv)
    return mean * own.gamma(shape, 1.0 / shape, n_services)


def climate_offsets(params: Params, n_services: int, rng: np.random.Generator) -> np.ndarray:
    """Each service's own climate offset: what leadership does not explain (normal, mean 0,
    sd ``services.climate_sd``), drawn once per run."""
    own = _child_rng(rng)
    return params.services.climate_sd * own.standard_normal(n_services)


def climate_target(params: Params, agenda: np.ndarray, training_running: np.ndarray,
                   delivering_share: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """What a service's climate tends to (docs/odd.md §7.7).

    Leadership → climate (Williams et al. 2020) through the agenda; the running programme
    carries part of it while training lasts (S11: it goes when training ends); colleagues seen
    delivering add the rest; each service has its own offset.
    """
    s = params.services
    agenda_term = params.mechanisms.agenda_to_climate * s.climate_agenda_weight * agenda
    return (s.climate_base + agenda_term + s.climate_programme_weight * training_running
            + s.climate_practice_weight * delivering_share + offset)


def monthly_hazard(annual: float) -> float:
    """Convert a yearly leaving probability to a monthly hazard."""
    return 1.0 - (1.0 - annual) ** (1.0 / MONTHS_PER_YEAR)


def mean_tenure(established: float, early_ratio: float, early_months: int) -> float:
    """Mean completed tenure in months when the monthly leaving hazard is ``established``,
    raised to ``early_ratio`` × that in the first ``early_months`` months after hire."""
    early = min(early_ratio * established, 1.0)
    stay_early = (1.0 - early) ** early_months
    first = early_months if early == 0.0 else (1.0 - stay_early) / early
    return first + (stay_early / established if established > 0.0 else np.inf)


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def established_hazard(annual_rate: float, early_ratio: float, early_months: int) -> float:
    """The established staff's monthly hazard that gives ``annual_rate`` leavers per post and
    year in a stationary workforce whose posts are refilled at once (renewal theory: leavers
    per post-month = 1 / mean tenure), docs/odd.md §7.9. Solved by bisection."""
    if annual_rate <= 0.0:
        return 0.0
    target = MONTHS_PER_YEAR / annual_rate
    low, high = 0.0, 1.0 / early_ratio
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if mean_tenure(mid, early_ratio, early_months) > target:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


def tenure_survival(params: Params, months: int) -> np.ndarray:
    """Probability of still being in post ``a`` months after hire, a = 0 … months − 1, at the
    average hazards (no climate, pressure or consultation effects)."""
    t = params.therapists
    base = established_hazard(t.annual_turnover, t.early_tenure_hazard_ratio,
                              t.early_tenure_months)
    tenure = np.arange(months)
    hazard = np.where(tenure < t.early_tenure_months,
                      min(base * t.early_tenure_hazard_ratio, 1.0), base)
    return np.concatenate(([1.0], np.cumprod(1.0 - hazard)[:-1]))


def initial_tenures(params: Params, n: int, rng: np.random.Generator) -> np.ndarray:
    """Months in post at month 0 of ``n`` therapists of a stationary workforce: tenure ``a``
    with probability ∝ S(a), the chance a post-holder stays ``a`` months (a renewal process in
    equilibrium), truncated at ``therapists.initial_tenure_max_months``."""
    survival = tenure_survival(params, params.therapists.initial_tenure_max_months)
    cdf = np.cumsum(survival)
    return np.searchsorted(cdf / cdf[-1], _child_rng(rng).random(n), side="right")


def turnover_hazard(params: Params, climate: np.ndarray, support_log_ratio: np.ndarray,
                    consulted: np.ndarray, tenure: np.ndarray,
                    pressure: np.ndarray | float | None = None) -> np.ndarray:
    """Monthly leaving hazard per post, from its service's climate and leader's support, the
    holder's months in post and whether the holder receives model consultation.

    The established hazard is solved from the reported yearly rate (``established_hazard``);
    the first ``therapists.early_tenure_months`` after hire raise it; pressure (the service's,
    default ``services.production_pressure``) raises it; climate and a supportive leader lower
    it (F12, S8; support: Fukui et al. 2019); consultation lowers it
    (``therapists.consultation_turnover_ratio``, Aarons et al. 2009).
    """
    t = params.therapists
    base = established_hazard(t.annual_turnover, t.early_tenure_hazard_ratio,
                              t.early_tenure_months)
    climate_term = params.mechanisms.climate_to_turnover * t.turnover_climate_effect * (
        climate - 0.5)
    if pressure is None:
        pressure = params.services.production_pressure
    log_ratio = (t.turnover_pressure_effect * (pressure - 0.5)
                 - climate_term + support_log_ratio)
    ratio = (np.where(consulted, t.consultation_turnover_ratio, 1.0)
             * np.where(tenure < t.early_tenure_months, t.early_tenure_hazard_ratio, 1.0))
    return bounded(base * np.exp(log_ratio) * ratio)


def programme_log_priority(params: Params, agenda: np.ndarray) -> np.ndarray:
    """How much the leader's agenda (0–1) keeps CPP a priority: a log hazard ratio, 0 at an
    agenda of 0.5, that lowers stopping and raises restarting (``mechanisms.leader_priority``)."""
    on = params.mechanisms.leader_priority
    return on * params.programme.priority_effect * (agenda - 0.5)


def discontinuation_hazard(params: Params, funded: np.ndarray, has_team: np.ndarray,
                           new_leader: np.ndarray, agenda: np.ndarray) -> np.ndarray:
    """Monthly chance that a service offering CPP decides to stop (organisational
    de-adoption, docs/odd.md §7.2a): a base rate raised when funding is lost, when nobody in
    post can deliver and while a new leader settles in, and lowered by the leader's agenda
    (the reasons sites give: Bond et al. 2014; Massatti et al. 2008; Peterson et al. 2014)."""
    g = params.programme
    ratio = (np.where(funded, 1.0, g.unfunded_hazard_ratio)
             * np.where(has_team, 1.0, g.no_team_hazard_ratio)
             * np.where(new_leader, g.new_leader_hazard_ratio, 1.0))
    base = monthly_hazard(g.discontinuation_per_year)
    return bounded(base * ratio * np.exp(-programme_log_priority(params, agenda)))


def readoption_hazard(params: Params, funded: np.ndarray, agenda: np.ndarray) -> np.ndarray:
    """Monthly chance that a service that stopped offering CPP restarts it (Bond et al. 2014:
    sites restart after a period of discontinuation). The leader's agenda raises it; without
    CPP funding it is lower by the same ratio that raises stopping (a service can run CPP on
    its own budget, but rarely starts again without money)."""
    g = params.programme
    base = monthly_hazard(g.readoption_per_year)
    ratio = np.where(funded, 1.0, 1.0 / g.unfunded_hazard_ratio)
    return bounded(base * ratio * np.exp(programme_log_priority(params, agenda)))
