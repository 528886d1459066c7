"""Executors: one interface (``map_unordered``) for serial, local processes and dask.

The same scenario runs on a laptop (``processes``) or a cluster (``dask`` with a scheduler
address, e.g. one started by dask-jobqueue or on Kubernetes) with no code change. Results do not
depend on the executor: every task carries its own seed and the store sorts by task id.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

EXECUTORS = ("serial", "processes", "dask")


class SerialExecutor:
    """Runs everything in this process, in order."""

    name = "serial"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            yield fn(item)


class ProcessExecutor:
    """Local worker processes (``forkserver`` on Linux: safe with threads, cheap to start)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._context = mp.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload(["impl_sim.experiment.runner"])
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        assert self._pool is not None, "use the executor as a context manager"
        queue = list(items)
        running: set[Any] = set()
        limit = self.workers * 2  # keep workers busy without queueing everything
        while queue or running:
            while queue and len(running) < limit:
                running.add(self._pool.submit(fn, queue.pop(0)))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


class DaskExecutor:
    """dask.distributed: a LocalCluster by default, or any scheduler ``address``."""

    name = "dask"

    def __init__(self, workers: int, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address or os.environ.get("IMPL_SIM_DASK_ADDRESS")
        self._client = None
        self._cluster = None

    def __enter__(self) -> DaskExecutor:
        from dask.distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address)
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                dashboard_address=None, host="127.0.0.1")
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed

        assert self._client is not None, "use the executor as a context manager"
        futures = self._client.map(fn, list(items), pure=False)
        for future in as_completed(futures):
            yield future.result()
            future.release()


def make_executor(kind: str | None = None, *, workers: int = 1,
                  dask_address: str | None = None):
    """Build an executor by name; ``None`` picks serial for 1 worker, processes otherwise."""
    if kind is None:
        kind = "dask" if dask_address else ("serial" if workers <= 1 else "processes")
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, dask_address)
    raise ValueError(f"unknown executor {kind!r}; expected one of {', '.join(EXECUTORS)}")
