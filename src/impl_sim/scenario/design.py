"""Experimental designs: a scenario's ``design`` block → a list of design points.

Plain like SALib: design in, points out. Each point is a dict of parameter overrides that the
runner crosses with every arm and every replication (replication r has the same seed in every
point and arm: common random numbers).

Methods:

* ``grid`` — full factorial; a ``[low, high]`` range gets ``levels`` evenly spaced values, a list
  of three or more values (or any non-numeric list) is taken as the levels themselves.
* ``lhs`` — Latin hypercube with ``samples`` points (scipy.stats.qmc).
* ``sobol`` — Saltelli/Sobol' sampling for first- and total-order indices (SALib,
  ``calc_second_order=False``): ``samples × (D + 2)`` points, in SALib's row order.
* ``morris`` — elementary-effects trajectories (SALib): ``samples × (D + 1)`` points.

Integer parameters are rounded after sampling. The matrix for sensitivity analysis is
:func:`design_matrix`; :func:`salib_problem` is the matching SALib problem.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from impl_sim.params import param_spec
from impl_sim.scenario.loader import DesignSpec, Scenario

DEFAULT_DESIGN_SEED = 12345


@dataclass(frozen=True)
class DesignPoint:
    """One point of a design: its index and the parameter values it sets."""

    point: int
    values: dict[str, Any]


def salib_problem(design: DesignSpec) -> dict[str, Any]:
    """The SALib ``problem`` dict for the ranged parameters of a design."""
    names = list(design.parameters)
    return {"num_vars": len(names), "names": names,
            "bounds": [list(map(float, design.parameters[n])) for n in names]}


def _seed(design: DesignSpec, scenario_seed: int) -> int:
    return int(design.seed if design.seed is not None else scenario_seed % (2**32))


def design_matrix(design: DesignSpec, scenario_seed: int = DEFAULT_DESIGN_SEED) -> np.ndarray:
    """Raw sample matrix (rows = points, columns = parameters) for lhs, sobol and morris."""
    problem = salib_problem(design)
    seed = _seed(design, scenario_seed)
    if design.method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=problem["num_vars"], seed=seed).random(design.samples)
        bounds = np.asarray(problem["bounds"])
        return qmc.scale(unit, bounds[:, 0], bounds[:, 1])
    if design.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.samples, calc_second_order=False, seed=seed)
    if design.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, design.samples, num_levels=max(design.levels, 4),
                             seed=seed)
    raise ValueError(f"design_matrix does not apply to method {design.method!r}")


def _grid_levels(name: str, values: list[Any], levels: int) -> list[Any]:
    spec = param_spec(name)
    if len(values) == 2 and spec.is_numeric:
        lo, hi = values
        grid = np.linspace(lo, hi, levels)
        return sorted({round(float(v)) for v in grid}) if spec.type == "int" else grid.tolist()
    return list(values)


def _typed(name: str, value: Any) -> Any:
    spec = param_spec(name)
    if spec.type == "int":
        return round(float(value))
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
        rows = itertools.product(*axes)
    else:
        rows = design_matrix(design, scenario.seed).tolist()
    return [DesignPoint(i, {n: _typed(n, v) for n, v in zip(names, row, strict=True)})
            for i, row in enumerate(rows)]


def parameter_kinds(design: DesignSpec) -> dict[str, str]:
    """``{name: "lever" | "uncertainty" | "structure"}`` for the varied parameters."""
    return {n: param_spec(n).kind for n in design.parameters}
