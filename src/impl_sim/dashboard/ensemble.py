"""What-if ensembles: two arms (A = today, B = the what-if) × N replications, paired.

Plain Python (no Solara): the dashboard, the benchmarks and the tests share it. A what-if *is*
a :class:`~impl_sim.scenario.loader.Scenario` with two arms, and every run goes through the
same ``scenario.params_for(arm)`` and ``run_one(params, scenario.seed, r)`` as
``impl-sim run`` — so an exported scenario reproduces the dashboard's numbers exactly.

Replication ``r`` uses the same seed in A and B (common random numbers): the same families are
referred and the same draws decide who leaves, so B − A is a paired difference.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impl_sim.analysis.summary import arm_table, paired_difference
from impl_sim.defaults import DEFAULT_REPLICATIONS, DEFAULT_SEED
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

BAND = (0.1, 0.9)  # the band shown around medians: the middle 80 % of simulated futures
MAX_REPLICATIONS = 200  # a dashboard refresh must stay interactive


@dataclass(frozen=True)
class Arm:
    """One side of a what-if: a name (the scenario's arm name) and its parameter overrides."""

    name: str
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def params(self, horizon_months: int) -> Params:
        return Params.from_overrides({**self.overrides, "simulation.horizon_months":
                                      horizon_months})


@dataclass(frozen=True)
class WhatIf:
    """Everything a what-if comparison needs; immutable (a change makes a new value)."""

    a: Arm = field(default_factory=lambda: Arm("today"))
    b: Arm = field(default_factory=lambda: Arm("what_if"))
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

    def scenario(self) -> Scenario:
        """The two-arm scenario this what-if runs (and exports)."""
        if self.a.name == self.b.name:
            raise ScenarioError(self.name, "arms", f"A and B are both called {self.a.name!r}; "
                                "give them different names")
        doc = {
            "name": self.name, "description": self.description or self._describe(),
            "horizon_months": self.horizon_months, "replications": self.replications,
            "seed": self.seed,
            "arms": {self.a.name: dict(self.a.overrides), self.b.name: dict(self.b.overrides)},
        }
        return parse_scenario(doc, f"{self.name}.yaml")

    def _describe(self) -> str:
        def changes(arm: Arm) -> str:
            return ", ".join(f"{k} = {v}" for k, v in arm.overrides.items()) or "defaults"

        return (f"What-if made in the impl-sim dashboard. A ({self.a.name}): {changes(self.a)}. "
                f"B ({self.b.name}): {changes(self.b)}.")


def first_whatif() -> WhatIf:
    """What a new session shows: today's leaders (Norwegian ILS averages, F8) vs
    implementation leadership (S1) — the question the project started from."""
    return WhatIf(a=Arm("today"), b=Arm("implementation_leadership",
                                        {"leaders.style": "implementation_leadership"}))


# --- export and import ---------------------------------------------------------------------------


def export_yaml(whatif: WhatIf) -> str:
    """A scenario file that ``impl-sim run`` reproduces exactly (same seed, same arms)."""
    return whatif.scenario().to_yaml()


def whatif_from_scenario(scenario: Scenario) -> WhatIf:
    """Open a scenario as a what-if: its first arm becomes A, its second B.

    A one-arm scenario fills both sides (B named ``<arm>_what_if``) so the user can change B.
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
    b = arm(arms[-1], arms[-1] if len(arms) == 2 else f"{arms[0]}_what_if")
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
    return whatif_from_scenario(parse_scenario(parse_yaml_text(text, source), source))


# --- running ------------------------------------------------------------------------------------

CACHE_SIZE = 4000  # runs (about 8 kB each with series)
_CACHE = MemoryCache(CACHE_SIZE)  # holds results, never a session's settings


def cached_run(params: Params, seed: int, replication: int) -> RunResult:
    """``run_one`` memoised on (parameter digest, seed, replication), through the one run loop.

    ``run_one`` is pure, so a cached result is the result; changing only B reruns only B.
    """
    task = Task(0, 0, "", replication, params.changed(), seed, True)
    return run_tasks([task], cache=_CACHE)[0][1]


def clear_cache() -> None:
    """Forget cached runs (benchmarks measure cold refreshes with it)."""
    _CACHE.clear()


class Cancelled(Exception):
    """A newer request replaced this ensemble run."""


Progress = Callable[[int, int], None]


def run_ensemble(whatif: WhatIf, progress: Progress | None = None,
                 cancel: threading.Event | None = None) -> Ensemble:
    """Run both arms × ``replications`` through :func:`~impl_sim.experiment.runner.run_tasks`
    (one run at a time, memoised); ``progress(done, total)`` after each run. A set ``cancel``
    event stops the ensemble at the next run with :class:`Cancelled`."""
    scenario = whatif.scenario()

    def report(done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        if progress and done:
            progress(done, total)

    pairs = run_tasks(scenario_tasks(scenario), cache=_CACHE, progress=report)
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


@dataclass(frozen=True)
class Spread:
    """Median and the 10–90 % range across replications."""

    median: float
    lo: float
    hi: float


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

    def spread(self, arm: str, name: str) -> Spread:
        return spread(self.outcome(arm, name))

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
        """Per month: ``median``, ``lo`` (10 %) and ``hi`` (90 %) across replications."""
        return quantile_bands(self.series_of(arm, name))

    def difference_bands(self, name: str) -> dict[str, np.ndarray]:
        """Per month: median and 10–90 % of the paired differences B − A."""
        a, b = self.arms
        return quantile_bands(self.series_of(b, name) - self.series_of(a, name))

    def therapist_posts(self, arm: str) -> int:
        p = self.scenario.params_for(arm)
        return p.services.count * p.services.therapists_per_service

    def services(self, arm: str) -> int:
        return self.scenario.params_for(arm).services.count


def spread(values: np.ndarray) -> Spread:
    x = values[~np.isnan(values)]
    if len(x) == 0:
        return Spread(math.nan, math.nan, math.nan)
    lo, med, hi = np.quantile(x, [BAND[0], 0.5, BAND[1]])
    return Spread(float(med), float(lo), float(hi))


def quantile_bands(runs: np.ndarray) -> dict[str, np.ndarray]:
    """Median and 10–90 % per month over the defined runs (NaN where none is defined, e.g.
    sustainment before anyone has completed training)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months stay NaN
        lo, med, hi = np.nanquantile(runs, [BAND[0], 0.5, BAND[1]], axis=0)
    return {"median": med, "lo": lo, "hi": hi}


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
