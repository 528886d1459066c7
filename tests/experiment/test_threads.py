"""Each worker process computes on one BLAS thread (threads pinned with threadpoolctl)."""

from __future__ import annotations

import numpy  # noqa: F401  (loads the BLAS whose pool is pinned)
from identity import assert_same

from impl_sim.experiment.executors import ProcessExecutor
from impl_sim.experiment.threads import blas_threads, pin_threads


def test_a_worker_process_reports_one_blas_thread() -> None:
    with ProcessExecutor(2) as executor:
        counts = list(executor.map_unordered(blas_threads, [0, 1, 2, 3]))
    assert counts == [1, 1, 1, 1]


def test_pin_threads_sets_the_limit_in_this_process() -> None:
    pin_threads(2)
    assert blas_threads() <= 2
    pin_threads(1)
    assert blas_threads() == 1


def test_every_dask_worker_reports_one_blas_and_one_numba_thread() -> None:
    from impl_sim.experiment.executors import DaskExecutor
    from impl_sim.experiment.threads import numba_threads

    # dask's nanny already sets OMP/OpenBLAS threads to 1 in a LocalCluster's workers; numba's
    # count is what only the plugin sets (None without it)
    with DaskExecutor(2) as executor:
        blas = list(executor.map_unordered(blas_threads, [0, 1, 2, 3]))
        numba = list(executor.map_unordered(numba_threads, [0, 1, 2, 3]))
    assert blas == [1, 1, 1, 1]
    assert numba == [1, 1, 1, 1]


def test_a_worker_process_pins_numba_too() -> None:
    from impl_sim.experiment.threads import numba_threads

    with ProcessExecutor(2) as executor:
        assert list(executor.map_unordered(numba_threads, [0, 1])) == [1, 1]


def test_a_run_does_not_depend_on_the_callers_blas_threads() -> None:
    """A national-size run (long dot products, which a threaded BLAS sums in pieces) gives the
    same bits whether the caller allows one BLAS thread or two (runs pin to one themselves)."""
    from threadpoolctl import threadpool_limits

    from impl_sim import Params, run_one

    params = Params.from_overrides({"services.count": 600, "services.therapists_per_service": 17,
                                    "simulation.horizon_months": 12})
    with threadpool_limits(limits=2):
        threaded = run_one(params, 1)
    with threadpool_limits(limits=1):
        pinned = run_one(params, 1)
    assert_same(threaded, pinned)
