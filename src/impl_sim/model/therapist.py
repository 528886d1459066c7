"""Therapists: their attributes, state machine and the CPP-case decision.

The whole workforce is held as arrays (one entry per *post*, ``slot``), so each phase of the
month is one vectorised update; :class:`Therapist` is the Mesa agent that gives one person a
readable face (``agent.motivation``) for the dashboard and for users' scripts.

A post is never empty: when a therapist leaves, an untrained hire takes the same post, the same
place in the colleague network and the same service (DESIGN §3, turnover).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from impl_sim.model import kernels
from impl_sim.model.constants import NEVER
from impl_sim.model.numeric import bounded, clip01
from impl_sim.model.states import (
    CAN_DELIVER,
    DELIVERING,
    DISCONTINUED,
    IN_TRAINING,
    LEFT,
    PAUSED,
    POST_TRAINING,
    STATE_NAMES,
    TRAINED,
    UNTRAINED,
    State,
)
from impl_sim.params import Params

if TYPE_CHECKING:
    from impl_sim.model.model import ImplementationModel

# the state codes live in states.py (importable without Mesa); re-exported here
__all__ = [
    "CAN_DELIVER", "DELIVERING", "DISCONTINUED", "IN_TRAINING", "LEFT", "NEVER", "PAUSED",
    "POST_TRAINING", "STATE_NAMES", "TRAINED", "UNTRAINED", "State", "Therapist",
    "TherapistPool", "fidelity_now", "opportunity", "structure_fit", "take_case_log_odds",
    "update_drift",
]

# The pool's tables, one named row each (``pool.motivation`` is a view of its row).
PERSONAL = ("motivation", "readiness", "autonomy_preference", "self_leadership",
            "motivation_baseline", "structure_fit", "competence", "fidelity", "drift")
DRAWN = PERSONAL[:PERSONAL.index("self_leadership") + 1]  # drawn from the population at hire
COUNTS = ("cpp_caseload", "cases_started", "training_cases")
MONTHS = ("enrolled_month", "training_end_month", "first_case_month", "last_active_month",
          "last_case_start_month", "nominated_month")
FLAGS = ("completed_training", "certified")


class TherapistPool:
    """Arrays describing every therapist post; index = slot."""

    def __init__(self, n_slots: int, per_service: int) -> None:
        self.n = n_slots
        self.service = np.arange(n_slots) // per_service
        self.person_id = np.arange(n_slots)
        self.hired_month = np.zeros(n_slots, dtype=np.int64)
        self.state = np.zeros(n_slots, dtype=np.int8)
        # Attributes of the same kind live in one table, one named row each, so that a hire
        # resets a post with a few assignments; the attributes are views of the rows (update
        # them in place, never rebind them).
        self._personal = np.zeros((len(PERSONAL), n_slots))
        self._counts = np.zeros((len(COUNTS), n_slots), dtype=np.int64)
        self._months = np.full((len(MONTHS), n_slots), NEVER, dtype=np.int64)
        self._flags = np.zeros((len(FLAGS), n_slots), dtype=bool)
        for names, table in ((PERSONAL, self._personal), (COUNTS, self._counts),
                             (MONTHS, self._months), (FLAGS, self._flags)):
            for name, row in zip(names, table, strict=True):
                setattr(self, name, row)
        self.agent: list[Therapist | None] = [None] * n_slots
        self._drawn_from: tuple[Params, np.ndarray, np.ndarray] | None = None  # see _population

    # -- hiring ----------------------------------------------------------------------------

    def hire(self, slots: np.ndarray, params: Params, rng: np.random.Generator, month: int,
             first_person_id: int, *, nominate: bool | np.ndarray = True) -> None:
        """Fill ``slots`` with new, untrained therapists drawn from the population.

        Motivation, readiness, autonomy preference and self-leadership are independent normals
        clipped to [0, 1]; everything else starts afresh (no competence, no cases, no events).
        Each hire that ``nominate`` allows (True, False, or one flag per slot: the posts of the
        service's CPP team) is nominated for the next training cohort with probability
        ``training.hire_enrolment_share`` (docs/odd.md §7.1).
        """
        means, sds = self._population(params)
        normals = rng.standard_normal((len(DRAWN), len(slots)))
        nominated = rng.random(len(slots)) < params.training.hire_enrolment_share
        kernels.reset_posts(self, slots, means=means, sds=sds, normals=normals,
                            nominated=nominated & np.asarray(nominate, dtype=bool), month=month,
                            first_person_id=first_person_id,
                            flexibility=params.training.programme_flexibility)

    def reset_posts(self, slots: np.ndarray, *, means: np.ndarray, sds: np.ndarray,
                    normals: np.ndarray, nominated: np.ndarray, month: int,
                    first_person_id: int, flexibility: float) -> None:
        """Put new people in ``slots`` (the reference of ``kernels.reset_posts``): the drawn
        attributes are ``means + sds × normals`` clipped to [0, 1] (one column per slot), the
        rest start afresh; ``nominated`` (one flag per slot) are nominated this month."""
        drawn = bounded(means + sds * normals)
        self.person_id[slots] = first_person_id + np.arange(len(slots))
        self.hired_month[slots] = month
        self.state[slots] = UNTRAINED
        self._personal[:len(DRAWN), slots] = drawn
        self._personal[len(DRAWN):, slots] = 0.0
        motivation, _readiness, autonomy_preference, _self_leadership = drawn
        self.motivation_baseline[slots] = motivation  # the value fit to recover to
        # fixed for a person: the programme's flexibility does not change during a run
        self.structure_fit[slots] = structure_fit(flexibility, autonomy_preference)
        self._counts[:, slots] = 0
        self._months[:, slots] = NEVER
        self._flags[:, slots] = False
        self.nominated_month[slots[nominated]] = month

    def _population(self, params: Params) -> tuple[np.ndarray, np.ndarray]:
        """Means and standard deviations (one column each) of the attributes drawn at hire,
        built once per parameter set (``Params`` is frozen) instead of at every hire."""
        cached = self._drawn_from
        if cached is None or cached[0] is not params:
            t = params.therapists
            means = np.array([[getattr(t, f"{a}_mean")] for a in DRAWN])
            sds = np.array([[getattr(t, f"{a}_sd")] for a in DRAWN])
            cached = self._drawn_from = (params, means, sds)
        _params, means, sds = cached
        return means, sds

    # -- derived views ---------------------------------------------------------------------

    def can_deliver(self) -> np.ndarray:
        """Posts whose holder may take a CPP case (in training or trained, not given up)."""
        return CAN_DELIVER[self.state]

    def on_cpp_team(self, slots: np.ndarray | None = None) -> np.ndarray:
        """Posts (all, or those at ``slots``) whose holder is on the service's CPP team: ever
        enrolled or nominated for training (a service replaces them with a hire it nominates,
        ``hire``)."""
        if slots is None:
            return (self.enrolled_month > NEVER) | (self.nominated_month > NEVER)
        return (self.enrolled_month[slots] > NEVER) | (self.nominated_month[slots] > NEVER)

    def waiting_for_course(self) -> np.ndarray:
        """Posts whose holder is untrained and nominated for the next training cohort."""
        return (self.state == UNTRAINED) & (self.nominated_month > NEVER)

    def has_case(self) -> np.ndarray:
        return self.cpp_caseload > 0

    def delivered_within(self, month: int, window: int) -> np.ndarray:
        """Had an active CPP case in the last ``window`` months (sustainment definition)."""
        return self.last_active_month > month - window


def structure_fit(flexibility: float, autonomy_preference: np.ndarray) -> np.ndarray:
    """How well the programme's flexibility matches each therapist's wish for autonomy.

    seed 000 theme 3: flexibility is welcomed, so a rigid programme fits high-autonomy
    therapists badly (fit = 1 − |flexibility − preference|).
    """
    return 1.0 - np.abs(flexibility - autonomy_preference)


def take_case_log_odds(
    pool: TherapistPool,
    params: Params,
    *,
    available_hours: np.ndarray,
    opportunity: np.ndarray,
    climate: np.ndarray,
    peer_norm: np.ndarray,
    consultation: np.ndarray,
) -> np.ndarray:
    """Log-odds that each therapist takes an offered eligible family as a CPP case.

    One named term per determinant; every term is centred so that the intercept describes an
    average therapist in an average service (docs/odd.md, "Decision to take a CPP case").
    """
    w = params.decision
    hours_per_case = params.cases.hours_per_case_per_week
    # time left for one more case, as a share of what a case needs (0 = none, 1 = enough)
    time_room = bounded((available_hours - hours_per_case * pool.cpp_caseload) / hours_per_case)
    missing_training_cases = (pool.state == IN_TRAINING) & (
        pool.training_cases < params.training.training_cases_required)
    climate_on = params.mechanisms.climate_to_use
    return (
        w.intercept
        + w.motivation_weight * (pool.motivation - 0.5)  # S3
        + w.readiness_weight * (pool.readiness - 0.5)  # S4
        + w.competence_weight * (pool.competence - 0.5)
        + w.time_weight * (time_room - 0.5)
        + w.opportunity_weight * (opportunity - 0.5)  # S1, S2: agenda or self-leadership
        + climate_on * w.climate_weight * (climate - 0.5)  # S1: climate → use
        + w.peer_weight * (peer_norm - 0.5)
        + w.fit_weight * (pool.structure_fit - 0.5)  # S5
        + w.consultation_weight * np.minimum(consultation, 1.0)  # S6
        + w.training_requirement_weight * missing_training_cases
        - w.caseload_weight * pool.cpp_caseload
    )


def decision_log_odds(pool: TherapistPool, params: Params, *, protected_hours: np.ndarray,
                      free_hours: np.ndarray, agenda: np.ndarray, climate: np.ndarray,
                      peer_norm: np.ndarray, consultation: np.ndarray, in_training: np.ndarray,
                      able: np.ndarray) -> np.ndarray:
    """:func:`take_case_log_odds` from the services' conditions (``protected_hours``,
    ``free_hours``, ``agenda`` and ``climate``: one value per service) and the posts' own
    (``peer_norm``, ``consultation``, ``in_training``, ``able``: one per post)."""
    of_post = pool.service
    # the programme sanctions time for training cases while it runs (agencies commit it to
    # the course); afterwards only protected time and free hours remain (S6)
    protected = np.maximum(protected_hours[of_post],
                           params.training.trainee_hours_per_week * in_training)
    hours = protected * able + free_hours[of_post]
    post_agenda = params.mechanisms.leader_agenda * agenda[of_post]
    return take_case_log_odds(
        pool, params, available_hours=hours,
        opportunity=opportunity(post_agenda, pool.self_leadership), climate=climate[of_post],
        peer_norm=peer_norm, consultation=consultation)


def opportunity(agenda: np.ndarray, self_leadership: np.ndarray) -> np.ndarray:
    """Chance a therapist finds the opportunity to take CPP cases (0–1).

    Either the leader's agenda creates it or the therapist creates it themselves (seed 000
    theme 4, S2): ``agenda + (1 − agenda) · self_leadership``, so self-leadership matters most
    where the agenda is weak, and never replaces a strong one.
    """
    return agenda + (1.0 - agenda) * self_leadership


def learn_from_practice(pool: TherapistPool, params: Params, *, caseload: np.ndarray,
                        practising: np.ndarray, supervised: np.ndarray, in_training: np.ndarray,
                        gathering: np.ndarray | None, able: np.ndarray, follow_draws: np.ndarray,
                        follow_up: np.ndarray, improved_n: np.ndarray | None,
                        dropped_n: np.ndarray | None, buffer: np.ndarray | None) -> None:
    """Competence, readiness and motivation respond to this month's practice (in place).

    ``caseload``: cases worked on this month per post; ``practising``: caseload > 0;
    ``supervised``: consulted this month; ``gathering``: trainees at a gathering (None in a
    month without trainees); ``follow_draws``, ``follow_up``: a uniform and the leader's
    follow-up probability per post; ``improved_n``, ``dropped_n``: families per post who
    improved or dropped out (None when none did), ``buffer``: the leader's share of a setback
    absorbed, per post (with ``dropped_n``).
    """
    learn = params.learning
    anyone_supervised = np.count_nonzero(supervised) > 0
    # competence grows with each case-month (faster with consultation) and decays without
    # practice once training is over; fidelity drifts when nobody watches (S6, cases_progress)
    gain = learn.competence_gain * caseload
    if anyone_supervised:  # (else every speed is 1, and × 1 changes nothing)
        gain = gain * np.where(supervised, learn.supervised_learning_multiplier, 1.0)
    pool.competence += gain * (1.0 - pool.competence)
    pool.competence -= learn.competence_decay * (pool.completed_training & ~practising)
    clip01(pool.competence)

    # seed 000 theme 2 (S4): readiness grows with training, gatherings and supervised
    # practice, and with each family seen to improve (in a month without trainees, or
    # without anyone consulted, the term is zero and adding it would change nothing)
    if gathering is not None:
        pool.readiness += learn.readiness_gain_training * (
            in_training + learn.gathering_readiness_multiple * gathering)
    if anyone_supervised:
        pool.readiness += learn.readiness_gain_practice * (practising & supervised)

    followed = able & (follow_draws < follow_up)
    struggling = practising & ~(supervised | followed) & (
        pool.competence < learn.struggle_competence)
    pool.motivation += (
        learn.motivation_gain_follow_up * followed  # seed 000 theme 4
        - learn.motivation_loss_struggle * struggling  # seed 000: unsupported struggle
        + learn.motivation_recovery * (pool.motivation_baseline - pool.motivation))
    if improved_n is not None:
        # S3: a family's improvement confirms that the method fits clients' needs (a
        # lasting rise of the value fit) and encourages (a transient rise)
        pool.readiness += learn.readiness_gain_practice * improved_n
        pool.motivation_baseline += learn.value_fit_gain_improvement * improved_n
        clip01(pool.motivation_baseline)
        pool.motivation += learn.motivation_gain_improvement * improved_n
    if dropped_n is not None:
        # a dropout is a setback; a supportive leader absorbs part of it
        pool.motivation -= learn.motivation_loss_dropout * dropped_n * (1.0 - buffer)
    clip01(pool.readiness)
    clip01(pool.motivation)


def update_drift(pool: TherapistPool, params: Params, watched: np.ndarray) -> None:
    """Practice drifts from the model when nobody watches it being delivered (S5, S6).

    Unwatched months move each therapist's drift toward a ceiling
    ``learning.fidelity_drift × programme_flexibility × autonomy_preference`` with time
    constant ``learning.drift_lag_months``; a watched month (consultation, booster, audit)
    corrects the share ``learning.drift_correction`` of it.
    """
    learn = params.learning
    ceiling = learn.fidelity_drift * params.training.programme_flexibility * (
        pool.autonomy_preference)
    drifting = (ceiling - pool.drift) / learn.drift_lag_months
    if np.count_nonzero(watched):
        pool.drift += np.where(watched, -learn.drift_correction * pool.drift, drifting)
    else:  # nobody watched (the where would pick ``drifting`` everywhere)
        pool.drift += drifting
    clip01(pool.drift)


def fidelity_now(pool: TherapistPool) -> np.ndarray:
    """Fidelity = competence × (1 − drift)."""
    return pool.competence * (1.0 - pool.drift)


def drift_and_fidelity(pool: TherapistPool, params: Params, watched: np.ndarray) -> None:
    """This month's drift (:func:`update_drift`), then each post's fidelity (in place)."""
    update_drift(pool, params, watched)
    pool.fidelity[:] = fidelity_now(pool)


class Therapist(mesa.Agent):
    """One therapist post: a view of its row in :class:`TherapistPool`.

    Reading ``agent.motivation`` reads the pool. Setting one of the person's 0–1 attributes
    (``EDITABLE``) writes through to the pool, so the model sees it next phase; setting it
    outside [0, 1], or setting anything else (counts, months, flags), raises loudly. Agents do
    not act one by one: the model updates every post at once in its phases, and
    ``agent.step()`` (hence ``model.agents.shuffle_do("step")``) raises ``TypeError``.
    """

    def __init__(self, model: ImplementationModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot
        self._ready = True

    def __setattr__(self, name: str, value: object) -> None:
        # after construction, only the properties above may be set (a typo must not create a
        # new attribute that the model never reads)
        # (``_ready`` first: Mesa's own attributes, set while constructing, skip the look-up)
        if self.__dict__.get("_ready") and not (
                name in self.__dict__ or isinstance(getattr(type(self), name, None), property)):
            raise AttributeError(f"Therapist has no attribute '{name}' to set; editable: "
                                 f"{', '.join(EDITABLE)}")
        super().__setattr__(name, value)

    def __getattr__(self, name: str):
        # the per-therapist state of the run's strategies (e.g. ``champion``), read-only here
        model = self.__dict__.get("model")
        for strategy in getattr(model, "strategies", ()):
            if name in strategy.therapist_state:
                return getattr(strategy.therapists, name)[self.slot].item()
        raise AttributeError(f"'Therapist' object has no attribute '{name}'")

    def strategy_state(self) -> dict[str, object]:
        """This post's entries in the enabled strategies' per-therapist state."""
        return {name: getattr(s.therapists, name)[self.slot].item()
                for s in self.model.strategies for name in s.therapist_state}

    @property
    def _pool(self) -> TherapistPool:
        return self.model.therapists

    @property
    def service(self) -> int:
        return int(self._pool.service[self.slot])

    @property
    def state(self) -> State:
        return State(int(self._pool.state[self.slot]))

    def step(self) -> None:
        raise TypeError("therapists are views of the TherapistPool and are updated together in "
                        "the model's phases; call model.step() instead of agent.step()")

    def describe(self) -> dict[str, object]:
        """A plain dictionary of this post's current holder (for the dashboard).

        ``id`` is the post's Mesa agent id; ``person_id`` identifies the person holding it.
        """
        return {"id": self.unique_id, "service": self.service, "state": self.state.name.lower(),
                **{a: getattr(self, a) for a in _ATTRIBUTES}, **self.strategy_state()}


# person_id names the person holding the post (a new hire gets a new one); Mesa's unique_id
# names the post's agent, which outlives its holders.
_ATTRIBUTES = (
    "person_id", "motivation", "readiness", "autonomy_preference", "self_leadership", "competence",
    "fidelity", "drift", "cpp_caseload", "cases_started", "training_cases", "completed_training",
    "certified", "first_case_month", "last_active_month",
)
# The person's attributes a user may set on the agent (each 0–1; written through to the pool).
EDITABLE = ("motivation", "readiness", "autonomy_preference", "self_leadership",
            "motivation_baseline", "competence")


def _view(name: str) -> property:
    def get(self: Therapist):
        return getattr(self._pool, name)[self.slot].item()

    def set_(self: Therapist, value: float) -> None:
        if name not in EDITABLE:
            raise AttributeError(f"Therapist.{name} is read-only (the model keeps it); "
                                 f"editable: {', '.join(EDITABLE)}")
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"Therapist.{name} = {value!r} is not allowed; expected a number "
                             "from 0 to 1")
        getattr(self._pool, name)[self.slot] = value

    return property(get, set_, doc=f"{name} of the person in this post (pool row)")


for _name in dict.fromkeys(_ATTRIBUTES + EDITABLE):
    setattr(Therapist, _name, _view(_name))
