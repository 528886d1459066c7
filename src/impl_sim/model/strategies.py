"""Implementation strategies as plug-ins, registered by name (ERIC name as metadata).

A strategy is a small class with hooks the model calls at fixed points of the month
(DESIGN §3): ``on_start`` once before month 0, ``before_step`` after the outer context and
before leaders act, ``after_step`` after turnover. Strategies act through the model's public
state (``model.levers``, ``model.services``, ``model.therapists``, ``model.leaders``,
``model.commissioning``) and book their costs with ``model.add_cost``.

To add a strategy (here or in your own module): subclass
:class:`~impl_sim.params.StrategyParamsBase` for its settings, subclass :class:`Strategy` with
``name``, ``eric_name`` and ``parameters`` set, and decorate it with ``@register``. Registering
also adds the settings to the parameter schema as ``strategies.<name>.*``, so scenario files,
validation and the generated docs know them. Neither ``model.py`` nor ``params.py`` changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from impl_sim.model.constants import ILS_SCALE_MAX, MONTHS_PER_YEAR
from impl_sim.model.therapist import UNTRAINED
from impl_sim.model.training import cohort_cost, enrol
from impl_sim.params import (
    AuditFeedbackParams,
    BoosterConsultationParams,
    CentralCaseRoutingParams,
    ChampionsParams,
    CommissioningSupportParams,
    LeadershipTrainingParams,
    OngoingTrainingParams,
    Params,
    ProtectedTimeParams,
    StrategyParamsBase,
    TailoredReadinessSupportParams,
    register_strategy_params,
    unregister_strategy_params,
)

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel

REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make a strategy and its parameter group available under ``cls.name``."""
    if not cls.name or cls.parameters is None:
        raise TypeError(f"{cls.__name__} needs a `name` and a `parameters` group")
    register_strategy_params(cls.name, cls.parameters)
    REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a plug-in strategy and its parameter group (e.g. at the end of a test)."""
    unregister_strategy_params(name)
    REGISTRY.pop(name, None)


# The month's levers strategies may raise: name → (neutral value, description). A strategy
# raises a lever with ``model.levers.raise_(name, value)``; the model takes the largest value
# raised this month and the leader's own behaviour, whichever is stronger. A plug-in adds its
# own lever with :func:`register_lever` (and reads it back with ``model.levers.get``).
LEVERS: dict[str, tuple[float, str]] = {}


def register_lever(name: str, neutral: float, description: str) -> None:
    """Declare a monthly lever (idempotent for the same neutral value)."""
    known = LEVERS.get(name)
    if known is not None and known[0] != neutral:
        raise ValueError(f"lever '{name}' is already registered with neutral value {known[0]}")
    LEVERS[name] = (neutral, description)


register_lever("protected_hours_per_week", 0.0, "hours per week protected for CPP")
register_lever("routed_share", 0.0, "share of eligible referrals routed to trained therapists")
register_lever("booster_sessions_per_month", 0.0, "consultation sessions per month after training")


class LeverBoard:
    """This month's lever values; reset to neutral before strategies act."""

    def __init__(self) -> None:
        self._values: dict[str, float] = {}

    def reset(self) -> None:
        self._values.clear()

    def _check(self, name: str) -> None:
        if name not in LEVERS:
            raise KeyError(f"unknown lever '{name}'; registered: {', '.join(LEVERS)}")

    def raise_(self, name: str, value: float) -> None:
        """Raise lever ``name`` to at least ``value`` for this month."""
        self._check(name)
        self._values[name] = max(self._values.get(name, LEVERS[name][0]), float(value))

    def get(self, name: str) -> float:
        """The lever's value this month (its neutral value if nobody raised it)."""
        self._check(name)
        return self._values.get(name, LEVERS[name][0])


class Strategy:
    """Base class. ``self.params`` is this strategy's parameter group from the schema."""

    name: ClassVar[str] = ""
    eric_name: ClassVar[str] = ""
    parameters: ClassVar[type[StrategyParamsBase] | None] = None

    def __init__(self, params: StrategyParamsBase) -> None:
        self.params = params

    def active(self, month: int) -> bool:
        """Whether the strategy runs in ``month`` (start month, then for its duration)."""
        p = self.params
        started = month >= p.start_month
        return started and (p.duration_months == 0 or month < p.start_month + p.duration_months)

    def on_start(self, model: ImplementationModel) -> None:
        """Called once, before the first month."""

    def before_step(self, model: ImplementationModel) -> None:
        """Called every month after the outer context is updated."""

    def after_step(self, model: ImplementationModel) -> None:
        """Called every month after turnover and replacement."""


@register
class ProtectedTime(Strategy):
    """Hours protected for CPP for every trained therapist (needs funding)."""

    name = "protected_time"
    parameters = ProtectedTimeParams
    eric_name = "Alter incentive/allowance structures"

    def before_step(self, model: ImplementationModel) -> None:
        if self.active(model.month):
            model.levers.raise_("protected_hours_per_week", self.params.hours_per_week)


@register
class BoosterConsultation(Strategy):
    """Consultation continues after training ends (flattens the sustainment cliff, S6)."""

    name = "booster_consultation"
    parameters = BoosterConsultationParams
    eric_name = "Provide ongoing consultation"

    def before_step(self, model: ImplementationModel) -> None:
        if self.active(model.month):
            model.levers.raise_("booster_sessions_per_month", self.params.sessions_per_month)


@register
class CentralCaseRouting(Strategy):
    """Intake routes eligible families to trained therapists with room."""

    name = "central_case_routing"
    parameters = CentralCaseRoutingParams
    eric_name = "Revise professional roles"

    def before_step(self, model: ImplementationModel) -> None:
        if self.active(model.month):
            model.levers.raise_("routed_share", self.params.routed_share)


@register
class LeadershipTraining(Strategy):
    """Train leaders in post: proactive, knowledgeable and perseverant scores rise (S11)."""

    name = "leadership_training"
    parameters = LeadershipTrainingParams
    eric_name = "Recruit, designate, and train for leadership"

    def before_step(self, model: ImplementationModel) -> None:
        if model.month != self.params.start_month:
            return
        leaders = model.leaders
        for dim in ("proactive", "knowledgeable", "perseverant"):
            scores = getattr(leaders, dim)
            scores[:] = np.minimum(scores + self.params.ils_gain, ILS_SCALE_MAX)
        leaders.leadership_trained[:] = True
        model.add_cost("leadership_training", leaders.n * self.params.cost_per_leader)


@register
class Champions(Strategy):
    """A motivated trained therapist per service champions CPP among colleagues."""

    name = "champions"
    parameters = ChampionsParams
    eric_name = "Identify and prepare champions"

    def before_step(self, model: ImplementationModel) -> None:
        pool, services = model.therapists, model.services
        if not self.active(model.month):
            return
        eligible = pool.can_deliver()
        for s in range(services.n):
            posts = np.flatnonzero(pool.service == s)
            missing = self.params.per_service - int(pool.champion[posts].sum())
            candidates = posts[eligible[posts] & ~pool.champion[posts]]
            if missing > 0 and len(candidates):
                best = candidates[np.argsort(-pool.motivation[candidates], kind="stable")][:missing]
                pool.champion[best] = True
                pool.self_leadership[best] = np.maximum(pool.self_leadership[best],
                                                        self.params.self_leadership_floor)
            if pool.champion[posts].any():
                services.peer_boost[s] = self.params.peer_boost


@register
class AuditFeedback(Strategy):
    """Regular feedback on CPP use keeps it visible: climate and motivation of deliverers rise."""

    name = "audit_feedback"
    parameters = AuditFeedbackParams
    eric_name = "Audit and provide feedback"

    def due(self, month: int) -> bool:
        p = self.params
        return self.active(month) and (month - p.start_month) % p.interval_months == 0

    def before_step(self, model: ImplementationModel) -> None:
        if self.due(model.month):  # someone looks at how CPP is delivered: drift is corrected
            model.services.watched[:] = True

    def after_step(self, model: ImplementationModel) -> None:
        if not self.due(model.month):
            return
        p = self.params
        model.services.climate[:] = np.minimum(model.services.climate + p.climate_boost, 1.0)
        delivering = model.therapists.has_case()
        model.therapists.motivation[delivering] = np.minimum(
            model.therapists.motivation[delivering] + p.climate_boost, 1.0)


@register
class CommissioningSupport(Strategy):
    """Awareness and evaluation work aimed at commissioners (seed 003)."""

    name = "commissioning_support"
    parameters = CommissioningSupportParams
    eric_name = "Access new funding"

    def before_step(self, model: ImplementationModel) -> None:
        on = self.active(model.month)
        model.commissioning.awareness_gain_per_month = (
            self.params.awareness_gain_per_year / MONTHS_PER_YEAR if on else 0.0)
        model.commissioning.evaluation_boost = self.params.evaluation_boost if on else 0.0


@register
class TailoredReadinessSupport(Strategy):
    """Extra supervision for therapists with low psychological readiness (S4)."""

    name = "tailored_readiness_support"
    parameters = TailoredReadinessSupportParams
    eric_name = "Tailor strategies"

    def after_step(self, model: ImplementationModel) -> None:
        if not self.active(model.month):
            return
        pool = model.therapists
        low = pool.can_deliver() & (pool.readiness < self.params.readiness_threshold)
        pool.readiness[low] = np.minimum(pool.readiness[low] + self.params.readiness_gain, 1.0)
        model.add_cost("tailored_support",
                       int(low.sum()) * model.params.training.consultation_cost_per_session)


@register
class OngoingTraining(Strategy):
    """New cohorts enrol the untrained staff at regular intervals (an answer to turnover, S8)."""

    name = "ongoing_training"
    parameters = OngoingTrainingParams
    eric_name = "Conduct ongoing training"

    def after_step(self, model: ImplementationModel) -> None:
        p = self.params
        due = self.active(model.month) and (model.month - p.start_month) % p.interval_months == 0
        if not due or model.month == 0:
            return
        new = np.flatnonzero(model.therapists.state == UNTRAINED)
        if len(new):
            enrol(model.therapists, new, model.month, model.params)
            model.add_cost("training", cohort_cost(len(new), model.params))


def build_strategies(params: Params) -> list[Strategy]:
    """Instantiate the enabled strategies of a parameter set, in registry order."""
    orphans = set(type(params.strategies).model_fields) - set(REGISTRY)
    if orphans:  # parameters declared for a strategy nobody registered
        raise RuntimeError(f"no strategy registered for parameter groups: {sorted(orphans)}")
    chosen = []
    for name, cls in REGISTRY.items():
        settings = getattr(params.strategies, name)
        if settings.enabled:
            chosen.append(cls(settings))
    return chosen
