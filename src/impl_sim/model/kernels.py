"""Optional compiled kernels (numba) for the hot loops, with the pure-Python/numpy reference.

Two implementations of the same arithmetic, in the same order, so they give the same numbers
bit for bit (``tests/model/test_kernels.py`` compares them):

* :func:`route_families` — the family-by-family routing and yes/no of ``routing.py``;
* :func:`take_case_log_odds` — the decision's log-odds of ``therapist.py``, fused into one loop,
  and :func:`decision_log_odds`, the same from the services' conditions (hours, agenda);
* :func:`progress_cases` — a month of every active case (``CaseBook.progress`` in ``cases.py``);
* :func:`drift_and_fidelity` — drift and fidelity of every post (``therapist.py``);
* :func:`post_training_states` — the post-training state machine (``training.py``);
* :func:`reset_posts` — new hires in their posts (``TherapistPool.reset_posts``);
* :func:`start_cases` — the cases taken this month opened and booked (``cases.start_cases``);
* :func:`consultation_and_masks` — consultation and the month's shared masks (``training.py``);
* :func:`learn_from_practice` — competence, readiness and motivation after a month's practice
  (``therapist.learn_from_practice``).

Which one runs is chosen by the environment variable ``IMPL_SIM_KERNELS``:

* ``numpy`` — the reference (``routing.route_families`` over lists, numpy arrays for the odds);
* ``numba`` — compiled loops; requires numba (``pip install impl-sim[fast]``), else an error;
* unset or ``auto`` — numba when it is installed, else numpy.

The variable is read each time a kernel is called, so a test can switch it with
``monkeypatch.setenv``. Compiled functions are cached on disk (numba's ``cache=True``); the
first call in a fresh environment compiles them (about a second). Worker processes pin numba's
own thread pool to one thread (:func:`impl_sim.experiment.threads.pin_threads`); the kernels
are serial anyway.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from impl_sim.model.constants import LEVER_CACHE_SIZE, NEVER, PARAMS_CACHE_SIZE
from impl_sim.model.states import IN_TRAINING

if TYPE_CHECKING:
    from impl_sim.model.cases import CaseBook, Referrals
    from impl_sim.model.therapist import TherapistPool
    from impl_sim.params import Params

KERNELS_ENV = "IMPL_SIM_KERNELS"
BACKENDS = ("numpy", "numba")


class KernelError(RuntimeError):
    """The requested kernel backend is unknown or not installed."""


@lru_cache(maxsize=1)
def numba_available() -> bool:
    """Whether numba is installed and imports (a numba too old for this numpy fails to
    import: then the numpy kernels run, and ``IMPL_SIM_KERNELS=numba`` is refused)."""
    if importlib.util.find_spec("numba") is None:
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def backend() -> str:
    """The backend in use now: ``numpy`` or ``numba`` (from ``IMPL_SIM_KERNELS``)."""
    return _resolve(os.environ.get(KERNELS_ENV, "auto"))


@lru_cache(maxsize=len(BACKENDS) + 1)
def _resolve(setting: str) -> str:
    """The backend a value of ``IMPL_SIM_KERNELS`` selects (remembered per value; an invalid
    value raises every time)."""
    choice = setting.strip().lower() or "auto"
    if choice == "auto":
        return "numba" if numba_available() else "numpy"
    if choice not in BACKENDS:
        raise KernelError(f"{KERNELS_ENV}={choice!r} is not allowed; expected one of "
                          f"auto, {', '.join(BACKENDS)}")
    if choice == "numba" and not numba_available():
        raise KernelError(f"{KERNELS_ENV}=numba but numba is not installed or does not import "
                          "(pip install impl-sim[fast]); unset it to use numpy")
    return choice


@lru_cache(maxsize=1)
def _compiled() -> Any:
    """The numba-compiled kernels (compiled, or loaded from numba's cache, on first use)."""
    from impl_sim.model import _numba_kernels

    return _numba_kernels


@lru_cache(maxsize=1)
def _references() -> Any:
    """The numpy reference implementations, imported on first use: therapist.py imports Mesa,
    and cases.py (hence outcomes.py, which the CLI's error path reads) must not."""
    from types import SimpleNamespace

    from impl_sim.model.cases import ACTIVE, COMPLETED, DROPPED, start_cases
    from impl_sim.model.routing import route_families
    from impl_sim.model.states import (
        CAN_DELIVER,
        DELIVERING,
        DISCONTINUED,
        PAUSED,
        POST_TRAINING,
        UNTRAINED,
    )
    from impl_sim.model.therapist import (
        DRAWN,
        MONTHS,
        PERSONAL,
        decision_log_odds,
        drift_and_fidelity,
        learn_from_practice,
        take_case_log_odds,
    )
    from impl_sim.model.training import (
        CAN_RECEIVE_BOOSTER,
        GETS_PROGRAMME_CONSULTATION,
        consultation_and_masks,
        post_training_states,
    )

    return SimpleNamespace(route_families=route_families, take_case_log_odds=take_case_log_odds,
                           learn_from_practice=learn_from_practice,
                           drift_and_fidelity=drift_and_fidelity,
                           decision_log_odds=decision_log_odds,
                           post_training_states=post_training_states,
                           start_cases=start_cases,
                           consultation_and_masks=consultation_and_masks,
                           consultation_states=(GETS_PROGRAMME_CONSULTATION, CAN_RECEIVE_BOOSTER,
                                                CAN_DELIVER),
                           post_training=POST_TRAINING,
                           # rows of the pool's tables the hire kernel writes, and codes
                           hire_rows=(len(DRAWN), PERSONAL.index("motivation"),
                                      PERSONAL.index("autonomy_preference"),
                                      PERSONAL.index("motivation_baseline"),
                                      PERSONAL.index("structure_fit"),
                                      MONTHS.index("nominated_month"), int(NEVER),
                                      int(UNTRAINED)),
                           state_codes=(int(DELIVERING), int(PAUSED), int(DISCONTINUED)),
                           case_codes=(int(ACTIVE), int(COMPLETED), int(DROPPED)))


def route_families(family_service: np.ndarray, draws: np.ndarray, *, per_service: int,
                   routed_share: np.ndarray, has_room: np.ndarray, intake_weight: np.ndarray,
                   take_log_odds: np.ndarray, caseload: np.ndarray, max_caseload: np.ndarray,
                   caseload_weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Route this month's families and let the receiving therapists decide (routing.py).

    Takes arrays (``has_room``, ``take_log_odds`` and ``caseload`` are copied, never changed);
    returns ``(families, posts)`` of the CPP cases started, as int64 arrays in family order.
    """
    if backend() == "numba":
        return _compiled().route_families(
            family_service.astype(np.int64, copy=False), np.ascontiguousarray(draws),
            per_service, routed_share.astype(np.float64, copy=False), has_room.copy(),
            intake_weight.astype(np.float64, copy=False),
            take_log_odds.astype(np.float64, copy=True), caseload.astype(np.int64, copy=True),
            max_caseload.astype(np.int64, copy=False), float(caseload_weight))
    starts = _references().route_families(
        family_service.tolist(), draws.tolist(), per_service=per_service,
        routed_share=routed_share.tolist(), has_room=has_room.tolist(),
        intake_weight=intake_weight.tolist(), take_log_odds=take_log_odds.tolist(),
        caseload=caseload.tolist(), max_caseload=max_caseload.tolist(),
        caseload_weight=caseload_weight)
    if not starts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    families, posts = zip(*starts, strict=True)
    return np.array(families, dtype=np.int64), np.array(posts, dtype=np.int64)


def decision_weights(params: Params) -> tuple[float, ...]:
    """The decision's weights in the order of the compiled kernel (climate's already
    multiplied by its mechanism switch, as the reference computes it)."""
    w = params.decision
    return tuple(float(x) for x in (
        w.intercept, w.motivation_weight, w.readiness_weight, w.competence_weight,
        w.time_weight, w.opportunity_weight,
        params.mechanisms.climate_to_use * w.climate_weight, w.peer_weight, w.fit_weight,
        w.consultation_weight, w.training_requirement_weight, w.caseload_weight))


def learning_weights(params: Params) -> tuple[float, ...]:
    """The learning parameters in the order of the compiled :func:`learn_from_practice`."""
    learn = params.learning
    return tuple(float(x) for x in (
        learn.competence_gain, learn.supervised_learning_multiplier, learn.competence_decay,
        learn.readiness_gain_training, learn.gathering_readiness_multiple,
        learn.readiness_gain_practice, learn.motivation_gain_follow_up,
        learn.motivation_loss_struggle, learn.motivation_recovery, learn.struggle_competence,
        learn.value_fit_gain_improvement, learn.motivation_gain_improvement,
        learn.motivation_loss_dropout))


def drift_terms(params: Params) -> tuple[float, float, float]:
    """The drift ceiling's scale (fidelity_drift × programme_flexibility), the lag and minus
    the correction, as :func:`impl_sim.model.therapist.update_drift` computes them."""
    learn = params.learning
    return (float(learn.fidelity_drift * params.training.programme_flexibility),
            float(learn.drift_lag_months), float(-learn.drift_correction))


_CONSTANTS: dict[int, tuple[Params, dict[str, Any]]] = {}


def _constants(params: Params) -> dict[str, Any]:
    """The numbers the compiled kernels take from ``params``, derived once per parameter set
    (``Params`` is frozen) instead of every month; a small cache, cleared when full."""
    hit = _CONSTANTS.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    c = params.cases
    values = {
        "weights": decision_weights(params),
        "hours_per_case": float(c.hours_per_case_per_week),
        "cases_required": int(params.training.training_cases_required),
        "hazard": (float(c.dropout_hazard), float(c.caregiver_barrier_hazard_ratio - 1.0),
                   float(c.engagement_effect),
                   float(1.0 - c.retention_support_max_reduction * c.retention_support)),
        "improvement": (float(c.improvement_base), float(c.improvement_per_fidelity)),
        "learning": learning_weights(params),
        # trainee hours per week and the agenda path's switch (as a number)
        "decision_services": (float(params.training.trainee_hours_per_week),
                              float(params.mechanisms.leader_agenda)),
        "drift": drift_terms(params),
    }
    if len(_CONSTANTS) >= PARAMS_CACHE_SIZE:
        _CONSTANTS.clear()
    _CONSTANTS[id(params)] = (params, values)  # holding params keeps its id from being reused
    return values


def take_case_log_odds(pool: TherapistPool, params: Params, *, available_hours: np.ndarray,
                       opportunity: np.ndarray, climate: np.ndarray, peer_norm: np.ndarray,
                       consultation: np.ndarray) -> np.ndarray:
    """:func:`impl_sim.model.therapist.take_case_log_odds` through the selected backend."""
    if backend() == "numba":
        const = _constants(params)
        return _compiled().take_case_log_odds(
            pool.motivation, pool.readiness, pool.competence, pool.structure_fit,
            pool.cpp_caseload, pool.state, pool.training_cases,
            np.asarray(available_hours, dtype=np.float64), np.asarray(opportunity, np.float64),
            np.asarray(climate, np.float64), np.asarray(peer_norm, np.float64),
            np.asarray(consultation, np.float64), const["weights"], const["hours_per_case"],
            const["cases_required"], int(IN_TRAINING))
    return _references().take_case_log_odds(
        pool, params, available_hours=available_hours, opportunity=opportunity,
        climate=climate, peer_norm=peer_norm, consultation=consultation)


def decision_log_odds(pool: TherapistPool, params: Params, *, protected_hours: np.ndarray,
                      free_hours: np.ndarray, agenda: np.ndarray, climate: np.ndarray,
                      peer_norm: np.ndarray, consultation: np.ndarray, in_training: np.ndarray,
                      able: np.ndarray) -> np.ndarray:
    """:func:`impl_sim.model.therapist.decision_log_odds` through the selected backend."""
    if backend() != "numba":
        return _references().decision_log_odds(
            pool, params, protected_hours=protected_hours, free_hours=free_hours, agenda=agenda,
            climate=climate, peer_norm=peer_norm, consultation=consultation,
            in_training=in_training, able=able)
    const = _constants(params)
    return _compiled().decision_log_odds(
        pool.service, pool.motivation, pool.readiness, pool.competence, pool.structure_fit,
        pool.self_leadership, pool.cpp_caseload, pool.state, pool.training_cases,
        np.asarray(protected_hours, np.float64), np.asarray(free_hours, np.float64),
        np.asarray(agenda, np.float64), np.asarray(climate, np.float64),
        np.asarray(peer_norm, np.float64), np.asarray(consultation, np.float64), in_training,
        able, const["decision_services"], const["weights"], const["hours_per_case"],
        const["cases_required"], int(IN_TRAINING))


@lru_cache(maxsize=LEVER_CACHE_SIZE)
def _no_reduction(n: int) -> np.ndarray:
    """A shared read-only array of ``n`` zeros (no barrier reduction for any post)."""
    zeros = np.zeros(n)
    zeros.flags.writeable = False
    return zeros


def progress_cases(book: CaseBook, params: Params, therapist_fidelity: np.ndarray,
                   barrier_reduction: np.ndarray | None) -> tuple[np.ndarray, ...] | None:
    """The compiled :meth:`CaseBook.progress` (updates ``book``; returns the completed,
    improved and dropped case indices), or ``None`` when the numpy backend is selected (the
    caller then runs the reference)."""
    if backend() != "numba":
        return None
    const = _constants(params)
    if barrier_reduction is None:  # excess × (1 − 0) is the excess itself, bit for bit
        barrier_reduction = _no_reduction(len(therapist_fidelity))
    finished, improved, dropped, still = _compiled().progress_cases(
        book.active, book.slot, np.asarray(therapist_fidelity, np.float64),
        np.ascontiguousarray(barrier_reduction, dtype=np.float64), book.fidelity_sum,
        book.months_delivered, book.planned_months, book.barrier, book.resistance,
        book.improve_draw, book.cumulative_hazard, book.status, book.improved,
        const["hazard"], const["improvement"], _references().case_codes)
    book.active = still
    return finished, improved, dropped


def learn_from_practice(pool: TherapistPool, params: Params, *, caseload: np.ndarray,
                        practising: np.ndarray, supervised: np.ndarray, in_training: np.ndarray,
                        gathering: np.ndarray | None, able: np.ndarray, follow_draws: np.ndarray,
                        follow_up: np.ndarray, improved_n: np.ndarray | None,
                        dropped_n: np.ndarray | None, buffer: np.ndarray | None) -> None:
    """:func:`impl_sim.model.therapist.learn_from_practice` through the selected backend
    (updates the pool's competence, readiness, motivation and value fit in place)."""
    if backend() != "numba":
        _references().learn_from_practice(
            pool, params, caseload=caseload, practising=practising, supervised=supervised,
            in_training=in_training, gathering=gathering, able=able, follow_draws=follow_draws,
            follow_up=follow_up, improved_n=improved_n, dropped_n=dropped_n, buffer=buffer)
        return
    # the compiled loop takes every array; the flags say which optional ones are real
    flags = (np.count_nonzero(supervised) > 0, gathering is not None, improved_n is not None,
             dropped_n is not None)
    _compiled().learn_from_practice(
        pool.competence, pool.readiness, pool.motivation, pool.motivation_baseline,
        pool.completed_training, caseload, practising, supervised, in_training,
        in_training if gathering is None else gathering, able,
        np.asarray(follow_draws, np.float64), np.asarray(follow_up, np.float64),
        caseload if improved_n is None else improved_n,
        caseload if dropped_n is None else dropped_n,
        follow_up if buffer is None else np.asarray(buffer, np.float64),
        flags, _constants(params)["learning"])


def drift_and_fidelity(pool: TherapistPool, params: Params, watched: np.ndarray) -> None:
    """:func:`impl_sim.model.therapist.drift_and_fidelity` through the selected backend."""
    if backend() != "numba":
        _references().drift_and_fidelity(pool, params, watched)
        return
    _compiled().drift_and_fidelity(pool.drift, pool.fidelity, pool.competence,
                                   pool.autonomy_preference, watched,
                                   np.count_nonzero(watched) > 0, _constants(params)["drift"])


def post_training_states(pool: TherapistPool, month: int, params: Params,
                         engaged_month: np.ndarray) -> None:
    """:func:`impl_sim.model.training.post_training_states` through the selected backend."""
    references = _references()
    if backend() != "numba":
        references.post_training_states(pool, month, params, engaged_month)
        return
    _compiled().post_training_states(
        pool.state, pool.cpp_caseload, np.maximum(pool.last_active_month, engaged_month),
        pool.training_end_month,
        references.post_training, int(month - params.learning.months_to_discontinue),
        references.state_codes)


def reset_posts(pool: TherapistPool, slots: np.ndarray, *, means: np.ndarray, sds: np.ndarray,
                normals: np.ndarray, nominated: np.ndarray, month: int, first_person_id: int,
                flexibility: float) -> None:
    """:meth:`impl_sim.model.therapist.TherapistPool.reset_posts` through the selected
    backend."""
    if backend() != "numba":
        pool.reset_posts(slots, means=means, sds=sds, normals=normals, nominated=nominated,
                         month=month, first_person_id=first_person_id, flexibility=flexibility)
        return
    _compiled().reset_posts(
        pool._personal, pool._counts, pool._months, pool._flags, pool.person_id,
        pool.hired_month, pool.state, np.asarray(slots, np.int64), means, sds, normals,
        nominated, int(month), int(first_person_id), float(flexibility),
        _references().hire_rows)


def start_cases(book: CaseBook, pool: TherapistPool, referrals: Referrals, families: np.ndarray,
                slots: np.ndarray, month: int, in_training: np.ndarray | None) -> None:
    """:func:`impl_sim.model.cases.start_cases` through the selected backend."""
    references = _references()
    if backend() != "numba":
        references.start_cases(book, pool, referrals, families, slots, month, in_training)
        return
    k = len(slots)
    book.make_room(k)
    _compiled().start_cases(
        book.slot, book.service, book.start_month, book.planned_months, book.barrier,
        book.resistance, book.improve_draw, book.status, book.size,
        referrals.service, referrals.planned_months, referrals.barrier,
        referrals.dropout_resistance, referrals.improve_draw,
        np.asarray(families, np.int64), np.asarray(slots, np.int64), int(month),
        pool.cpp_caseload, pool.cases_started, pool.training_cases,
        pool.completed_training if in_training is None else in_training,  # (unused if None)
        in_training is not None,
        pool.first_case_month, pool.last_case_start_month, references.case_codes[0])
    book.add_active(k)


def consultation_and_masks(pool: TherapistPool, params: Params,
                           booster_sessions: np.ndarray | None,
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`impl_sim.model.training.consultation_and_masks` through the selected backend."""
    references = _references()
    if backend() != "numba":
        return references.consultation_and_masks(pool, params, booster_sessions)
    t = params.training
    programme, booster_states, can_deliver = references.consultation_states
    return _compiled().consultation_and_masks(
        pool.state, programme, booster_states, can_deliver, int(IN_TRAINING),
        float(t.consultation_sessions_per_month / t.reference_sessions_per_month),
        float(t.reference_sessions_per_month),
        pool.motivation if booster_sessions is None else np.asarray(booster_sessions, np.float64),
        booster_sessions is not None)
