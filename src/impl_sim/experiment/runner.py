"""Running the model: ``run_one`` (the unit of work) and ``run_scenario`` (arms × points ×
replications with common random numbers, through an executor, into a results store).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from impl_sim.model.model import ImplementationModel
from impl_sim.model.outcomes import summarise
from impl_sim.params import Params
from impl_sim.scenario.design import design_points
from impl_sim.scenario.loader import Scenario


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
    """Every run of a scenario, in a fixed order (point, arm, replication)."""
    tasks: list[Task] = []
    keep = bool(scenario.outputs.get("series", True))
    for point in design_points(scenario):
        for arm in scenario.arms:
            overrides = {**scenario.overrides_for(arm), **point.values}
            for r in range(scenario.replications):
                tasks.append(Task(len(tasks), point.point, arm, r, overrides, scenario.seed, keep))
    return tasks


def run_task(task: Task) -> tuple[Task, RunResult]:
    """Run one task (module level, so every executor can ship it)."""
    params = Params.from_overrides(task.overrides)
    return task, run_one(params, task.seed, task.replication, keep_series=task.keep_series)


def run_chunk(tasks: list[Task]) -> list[tuple[Task, RunResult]]:
    """Run a batch of tasks in one worker call (amortises scheduling overhead)."""
    return [run_task(t) for t in tasks]


ProgressCallback = Callable[[int, int], None]


def run_scenario(
    scenario: Scenario,
    *,
    out: str | Path | None = "results",
    workers: int = 1,
    executor: str | None = None,
    dask_address: str | None = None,
    progress: ProgressCallback | None = None,
    resume: bool = True,
):
    """Run every task of ``scenario`` and return a :class:`~impl_sim.experiment.store.Results`.

    With ``out`` set, results go to ``out/<name>-<hash>/`` (resumable); with ``out=None`` they
    are kept in memory only.
    """
    from impl_sim.experiment.executors import make_executor
    from impl_sim.experiment.store import ResultStore

    store = ResultStore.open(scenario, out, resume=resume)
    pending = store.pending_chunks()
    done_runs = store.runs_done()
    total = len(store.tasks)
    if progress:
        progress(done_runs, total)
    if pending:
        with make_executor(executor, workers=workers, dask_address=dask_address) as ex:
            for results in ex.map_unordered(run_chunk, pending):
                store.write_chunk(results)
                done_runs += len(results)
                if progress:
                    progress(done_runs, total)
    store.finish()
    return store.load()
