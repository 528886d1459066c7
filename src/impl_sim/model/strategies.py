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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

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


@dataclass
class Levers:
    """What strategies set for the current month; reset to neutral at the start of each month."""

    protected_hours_per_week: float = 0.0
    routed_share: float = 0.0
    booster_sessions_per_month: float = 0.0
    extras: dict[str, float] = field(default_factory=dict)


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
            model.levers.protected_hours_per_week = self.params.hours_per_week


@register
class BoosterConsultation(Strategy):
    """Consultation continues after training ends (flattens the sustainment cliff, S6)."""

    name = "booster_consultation"
    parameters = BoosterConsultationParams
    eric_name = "Provide ongoing consultation"

    def before_step(self, model: ImplementationModel) -> None:
        if self.active(model.month):
            model.levers.booster_sessions_per_month = self.params.sessions_per_month


@register
class CentralCaseRouting(Strategy):
    """Intake routes eligible families to trained therapists with room."""

    name = "central_case_routing"
    parameters = CentralCaseRoutingParams
    eric_name = "Revise professional roles"

    def before_step(self, model: ImplementationModel) -> None:
        if self.active(model.month):
            model.levers.routed_share = self.params.routed_share


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
            scores[:] = np.minimum(scores + self.params.ils_gain, 4.0)
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
        services.peer_boost[:] = 0.0
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
                pool.self_leadership[best] = np.maximum(pool.self_leadership[best], 0.8)
            if pool.champion[posts].any():
                services.peer_boost[s] = self.params.peer_boost


@register
class AuditFeedback(Strategy):
    """Regular feedback on CPP use keeps it visible: climate and motivation of deliverers rise."""

    name = "audit_feedback"
    parameters = AuditFeedbackParams
    eric_name = "Audit and provide feedback"

    def after_step(self, model: ImplementationModel) -> None:
        p = self.params
        if not self.active(model.month) or (model.month - p.start_month) % p.interval_months:
            return
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
            self.params.awareness_gain_per_year / 12.0 if on else 0.0)
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
