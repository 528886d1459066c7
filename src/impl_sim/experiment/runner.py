"""Running the model: ``run_one`` (the unit of work), ``run_tasks`` (the one loop through which
everything that simulates runs: sweeps, validation, calibration, sensitivity, attribution and the
dashboard's ensembles), ``run_scenario`` (arms × design points × replications with common random
numbers, through an executor, into a results store) and ``sweep`` (the same from a file, with
the overrides the ``impl-sim sweep`` command offers).

Scripts that use more than one worker must guard their entry point with
``if __name__ == "__main__":`` — worker processes start fresh (forkserver/spawn) and re-import
the main module.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from impl_sim.defaults import DEFAULT_ENGINE, ENGINES
from impl_sim.experiment.threads import one_blas_thread
from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import OUTCOMES, summarise
from impl_sim.params import ParamError, Params
from impl_sim.scenario.design import design_points
from impl_sim.scenario.loader import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from impl_sim.experiment.executors import Executor
    from impl_sim.experiment.store import Results

ProgressCallback = Callable[[int, int], None]


def seed_for(scenario_seed: int, replication: int) -> np.random.SeedSequence:
    """The seed of replication ``r``: the same in every arm and design point (CRN)."""
    return np.random.SeedSequence(scenario_seed, spawn_key=(replication,))


@dataclass
class RunResult:
    """Everything one run produced. Plain data: picklable, cheap to send between processes."""

    summary: dict[str, float]
    series: dict[str, np.ndarray] | None
    params_digest: str
    seed: int
    replication: int
    costs: dict[str, float] = field(default_factory=dict)
    # the run's event log as columns (model/events.py), or None when outputs.events is off
    events: dict[str, np.ndarray] | None = None


def run_one(params: Params, seed: int = 0, replication: int = 0, *,
            keep_series: bool = True, keep_events: bool = False) -> RunResult:
    """Run one model to its horizon. Pure: same arguments ⇒ identical result.

    This is the reference path (``--engine per-run``); :func:`run_stack` gives the same
    results for many worlds at once."""
    return _run_world(params, seed, replication, keep_series, keep_events, params.digest())


def _run_world(params: Params, seed: int, replication: int, keep_series: bool,
               keep_events: bool, digest: str) -> RunResult:
    with one_blas_thread():  # the numbers must not depend on the caller's BLAS threads
        model = ImplementationModel(params, seed_for(seed, replication), events=keep_events)
        model.run_model()
        return RunResult(
            summary=summarise(model),
            series=model.series.as_dict() if keep_series else None,
            params_digest=digest, seed=seed, replication=replication,
            costs=dict(model.costs),
            events=model.events.columns(model) if keep_events else None,
        )


def run_stack(params_list: Sequence[Params], seeds: Sequence[int],
              replications: Sequence[int] | None = None, *, keep_series: bool = True,
              keep_events: bool = False) -> list[RunResult]:
    """Run a stack of worlds — world ``i`` is ``run_one(params_list[i], seeds[i],
    replications[i])`` — and return their results in the same order, equal byte for byte to
    those of :func:`run_one` (``tests/experiment/test_run_stack.py`` checks it).

    In this version the worlds of a stack run **one after another** through the per-run
    model; what the stack shares is the work around the runs (each distinct parameter set's
    digest is computed once). It is the interface the stacked engine (issue 16: one monthly
    step for every world of the stack, whole-array operations along a world axis) will fill
    without any change for its callers. ``replications`` defaults to 0 for every world.
    """
    n = len(params_list)
    reps = [0] * n if replications is None else list(replications)
    if len(seeds) != n or len(reps) != n:
        raise ValueError(f"run_stack: {n} parameter sets but {len(seeds)} seeds and "
                         f"{len(reps)} replications; give one of each per world")
    digests: dict[int, str] = {}
    results = []
    for params, seed, rep in zip(params_list, seeds, reps, strict=True):
        digest = digests.get(id(params))
        if digest is None:
            digest = digests[id(params)] = params.digest()
        results.append(_run_world(params, int(seed), int(rep), keep_series, keep_events,
                                  digest))
    return results


@dataclass(frozen=True)
class Task:
    """One run of a scenario: a design point × arm × replication."""

    task: int
    point: int
    arm: str
    replication: int
    overrides: dict[str, Any]
    seed: int
    keep_series: bool
    keep_events: bool = False


def scenario_tasks(scenario: Scenario) -> list[Task]:
    """Every run of a scenario in a fixed order (point, arm, replication).

    Every point × arm is validated here, before anything runs, so that a parameter combination
    the schema refuses stops the sweep at once instead of in a worker hours later.
    """
    tasks: list[Task] = []
    keep = bool(scenario.outputs.get("series", True))
    keep_events = bool(scenario.outputs.get("events", False))
    for point in design_points(scenario):
        for arm in scenario.arms:
            overrides = {**scenario.overrides_for(arm), **point.values}
            _check_point(scenario, arm, point.point, overrides)
            first = len(tasks)
            tasks.extend(Task(first + r, point.point, arm, r, overrides, scenario.seed, keep,
                              keep_events) for r in range(scenario.replications))
    return tasks


def _check_point(scenario: Scenario, arm: str, point: int, overrides: dict[str, Any]) -> None:
    try:
        Params.from_overrides(overrides)
    except ParamError as exc:
        raise ScenarioError(scenario.source, "design", f"design point {point} in arm '{arm}' "
                            f"is not a valid parameter set: {exc}") from None


def run_task(task: Task) -> tuple[Task, RunResult]:
    """Run one task (module level, so every executor can ship it): the per-run path."""
    params = Params.from_overrides(task.overrides)
    return task, run_one(params, task.seed, task.replication, keep_series=task.keep_series,
                         keep_events=task.keep_events)


def run_chunk(tasks: list[Task]) -> list[tuple[Task, RunResult]]:
    """Run a batch of tasks in one worker call as one stack of worlds (:func:`run_stack`):
    tasks with the same overrides (the replications of a point × arm) share one
    :class:`Params` and its digest. The default engine (``stacked``)."""
    params: dict[str, Params] = {}
    groups: dict[tuple[bool, bool], list[int]] = {}
    for i, task in enumerate(tasks):
        key = json.dumps(task.overrides, sort_keys=True, default=str)
        if key not in params:
            params[key] = Params.from_overrides(task.overrides)
        groups.setdefault((task.keep_series, task.keep_events), []).append(i)
    results: dict[int, RunResult] = {}
    for (keep_series, keep_events), members in groups.items():
        stack = [tasks[i] for i in members]
        keys = [json.dumps(t.overrides, sort_keys=True, default=str) for t in stack]
        for i, result in zip(members, run_stack(
                [params[k] for k in keys], [t.seed for t in stack],
                [t.replication for t in stack], keep_series=keep_series,
                keep_events=keep_events), strict=True):
            results[i] = result
    return [(task, results[i]) for i, task in enumerate(tasks)]


def run_chunk_per_run(tasks: list[Task]) -> list[tuple[Task, RunResult]]:
    """Run a batch of tasks one :func:`run_one` each (``--engine per-run``, the reference)."""
    return [run_task(t) for t in tasks]


CHUNK_RUNNERS: dict[str, Callable[[list[Task]], list[tuple[Task, RunResult]]]] = {
    "stacked": run_chunk, "per-run": run_chunk_per_run}


def chunk_runner(engine: str | None) -> Callable[[list[Task]], list[tuple[Task, RunResult]]]:
    """The worker function of an engine (``None``: :data:`~impl_sim.defaults.DEFAULT_ENGINE`)."""
    name = DEFAULT_ENGINE if engine is None else engine
    if name not in CHUNK_RUNNERS:
        raise ValueError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
    return CHUNK_RUNNERS[name]


# --- the one run loop -------------------------------------------------------------------------

Pairs = list[tuple[Task, RunResult]]


class TaskCache(Protocol):
    """Where finished runs go and what is already known: the results store (resumable sweeps),
    :class:`MemoryCache` (the dashboard) or a consumer that keeps only what it needs
    (validation). ``split`` returns the runs already known and the chunks still to run."""

    def split(self, tasks: list[Task]) -> tuple[Pairs, list[list[Task]]]: ...

    def put(self, pairs: Pairs) -> None: ...


class MemoryCache:
    """Runs memoised in memory on (parameter digest, seed, replication), least recently used
    forgotten first. ``run_one`` is pure, so a cached result *is* the result."""

    def __init__(self, size: int = 4000, chunk_size: int = 1) -> None:
        self.size, self.chunk_size = size, chunk_size
        self._runs: OrderedDict[tuple[str, int, int, bool, bool], RunResult] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(task: Task) -> tuple[str, int, int, bool, bool]:
        digest = Params.from_overrides(task.overrides).digest()
        return digest, task.seed, task.replication, task.keep_series, task.keep_events

    def get(self, task: Task) -> RunResult | None:
        """The stored run of ``task``, or ``None``."""
        key = self.key(task)
        with self._lock:
            hit = self._runs.get(key)
            if hit is not None:
                self._runs.move_to_end(key)
            return hit

    def split(self, tasks: list[Task]) -> tuple[Pairs, list[list[Task]]]:
        known: Pairs = []
        todo: list[Task] = []
        for task in tasks:
            hit = self.get(task)
            if hit is None:
                todo.append(task)
            else:
                known.append((task, hit))
        return known, chunked(todo, self.chunk_size)

    def put(self, pairs: Pairs) -> None:
        with self._lock:
            for task, result in pairs:
                self._runs[self.key(task)] = result
            while len(self._runs) > self.size:
                self._runs.popitem(last=False)

    def clear(self) -> None:
        """Forget every run."""
        with self._lock:
            self._runs.clear()

    def __len__(self) -> int:
        return len(self._runs)


def chunked(tasks: list[Task], size: int) -> list[list[Task]]:
    """``tasks`` in consecutive batches of ``size``."""
    size = max(1, size)
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def default_chunk_size(n_tasks: int, workers: int) -> int:
    """About eight batches per worker: few calls, yet balanced load and fine-grained progress."""
    return max(1, math.ceil(n_tasks / (max(workers, 1) * 8)))


_OPEN_EXECUTORS: set[int] = set()


@contextmanager
def executor_session(executor: Executor) -> Iterator[Executor]:
    """Enter ``executor`` unless it is already open, so that several :func:`run_tasks` calls
    (a calibration's generations) share one pool or dask cluster."""
    if id(executor) in _OPEN_EXECUTORS:
        yield executor
        return
    with executor:
        _OPEN_EXECUTORS.add(id(executor))
        try:
            yield executor
        finally:
            _OPEN_EXECUTORS.discard(id(executor))


def run_tasks(tasks: Iterable[Task], executor: Executor | None = None,
              cache: TaskCache | None = None, progress: ProgressCallback | None = None, *,
              keep: bool = True, on_start: Callable[[Executor], None] | None = None,
              engine: str | None = None) -> Pairs:
    """Run ``tasks`` — the single loop through which everything that simulates runs.

    ``executor`` (default: serial) runs batches of tasks; ``cache`` says which runs are already
    known and receives every finished batch (the results store writes it to disk, so an
    interrupted run resumes); ``progress(done, total)`` is called before the first and after
    every batch. Returns every ``(task, result)`` pair sorted by task id — known ones included —
    or, with ``keep=False``, nothing (a store keeps them on disk instead). ``on_start`` is
    called with the executor just before the first batch is sent (only when there is one).
    Results never depend on the executor, the number of workers or the ``engine``
    (``stacked``, the default of :data:`~impl_sim.defaults.DEFAULT_ENGINE`, or ``per-run``):
    each task carries its seed.
    """
    from impl_sim.experiment.executors import SerialExecutor

    worker = chunk_runner(engine)
    tasks = list(tasks)
    ex: Executor = executor if executor is not None else SerialExecutor()
    if cache is not None:
        known, pending = cache.split(tasks)
    else:
        known, pending = [], chunked(tasks, default_chunk_size(len(tasks), _workers(ex)))
    total = len(tasks)
    done = total - sum(len(chunk) for chunk in pending)
    pairs: Pairs = list(known) if keep else []
    if progress:
        progress(done, total)
    if pending:
        with executor_session(ex):
            if on_start:
                on_start(ex)
            for batch in ex.map_unordered(worker, pending):
                if cache is not None:
                    cache.put(batch)
                if keep:
                    pairs.extend(batch)
                done += len(batch)
                if progress:
                    progress(done, total)
    pairs.sort(key=lambda pair: pair[0].task)
    return pairs


def _workers(executor: Executor) -> int:
    workers = executor.describe().get("workers") if hasattr(executor, "describe") else 1
    return int(workers) if workers else 4  # a remote dask cluster: assume a few


def run_scenario(
    scenario: Scenario,
    *,
    out: str | Path | None = "results",
    workers: int = 1,
    executor: str | Executor | None = None,
    dask_address: str | None = None,
    progress: ProgressCallback | None = None,
    resume: bool = True,
    force_new: bool = False,
    wait: bool = False,
    engine: str | None = None,
) -> Results:
    """Run every task of ``scenario`` and return its :class:`~impl_sim.experiment.store.Results`.

    With ``out`` set, results go to ``out/<name>-<hash>/``; a run interrupted for any reason
    resumes where it stopped when called again (``resume=False`` starts afresh). With
    ``out=None`` they are kept in memory only. ``executor`` is ``serial``, ``processes`` or
    ``dask`` (default: serial for one worker, processes otherwise; dask when ``dask_address``
    is given), or an executor object. The tables do not depend on the executor or the number
    of workers, nor on ``engine`` (``stacked`` — the default,
    :data:`~impl_sim.defaults.DEFAULT_ENGINE` — or ``per-run``, the reference; see
    :func:`run_tasks`); the manifest's session records both.

    One writer per folder: a second call on a folder in use raises
    :class:`~impl_sim.experiment.lock.FolderBusy` (``wait=True`` waits instead). A folder that
    cannot be resumed safely raises :class:`~impl_sim.experiment.store.ResultsError`;
    ``force_new=True`` moves its contents aside first.
    """
    from impl_sim.experiment.store import ResultStore

    chunk_runner(engine)  # an unknown engine fails before the folder is touched
    ex = as_executor(executor, workers=workers, dask_address=dask_address)
    store = ResultStore.open(scenario, out, resume=resume, force_new=force_new, wait=wait)
    try:
        try:
            run_tasks(store.tasks, ex, cache=store, progress=progress, keep=False,
                      on_start=lambda e: store.begin_session(_session(e, engine)),
                      engine=engine)
        except BaseException:
            _finish_quietly(store)  # the first error is the one to report
            raise
        store.finish()
    finally:
        store.close()
    return store.load()


def _session(executor: Executor, engine: str | None) -> dict[str, Any]:
    """What runs this session, for the manifest: the executor, the engine and the kernels."""
    from impl_sim.model.kernels import backend

    return {**executor.describe(), "engine": engine or DEFAULT_ENGINE, "kernels": backend()}


def _finish_quietly(store: Any) -> None:
    with contextlib.suppress(OSError):
        store.finish()


def as_executor(executor: str | Executor | None, *, workers: int = 1,
                dask_address: str | None = None) -> Executor:
    """An executor object: ``executor`` itself, or one built by name (see ``make_executor``)."""
    from impl_sim.experiment.executors import make_executor

    if executor is None or isinstance(executor, str):
        return make_executor(executor, workers=workers, dask_address=dask_address)
    return executor


def sweep(scenario: Scenario | str | Path, *, samples: int | None = None,
          replications: int | None = None, **run_options: Any) -> Results:
    """Run a scenario file (or :class:`Scenario`) with its design, like ``impl-sim sweep``.

    ``samples`` and ``replications`` override the file's values (a changed scenario has a new
    hash, so its results go to a new directory); ``run_options`` are those of
    :func:`run_scenario` (``out``, ``workers``, ``executor``, ``dask_address``, ``progress``,
    ``resume``, ``engine``). Returns the :class:`Results`.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(
        scenario, outcome_names=OUTCOMES)
    sc = with_overrides(sc, samples=samples, replications=replications)
    return run_scenario(sc, **run_options)


def with_overrides(scenario: Scenario, *, samples: int | None = None,
                   replications: int | None = None) -> Scenario:
    """``scenario`` with another design sample size and/or replication count (re-validated)."""
    changes: dict[str, Any] = {}
    if replications is not None:
        changes["replications"] = replications
    if samples is not None:
        design = scenario.design
        if design is None or design.method == "grid":
            what = "has no design" if design is None else "has a grid design (set its levels)"
            raise ScenarioError(scenario.source, "design.samples", f"--samples {samples} does "
                                f"not apply: the scenario {what}")
        document = {k: v for k, v in design.as_dict().items() if v is not None}
        changes["design"] = {**document, "samples": samples}
    return scenario.with_changes(**changes) if changes else scenario
