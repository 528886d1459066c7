"""One compute thread per process: BLAS (OpenBLAS/MKL), OpenMP and numba pools pinned to 1.

The model does many short vector operations; a multi-threaded BLAS spends far more time waking
its threads than computing (a 10,000-element dot product measured ~7 ms threaded vs ~4 µs on one
thread), and N workers each starting 2 BLAS threads oversubscribe a 2-core machine. Every worker
process (local processes: the pool's initializer; dask: the worker plugin of ``dask_plugin.py``)
and the ``run`` command therefore call :func:`pin_threads` once. numba's own thread pool (used
only by parallel kernels; impl-sim's are serial) is pinned too: through ``NUMBA_NUM_THREADS``
before numba is imported, or ``numba.set_num_threads`` after.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from threadpoolctl import ThreadpoolController, threadpool_info, threadpool_limits

NUMBA_THREADS_ENV = "NUMBA_NUM_THREADS"
_LIMITS: Any = None  # keeps the limit object alive for the life of the process
_CONTROLLER: ThreadpoolController | None = None  # made on first use (libraries loaded by then)


def pin_threads(threads: int = 1) -> None:
    """Limit every loaded BLAS/OpenMP thread pool of this process, and numba's, to
    ``threads`` threads."""
    global _LIMITS
    _LIMITS = threadpool_limits(limits=threads)
    numba = sys.modules.get("numba")
    if numba is None:
        os.environ[NUMBA_THREADS_ENV] = str(threads)  # read when numba is first imported
    else:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


def blas_threads(_item: object = None) -> int:
    """Largest thread count among this process's loaded BLAS pools (1 when none is loaded).

    ``_item`` is ignored, so that an executor can map this over items to ask its workers."""
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts, default=1)


def numba_threads(_item: object = None) -> int | None:
    """numba's thread count in this process: the running value once numba is imported, else
    what ``NUMBA_NUM_THREADS`` will give it (``None``: unset, numba would use every core)."""
    numba = sys.modules.get("numba")
    if numba is not None:
        return int(numba.get_num_threads())
    value = os.environ.get(NUMBA_THREADS_ENV)
    return int(value) if value and value.isdigit() else None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """This process's BLAS/OpenMP pools limited to one thread for the duration (restored after).

    Every run is computed inside it (``runner.run_one``, ``run_stack``): a multi-threaded BLAS
    splits a long dot product between threads and sums the pieces in another order, so a
    national-size run's last bits depended on the caller's thread settings (a serial sweep in
    an unpinned process vs pinned workers). Costs a few µs per run (one cached controller).
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    with _CONTROLLER.limit(limits=1):
        yield
