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

from impl_sim.model.numeric import bounded
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
    "TherapistPool", "fidelity_now", "structure_fit", "take_case_log_odds",
]

NEVER = -10_000  # "month" of an event that has not happened


class TherapistPool:
    """Arrays describing every therapist post; index = slot."""

    def __init__(self, n_slots: int, per_service: int) -> None:
        self.n = n_slots
        self.service = np.arange(n_slots) // per_service
        self.person_id = np.arange(n_slots)
        self.hired_month = np.zeros(n_slots, dtype=np.int64)
        self.state = np.zeros(n_slots, dtype=np.int8)
        # Attributes of the same kind live in one table, one row each, so that a hire resets a
        # post with a few assignments; the names below are views of the rows (update them in
        # place, never rebind them).
        self._personal = np.zeros((8, n_slots))
        (self.motivation, self.readiness, self.autonomy_preference, self.self_leadership,
         self.motivation_baseline, self.structure_fit, self.competence,
         self.fidelity) = self._personal
        self._counts = np.zeros((3, n_slots), dtype=np.int64)
        self.cpp_caseload, self.cases_started, self.training_cases = self._counts
        self._months = np.full((5, n_slots), NEVER, dtype=np.int64)
        (self.enrolled_month, self.training_end_month, self.first_case_month,
         self.last_active_month, self.last_case_start_month) = self._months
        self._flags = np.zeros((3, n_slots), dtype=bool)
        self.completed_training, self.certified, self.champion = self._flags
        self.agent: list[Therapist | None] = [None] * n_slots

    # -- hiring ----------------------------------------------------------------------------

    def hire(self, slots: np.ndarray, params: Params, rng: np.random.Generator, month: int,
             first_person_id: int) -> None:
        """Fill ``slots`` with new, untrained therapists drawn from the population.

        Motivation, readiness, autonomy preference and self-leadership are independent normals
        clipped to [0, 1]; everything else starts afresh (no competence, no cases, no events).
        """
        t = params.therapists
        means = np.array([[t.motivation_mean], [t.readiness_mean], [t.autonomy_preference_mean],
                          [t.self_leadership_mean]])
        sds = np.array([[t.motivation_sd], [t.readiness_sd], [t.autonomy_preference_sd],
                        [t.self_leadership_sd]])
        drawn = bounded(means + sds * rng.standard_normal((4, len(slots))))
        self.person_id[slots] = first_person_id + np.arange(len(slots))
        self.hired_month[slots] = month
        self.state[slots] = UNTRAINED
        personal = self._personal
        personal[:4, slots] = drawn
        personal[4, slots] = drawn[0]  # the value fit motivation recovers to
        # fixed for a person: the programme's flexibility does not change during a run
        personal[5, slots] = structure_fit(params.training.programme_flexibility, drawn[2])
        personal[6:, slots] = 0.0  # competence, fidelity
        self._counts[:, slots] = 0
        self._months[:, slots] = NEVER
        self._flags[:, slots] = False

    # -- derived views ---------------------------------------------------------------------

    def can_deliver(self) -> np.ndarray:
        """Posts whose holder may take a CPP case (in training or trained, not given up)."""
        return CAN_DELIVER[self.state]

    def has_case(self) -> np.ndarray:
        return self.cpp_caseload > 0

    def delivered_within(self, month: int, window: int = 6) -> np.ndarray:
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
    return (
        w.intercept
        + w.motivation_weight * (pool.motivation - 0.5)  # S3
        + w.readiness_weight * (pool.readiness - 0.5)  # S4
        + w.competence_weight * (pool.competence - 0.5)
        + w.time_weight * (time_room - 0.5)
        + w.opportunity_weight * (opportunity - 0.5)  # S1, S2
        + w.climate_weight * (climate - 0.5)
        + w.peer_weight * (peer_norm - 0.5)
        + w.fit_weight * (pool.structure_fit - 0.5)  # S5
        + w.consultation_weight * np.minimum(consultation, 1.0)  # S6
        + w.training_requirement_weight * missing_training_cases
        - w.caseload_weight * pool.cpp_caseload
    )


def fidelity_now(pool: TherapistPool, params: Params, consultation: np.ndarray) -> np.ndarray:
    """Fidelity = competence × adherence; flexibility lets autonomy-seekers drift (S5).

    Consultation halves the drift: someone is watching the model being delivered.
    """
    drift = (params.learning.fidelity_drift * params.training.programme_flexibility
             * pool.autonomy_preference * np.where(consultation > 0, 0.5, 1.0))
    return pool.competence * (1.0 - drift)


class Therapist(mesa.Agent):
    """One therapist: a readable view of their post in :class:`TherapistPool`."""

    def __init__(self, model: ImplementationModel, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    @property
    def _pool(self) -> TherapistPool:
        return self.model.therapists

    @property
    def service(self) -> int:
        return int(self._pool.service[self.slot])

    @property
    def state(self) -> State:
        return State(int(self._pool.state[self.slot]))

    def __getattr__(self, name: str):  # motivation, readiness, competence, ...
        pool = self.__dict__.get("model") and self.model.therapists
        if pool is not None and name in _ATTRIBUTES:
            return getattr(pool, name)[self.slot].item()
        raise AttributeError(name)

    def describe(self) -> dict[str, object]:
        """A plain dictionary of this post's current holder (for the dashboard).

        ``id`` is the post's Mesa agent id; ``person_id`` identifies the person holding it.
        """
        return {"id": self.unique_id, "service": self.service, "state": self.state.name.lower(),
                **{a: getattr(self, a) for a in _ATTRIBUTES}}


# person_id names the person holding the post (a new hire gets a new one); Mesa's unique_id
# names the post's agent, which outlives its holders.
_ATTRIBUTES = (
    "person_id", "motivation", "readiness", "autonomy_preference", "self_leadership", "competence",
    "fidelity", "cpp_caseload", "cases_started", "training_cases", "completed_training",
    "certified", "champion", "first_case_month", "last_active_month",
)
