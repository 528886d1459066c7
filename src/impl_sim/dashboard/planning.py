"""The Plan page's search: the best bundle of up to three strategies for a budget.

A leader gives a budget (extra cost over today, for the whole run) and what they care about
(e.g. therapists still delivering two years after training). Every bundle of up to
``MAX_BUNDLE`` strategies from ``plan.yaml`` is simulated in the same futures: future *i* has
replication seed *i* and its own draw of the model's uncertainties (turnover, referrals, …),
identical for every bundle (common random numbers), so bundles are compared like with like.
The result: each bundle's mean extra cost and mean gain with 95 % intervals, the cost–effect
frontier, and the robust choice within budget — the bundle best in most futures (ties: least
regret, the smallest worst-case shortfall from the best bundle of that future).

Runs go through the one run loop (``run_tasks``) and, in the dashboard, the shared pool.
Plain Python (no Solara).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from impl_sim.analysis.summary import mean_interval
from impl_sim.dashboard.datafile import DataFileError
from impl_sim.defaults import DEFAULT_HORIZON_MONTHS, DEFAULT_SEED
from impl_sim.experiment.executors import Executor
from impl_sim.experiment.runner import Task, TaskCache, run_tasks
from impl_sim.params import ParamError, Params, param_spec
from impl_sim.scenario.loader import ScenarioError, parse_yaml_text

MAX_BUNDLE = 3
TODAY = "today (no new strategy)"
OBJECTIVES = ("delivering_therapists_24m", "sustainment_24m", "cases_completed",
              "service_sustainment_24m")


class PlanError(DataFileError):
    """A bad plan.yaml: names the file, the key, the value and what is allowed."""


@dataclass(frozen=True)
class PlanMenu:
    """The strategies a plan combines and the uncertainties it varies."""

    strategies: Mapping[str, Mapping[str, Any]]
    uncertainties: Mapping[str, tuple[float, float]]

    def bundles(self, size: int = MAX_BUNDLE) -> list[tuple[str, ...]]:
        """Today, then every combination of 1 … ``size`` strategies."""
        names = list(self.strategies)
        out: list[tuple[str, ...]] = [()]
        for k in range(1, size + 1):
            out.extend(itertools.combinations(names, k))
        return out

    def settings(self, bundle: tuple[str, ...]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for name in bundle:
            merged.update(self.strategies[name])
        return merged

    def futures(self, n: int, seed: int) -> list[dict[str, float]]:
        """``n`` draws of the uncertainties (Latin hypercube, reproducible from ``seed``)."""
        names = list(self.uncertainties)
        if not names:
            return [{} for _ in range(n)]
        unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
        lo = np.array([self.uncertainties[k][0] for k in names])
        hi = np.array([self.uncertainties[k][1] for k in names])
        values = lo + unit * (hi - lo)
        return [{k: round(float(v), 4) for k, v in zip(names, row, strict=True)}
                for row in values]


def plan_file() -> Path:
    return Path(str(resources.files("impl_sim.dashboard") / "plan.yaml"))


@lru_cache(maxsize=4)
def load_menu(path: Path | None = None) -> PlanMenu:
    source = str(path or plan_file())
    try:
        doc = parse_yaml_text(Path(source).read_text(encoding="utf-8"), source)
    except ScenarioError as exc:
        raise PlanError(source, exc.key, exc.problem) from None
    return parse_menu(doc, source)


def parse_menu(doc: Any, source: str) -> PlanMenu:
    """Validate a parsed plan.yaml."""
    if not isinstance(doc, Mapping) or set(doc) != {"strategies", "uncertainties"}:
        raise PlanError(source, "", "expected exactly the keys strategies and uncertainties")
    strategies = doc["strategies"]
    if not isinstance(strategies, Mapping) or not strategies:
        raise PlanError(source, "strategies", "expected a mapping of label: settings")
    for label, settings in strategies.items():
        try:
            Params.from_overrides(settings)
        except (ParamError, TypeError, AttributeError) as exc:
            raise PlanError(source, f"strategies.{label}", str(exc)) from None
    uncertainties: dict[str, tuple[float, float]] = {}
    for name, bounds in (doc["uncertainties"] or {}).items():
        key = f"uncertainties.{name}"
        try:
            spec = param_spec(name)
        except ParamError as exc:
            raise PlanError(source, key, str(exc)) from None
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, int | float) for b in bounds) or bounds[0] > bounds[1]
                or (spec.min is not None and bounds[0] < spec.min)
                or (spec.max is not None and bounds[1] > spec.max)):
            raise PlanError(source, key, f"{bounds!r} is not allowed; expected [low, high] "
                            f"within {spec.allowed()}")
        uncertainties[name] = (float(bounds[0]), float(bounds[1]))
    return PlanMenu({k: dict(v) for k, v in strategies.items()}, uncertainties)


# --- the search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRequest:
    """What the leader asks: budget (extra € over today), objective, futures, base settings."""

    budget: float
    objective: str = "delivering_therapists_24m"
    futures: int = 8
    seed: int = DEFAULT_SEED
    base: Mapping[str, Any] = field(default_factory=dict)  # today's settings (side A)
    horizon_months: int = DEFAULT_HORIZON_MONTHS


@dataclass(frozen=True)
class BundleResult:
    bundle: tuple[str, ...]
    extra_cost: dict[str, float]  # mean and 95 % interval of (bundle − today) total cost
    gain: dict[str, float]  # mean and 95 % interval of (bundle − today) objective
    gains: np.ndarray  # per future
    in_budget: bool
    wins: int = 0  # futures in which it is the best in-budget bundle
    regret: float = 0.0  # worst shortfall from the best in-budget bundle of a future

    @property
    def name(self) -> str:
        return " + ".join(self.bundle) if self.bundle else TODAY


@dataclass(frozen=True)
class PlanResult:
    request: PlanRequest
    bundles: list[BundleResult]
    frontier: list[BundleResult]
    choice: BundleResult | None


def plan_tasks(request: PlanRequest, menu: PlanMenu) -> list[Task]:
    """One run per bundle × future; future i: replication i and uncertainty draw i."""
    draws = menu.futures(request.futures, request.seed)
    tasks: list[Task] = []
    for point, bundle in enumerate(menu.bundles()):
        for i, draw in enumerate(draws):
            overrides = {**request.base, **draw, **menu.settings(bundle),
                         "simulation.horizon_months": request.horizon_months}
            tasks.append(Task(len(tasks), point, "+".join(bundle) or "today", i, overrides,
                              request.seed, False))
    return tasks


def search(request: PlanRequest, menu: PlanMenu | None = None,
           executor: Executor | None = None, cache: TaskCache | None = None,
           progress: Callable[[int, int], None] | None = None) -> PlanResult:
    """Simulate every bundle in the same futures and pick the robust choice."""
    menu = menu or load_menu()
    bundles = menu.bundles()
    pairs = run_tasks(plan_tasks(request, menu), executor=executor, cache=cache,
                      progress=progress)
    n = request.futures
    effect = np.full((len(bundles), n), np.nan)
    cost = np.full((len(bundles), n), np.nan)
    for task, result in pairs:
        effect[task.point, task.replication] = result.summary[request.objective]
        cost[task.point, task.replication] = result.summary["cost_total"]
    gains, extra = effect - effect[0], cost - cost[0]
    results = [BundleResult(b, mean_interval(extra[k]), mean_interval(gains[k]), gains[k],
                            bool(np.nanmean(extra[k]) <= request.budget))
               for k, b in enumerate(bundles)]
    results = _robustness(results)
    return PlanResult(request, results, frontier(results), choose(results))


def _robustness(results: list[BundleResult]) -> list[BundleResult]:
    """Wins (best in-budget bundle per future) and regret of every in-budget bundle."""
    affordable = [r for r in results if r.in_budget]
    if not affordable:
        return results
    table = np.vstack([np.nan_to_num(r.gains, nan=-np.inf) for r in affordable])
    best = table.max(axis=0)
    winners = table.argmax(axis=0)
    out = []
    for r in results:
        if r.in_budget:
            k = affordable.index(r)
            wins = int((winners == k).sum())
            regret = float(np.max(best - table[k]))
            out.append(BundleResult(r.bundle, r.extra_cost, r.gain, r.gains, True, wins, regret))
        else:
            out.append(r)
    return out


def frontier(results: list[BundleResult]) -> list[BundleResult]:
    """Bundles no other bundle beats on both mean extra cost and mean gain, by cost."""
    def dominated(r: BundleResult) -> bool:
        return any(o is not r and o.extra_cost["mean"] <= r.extra_cost["mean"]
                   and o.gain["mean"] >= r.gain["mean"]
                   and (o.extra_cost["mean"] < r.extra_cost["mean"]
                        or o.gain["mean"] > r.gain["mean"]) for o in results)

    return sorted((r for r in results if not dominated(r)), key=lambda r: r.extra_cost["mean"])


def choose(results: list[BundleResult]) -> BundleResult | None:
    """Within budget: best in most futures; ties broken by least regret, then lower cost."""
    affordable = [r for r in results if r.in_budget]
    if not affordable:
        return None
    return min(affordable, key=lambda r: (-r.wins, r.regret, r.extra_cost["mean"]))
