"""One compute thread per process: BLAS (OpenBLAS/MKL) and OpenMP pools pinned to 1.

The model does many short vector operations; a multi-threaded BLAS spends far more time waking
its threads than computing (a 10,000-element dot product measured ~7 ms threaded vs ~4 µs on one
thread), and N workers each starting 2 BLAS threads oversubscribe a 2-core machine. Every worker
process and the ``run`` command therefore call :func:`pin_threads` once.
"""

from __future__ import annotations

from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

_LIMITS: Any = None  # keeps the limit object alive for the life of the process


def pin_threads(threads: int = 1) -> None:
    """Limit every loaded BLAS/OpenMP thread pool of this process to ``threads`` threads."""
    global _LIMITS
    _LIMITS = threadpool_limits(limits=threads)


def blas_threads(_item: object = None) -> int:
    """Largest thread count among this process's loaded BLAS pools (1 when none is loaded).

    ``_item`` is ignored, so that an executor can map this over items to ask its workers."""
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts, default=1)
