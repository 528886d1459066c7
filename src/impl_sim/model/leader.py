"""Leaders: one per service, described by the four Implementation Leadership Scale dimensions.

A leader acts only through the documented causal paths of ``params.mechanisms`` (docs/odd.md
§7.3): routing referrals, protecting time, following up, keeping CPP on the agenda (which shapes
opportunity and climate), support (which lowers turnover and buffers setbacks) and funding
advocacy. Each behaviour's strength is a logistic function of the relevant ILS scores with a
named intercept and slope, so passive support does a little of everything and implementation
leadership more, and no threshold makes a behaviour zero by construction. With a path switched
off, the behaviour is absent whatever the leader's scores.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

import mesa
import numpy as np

from impl_sim.model.constants import ILS_SCALE_MAX
from impl_sim.params import ILS_DIMENSIONS, Params

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _mean_of(*rows: np.ndarray) -> np.ndarray:
    """Element-wise mean of a few rows: the same numbers as ``np.mean(rows, axis=0)`` (summed
    in order, divided by the count) without stacking them into a new array first."""
    total = rows[0].copy()
    for row in rows[1:]:
        total += row
    total /= len(rows)
    return total


Behaviour = Callable[["LeaderPool"], np.ndarray]


def _remembered(behaviour: Behaviour) -> Behaviour:
    """Decorator: a behaviour is computed once for the leaders' current scores and kept until a
    score (or the parameter set) changes; each call returns a fresh copy, as a computation
    would. Scores change only at appointments and through strategies, so most months reuse
    every behaviour (the same numbers: the same arithmetic on the same scores)."""
    name = behaviour.__name__

    @wraps(behaviour)
    def remembered(self: LeaderPool) -> np.ndarray:
        memo = self._memo_for_current_scores()
        value = memo.get(name)
        if value is None:
            value = memo[name] = behaviour(self)
        return value.copy()

    return remembered


class LeaderPool:
    """ILS scores (0–4) of the leader in post at each service."""

    def __init__(self, n_services: int, params: Params, rng: np.random.Generator) -> None:
        self.n = n_services
        self.params = params
        self.profile = params.ils_profile()
        # one row per ILS dimension; ``self.proactive`` etc. are views of the rows, so a
        # strategy that changes them in place changes the behaviours below
        self.scores = np.zeros((len(ILS_DIMENSIONS), n_services))
        self.proactive, self.knowledgeable, self.supportive, self.perseverant = self.scores
        self.leadership_trained = np.zeros(n_services, dtype=bool)
        self.appointed_month = np.zeros(n_services, dtype=np.int64)
        # a successor, not one of the leaders in post at month 0: the programme review treats
        # a recent successor as a new leader (docs/odd.md §7.2a)
        self.successor = np.zeros(n_services, dtype=bool)
        self._memo: dict[str, np.ndarray] = {}  # behaviours for the scores in _memo_key
        self._memo_key: tuple[object, ...] = ()
        self.appoint(np.arange(n_services), rng, 0)
        self.successor[:] = False

    def _memo_for_current_scores(self) -> dict[str, np.ndarray]:
        """The remembered behaviours, emptied when the parameters or any score (in place or by
        rebinding a dimension's array) differ from when they were computed."""
        key = (self.params, self.proactive.tobytes(), self.knowledgeable.tobytes(),
               self.supportive.tobytes(), self.perseverant.tobytes())
        old = self._memo_key
        if not (old and key[0] is old[0] and key[1:] == old[1:]):
            self._memo.clear()
            self._memo_key = key
        return self._memo

    def appoint(self, services: np.ndarray, rng: np.random.Generator, month: int) -> None:
        """Put new leaders in post, drawn from the leader population, without training gains.

        Each leader's four scores share one general factor (``leaders.ils_dimension_correlation``)
        around the style's (or F8's) means with spread ``leaders.ils_sd``, clipped to 0–4. The
        draws are made for every service each time, so the number taken does not depend on who
        leaves (common random numbers across arms).
        """
        lead = self.params.leaders
        general = rng.standard_normal(self.n)
        specific = rng.standard_normal((len(ILS_DIMENSIONS), self.n))
        rho = lead.ils_dimension_correlation
        z = np.sqrt(rho) * general + np.sqrt(1.0 - rho) * specific
        means = np.array([[self.profile[d]] for d in ILS_DIMENSIONS])
        drawn = np.clip(means + lead.ils_sd * z, 0.0, ILS_SCALE_MAX)
        self.scores[:, services] = drawn[:, services]
        self.leadership_trained[services] = False
        self.appointed_month[services] = month
        self.successor[services] = True

    @_remembered
    def composite(self) -> np.ndarray:
        """Mean of the four ILS scores (0–4): the leader's overall implementation leadership."""
        return _mean_of(*self.scores)

    def _behaviour(self, score: np.ndarray, log_odds: float, slope: float) -> np.ndarray:
        return _sigmoid(log_odds + slope * (score - self.params.leaders.reference_score))

    # -- behaviours (docs/odd.md §7.3), each one path of ``params.mechanisms`` ---------------

    @_remembered
    def implementation_agenda(self) -> np.ndarray:
        """How strongly CPP is kept on the service's agenda (0–1): proactive, knowledgeable and
        perseverant scores scaled to 0–1."""
        return _mean_of(self.proactive, self.knowledgeable, self.perseverant) / ILS_SCALE_MAX

    @_remembered
    def routed_share(self) -> np.ndarray:
        """Probability that the leader has an eligible referral routed to a trained therapist."""
        lead = self.params.leaders
        score = _mean_of(self.proactive, self.knowledgeable)
        on = self.params.mechanisms.leader_routing
        return on * self._behaviour(score, lead.routing_log_odds, lead.routing_slope)

    @_remembered
    def protected_hours(self) -> np.ndarray:
        """Hours per week the leader protects for each therapist who can deliver."""
        lead = self.params.leaders
        share = self._behaviour(self.proactive, lead.protection_log_odds, lead.protection_slope)
        on = self.params.mechanisms.protected_time
        return on * lead.max_protected_hours_per_week * share

    @_remembered
    def follow_up_probability(self) -> np.ndarray:
        """Monthly chance the leader follows up a therapist's CPP work."""
        lead = self.params.leaders
        score = _mean_of(self.proactive, self.perseverant)
        on = self.params.mechanisms.follow_up
        return on * self._behaviour(score, lead.follow_up_log_odds, lead.follow_up_slope)

    @_remembered
    def funding_advocacy(self) -> np.ndarray:
        """How hard the leader argues for funding with commissioners (0–1)."""
        on = self.params.mechanisms.funding_advocacy
        return on * (self.proactive / ILS_SCALE_MAX) * (self.perseverant / ILS_SCALE_MAX)

    @_remembered
    def loss_buffer(self) -> np.ndarray:
        """Share of a setback's motivational cost a supportive leader absorbs."""
        lead = self.params.leaders
        on = self.params.mechanisms.setback_buffer
        return on * lead.setback_buffer_max * self.supportive / ILS_SCALE_MAX

    @_remembered
    def turnover_log_ratio(self) -> np.ndarray:
        """Log hazard ratio of therapists' turnover due to the leader's support (≤ 0 above the
        reference score)."""
        lead = self.params.leaders
        on = self.params.mechanisms.support_to_turnover
        return -on * lead.support_turnover_effect * (self.supportive - lead.reference_score)


class Leader(mesa.Agent):
    """The leader of one service: a read-only view of :class:`LeaderPool`.

    ``leader.proactive`` etc. read the pool; setting them raises ``AttributeError`` (change
    ``model.leaders.proactive[service]`` instead, so every behaviour sees the change).
    """

    def __init__(self, model: ImplementationModel, service: int) -> None:
        super().__init__(model)
        self.service = service

    def scores(self) -> dict[str, float]:
        pool = self.model.leaders
        return {d: float(getattr(pool, d)[self.service]) for d in ILS_DIMENSIONS}

    @property
    def style(self) -> str:
        return self.model.params.leaders.style.value

    @property
    def leadership_trained(self) -> bool:
        return bool(self.model.leaders.leadership_trained[self.service])

    def step(self) -> None:
        """Leaders act for all services at once in the model's ``leaders_act`` phase."""
        raise TypeError("leaders are views of the LeaderPool and act in the model's "
                        "`leaders_act` phase; call model.step() instead of agent.step()")


def _score_property(dim: str) -> property:
    def get(self: Leader) -> float:
        return float(getattr(self.model.leaders, dim)[self.service])
    return property(get, doc=f"ILS {dim} score (0–4) of the leader in post")


for _dim in ILS_DIMENSIONS:
    setattr(Leader, _dim, _score_property(_dim))
