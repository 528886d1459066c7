"""Calibration: fit free parameters to several targets at once (pattern-oriented modelling).

The distance of a parameter point is :func:`impl_sim.analysis.validation.distance` (shared with
ABC): the sum over the *calibration* targets of the squared miss, each miss measured in the
target's own tolerance (0 inside the band or on the right side), so no single figure dominates
and a point that meets every target scores 0. Every evaluation runs the
targets' settings with their fixed seeds (common random numbers), so the distance is a
deterministic function of the parameters.

The search is scipy's differential evolution (Latin-hypercube initial population, the scenario's
current values as one member, fixed seed), evaluating a whole generation at once through the
executor. Candidate values are rounded to 4 significant digits, which makes the reported best
values exact and lets an interrupted calibration resume: every evaluated point is appended to a
cache file keyed by its values, and a rerun with the same inputs replays the same search from the
cache. The *validation* targets are held back and only reported at the best point.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from impl_sim.analysis.validation import (
    Target,
    TargetResult,
    TargetSet,
    distance,
    judge,
    setting_key,
    simulate,
    validate,
)
from impl_sim.defaults import DEFAULT_SEED
from impl_sim.params import ParamError, param_spec
from impl_sim.scenario.loader import Scenario, ScenarioError

SIGNIFICANT_DIGITS = 4
DEFAULT_BUDGET = 60
SEARCH_SEED = DEFAULT_SEED


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the search may move, with its range."""

    name: str
    low: float
    high: float
    integer: bool


def parse_free(specs: list[str], scenario: Scenario) -> list[FreeParameter]:
    """``name`` (range from the scenario's design block, else the schema) or ``name=lo:hi``."""
    if not specs:
        raise ScenarioError("--free", "", "name at least one parameter to calibrate, e.g. "
                            "--free therapists.annual_turnover")
    free: list[FreeParameter] = []
    for text in specs:
        name, _, bounds = text.partition("=")
        name = name.strip()
        try:
            spec = param_spec(name)
        except ParamError as exc:
            raise ScenarioError("--free", name, f"unknown parameter{exc.hint}") from None
        if not spec.is_numeric or spec.min is None or spec.max is None:
            raise ScenarioError("--free", name, f"{spec.type} parameters cannot be calibrated; "
                                "expected a number parameter with a range")
        if bounds:
            try:
                low, high = (float(b) for b in bounds.split(":"))
            except ValueError:
                raise ScenarioError("--free", text, "expected NAME or NAME=LOW:HIGH") from None
        elif scenario.design is not None and name in scenario.design.parameters:
            low, high = (float(b) for b in scenario.design.parameters[name])
        else:
            low, high = spec.min, spec.max
        if not spec.min <= low < high <= spec.max:
            raise ScenarioError("--free", name, f"range {low:g}:{high:g} is not allowed; expected "
                                f"low < high within {spec.allowed()}")
        if any(f.name == name for f in free):
            raise ScenarioError("--free", name, "given twice")
        free.append(FreeParameter(name, low, high, spec.type == "int"))
    return free


def _round(value: float, integer: bool) -> float | int:
    if integer:
        return round(value)
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def point_values(free: list[FreeParameter], x: np.ndarray) -> dict[str, Any]:
    """A candidate as ``{name: value}`` (rounded, clipped to the range)."""
    return {f.name: _round(min(max(float(v), f.low), f.high), f.integer)
            for f, v in zip(free, x, strict=True)}


@dataclass
class Evaluation:
    """One evaluated point."""

    values: dict[str, Any]
    distance: float
    met: int
    results: list[dict[str, Any]]

    @classmethod
    def of(cls, values: dict[str, Any], results: list[TargetResult]) -> Evaluation:
        """A point scored by the one calibration distance
        (:func:`impl_sim.analysis.validation.distance`), for ``de`` and ``abc`` alike."""
        return cls(values=values, distance=distance(results),
                   met=sum(r.passed for r in results), results=[r.as_json() for r in results])


class CalibrationCache:
    """Evaluated points, appended to a JSON-lines file (one point per line)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.points: dict[str, Evaluation] = {}
        if path is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: evaluate again
                self.points[self.key(record["values"])] = Evaluation(**record)

    @staticmethod
    def key(values: Mapping[str, Any]) -> str:
        return json.dumps(dict(sorted(values.items())))

    def get(self, values: Mapping[str, Any]) -> Evaluation | None:
        return self.points.get(self.key(values))

    def add(self, evaluation: Evaluation) -> None:
        self.points[self.key(evaluation.values)] = evaluation
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(evaluation.__dict__) + "\n")


def fingerprint(scenario: Scenario, targets: list[Target], free: list[FreeParameter]) -> str:
    """Identifies a calibration problem: a changed input gets a fresh cache file."""
    blob = json.dumps([scenario.canonical(),
                       [[t.id, setting_key(t.scenario), t.label, t.expectation.text]
                        for t in targets],
                       [f.__dict__ for f in free]], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def scenario_under(scenario: Scenario) -> dict[str, Any]:
    """The scenario's own settings, laid beneath every target's settings."""
    return {**scenario.base, **scenario.strategies}


class Objective:
    """Distance of parameter points, a whole generation at a time, through the cache."""

    def __init__(self, scenario: Scenario, targets: list[Target], free: list[FreeParameter], *,
                 workers: int = 1, executor: Any = None,
                 cache: CalibrationCache | None = None,
                 progress: Callable[[int, int], None] | None = None, budget: int = 0) -> None:
        self.scenario, self.targets, self.free = scenario, targets, free
        self.workers, self.executor = workers, executor
        self.cache = cache or CalibrationCache(None)
        self.progress, self.budget = progress, budget
        self.evaluated: list[Evaluation] = []
        self.cache_hits = 0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """scipy's vectorised call: ``x`` has shape (parameters, points)."""
        points = [point_values(self.free, column) for column in np.atleast_2d(x.T)]
        return np.array([e.distance for e in self.evaluate(points)])

    def evaluate(self, points: list[dict[str, Any]]) -> list[Evaluation]:
        todo = []
        for values in points:
            if self.cache.get(values) is None and values not in todo:
                todo.append(values)
        self.cache_hits += len(points) - len(todo)
        if todo:
            under = scenario_under(self.scenario)
            variants = [{**under, **values} for values in todo]
            sim, keys = simulate(self.targets, workers=self.workers, executor=self.executor,
                                 variants=variants)
            for v, values in enumerate(todo):
                results = [judge(t, sim, keys[(v, t.id)], seed=t.scenario.seed)
                           for t in self.targets]
                self.cache.add(Evaluation.of(values, results))
        found = [self.cache.get(values) for values in points]
        self.evaluated.extend(e for e in found if e is not None)
        if self.progress:
            self.progress(len(self.evaluated), self.budget)
        return [e for e in found if e is not None]


@dataclass
class CalibrationResult:
    """The best point, how it fits, and how the search went."""

    free: list[FreeParameter]
    start: Evaluation
    best: Evaluation
    calibration: list[TargetResult]
    validation: list[TargetResult]
    evaluations: int
    cache_hits: int
    cache_path: Path | None

    def base_snippet(self) -> str:
        """The best values as a ``base:`` block for a scenario file."""
        return yaml.safe_dump({"base": self.best.values}, sort_keys=False)


def population_size(budget: int, n_free: int) -> int:
    """Members per generation: enough to spread over the space, leaving a few generations."""
    return max(5, min(budget // 3, 10 * n_free))


def calibrate(scenario: Scenario, target_set: TargetSet, free: list[FreeParameter], *,
              budget: int = DEFAULT_BUDGET, workers: int = 1, executor: Any = None,
              cache_dir: str | Path | None = "results", seed: int = SEARCH_SEED,
              progress: Callable[[int, int], None] | None = None) -> CalibrationResult:
    """Search the free parameters to fit the calibration targets; report both target sets."""
    from impl_sim.experiment.runner import as_executor, executor_session

    targets = target_set.with_role("calibration")
    if not targets:
        raise ScenarioError(target_set.source, "targets", "no target has role: calibration; "
                            "mark the targets to fit with role: calibration")
    cache_path = None
    if cache_dir is not None:
        cache_path = (Path(cache_dir) / "calibration"
                      / f"{scenario.name}-{fingerprint(scenario, targets, free)}.jsonl")
    ex = as_executor(executor, workers=workers)
    with executor_session(ex):  # one pool (or dask cluster) for every generation
        return _search(scenario, target_set, targets, free, budget=budget, workers=workers,
                       executor=ex, cache_path=cache_path, seed=seed, progress=progress)


def _search(scenario: Scenario, target_set: TargetSet, targets: list[Target],
            free: list[FreeParameter], *, budget: int, workers: int, executor: Any,
            cache_path: Path | None, seed: int,
            progress: Callable[[int, int], None] | None) -> CalibrationResult:
    from scipy.optimize import differential_evolution
    from scipy.stats import qmc

    objective = Objective(scenario, targets, free, workers=workers, executor=executor,
                          cache=CalibrationCache(cache_path), progress=progress, budget=budget)
    size = population_size(budget, len(free))
    lows, highs = np.array([f.low for f in free]), np.array([f.high for f in free])
    init = qmc.scale(qmc.LatinHypercube(d=len(free), seed=seed).random(size), lows, highs)
    start_values = {f.name: scenario.params_for(next(iter(scenario.arms))).get(f.name)
                    for f in free}
    init[0] = np.clip([float(start_values[f.name]) for f in free], lows, highs)
    differential_evolution(
        objective, bounds=list(zip(lows, highs, strict=True)), init=init,
        maxiter=max(1, budget // size - 1), seed=seed, polish=False, tol=0, atol=0,
        vectorized=True, updating="deferred",
        integrality=[f.integer for f in free],
    )
    evaluated = objective.evaluated
    start = evaluated[0]
    best = min(evaluated, key=lambda e: (e.distance, -e.met))
    under = {**scenario_under(scenario), **best.values}
    calibration_results = validate(targets, workers=workers, executor=executor, under=under)
    held_back = target_set.with_role("validation")
    validation_results = validate(held_back, workers=workers, executor=executor, under=under)
    return CalibrationResult(free, start, best, calibration_results, validation_results,
                             len(evaluated), objective.cache_hits, cache_path)
