"""What-if ensembles: two arms (A = today, B = the what-if) × N replications, paired.

Plain Python (no Solara): the dashboard, the benchmarks and the tests share it. A what-if *is*
a :class:`~impl_sim.scenario.loader.Scenario` with two arms, and every run goes through the
same ``scenario.params_for(arm)`` and ``run_one(params, scenario.seed, r)`` as
``impl-sim run`` — so an exported scenario reproduces the dashboard's numbers exactly.

Replication ``r`` uses the same seed in A and B (common random numbers): the same families are
referred and the same draws decide who leaves, so B − A is a paired difference.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from impl_sim.analysis.summary import arm_table, mean_interval, paired_difference
from impl_sim.dashboard.naming import arm_id, generated_name
from impl_sim.defaults import DEFAULT_REPLICATIONS, DEFAULT_SEED
from impl_sim.experiment.executors import Executor
from impl_sim.experiment.runner import (
    MemoryCache,
    RunResult,
    Task,
    run_tasks,
    scenario_tasks,
)
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import Params, param_spec
from impl_sim.scenario.loader import Scenario, ScenarioError, parse_scenario, parse_yaml_text

CONFIDENCE = 0.95  # every interval the dashboard shows: 95 % interval of a mean
MAX_REPLICATIONS = 200  # a dashboard refresh must stay interactive


@dataclass(frozen=True)
class Arm:
    """One side of a what-if: its parameter overrides and, optionally, a name.

    ``name`` "" means "name me after what I change" (see :mod:`naming`). A name from a file or
    a lesson is dropped at the first change of the side's settings; a name the user typed
    (``pinned``) stays until they clear it.
    """

    name: str = ""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    pinned: bool = False

    def params(self, horizon_months: int) -> Params:
        return Params.from_overrides({**self.overrides, "simulation.horizon_months":
                                      horizon_months})

    def changed(self, overrides: Mapping[str, Any]) -> Arm:
        """This side with new settings (an unpinned name no longer fits and is dropped)."""
        return Arm(self.name if self.pinned else "", dict(overrides), self.pinned)

    def renamed(self, name: str) -> Arm:
        """The user's own name ("" = back to the generated one)."""
        return Arm(name.strip(), self.overrides, pinned=bool(name.strip()))


TODAY = "today"


@dataclass(frozen=True)
class WhatIf:
    """Everything a what-if comparison needs; immutable (a change makes a new value)."""

    a: Arm = field(default_factory=lambda: Arm(TODAY))
    b: Arm = field(default_factory=Arm)
    replications: int = DEFAULT_REPLICATIONS
    seed: int = DEFAULT_SEED
    horizon_months: int = field(
        default_factory=lambda: int(param_spec("simulation.horizon_months").default))
    name: str = "dashboard-what-if"
    description: str = ""

    def side(self, which: str) -> Arm:
        return self.a if which == "a" else self.b

    def with_side(self, which: str, arm: Arm) -> WhatIf:
        return replace(self, **{which: arm})

    def label(self, which: str) -> str:
        """What the side is called on screen: its own name, else one generated from what
        differs (A is "today"; B is "today + …")."""
        arm = self.side(which)
        if arm.name:
            return arm.name
        if which == "a":
            return TODAY
        return generated_name(self.label("a"), self.a.overrides, self.b.overrides)

    def arm_ids(self) -> tuple[str, str]:
        """The two sides' arm names in the scenario file (always different)."""
        a = arm_id(self.label("a"))
        return a, arm_id(self.label("b"), taken=a)

    def scenario(self) -> Scenario:
        """The two-arm scenario this what-if runs (and exports)."""
        id_a, id_b = self.arm_ids()
        if not 1 <= self.replications <= MAX_REPLICATIONS:
            raise ScenarioError(self.name, "replications", f"{self.replications} is not allowed "
                                f"in the dashboard; expected 1 to {MAX_REPLICATIONS} (run more "
                                "with `impl-sim run`)")
        doc = {
            "name": self.name, "description": self.description or self._describe(),
            "horizon_months": self.horizon_months, "replications": self.replications,
            "seed": self.seed,
            "arms": {id_a: dict(self.a.overrides), id_b: dict(self.b.overrides)},
        }
        return parse_scenario(doc, f"{self.name}.yaml", outcome_names=OUTCOMES)

    def _describe(self) -> str:
        return (f"What-if made in the impl-sim dashboard. A: {self.label('a')}. "
                f"B: {self.label('b')}.")


def first_whatif() -> WhatIf:
    """What a new session shows: today (the schema's defaults) in A and an unchanged copy in
    B, ready for a question."""
    return WhatIf()


# --- export and import ---------------------------------------------------------------------------


def export_yaml(whatif: WhatIf) -> str:
    """A scenario file that ``impl-sim run`` reproduces exactly (same seed, same arms)."""
    return whatif.scenario().to_yaml()


def whatif_from_scenario(scenario: Scenario) -> WhatIf:
    """Open a scenario as a what-if: its first arm becomes A, its second B.

    A one-arm scenario fills both sides (B an unchanged copy) so the user can change B.
    Raises :class:`ScenarioError` for scenarios a what-if cannot show (sweeps, > 2 arms).
    """
    if scenario.design is not None:
        raise ScenarioError(scenario.source, "design", "this scenario is a sweep (it has a "
                            "design block); the dashboard compares two arms — run it with "
                            "`impl-sim sweep`")
    arms = list(scenario.arms)
    if len(arms) > 2:
        raise ScenarioError(scenario.source, "arms", f"{len(arms)} arms ({', '.join(arms)}); "
                            "the dashboard compares two — keep two arms in the file")

    def arm(name: str, label: str) -> Arm:
        overrides = {k: v for k, v in scenario.overrides_for(name).items()
                     if k != "simulation.horizon_months"}
        return Arm(label, overrides)

    a = arm(arms[0], arms[0])
    b = arm(arms[-1], arms[-1] if len(arms) == 2 else "")
    return WhatIf(a=a, b=b, replications=min(scenario.replications, MAX_REPLICATIONS),
                  seed=scenario.seed, horizon_months=scenario.horizon_months,
                  name=scenario.name, description=scenario.description)


def import_yaml(text: str | bytes, source: str) -> WhatIf:
    """Parse an uploaded or shipped file into a what-if; raises :class:`ScenarioError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ScenarioError(source, "", "cannot read file (not UTF-8 text)") from None
    return whatif_from_scenario(parse_scenario(parse_yaml_text(text, source), source,
                                               outcome_names=OUTCOMES))


# --- running ------------------------------------------------------------------------------------

CACHE_SIZE = 4000  # runs (about 8 kB each with series)
_CACHE = MemoryCache(CACHE_SIZE)  # holds results, never a session's settings


def cached_run(params: Params, seed: int, replication: int) -> RunResult:
    """``run_one`` memoised on (parameter digest, seed, replication), through the one run loop.

    ``run_one`` is pure, so a cached result is the result; changing only B reruns only B.
    """
    task = Task(0, 0, "", replication, params.changed(), seed, True)
    return run_tasks([task], cache=_CACHE)[0][1]


def pool_executor(session: str) -> Executor:
    """The server-wide worker pool (started once, shared fairly) as seen by ``session``."""
    from impl_sim.dashboard.pool import shared_pool

    return shared_pool(cache=_CACHE).executor(session)


def clear_cache() -> None:
    """Forget cached runs (benchmarks measure cold refreshes with it)."""
    _CACHE.clear()


class Cancelled(Exception):
    """A newer request replaced this ensemble run."""


Progress = Callable[[int, int], None]


def run_ensemble(whatif: WhatIf, progress: Progress | None = None,
                 cancel: threading.Event | None = None,
                 executor: Executor | None = None) -> Ensemble:
    """Run both arms × ``replications`` through :func:`~impl_sim.experiment.runner.run_tasks`
    (memoised; serially, or on ``executor`` — the server's shared pool, see :mod:`pool`);
    ``progress(done, total)`` after each run. A set ``cancel`` event stops the ensemble at
    the next run with :class:`Cancelled`. Without the shared pool, an ensemble first waits for
    one of the server's ensemble slots (see :mod:`impl_sim.dashboard.limits`); the pool does
    its own fair queueing."""
    if executor is not None:
        return _run_ensemble(whatif, progress, cancel, executor)
    from impl_sim.dashboard.limits import ensemble_slot

    with ensemble_slot(cancel) as admitted:
        if not admitted:
            raise Cancelled()
        return _run_ensemble(whatif, progress, cancel, None)


def _run_ensemble(whatif: WhatIf, progress: Progress | None,
                  cancel: threading.Event | None, executor: Executor | None) -> Ensemble:
    scenario = whatif.scenario()

    def report(done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if progress and done:
            progress(done, total)

    pairs = run_tasks(scenario_tasks(scenario), executor=executor, cache=_CACHE,
                      progress=report)
    rows: list[dict[str, Any]] = []
    series: dict[str, dict[str, list[np.ndarray]]] = {}
    for task, result in pairs:
        rows.append({"point": 0, "arm": task.arm, "replication": task.replication,
                     **result.summary})
        for name, values in (result.series or {}).items():
            series.setdefault(task.arm, {}).setdefault(name, []).append(values)
    stacked = {arm: {n: np.vstack(v) for n, v in by_name.items()}
               for arm, by_name in series.items()}
    return Ensemble(whatif=whatif, scenario=scenario, summary=pd.DataFrame(rows),
                    series=stacked)


# --- results ------------------------------------------------------------------------------------


@dataclass(eq=False)  # identity: a new run is a new ensemble (and DataFrames have no ==)
class Ensemble:
    """The runs of one what-if: a summary row per run and each series as (runs × months)."""

    whatif: WhatIf
    scenario: Scenario
    summary: pd.DataFrame
    series: dict[str, dict[str, np.ndarray]]

    @property
    def arms(self) -> list[str]:
        return list(self.scenario.arms)

    def outcome(self, arm: str, name: str) -> np.ndarray:
        """One outcome's values across replications (in replication order)."""
        rows = self.summary[self.summary["arm"] == arm].sort_values("replication")
        return rows[name].to_numpy(dtype=float)

    def mean(self, arm: str, name: str) -> dict[str, float]:
        """Mean of one outcome over this side's runs with its 95 % interval (and ``n``)."""
        return mean_interval(self.outcome(arm, name), CONFIDENCE)

    def mean_table(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{arm: {outcome: {mean, lo, hi, ...}}}`` exactly as ``impl-sim run --json``."""
        return arm_table(self.summary, list(OUTCOMES))

    def difference(self, name: str) -> dict[str, float]:
        """Mean B − A over replications paired by seed, with its 95 % interval."""
        a, b = self.arms
        return paired_difference(self.summary, name, b, a)

    def series_of(self, arm: str, name: str) -> np.ndarray:
        """(replications × months) values of one monthly series; ``families_served`` is the
        cumulative number of families who started CPP."""
        by_name = self.series[arm]
        if name == "families_served":
            return np.cumsum(by_name["cpp_starts"], axis=1)
        return by_name[name]

    def bands(self, arm: str, name: str) -> dict[str, np.ndarray]:
        """Per month: ``mean`` over runs and its 95 % interval (``lo``, ``hi``)."""
        return mean_bands(self.series_of(arm, name))

    def difference_bands(self, name: str) -> dict[str, np.ndarray]:
        """Per month: mean paired difference B − A and its 95 % interval."""
        a, b = self.arms
        return mean_bands(self.series_of(b, name) - self.series_of(a, name))

    def labels(self) -> tuple[str, str]:
        """The on-screen names of A and B (generated from what differs, or the user's)."""
        return self.whatif.label("a"), self.whatif.label("b")

    def therapist_posts(self, arm: str) -> int:
        p = self.scenario.params_for(arm)
        return p.services.count * p.services.therapists_per_service

    def services(self, arm: str) -> int:
        return self.scenario.params_for(arm).services.count


def mean_bands(runs: np.ndarray) -> dict[str, np.ndarray]:
    """Per month over the defined runs: mean and its 95 % t-interval (NaN where no run is
    defined, e.g. sustainment before anyone has completed training)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months stay NaN
        n = np.sum(~np.isnan(runs), axis=0)
        mean = np.nanmean(runs, axis=0)
        sd = np.nanstd(runs, axis=0, ddof=1) if runs.shape[0] > 1 else np.zeros_like(mean)
        t = stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, t * np.nan_to_num(sd) / np.sqrt(np.maximum(n, 1)), 0.0)
    return {"mean": mean, "lo": mean - half, "hi": mean + half}


# --- shipped scenarios --------------------------------------------------------------------------


def scenario_folders() -> list[Path]:
    """Where shipped scenarios live: ./scenarios, else the source checkout's (they are not
    package data)."""
    import impl_sim

    package = Path(impl_sim.__file__).resolve().parent
    candidates = [Path.cwd() / "scenarios", package / "scenarios", package.parents[1] / "scenarios"]
    seen: list[Path] = []
    for folder in candidates:
        if folder.is_dir() and folder.resolve() not in seen:
            seen.append(folder.resolve())
    return seen


def shipped_scenarios() -> dict[str, Path]:
    """``{file name: path}`` of every ``*.yaml`` in :func:`scenario_folders` (first wins)."""
    found: dict[str, Path] = {}
    for folder in scenario_folders():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.name, path)
    return found


def openable_scenarios() -> dict[str, Path]:
    """The shipped scenarios a what-if can open (one or two arms, no sweep design)."""
    openable: dict[str, Path] = {}
    for name, path in shipped_scenarios().items():
        try:
            import_yaml(path.read_text(encoding="utf-8"), str(path))
        except (ScenarioError, OSError):
            continue
        openable[name] = path
    return openable
