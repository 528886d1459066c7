"""Experimental designs: a scenario's ``design`` block → a list of design points.

Plain like SALib: design in, points out. Each point is a dict of parameter overrides that the
runner crosses with every arm and every replication (replication r has the same seed in every
point and arm: common random numbers).

Methods:

* ``grid`` — full factorial; a ``[low, high]`` range of a numeric parameter gets ``levels``
  (default 3) evenly spaced values; any other list (three or more values, or the values of a
  choice or true/false parameter) is taken as the levels themselves.
* ``lhs`` — Latin hypercube with ``samples`` points (``scipy.stats.qmc``), optimised for
  space filling (``optimization="random-cd"``: coordinate swaps that lower the centred L2
  discrepancy; :func:`lhs_discrepancy` gives it next to that of a plain LHS).
* ``sobol`` — Saltelli/Sobol' sampling for first- and total-order indices (SALib,
  ``calc_second_order=False``): ``samples × (D + 2)`` points in SALib's row order, so the
  outcomes can go straight back into ``SALib.analyze.sobol``.
* ``morris`` — elementary-effects trajectories (SALib): ``samples × (D + 1)`` points, ``levels``
  grid levels (default 4; raised to the smallest even number that reaches every whole number of
  each integer parameter, see :func:`morris_levels`).

Integer parameters are sampled on ``[low − ½, high + ½]`` and rounded, so every whole number in
the range is equally likely (plain rounding of ``[low, high]`` would give the two end values half
the weight of the others) — except under Morris, whose grid levels lie on ``[low, high]`` itself
with at least as many levels as whole numbers, so every one is reached (the elementary effects
of an integer parameter are then divided by the step actually taken after rounding, see
:mod:`impl_sim.analysis.sensitivity`). :func:`salib_problem` holds those bounds and
:func:`design_matrix` is the raw matrix for sensitivity analysis.

Each design parameter has a *kind* (EMA Workbench's split): ``lever`` (what a leader or funder
controls) or ``uncertainty`` (what they do not), from the schema unless ``design.kinds``
overrides it. :func:`parameter_kinds` gives them; the results store records them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from impl_sim.params import param_spec
from impl_sim.scenario.loader import DesignSpec, Scenario

DEFAULT_DESIGN_SEED = 12345
DEFAULT_GRID_LEVELS = 3
DEFAULT_MORRIS_LEVELS = 4


@dataclass(frozen=True)
class DesignPoint:
    """One point of a design: its index and the parameter values it sets."""

    point: int
    values: dict[str, Any]


def _bounds(name: str, low: float, high: float, method: str = "lhs") -> list[float]:
    if param_spec(name).type == "int" and method != "morris":
        return [float(low) - 0.5, float(high) + 0.5]
    return [float(low), float(high)]


def salib_problem(design: DesignSpec) -> dict[str, Any]:
    """The SALib ``problem`` dict of a sampled design (integer ranges widened by ½, except
    under Morris)."""
    names = list(design.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [_bounds(n, *design.parameters[n], design.method) for n in names]}


def integer_parameters(design: DesignSpec) -> list[str]:
    """The design's integer parameters, in design order."""
    return [n for n in design.parameters if param_spec(n).type == "int"]


def morris_levels(design: DesignSpec) -> int:
    """Levels of the Morris grid: ``design.levels`` (default 4), raised to the smallest even
    number at least the count of whole numbers in every integer parameter's range, so that every
    one of them is sampled (4 levels on 1…5 would give 1, 2, 4, 5 and never 3)."""
    levels = design.levels or DEFAULT_MORRIS_LEVELS
    for name in integer_parameters(design):
        low, high = design.parameters[name]
        count = int(high) - int(low) + 1
        levels = max(levels, count + count % 2)
    return levels


def lhs_discrepancy(design: DesignSpec, scenario_seed: int = DEFAULT_DESIGN_SEED
                    ) -> tuple[float, float]:
    """Centred L2 discrepancy (lower: more even) of the optimised LHS this design uses, and of a
    plain LHS of the same size and seed, both on the unit hypercube."""
    from scipy.stats import qmc

    d, seed = len(design.parameters), design_seed(design, scenario_seed)
    optimised = _lhs_unit(d, design.samples, seed)
    plain = qmc.LatinHypercube(d=d, seed=seed).random(design.samples)
    return float(qmc.discrepancy(optimised)), float(qmc.discrepancy(plain))


def _lhs_unit(d: int, samples: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=seed, optimization="random-cd").random(samples)


def design_seed(design: DesignSpec, scenario_seed: int) -> int:
    """The sampler's seed: ``design.seed`` if given, else derived from the scenario seed."""
    return int(design.seed if design.seed is not None else scenario_seed % (2**32))


def design_matrix(design: DesignSpec, scenario_seed: int = DEFAULT_DESIGN_SEED) -> np.ndarray:
    """Raw sample matrix (rows = points, columns = parameters) for lhs, sobol and morris."""
    problem = salib_problem(design)
    seed = design_seed(design, scenario_seed)
    if design.method == "lhs":
        from scipy.stats import qmc

        unit = _lhs_unit(problem["num_vars"], design.samples, seed)
        bounds = np.asarray(problem["bounds"])
        return qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    if design.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=False, seed=seed)
    if design.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, design.samples, seed=seed,
                             num_levels=morris_levels(design))
    raise ValueError(f"design_matrix does not apply to method {design.method!r}")


def expected_points(design: DesignSpec) -> int:
    """How many points a design has (before crossing with arms and replications)."""
    d = len(design.parameters)
    if design.method == "grid":
        return math.prod(len(_grid_levels(n, v, design.levels))
                         for n, v in design.parameters.items())
    return {"lhs": design.samples, "sobol": design.samples * (d + 2),
            "morris": design.samples * (d + 1)}[design.method]


def _grid_levels(name: str, values: list[Any], levels: int | None) -> list[Any]:
    spec = param_spec(name)
    if len(values) == 2 and spec.is_numeric:
        grid = np.linspace(values[0], values[1], levels or DEFAULT_GRID_LEVELS)
        if spec.type == "int":
            return sorted({round(float(v)) for v in grid})
        return [float(v) for v in grid]
    return list(values)


def _typed(name: str, value: Any, bounds: list[Any]) -> Any:
    """A sampled number as the parameter's type: integers rounded into the design's range."""
    spec = param_spec(name)
    if spec.type == "int":
        whole = math.floor(float(value) + 0.5)
        if len(bounds) == 2:  # a sampled range (widened by ½ at each end but under Morris)
            whole = min(max(whole, bounds[0]), bounds[1])
        return int(whole)
    if spec.type == "float":
        return float(value)
    return value


def design_points(scenario: Scenario) -> list[DesignPoint]:
    """The design points of a scenario; a scenario without ``design`` has one empty point."""
    design = scenario.design
    if design is None:
        return [DesignPoint(0, {})]
    names = list(design.parameters)
    if design.method == "grid":
        axes = [_grid_levels(n, design.parameters[n], design.levels) for n in names]
        rows: Any = itertools.product(*axes)
    else:
        rows = design_matrix(design, scenario.seed).tolist()
    return [DesignPoint(i, {n: _typed(n, v, design.parameters[n])
                            for n, v in zip(names, row, strict=True)})
            for i, row in enumerate(rows)]


def parameter_kinds(design: DesignSpec | None) -> dict[str, str]:
    """``{name: "lever" | "uncertainty" | "structure"}`` for the varied parameters: the schema's
    kind unless the design's ``kinds`` overrides it."""
    if design is None:
        return {}
    overrides = design.kinds or {}
    return {n: overrides.get(n, param_spec(n).kind) for n in design.parameters}
