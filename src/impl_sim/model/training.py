"""Training cohorts: enrolment, gatherings, consultation, training cases, certification."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from impl_sim.model.constants import NEVER, SCHEDULE_CACHE_SIZE
from impl_sim.model.service import monthly_hazard
from impl_sim.model.therapist import (
    CAN_DELIVER,
    DELIVERING,
    DISCONTINUED,
    IN_TRAINING,
    PAUSED,
    POST_TRAINING,
    TRAINED,
    UNTRAINED,
    State,
    TherapistPool,
)
from impl_sim.params import Params


def enrol(pool: TherapistPool, slots: np.ndarray, month: int, params: Params) -> None:
    """Start a training cohort for the therapists at ``slots``."""
    pool.state[slots] = IN_TRAINING
    pool.enrolled_month[slots] = month
    pool.training_end_month[slots] = month + params.training.duration_months
    pool.nominated_month[slots] = NEVER


def later_cohort_due(month: int, params: Params) -> bool:
    """Whether the regional centre starts a later cohort this month (every
    ``training.cohort_interval_months`` after the first cohort's start)."""
    t = params.training
    since = month - t.start_month
    return since > 0 and since % t.cohort_interval_months == 0


def later_cohort(pool: TherapistPool, params: Params, funded: np.ndarray) -> np.ndarray:
    """Who joins a later cohort: nominated untrained staff of services funded for CPP (an
    unfunded service pays for no course, seed 003), longest-waiting first, up to
    ``training.cohort_seats``; nobody if fewer than ``training.cohort_min_trainees`` wait (the
    course runs only with enough applicants). Returns their slots."""
    t = params.training
    waiting = np.flatnonzero(pool.waiting_for_course() & funded[pool.service])
    if len(waiting) < t.cohort_min_trainees:
        return waiting[:0]
    order = np.argsort(pool.nominated_month[waiting], kind="stable")
    return np.sort(waiting[order][: t.cohort_seats])


def rebuild_team(pool: TherapistPool, restarting: np.ndarray, params: Params,
                 month: int) -> np.ndarray:
    """A service that restarts CPP re-implements it: it nominates never-enrolled staff for the
    next cohort until its CPP team (those who can deliver or wait for a course) is as large as
    its first cohort's (``training.enrolled_share`` of its posts), staff in post longest first
    (services send staff they expect to stay, F2). ``restarting`` holds one flag per service.
    Returns the nominated slots (no random draw: the streams are untouched)."""
    team_size = round(params.training.enrolled_share * params.services.therapists_per_service)
    on_team = CAN_DELIVER[pool.state] | pool.waiting_for_course()
    free = ((pool.state == UNTRAINED) & (pool.nominated_month == NEVER)
            & (pool.enrolled_month == NEVER))
    chosen = []
    for service in np.flatnonzero(restarting):
        posts = pool.service == service
        short = team_size - int(np.count_nonzero(on_team & posts))
        candidates = np.flatnonzero(free & posts)
        candidates = candidates[np.argsort(pool.hired_month[candidates], kind="stable")]
        chosen.append(candidates[:max(short, 0)])
    nominated = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    pool.nominated_month[nominated] = month
    return nominated


def first_cohort(pool: TherapistPool, params: Params, rng: np.random.Generator,
                 month: int = 0) -> np.ndarray:
    """Choose the enrolled share of each service's posts for the first cohort: staff in post at
    least ``training.min_tenure_months`` first (in random order), newer staff only for the
    seats left (services send staff they expect to stay, F2)."""
    t = params.training
    established = (month - pool.hired_month) >= t.min_tenure_months
    chosen = []
    for slots in np.split(np.arange(pool.n), np.unique(pool.service, return_index=True)[1][1:]):
        shuffled = slots[rng.permutation(len(slots))]
        ranked = shuffled[np.argsort(~established[shuffled], kind="stable")]
        chosen.append(ranked[: round(t.enrolled_share * len(slots))])
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def in_training(pool: TherapistPool) -> np.ndarray:
    return pool.state == IN_TRAINING


# Which states receive the programme's consultation, and which a booster after training.
GETS_PROGRAMME_CONSULTATION = np.isin(np.arange(len(State)), [IN_TRAINING])
CAN_RECEIVE_BOOSTER = POST_TRAINING


def consultation_intensity(pool: TherapistPool, params: Params,
                           booster_sessions: np.ndarray | None = None) -> np.ndarray:
    """Consultation each therapist receives, scaled so that F2's fortnightly dose = 1.

    Trainees get the programme's consultation; afterwards only a booster (sessions per month
    per post, or None) remains.
    """
    reference = params.training.reference_sessions_per_month
    intensity = GETS_PROGRAMME_CONSULTATION[pool.state] * (
        params.training.consultation_sessions_per_month / reference)
    if booster_sessions is not None:
        intensity += CAN_RECEIVE_BOOSTER[pool.state] * (booster_sessions / reference)
    return intensity


def consultation_and_masks(pool: TherapistPool, params: Params,
                           booster_sessions: np.ndarray | None = None,
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This month's consultation intensity (:func:`consultation_intensity`) and the masks the
    month's phases share: in training, can deliver, consulted (the reference of
    ``kernels.consultation_and_masks``)."""
    consultation = consultation_intensity(pool, params, booster_sessions)
    return consultation, pool.state == IN_TRAINING, CAN_DELIVER[pool.state], consultation > 0


@lru_cache(maxsize=SCHEDULE_CACHE_SIZE)
def _gathering_schedule(gatherings: int, duration_months: int) -> np.ndarray:
    """Months of the programme (0..duration) in which a gathering is held (evenly spread, F1)."""
    schedule = np.zeros(duration_months + 1, dtype=bool)
    for k in range(gatherings):
        month = round(k * duration_months / gatherings)
        schedule[month] = month < duration_months
    schedule.flags.writeable = False
    return schedule


def gathering_this_month(pool: TherapistPool, month: int, params: Params) -> np.ndarray:
    """Trainees who attend an in-person gathering this month (evenly spread, F1)."""
    t = params.training
    schedule = _gathering_schedule(t.gatherings, t.duration_months)
    months_in = np.minimum(np.maximum(month - pool.enrolled_month, 0), t.duration_months)
    return in_training(pool) & schedule[months_in]


def training_dropout_hazard(pool: TherapistPool, params: Params) -> np.ndarray:
    """Monthly hazard of leaving the programme; low readiness raises it (S4)."""
    base = monthly_hazard(params.training.annual_dropout)
    effect = params.training.dropout_readiness_effect
    return in_training(pool) * base * np.exp(effect * (0.5 - pool.readiness))


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


def post_training_states(pool: TherapistPool, month: int, params: Params,
                         engaged_month: np.ndarray) -> None:
    """The post-training state machine (in place): a trained therapist who has not given up
    is DELIVERING with a case, PAUSED without one, and DISCONTINUED after
    ``learning.months_to_discontinue`` months without one (counted from the latest of the last
    active month, the end of training and ``engaged_month``: per post, the last month its
    service did not offer CPP, when nobody could take a case and so nobody gave up)."""
    after_training = POST_TRAINING[pool.state]
    has_case = pool.cpp_caseload > 0
    pool.state[after_training & has_case] = DELIVERING
    last_engaged = np.maximum(np.maximum(pool.last_active_month, engaged_month),
                              pool.training_end_month)
    idle = (month - params.learning.months_to_discontinue) >= last_engaged
    without_case = after_training & ~has_case
    pool.state[without_case & (pool.state == DELIVERING)] = PAUSED
    pool.state[without_case & idle] = DISCONTINUED


def cohort_cost(n_trainees: int, params: Params) -> float:
    """Fees plus the trainees' time for the training hours (F4, F14)."""
    t = params.training
    return n_trainees * (t.cost_per_trainee + t.hours_total * t.therapist_hour_cost)
