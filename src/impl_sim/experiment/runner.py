"""Running the model: ``run_one`` (the unit of work), ``run_scenario`` (arms × design points ×
replications with common random numbers, through an executor, into a results store) and
``sweep`` (the same from a file, with the overrides the ``impl-sim sweep`` command offers).

Scripts that use more than one worker must guard their entry point with
``if __name__ == "__main__":`` — worker processes start fresh (forkserver/spawn) and re-import
the main module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import summarise
from impl_sim.params import ParamError, Params
from impl_sim.scenario.design import design_points
from impl_sim.scenario.loader import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
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


def run_one(params: Params, seed: int = 0, replication: int = 0, *,
            keep_series: bool = True) -> RunResult:
    """Run one model to its horizon. Pure: same arguments ⇒ identical result."""
    model = ImplementationModel(params, seed_for(seed, replication))
    model.run_model()
    return RunResult(
        summary=summarise(model),
        series=model.series.as_dict() if keep_series else None,
        params_digest=params.digest(), seed=seed, replication=replication,
        costs=dict(model.costs),
    )


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


def scenario_tasks(scenario: Scenario) -> list[Task]:
    """Every run of a scenario in a fixed order (point, arm, replication).

    Every point × arm is validated here, before anything runs, so that a parameter combination
    the schema refuses stops the sweep at once instead of in a worker hours later.
    """
    tasks: list[Task] = []
    keep = bool(scenario.outputs.get("series", True))
    for point in design_points(scenario):
        for arm in scenario.arms:
            overrides = {**scenario.overrides_for(arm), **point.values}
            _check_point(scenario, arm, point.point, overrides)
            first = len(tasks)
            tasks.extend(Task(first + r, point.point, arm, r, overrides, scenario.seed, keep)
                         for r in range(scenario.replications))
    return tasks


def _check_point(scenario: Scenario, arm: str, point: int, overrides: dict[str, Any]) -> None:
    try:
        Params.from_overrides(overrides)
    except ParamError as exc:
        raise ScenarioError(scenario.source, "design", f"design point {point} in arm '{arm}' "
                            f"is not a valid parameter set: {exc}") from None


def run_task(task: Task) -> tuple[Task, RunResult]:
    """Run one task (module level, so every executor can ship it)."""
    params = Params.from_overrides(task.overrides)
    return task, run_one(params, task.seed, task.replication, keep_series=task.keep_series)


def run_chunk(tasks: list[Task]) -> list[tuple[Task, RunResult]]:
    """Run a batch of tasks in one worker call (amortises scheduling overhead)."""
    return [run_task(t) for t in tasks]


def run_scenario(
    scenario: Scenario,
    *,
    out: str | Path | None = "results",
    workers: int = 1,
    executor: str | None = None,
    dask_address: str | None = None,
    progress: ProgressCallback | None = None,
    resume: bool = True,
    force_new: bool = False,
    wait: bool = False,
) -> Results:
    """Run every task of ``scenario`` and return its :class:`~impl_sim.experiment.store.Results`.

    With ``out`` set, results go to ``out/<name>-<hash>/``; a run interrupted for any reason
    resumes where it stopped when called again (``resume=False`` starts afresh). With
    ``out=None`` they are kept in memory only. ``executor`` is ``serial``, ``processes`` or
    ``dask`` (default: serial for one worker, processes otherwise; dask when ``dask_address``
    is given). The tables do not depend on the executor or the number of workers.

    One writer per folder: a second call on a folder in use raises
    :class:`~impl_sim.experiment.lock.FolderBusy` (``wait=True`` waits instead). A folder that
    cannot be resumed safely raises :class:`~impl_sim.experiment.store.ResultsError`;
    ``force_new=True`` moves its contents aside first.
    """
    from impl_sim.experiment.executors import make_executor
    from impl_sim.experiment.store import ResultStore

    ex = make_executor(executor, workers=workers, dask_address=dask_address)
    store = ResultStore.open(scenario, out, resume=resume, force_new=force_new, wait=wait)
    try:
        pending = store.pending_chunks()
        total = len(store.tasks)
        if progress:
            progress(store.runs_done(), total)
        try:
            if pending:
                with ex:
                    store.begin_session(ex.describe())
                    for results in ex.map_unordered(run_chunk, pending):
                        store.write_chunk(results)
                        if progress:
                            progress(store.runs_done(), total)
        except BaseException:
            _finish_quietly(store)  # the first error is the one to report
            raise
        store.finish()
    finally:
        store.close()
    return store.load()


def _finish_quietly(store: Any) -> None:
    with contextlib.suppress(OSError):
        store.finish()


def sweep(scenario: Scenario | str | Path, *, samples: int | None = None,
          replications: int | None = None, **run_options: Any) -> Results:
    """Run a scenario file (or :class:`Scenario`) with its design, like ``impl-sim sweep``.

    ``samples`` and ``replications`` override the file's values (a changed scenario has a new
    hash, so its results go to a new directory); ``run_options`` are those of
    :func:`run_scenario` (``out``, ``workers``, ``executor``, ``dask_address``, ``progress``,
    ``resume``). Returns the :class:`Results`.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
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
