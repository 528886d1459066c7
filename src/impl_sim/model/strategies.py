"""Implementation strategies as plug-ins, registered by name (ERIC name as metadata).

A strategy is a module (in the sense of Starsim's modules and interventions) that declares
its parameters, its own per-therapist and per-service state, and its own monthly result series,
and acts through hooks the model calls at fixed points of the month (docs/odd.md §3):

* ``on_start`` once before month 0; ``before_step`` after the outer context and before leaders
  act; ``after_step`` after turnover;
* ``on_hire(model, slots)`` after new people take the posts ``slots`` (their per-therapist
  state has already been reset to its declared defaults) and ``on_leave(model, slots)`` before
  the people in ``slots`` leave.

Strategies act through the month's levers (``model.levers.raise_(name, value)``; a registry of
named levers, :func:`register_lever`), through the model's public state (``model.services``,
``model.therapists``, ``model.leaders``) and book their costs with ``model.add_cost``. A
strategy's per-therapist state is readable on the agent view (``agent.champion``).

To add a strategy (here or in your own module): subclass
:class:`~impl_sim.params.StrategyParamsBase` for its settings, subclass :class:`Strategy` with
``name``, ``eric_name`` and ``parameters`` set (and ``therapist_state``, ``service_state``,
``result_series`` if it keeps any), and decorate it with ``@register``. Registering also adds
the settings to the parameter schema as ``strategies.<name>.*``, so scenario files, validation
and the generated docs know them. Neither ``model.py`` nor ``params.py`` changes.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from impl_sim.model.constants import ILS_SCALE_MAX, LEVER_CACHE_SIZE, MONTHS_PER_YEAR
from impl_sim.model.therapist import IN_TRAINING, UNTRAINED
from impl_sim.model.training import cohort_cost, enrol
from impl_sim.params import (
    AuditFeedbackParams,
    BoosterConsultationParams,
    CentralCaseRoutingParams,
    ChampionsParams,
    CommissioningSupportParams,
    CulturalTailoringParams,
    LeadershipTrainingParams,
    OngoingTrainingParams,
    Params,
    ProtectedTimeParams,
    StrategyParamsBase,
    TailoredFlexibilityParams,
    TailoredOrganisationalSupportParams,
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
register_lever("peer_boost", 0.0, "rise of the peer norm per service (champions)")
register_lever("watched", 0.0, "1 where someone looks at how CPP is delivered (audit): drift is "
               "corrected")
register_lever("awareness_gain_per_month", 0.0, "commissioner awareness gained per month")
register_lever("evaluation_boost", 0.0, "rise of demonstrated impact from routine evaluation")
register_lever("barrier_hazard_reduction", 0.0, "share of caregiver barriers' excess dropout "
               "hazard removed, per post (culturally tailored care)")


@lru_cache(maxsize=LEVER_CACHE_SIZE)
def _constant(value: float, n: int) -> np.ndarray:
    """A read-only array of ``n`` copies of ``value`` (shared: never write to it)."""
    array = np.full(n, value)
    array.flags.writeable = False
    return array


class LeverBoard:
    """This month's lever values; reset to neutral before strategies act."""

    def __init__(self) -> None:
        self._values: dict[str, float | np.ndarray] = {}

    def reset(self) -> None:
        self._values.clear()

    def _check(self, name: str) -> None:
        if name not in LEVERS:
            raise KeyError(f"unknown lever '{name}'; registered: {', '.join(LEVERS)}")

    def raise_(self, name: str, value: float | np.ndarray) -> None:
        """Raise lever ``name`` to at least ``value`` this month (a number, or one per
        service)."""
        self._check(name)
        current = self._values.get(name, LEVERS[name][0])
        raised = np.maximum(current, value)
        self._values[name] = float(raised) if np.ndim(raised) == 0 else raised

    def is_raised(self, name: str) -> bool:
        """Whether a strategy raised lever ``name`` this month (else it is neutral)."""
        return name in self._values

    def get(self, name: str) -> float | np.ndarray:
        """The lever's value this month (its neutral value if nobody raised it)."""
        value = self._values.get(name)  # raised this month (never None), else neutral
        if value is not None:
            return value
        self._check(name)
        return LEVERS[name][0]

    def per_unit(self, name: str, n: int) -> np.ndarray:
        """The lever as one value per unit (service or post, as the lever is declared); a
        read-only array (a lever nobody raised is a cached constant array: no allocation in
        the monthly step)."""
        value = self.get(name)
        if not isinstance(value, np.ndarray) or value.ndim == 0:  # a number
            return _constant(float(value), n)
        return np.broadcast_to(np.asarray(value, dtype=float), (n,))

    per_service = per_unit


class StateTable:
    """Named arrays a strategy keeps, one entry per therapist post (or per service).

    Declared as ``{name: (dtype, default)}``; ``table.name`` is the array. Entries of posts whose
    holder leaves are reset to the defaults when the hire arrives.
    """

    def __init__(self, declared: dict[str, tuple[type, object]], n: int) -> None:
        self.declared = dict(declared)
        for name, (dtype, default) in self.declared.items():
            setattr(self, name, np.full(n, default, dtype=dtype))

    def reset(self, index: np.ndarray) -> None:
        for name, (_dtype, default) in self.declared.items():
            getattr(self, name)[index] = default


class Strategy:
    """Base class. ``self.params`` is this strategy's parameter group from the schema."""

    name: ClassVar[str] = ""
    eric_name: ClassVar[str] = ""
    parameters: ClassVar[type[StrategyParamsBase] | None] = None
    # per-therapist and per-service state: {name: (dtype, default)}; result series: {name:
    # description}, one value per month in ``self.series[name]``
    therapist_state: ClassVar[dict[str, tuple[type, object]]] = {}
    service_state: ClassVar[dict[str, tuple[type, object]]] = {}
    result_series: ClassVar[dict[str, str]] = {}

    def __init__(self, params: StrategyParamsBase) -> None:
        self.params = params
        self.therapists = StateTable({}, 0)
        self.services = StateTable({}, 0)
        self.series: dict[str, np.ndarray] = {}

    def initialise(self, model: ImplementationModel) -> None:
        """Allocate the declared state and result series (the model calls this once)."""
        self.therapists = StateTable(self.therapist_state, model.therapists.n)
        self.services = StateTable(self.service_state, model.services.n)
        self.series = {name: np.zeros(model.horizon) for name in self.result_series}

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

    def on_hire(self, model: ImplementationModel, slots: np.ndarray) -> None:
        """Called after new people take the posts ``slots`` (their state already reset)."""

    def on_leave(self, model: ImplementationModel, slots: np.ndarray) -> None:
        """Called before the people in posts ``slots`` leave."""


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

    therapist_state: ClassVar[dict[str, tuple[type, object]]] = {"champion": (bool, False)}
    result_series: ClassVar[dict[str, str]] = {"champions": "Champions in post"}

    def before_step(self, model: ImplementationModel) -> None:
        pool, services, champion = model.therapists, model.services, self.therapists.champion
        if not self.active(model.month):
            return
        eligible = pool.can_deliver() & services.offers_cpp[pool.service]
        boost = np.zeros(services.n)
        for s in range(services.n):
            posts = np.flatnonzero(pool.service == s)
            missing = self.params.per_service - int(champion[posts].sum())
            candidates = posts[eligible[posts] & ~champion[posts]]
            if missing > 0 and len(candidates):
                best = candidates[np.argsort(-pool.motivation[candidates], kind="stable")][:missing]
                champion[best] = True
                pool.self_leadership[best] = np.maximum(pool.self_leadership[best],
                                                        self.params.self_leadership_floor)
            if champion[posts].any():
                boost[s] = self.params.peer_boost
        model.levers.raise_("peer_boost", boost)

    def after_step(self, model: ImplementationModel) -> None:
        self.series["champions"][model.month] = np.count_nonzero(self.therapists.champion)


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
            model.levers.raise_("watched", 1.0)

    def after_step(self, model: ImplementationModel) -> None:
        if not self.due(model.month):
            return
        p, services = self.params, model.services
        # feedback on CPP delivery reaches only the services that still offer CPP
        services.climate[:] = np.minimum(services.climate + p.climate_boost * services.offers_cpp,
                                         1.0)
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
        if self.active(model.month):
            model.levers.raise_("awareness_gain_per_month",
                                self.params.awareness_gain_per_year / MONTHS_PER_YEAR)
            model.levers.raise_("evaluation_boost", self.params.evaluation_boost)


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
        low = (pool.can_deliver() & model.services.offers_cpp[pool.service]
               & (pool.readiness < self.params.readiness_threshold))
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
        pool = model.therapists  # staff of services that no longer offer CPP are not trained
        new = np.flatnonzero((pool.state == UNTRAINED) & model.services.offers_cpp[pool.service])
        if len(new):
            enrol(model.therapists, new, model.month, model.params)
            model.add_cost("training", cohort_cost(len(new), model.params))


# --- tailoring at three levels (seed 000 theme 4 and conclusion; seed 004) --------------------


@register
class TailoredFlexibility(Strategy):
    """Individual level: the programme adapts its flexibility to each trainee's wish for
    autonomy, removing part of the mismatch that lowers structure fit (S5)."""

    name = "tailored_flexibility"
    parameters = TailoredFlexibilityParams
    eric_name = "Tailor strategies"
    therapist_state: ClassVar[dict[str, tuple[type, object]]] = {"tailored": (bool, False)}

    def before_step(self, model: ImplementationModel) -> None:
        if not self.active(model.month):
            return
        pool, tailored = model.therapists, self.therapists.tailored
        new = np.flatnonzero((pool.state == IN_TRAINING) & ~tailored)
        if len(new):
            mismatch = 1.0 - pool.structure_fit[new]
            pool.structure_fit[new] = 1.0 - (1.0 - self.params.mismatch_removed) * mismatch
            tailored[new] = True
            model.add_cost("tailored_support", len(new) * self.params.cost_per_therapist)


@register
class TailoredOrganisationalSupport(Strategy):
    """Organisational level: services under high production pressure (often child welfare
    services) get protected hours for CPP (seed 004: organisational constraints)."""

    name = "tailored_organisational_support"
    parameters = TailoredOrganisationalSupportParams
    eric_name = "Tailor strategies"

    def before_step(self, model: ImplementationModel) -> None:
        if self.active(model.month):
            pressed = model.services.production_pressure >= self.params.pressure_threshold
            model.levers.raise_("protected_hours_per_week", pressed * self.params.hours_per_week)


@register
class CulturalTailoring(Strategy):
    """Cultural level: therapists trained in culturally sensitive care tailor CPP to families'
    language and culture, so caregiver barriers drive fewer families out (seed 004)."""

    name = "cultural_tailoring"
    parameters = CulturalTailoringParams
    eric_name = "Tailor strategies"
    therapist_state: ClassVar[dict[str, tuple[type, object]]] = {
        "culturally_trained": (bool, False)}
    result_series: ClassVar[dict[str, str]] = {
        "culturally_trained": "Therapists in post trained in culturally sensitive care"}

    def before_step(self, model: ImplementationModel) -> None:
        trained = self.therapists.culturally_trained
        if self.active(model.month):
            new = np.flatnonzero(model.therapists.can_deliver() & ~trained)
            trained[new] = True
            model.add_cost("tailored_support", len(new) * self.params.cost_per_therapist)
        model.levers.raise_("barrier_hazard_reduction",
                            trained * self.params.barrier_hazard_reduction)

    def after_step(self, model: ImplementationModel) -> None:
        self.series["culturally_trained"][model.month] = np.count_nonzero(
            self.therapists.culturally_trained)


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
