"""Executors: one interface for serial, local processes and dask.

Every executor is a context manager with ``map_unordered(fn, items)`` (yields ``fn(item)`` in
completion order) and ``describe()`` (what ran, for the manifest). Losing the workers (a
killed worker process, a lost dask scheduler, no dask workers at all) raises
:class:`ExecutorLost`, whose one-line message says that a rerun resumes. Local worker processes
are replaced after :data:`TASKS_PER_WORKER` tasks so that memory stays bounded however long
the sweep. The same scenario runs on a
laptop (``processes``) or a cluster (``dask`` with a scheduler address, e.g. one started by
dask-jobqueue or on Kubernetes) with no code change. Results do not depend on the executor:
every task carries its own seed and the store sorts by task id.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Protocol

from impl_sim.experiment.threads import pin_threads

EXECUTORS = ("serial", "processes", "dask")
DASK_ADDRESS_ENV = "IMPL_SIM_DASK_ADDRESS"
DASK_WORKER_WAIT_ENV = "IMPL_SIM_DASK_WORKER_WAIT"
DASK_WORKER_WAIT_SECONDS = 120.0  # how long a sweep waits for a scheduler's first worker
TASKS_PER_WORKER = 200  # chunks a local worker process runs before it is replaced
RESUME_HINT = "the runs finished so far are saved — rerun the same command to resume"


class ExecutorLost(RuntimeError):
    """The workers went away (killed, out of memory, scheduler lost) or never came."""


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
    pin_threads(1)
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

    def __init__(self, workers: int, tasks_per_worker: int = TASKS_PER_WORKER) -> None:
        self.workers = max(1, workers)
        self.tasks_per_worker = tasks_per_worker
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._context = mp.get_context(method)
        if method == "forkserver":
            # Import the model once in the server, not in every forked worker.
            self._context.set_forkserver_preload(["impl_sim.experiment.runner"])
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context,
                                         initializer=_worker_setup, initargs=(os.getpid(),),
                                         max_tasks_per_child=self.tasks_per_worker)
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
                try:
                    running.add(self._pool.submit(fn, item))
                except BrokenProcessPool:  # broken between two results
                    raise ExecutorLost("a worker process died (killed, or out of memory?); "
                                       + RESUME_HINT) from None
                if len(running) >= limit:
                    break
            if not running:
                return
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise ExecutorLost("a worker process died (killed, or out of memory?); "
                                       + RESUME_HINT) from None
                yield result

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers,
                "start_method": self._context.get_start_method(),
                "tasks_per_worker": self.tasks_per_worker}


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
            try:
                self._client = Client(self.address, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise ExecutorLost(f"cannot reach the dask scheduler at {self.address} "
                                   f"({_reason(exc)}); check the address and rerun — nothing "
                                   "ran yet") from None
            self._wait_for_workers()
        else:
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                dashboard_address=None, host="127.0.0.1", silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        self._pin_worker_threads()
        return self

    def _pin_worker_threads(self) -> None:
        """One BLAS/numba thread per dask worker, like the local worker processes: a plugin
        runs :func:`pin_threads` in every worker, now and in those that join later."""
        from impl_sim.experiment.dask_plugin import PinThreads

        try:
            self._client.register_plugin(PinThreads())
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise ExecutorLost(f"lost the dask scheduler at {self.address or 'LocalCluster'} "
                               f"while setting up its workers ({_reason(exc)}); rerun the "
                               "same command") from None

    def _wait_for_workers(self) -> None:
        """Warn when the scheduler has no workers yet; wait a bounded time for the first."""
        if self._client.scheduler_info().get("workers"):
            return
        seconds = float(os.environ.get(DASK_WORKER_WAIT_ENV) or DASK_WORKER_WAIT_SECONDS)
        warnings.warn(f"the dask scheduler at {self.address} has no workers yet; waiting up to "
                      f"{seconds:g} s for one (set {DASK_WORKER_WAIT_ENV} to change)",
                      stacklevel=3)
        try:
            self._client.wait_for_workers(1, timeout=seconds)
        except (TimeoutError, OSError):
            self.__exit__()
            raise ExecutorLost(f"no dask worker joined the scheduler at {self.address} within "
                               f"{seconds:g} s; start workers (`dask worker {self.address}`) "
                               "and rerun the same command") from None

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
                try:
                    result = future.result()
                except (OSError, TimeoutError, CancelledError) as exc:
                    _silence_dask_logs()  # a lost scheduler is reported once, here
                    raise ExecutorLost(f"lost the dask scheduler at "
                                       f"{self.address or 'LocalCluster'} "
                                       f"({type(exc).__name__}); " + RESUME_HINT) from None
                yield result
                future.release()
        finally:
            with contextlib.suppress(Exception):  # the scheduler may be gone: nothing to cancel
                self._client.cancel([f for f in futures if not f.done()])

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": None if self.address else self.workers,
                "address": self.address or "LocalCluster(127.0.0.1)"}


def _silence_dask_logs() -> None:
    """Stop distributed's loggers (each has its own level) from printing tracebacks about a
    scheduler that is already reported lost; ``--debug`` shows the traceback instead."""
    for name in [n for n in logging.root.manager.loggerDict if n.startswith("distributed")]:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    logging.getLogger("distributed").setLevel(logging.CRITICAL + 1)


def _reason(exc: BaseException) -> str:
    from impl_sim.textsafe import excerpt

    return excerpt(str(exc) or type(exc).__name__, 100).strip("'\"")


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
