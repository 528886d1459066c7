"""Executors: one interface for serial, local processes and dask.

Every executor is a context manager with ``map_unordered(fn, items)`` (yields ``fn(item)`` in
completion order) and ``describe()`` (what ran, for the manifest). The same scenario runs on a
laptop (``processes``) or a cluster (``dask`` with a scheduler address, e.g. one started by
dask-jobqueue or on Kubernetes) with no code change. Results do not depend on the executor:
every task carries its own seed and the store sorts by task id.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Protocol

EXECUTORS = ("serial", "processes", "dask")
DASK_ADDRESS_ENV = "IMPL_SIM_DASK_ADDRESS"


class Executor(Protocol):
    """What the runner needs from an executor."""

    name: str

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]: ...

    def describe(self) -> dict[str, Any]: ...


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

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": 1}


def _worker_setup(parent_pid: int) -> None:
    """Worker initializer. Ctrl-C is the parent's to handle (it stops cleanly and keeps what
    finished), so workers ignore it; and a worker exits when the parent dies (e.g. SIGKILL),
    which ProcessPoolExecutor's workers would otherwise not notice, idling forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    while _process_alive(parent_pid):
        time.sleep(interval)
    os._exit(1)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed parent not yet reaped is a zombie: as good as gone
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class ProcessExecutor:
    """Local worker processes (``forkserver`` on Linux: safe with threads, cheap to start)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._context = mp.get_context(method)
        if method == "forkserver":
            # Import the model once in the server, not in every forked worker.
            self._context.set_forkserver_preload(["impl_sim.experiment.runner"])
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context,
                                         initializer=_worker_setup, initargs=(os.getpid(),))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        if self._pool is None:
            raise RuntimeError("use the executor as a context manager")
        queue = iter(items)
        running: set[Future[Any]] = set()
        limit = self.workers * 2  # keep workers busy without holding every item in the queue
        while True:
            for item in queue:
                running.add(self._pool.submit(fn, item))
                if len(running) >= limit:
                    break
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers,
                "start_method": self._context.get_start_method()}


class DaskExecutor:
    """dask.distributed: a LocalCluster on 127.0.0.1 by default (no dashboard), or any
    scheduler ``address`` (argument, else the ``IMPL_SIM_DASK_ADDRESS`` environment variable).

    With an address the cluster decides the number of workers; they need impl-sim installed
    (same version) and read nothing from this machine's disk: results come back to this
    process, which alone writes the store.
    """

    name = "dask"

    def __init__(self, workers: int, address: str | None = None) -> None:
        self.workers = max(1, workers)
        self.address = address or os.environ.get(DASK_ADDRESS_ENV) or None
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        from dask.distributed import Client, LocalCluster

        if self.address:
            self._client = Client(self.address, timeout="30s")
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                dashboard_address=None, host="127.0.0.1", silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import as_completed

        if self._client is None:
            raise RuntimeError("use the executor as a context manager")
        futures = self._client.map(fn, list(items), pure=False)
        try:
            for future in as_completed(futures):
                yield future.result()
                future.release()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": None if self.address else self.workers,
                "address": self.address or "LocalCluster(127.0.0.1)"}


def make_executor(kind: str | None = None, *, workers: int = 1,
                  dask_address: str | None = None) -> Executor:
    """Build an executor by name; ``None`` picks dask when an address is given, else serial for
    one worker and processes for more."""
    if kind is None:
        kind = "dask" if dask_address else ("serial" if workers <= 1 else "processes")
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, dask_address)
    raise ValueError(f"unknown executor {kind!r}; expected one of {', '.join(EXECUTORS)}")
