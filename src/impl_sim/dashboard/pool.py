"""One worker pool for the whole dashboard server, shared fairly by every browser session.

A class of thirty asks thirty what-ifs at once. Rather than one thread per session competing
for two cores, every session's runs go to one :class:`SharedPool`: worker processes started
once (at the first ensemble) and reused until the server stops. The pool

* **queues fairly**: each session has at most one ensemble waiting (a new Run cancels the
  old); the session with the *fewest runs left* goes next (ties: who asked first), so a
  student asking 200 futures cannot hold up twenty-nine asking 20 — and equal requests are
  served in arrival order, which keeps the median wait at about half the total;
* **shares identical runs**: a run already waiting or running for another session (the same
  parameters, seed and replication — e.g. everybody's unchanged A) is computed once and
  delivered to all who asked; finished runs come from the dashboard's memory cache;
* **says where you are**: :meth:`SharedPool.position` gives the runs ahead of a session and
  an estimate of the wait, which the page shows ("your run starts in about 20 s").

It plugs into the one run loop (contract C3) as an executor: ``run_tasks(tasks,
executor=pool.executor(session_key), cache=...)``. Results never depend on it: each task
carries its seed.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from impl_sim.experiment.executors import ProcessExecutor
from impl_sim.experiment.runner import MemoryCache, RunResult, Task, run_chunk

WORKERS_ENV = "IMPL_SIM_DASHBOARD_WORKERS"
IN_FLIGHT_PER_WORKER = 2  # keeps workers busy while leaving the queue's order in charge
DEFAULT_RUN_SECONDS = 0.1  # wait estimate before any run has been timed


@dataclass
class _Run:
    """One distinct run (by cache key) and everyone waiting for it."""

    task: Task
    listeners: list[tuple[_Request, Task]] = field(default_factory=list)
    started: bool = False


@dataclass
class _Request:
    """One session's ensemble (one ``map_unordered`` call) while it is in the pool."""

    session: str
    order: int
    results: queue.Queue = field(default_factory=queue.Queue)
    queued: list[tuple] = field(default_factory=list)  # keys this request owns, not started
    waiting: int = 0  # results still to come (read by the consumer)
    left: int = 0  # results still to come (updated by the pool, under its lock)


class SharedPool:
    """Worker processes shared by all sessions, with fair queueing and shared runs."""

    def __init__(self, workers: int | None = None, cache: MemoryCache | None = None) -> None:
        self.workers = workers or default_workers()
        self.cache = cache  # every finished run goes here too (even if its asker left)
        self._executor: ProcessExecutor | None = None
        self._lock = threading.Lock()
        self._runs: dict[tuple, _Run] = {}  # waiting or running, by cache key
        self._requests: list[_Request] = []  # with runs still queued
        self._in_flight = 0
        self._order = itertools.count()
        self._run_seconds = DEFAULT_RUN_SECONDS  # moving average of one run's wall time

    # -- the executor interface of run_tasks -------------------------------------------------

    def executor(self, session: str) -> SessionExecutor:
        """An executor for :func:`~impl_sim.experiment.runner.run_tasks` on behalf of
        ``session`` (any string that identifies the browser session)."""
        return SessionExecutor(self, session)

    def run(self, session: str, tasks: Iterable[Task]) -> Iterator[list[tuple[Task, RunResult]]]:
        """Queue ``tasks`` for ``session``; yield batches of ``(task, result)`` as they finish.

        Closing the generator early (a cancelled ensemble) withdraws the runs not yet started.
        """
        request = self._submit(session, list(tasks))
        try:
            while request.waiting:
                item = request.results.get()
                request.waiting -= 1
                if isinstance(item, BaseException):
                    raise item
                yield [item]
        finally:
            self._withdraw(request)

    # -- where a session stands --------------------------------------------------------------

    def position(self, session: str) -> tuple[int, float]:
        """(runs ahead of this session's next run, estimated seconds until it starts)."""
        with self._lock:
            mine = next((r for r in self._requests if r.session == session), None)
            if mine is None:
                return 0, 0.0
            ahead = self._in_flight + sum(len(r.queued) for r in self._requests
                                          if r is not mine and self._rank(r) < self._rank(mine))
            return ahead, ahead * self._run_seconds / self.workers

    def shutdown(self) -> None:
        """Stop the workers (the server's exit; the next ensemble would start new ones)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.__exit__(None, None, None)

    # -- inside --------------------------------------------------------------------------------

    @staticmethod
    def _rank(request: _Request) -> tuple[int, int]:
        """Fewest results still to come first (shared runs count for everyone waiting on
        them, so a run many sessions share is not left to the end); then who asked first."""
        return request.left, request.order

    def _submit(self, session: str, tasks: list[Task]) -> _Request:
        request = _Request(session, next(self._order))
        with self._lock:
            for task in tasks:
                key = MemoryCache.key(task)
                run = self._runs.get(key)
                if run is None:
                    run = self._runs[key] = _Run(task)
                    request.queued.append(key)
                run.listeners.append((request, task))
                request.waiting += 1
                request.left += 1
            if request.queued:
                self._requests.append(request)
        self._dispatch()
        return request

    def _withdraw(self, request: _Request) -> None:
        """Take a finished or cancelled request out; hand its shared runs to others."""
        with self._lock:
            for key in request.queued:
                run = self._runs.get(key)
                if run is None:
                    continue
                run.listeners = [(r, t) for r, t in run.listeners if r is not request]
                heir = run.listeners[0][0] if run.listeners else None
                if heir is None:
                    del self._runs[key]
                else:
                    heir.queued.append(key)
                    if heir not in self._requests:
                        self._requests.append(heir)
            request.queued.clear()
            for run in self._runs.values():
                run.listeners = [(r, t) for r, t in run.listeners if r is not request]
            if request in self._requests:
                self._requests.remove(request)
        self._dispatch()

    def _next_key(self) -> tuple | None:
        """The next run to start: from the request with the fewest runs left (then the
        oldest). Called with the lock held."""
        self._requests = [r for r in self._requests if r.queued]
        if not self._requests:
            return None
        request = min(self._requests, key=self._rank)
        return request.queued.pop(0)

    def _dispatch(self) -> None:
        to_start: list[_Run] = []
        with self._lock:
            limit = self.workers * IN_FLIGHT_PER_WORKER
            while self._in_flight < limit:
                key = self._next_key()
                if key is None:
                    break
                run = self._runs[key]
                run.started = True
                self._in_flight += 1
                to_start.append(run)
            executor = self._ensure_executor() if to_start else None
        for run in to_start:
            assert executor is not None and executor._pool is not None
            started = time.perf_counter()
            try:
                future = executor._pool.submit(run_chunk, [run.task])
            except BrokenProcessPool as exc:  # a worker died: fail this run, start afresh
                future = Future()
                future.set_exception(exc)
            future.add_done_callback(self._finisher(MemoryCache.key(run.task), started,
                                                    executor))

    def _forget_broken_executor(self, broken: ProcessExecutor) -> None:
        """After a worker died, the next run starts new workers (the dashboard keeps going)."""
        with self._lock:
            if self._executor is not broken:
                return  # already replaced
            self._executor = None
        if broken._pool is not None:
            broken._pool.shutdown(wait=False, cancel_futures=True)

    def _ensure_executor(self) -> ProcessExecutor:
        if self._executor is None:
            self._executor = ProcessExecutor(self.workers).__enter__()
        return self._executor

    def _finisher(self, key: tuple, started: float,
                  executor: ProcessExecutor) -> Callable[[Future], None]:
        def finished(future: Future) -> None:
            elapsed = time.perf_counter() - started
            with self._lock:
                self._in_flight -= 1
                run = self._runs.pop(key, None)
                # wall time of a run while the workers are full ≈ seconds per run per worker
                self._run_seconds = 0.8 * self._run_seconds + 0.2 * elapsed / IN_FLIGHT_PER_WORKER
            error = future.exception()
            if isinstance(error, BrokenProcessPool):
                self._forget_broken_executor(executor)
            if run is not None:
                result = None if error else future.result()[0][1]
                if result is not None and self.cache is not None:
                    self.cache.put([(run.task, result)])
                with self._lock:
                    for request, _ in run.listeners:
                        request.left -= 1
                for request, task in run.listeners:
                    request.results.put(error if error else (task, result))
            self._dispatch()

        return finished


class SessionExecutor:
    """The :class:`SharedPool` seen by one session, as an executor for ``run_tasks``."""

    name = "dashboard-pool"

    def __init__(self, pool: SharedPool, session: str) -> None:
        self.pool, self.session = pool, session

    def __enter__(self) -> SessionExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        """The pool outlives every session: nothing to stop."""

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        if fn is not run_chunk:
            raise ValueError("the dashboard pool runs simulation chunks only")
        tasks = [task for chunk in items for task in chunk]
        yield from self.pool.run(self.session, tasks)

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.pool.workers}


def default_workers() -> int:
    """Worker processes: ``$IMPL_SIM_DASHBOARD_WORKERS``, else one per core."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, os.cpu_count() or 1)


_SHARED: SharedPool | None = None
_SHARED_LOCK = threading.Lock()


def shared_pool(cache: MemoryCache | None = None) -> SharedPool:
    """The server's pool (created on first use, then reused by every session)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = SharedPool(cache=cache)
        return _SHARED
