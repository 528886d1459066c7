"""Each worker process computes on one BLAS thread (threads pinned with threadpoolctl)."""

from __future__ import annotations

import numpy  # noqa: F401  (loads the BLAS whose pool is pinned)

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
