"""Training cohorts: enrolment, gatherings, consultation, training cases, certification."""

from __future__ import annotations

import numpy as np

from impl_sim.model.service import monthly_hazard
from impl_sim.model.therapist import (
    DELIVERING,
    IN_TRAINING,
    PAUSED,
    TRAINED,
    TherapistPool,
)
from impl_sim.params import Params


def enrol(pool: TherapistPool, slots: np.ndarray, month: int, params: Params) -> None:
    """Start a training cohort for the therapists at ``slots``."""
    pool.state[slots] = IN_TRAINING
    pool.enrolled_month[slots] = month
    pool.training_end_month[slots] = month + params.training.duration_months


def first_cohort(pool: TherapistPool, params: Params, rng: np.random.Generator) -> np.ndarray:
    """Choose the enrolled share of each service's posts for the first cohort."""
    share = params.training.enrolled_share
    chosen = [
        slots[rng.permutation(len(slots))[: round(share * len(slots))]]
        for slots in np.split(np.arange(pool.n), np.unique(pool.service, return_index=True)[1][1:])
    ]
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def in_training(pool: TherapistPool) -> np.ndarray:
    return pool.state == IN_TRAINING


def consultation_intensity(pool: TherapistPool, params: Params, booster_sessions: np.ndarray,
                           ) -> np.ndarray:
    """Consultation each therapist receives, scaled so that F2's fortnightly dose = 1.

    Trainees get the programme's consultation; afterwards only a booster (if funded) remains.
    """
    training = in_training(pool)
    after = CAN_RECEIVE_BOOSTER[pool.state]
    sessions = np.where(training, params.training.consultation_sessions_per_month,
                        np.where(after, booster_sessions, 0.0))
    return sessions / 2.0


CAN_RECEIVE_BOOSTER = np.array([False, False, True, True, True, False, False])


def gathering_this_month(pool: TherapistPool, month: int, params: Params) -> np.ndarray:
    """Trainees who attend an in-person gathering this month (evenly spread, F1)."""
    g = params.training.gatherings
    # gathering k is held in month round(k * duration / g) of a therapist's programme
    since = month - pool.enrolled_month
    k = np.rint(since * g / params.training.duration_months)
    on_schedule = np.rint(k * params.training.duration_months / g) == since
    return in_training(pool) & on_schedule & (k < g)


def training_dropout_hazard(pool: TherapistPool, params: Params) -> np.ndarray:
    """Monthly hazard of leaving the programme; low readiness raises it (S4)."""
    base = monthly_hazard(params.training.annual_dropout)
    return in_training(pool) * base * np.exp(3.0 * (0.5 - pool.readiness))


def finish_training(pool: TherapistPool, month: int, params: Params) -> np.ndarray:
    """Trainees whose programme ends this month complete it; returns their slots."""
    done = np.flatnonzero(in_training(pool) & (pool.training_end_month <= month))
    if len(done) == 0:
        return done
    pool.completed_training[done] = True
    pool.certified[done] = pool.training_cases[done] >= params.training.training_cases_required
    pool.state[done] = np.where(pool.cpp_caseload[done] > 0, DELIVERING,
                                np.where(pool.cases_started[done] > 0, PAUSED, TRAINED))
    return done


def cohort_cost(n_trainees: int, params: Params) -> float:
    """Fees plus the trainees' time for the training hours (F4, F14)."""
    t = params.training
    return n_trainees * (t.cost_per_trainee + t.hours_total * t.therapist_hour_cost)
