"""impl-sim: an agent-based model of implementation determinants for Child–Parent
Psychotherapy (CPP) and similar relationship-based treatments.

Public API::

    from impl_sim import Params, load_scenario, run_one, run_scenario, scenario_path

    params = Params.from_overrides({"leaders.style": "implementation_leadership"})
    result = run_one(params, seed=1)          # one run: result.summary, result.series
    results = run_stack([params] * 20, [1] * 20, range(20))  # a stack of worlds, same results
    scenario = load_scenario(scenario_path("leadership_vs_support"))  # shipped, from any dir
    results = run_scenario(scenario, out=None)  # all arms × replications, in memory
    results.summary                            # pandas DataFrame, one row per run

    results = sweep("scenarios/sweep_leadership_turnover_grid.yaml", workers=2)  # resumable
    results.tidy()                             # one row per run and outcome
    Results.load(results.directory)            # read a results folder back
    discover(results, "sustainment_24m", below=0.3).text()  # PRIM: where does it fail?
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Imported on first use, so that `impl-sim check` and `impl-sim params` start quickly (the model
# pulls in Mesa, pandas and scipy).
_EXPORTS = {
    "Params": "impl_sim.params", "param_specs": "impl_sim.params",
    "RunResult": "impl_sim.experiment.runner", "run_one": "impl_sim.experiment.runner",
    "run_stack": "impl_sim.experiment.runner",
    "run_scenario": "impl_sim.experiment.runner", "sweep": "impl_sim.experiment.runner",
    "Results": "impl_sim.experiment.store", "ResultsError": "impl_sim.experiment.store",
    "Scenario": "impl_sim.scenario.loader", "ScenarioError": "impl_sim.scenario.loader",
    "load_scenario": "impl_sim.scenario.loader", "parse_scenario": "impl_sim.scenario.loader",
    "scenario_path": "impl_sim.shipped", "discover": "impl_sim.analysis.discovery",
}

__all__ = [
    "Params",
    "Results",
    "ResultsError",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "discover",
    "load_scenario",
    "param_specs",
    "parse_scenario",
    "run_one",
    "run_scenario",
    "run_stack",
    "scenario_path",
    "sweep",
]

if TYPE_CHECKING:
    from impl_sim.analysis.discovery import discover
    from impl_sim.experiment.runner import RunResult, run_one, run_scenario, run_stack, sweep
    from impl_sim.experiment.store import Results, ResultsError
    from impl_sim.params import Params, param_specs
    from impl_sim.scenario.loader import Scenario, ScenarioError, load_scenario, parse_scenario
    from impl_sim.shipped import scenario_path


def __dir__() -> list[str]:
    """The public API (lazy names included), so ``dir(impl_sim)`` and tab completion show it."""
    return sorted(__all__)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'impl_sim' has no attribute {name!r}")
