"""The compiled kernels (numba) give the numbers of the numpy reference, bit for bit.

Skipped when numba is not installed (it is an optional extra: ``pip install impl-sim[fast]``;
``.[dev]`` includes it, so CI runs these).
"""

from __future__ import annotations

import numpy as np
import pytest
from identity import assert_same, sample

from impl_sim.experiment.runner import run_one, run_task, scenario_tasks
from impl_sim.model import kernels
from impl_sim.model.routing import route_families as reference_route
from impl_sim.params import Params, strategy_names
from impl_sim.scenario.loader import load_scenario
from impl_sim.shipped import shipped_scenarios

needs_numba = pytest.mark.skipif(not kernels.numba_available(),
                                 reason="numba is not installed (pip install impl-sim[fast])")


def both(monkeypatch, fn):
    """``fn()`` with the numpy kernels, then with the numba ones."""
    out = []
    for name in kernels.BACKENDS:
        monkeypatch.setenv(kernels.KERNELS_ENV, name)
        assert kernels.backend() == name
        out.append(fn())
    return out


@needs_numba
@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_numba_runs_equal_numpy_runs(monkeypatch, name):
    tasks = sample(scenario_tasks(load_scenario(shipped_scenarios()[name])))
    reference, compiled = both(monkeypatch, lambda: [run_task(t)[1] for t in tasks])
    for a, b in zip(reference, compiled, strict=True):
        assert_same(a, b)


@needs_numba
def test_numba_equals_numpy_with_every_strategy_and_a_large_world(monkeypatch):
    worlds = [Params.from_overrides({"services.count": 3, "services.therapists_per_service": 6,
                                     "simulation.horizon_months": 36,
                                     f"strategies.{name}.enabled": True})
              for name in strategy_names()]
    worlds.append(Params.from_overrides({"services.count": 60, "services.therapists_per_service":
                                         17, "simulation.horizon_months": 24}))
    reference, compiled = both(monkeypatch, lambda: [run_one(p, 7, keep_events=True)
                                                     for p in worlds])
    for a, b in zip(reference, compiled, strict=True):
        assert_same(a, b)


def random_routing(seed: int):
    rng = np.random.default_rng(seed)
    n_services, per_service = int(rng.integers(1, 6)), int(rng.integers(1, 12))
    n = n_services * per_service
    families = int(rng.integers(0, 40))
    caseload = rng.integers(0, 4, n)
    max_caseload = rng.integers(1, 5, n)
    return dict(
        family_service=np.sort(rng.integers(0, n_services, families)),
        draws=rng.random((families, 3)), per_service=per_service,
        routed_share=rng.random(n_services) * (rng.random() < 0.7),
        has_room=(caseload < max_caseload) & (rng.random(n) < 0.8),
        intake_weight=1.0 + rng.random(n) * (rng.random(n) < 0.5),
        take_log_odds=rng.normal(0.0, 2.0, n), caseload=caseload, max_caseload=max_caseload,
        caseload_weight=float(rng.random()))


@pytest.mark.parametrize("seed", range(40))
def test_routing_wrapper_equals_the_list_reference(monkeypatch, seed):
    """Whatever the backend, the array wrapper returns what routing.route_families returns,
    and leaves its inputs unchanged."""
    args = random_routing(seed)
    expected = reference_route(
        args["family_service"].tolist(), args["draws"].tolist(), per_service=args["per_service"],
        routed_share=args["routed_share"].tolist(), has_room=args["has_room"].tolist(),
        intake_weight=args["intake_weight"].tolist(), take_log_odds=args["take_log_odds"].tolist(),
        caseload=args["caseload"].tolist(), max_caseload=args["max_caseload"].tolist(),
        caseload_weight=args["caseload_weight"])
    names = ["numpy", "numba"] if kernels.numba_available() else ["numpy"]
    for name in names:
        monkeypatch.setenv(kernels.KERNELS_ENV, name)
        before = {k: np.copy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
        families, posts = kernels.route_families(**args)
        assert list(zip(families.tolist(), posts.tolist(), strict=True)) == expected, name
        for key, value in before.items():
            assert np.array_equal(args[key], value), (name, key)


def test_a_bad_backend_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv(kernels.KERNELS_ENV, "cuda")
    with pytest.raises(kernels.KernelError, match="IMPL_SIM_KERNELS='cuda' is not allowed; "
                                                  "expected one of auto, numpy, numba"):
        kernels.backend()


def test_auto_picks_numba_only_when_installed(monkeypatch):
    monkeypatch.delenv(kernels.KERNELS_ENV, raising=False)
    assert kernels.backend() == ("numba" if kernels.numba_available() else "numpy")


def test_numba_requested_without_numba_is_refused(monkeypatch):
    monkeypatch.setattr(kernels, "numba_available", lambda: False)
    kernels._resolve.cache_clear()
    monkeypatch.setenv(kernels.KERNELS_ENV, "numba")
    try:
        with pytest.raises(kernels.KernelError, match="numba is not installed"):
            kernels.backend()
    finally:
        kernels._resolve.cache_clear()


def random_learning_month(seed: int):
    """A pool with random attributes and the inputs of one month's learning (some optional
    inputs absent), as ``kernels.learn_from_practice`` takes them."""
    from impl_sim.model.therapist import TherapistPool

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    pool = TherapistPool(n, n)
    for name in ("competence", "readiness", "motivation", "motivation_baseline"):
        getattr(pool, name)[:] = rng.random(n)
    pool.completed_training[:] = rng.random(n) < 0.5
    caseload = rng.integers(0, 4, n) * (rng.random(n) < 0.6)
    supervised = (rng.random(n) < 0.4) & (rng.random() < 0.7)
    in_training = rng.random(n) < 0.5
    args = dict(
        caseload=caseload, practising=caseload > 0, supervised=supervised,
        in_training=in_training,
        gathering=in_training & (rng.random(n) < 0.5) if rng.random() < 0.6 else None,
        able=rng.random(n) < 0.8, follow_draws=rng.random(n), follow_up=rng.random(n),
        improved_n=rng.integers(0, 3, n) if rng.random() < 0.5 else None,
        dropped_n=None, buffer=None)
    if rng.random() < 0.5:
        args.update(dropped_n=rng.integers(0, 3, n), buffer=rng.random(n))
    return pool, args


@needs_numba
@pytest.mark.parametrize("seed", range(30))
def test_compiled_learning_equals_the_reference(monkeypatch, seed):
    """One month's learning: the numba loop gives the reference's competence, readiness,
    motivation and value fit bit for bit, whichever optional inputs are present."""
    params = Params.from_overrides({"learning.competence_decay": 0.05})

    def run():
        pool, args = random_learning_month(seed)
        kernels.learn_from_practice(pool, params, **args)
        return pool._personal.copy()

    results = both(monkeypatch, run)
    assert results[0].tobytes() == results[1].tobytes()


@needs_numba
@pytest.mark.parametrize("seed", range(20))
def test_compiled_drift_and_fidelity_equal_the_reference(monkeypatch, seed):
    """Drift and fidelity: the numba loop gives the reference's numbers bit for bit, with
    nobody, some or everyone watched."""
    from impl_sim.model.therapist import TherapistPool

    params = Params.from_overrides({"training.programme_flexibility": 0.7})

    def run():
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 30))
        pool = TherapistPool(n, n)
        for attribute in ("drift", "competence", "autonomy_preference"):
            getattr(pool, attribute)[:] = rng.random(n)
        watched = rng.random(n) < (seed % 3) / 2  # nobody, about half, everyone
        kernels.drift_and_fidelity(pool, params, watched)
        return pool._personal.copy()

    results = both(monkeypatch, run)
    assert results[0].tobytes() == results[1].tobytes()


@needs_numba
@pytest.mark.parametrize("seed", range(20))
def test_compiled_post_training_states_equal_the_reference(monkeypatch, seed):
    """The post-training state machine: the numba loop moves every post to the reference's
    state, from every state, with and without cases, idle or not."""
    from impl_sim.model.states import State
    from impl_sim.model.therapist import TherapistPool

    params = Params()

    def run():
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 40))
        pool = TherapistPool(n, n)
        pool.state[:] = rng.integers(0, len(State) - 1, n)
        pool.cpp_caseload[:] = rng.integers(0, 3, n) * (rng.random(n) < 0.5)
        pool.last_active_month[:] = rng.integers(-5, 30, n)
        pool.training_end_month[:] = rng.integers(-5, 30, n)
        engaged = np.where(rng.random(n) < 0.3, rng.integers(-5, 40, n), -10_000)
        kernels.post_training_states(pool, int(rng.integers(0, 40)), params, engaged)
        return pool.state.copy()

    results = both(monkeypatch, run)
    assert np.array_equal(results[0], results[1])


@needs_numba
@pytest.mark.parametrize("seed", range(20))
def test_compiled_decision_from_the_services_equals_the_reference(monkeypatch, seed):
    """The decision's log-odds from the services' conditions: numba gives the reference's
    numbers bit for bit (agenda path on and off, trainees, protected time or none)."""
    from impl_sim.model.therapist import TherapistPool

    rng = np.random.default_rng(seed)
    params = Params.from_overrides({"mechanisms.leader_agenda": bool(seed % 2)})
    n_services, per_service = int(rng.integers(1, 5)), int(rng.integers(1, 10))
    n = n_services * per_service
    pool = TherapistPool(n, per_service)
    for name in ("motivation", "readiness", "competence", "structure_fit", "self_leadership"):
        getattr(pool, name)[:] = rng.random(n)
    pool.state[:] = rng.integers(0, 6, n)
    pool.cpp_caseload[:] = rng.integers(0, 3, n)
    pool.training_cases[:] = rng.integers(0, 4, n)
    conditions = dict(
        protected_hours=rng.random(n_services) * 3 * (rng.random(n_services) < 0.5),
        free_hours=rng.random(n_services) * 4, agenda=rng.random(n_services),
        climate=rng.random(n_services), peer_norm=rng.random(n),
        consultation=rng.random(n) * 1.5, in_training=pool.state == 1,
        able=rng.random(n) < 0.7)

    def run():
        return kernels.decision_log_odds(pool, params, **conditions)

    results = both(monkeypatch, run)
    assert results[0].tobytes() == results[1].tobytes()


@needs_numba
@pytest.mark.parametrize("seed", range(20))
def test_compiled_hire_equals_the_reference(monkeypatch, seed):
    """Hiring: the numba loop writes every table of the hired posts as the reference does
    (drawn attributes clipped, the rest afresh, the nominations)."""
    from impl_sim.model.therapist import TherapistPool

    params = Params()

    def run():
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 30))
        pool = TherapistPool(n, n)
        pool._personal[:] = rng.random(pool._personal.shape)
        pool._counts[:] = rng.integers(0, 5, pool._counts.shape)
        pool._months[:] = rng.integers(-3, 30, pool._months.shape)
        pool._flags[:] = rng.random(pool._flags.shape) < 0.5
        slots = np.flatnonzero(rng.random(n) < 0.5)
        pool.hire(slots, params, rng, int(rng.integers(0, 40)), 100,
                  nominate=rng.random(len(slots)) < 0.7)
        return [t.copy() for t in (pool._personal, pool._counts, pool._months,
                                   pool._flags, pool.person_id, pool.hired_month,
                                   pool.state)]

    tables = both(monkeypatch, run)
    for a, b in zip(*tables, strict=True):
        assert a.tobytes() == b.tobytes()


@needs_numba
@pytest.mark.parametrize("seed", range(20))
def test_compiled_case_starts_equal_the_reference(monkeypatch, seed):
    """Opening the month's cases: numba writes the case records and books the posts as the
    reference does (several cases per post, with and without trainees, the records growing)."""
    from impl_sim.model.cases import CaseBook, draw_referrals
    from impl_sim.model.therapist import TherapistPool

    params = Params()

    def run():
        rng = np.random.default_rng(seed)
        n = int(rng.integers(1, 20))
        pool = TherapistPool(n, n)
        pool.first_case_month[:] = np.where(rng.random(n) < 0.5, -10_000, 3)
        book = CaseBook(capacity=2)
        for month in range(3):
            referrals = draw_referrals(rng, params, np.full(2, 4.0))
            k = int(rng.integers(0, len(referrals) + 1))
            families = np.sort(rng.choice(len(referrals), k, replace=False))
            slots = rng.integers(0, n, k)
            trainees = (rng.random(n) < 0.5) if rng.random() < 0.5 else None
            kernels.start_cases(book, pool, referrals, families, slots, month, trainees)
        return [a.copy() for a in (
            book.slot, book.service, book.start_month, book.planned_months, book.barrier,
            book.resistance, book.improve_draw, book.status, book.active, pool._counts,
            pool._months)] + [book.size]

    states = both(monkeypatch, run)
    assert states[0][-1] == states[1][-1]
    for a, b in zip(states[0][:-1], states[1][:-1], strict=True):
        assert a.tobytes() == b.tobytes()


@needs_numba
@pytest.mark.parametrize("seed", range(12))
def test_compiled_consultation_and_masks_equal_the_reference(monkeypatch, seed):
    """Consultation and the month's masks: numba gives the reference's arrays bit for bit,
    with and without booster sessions."""
    from impl_sim.model.states import State
    from impl_sim.model.therapist import TherapistPool

    rng = np.random.default_rng(seed)
    params = Params()
    n = int(rng.integers(1, 40))
    pool = TherapistPool(n, n)
    pool.state[:] = rng.integers(0, len(State) - 1, n)
    booster = rng.random(n) * 2 * (rng.random(n) < 0.7) if seed % 2 else None

    def run():
        return kernels.consultation_and_masks(pool, params, booster)

    results = both(monkeypatch, run)
    for a, b in zip(*results, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
