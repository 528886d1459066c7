"""Experimental designs: a scenario's ``design`` block → a list of design points.

Plain like SALib: design in, points out. Each point is a dict of parameter overrides that is
crossed with every arm and every replication by the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from impl_sim.scenario.loader import Scenario, ScenarioError


@dataclass(frozen=True)
class DesignPoint:
    """One point of a design: its index and the parameter values it sets."""

    point: int
    values: dict[str, Any]


def design_points(scenario: Scenario) -> list[DesignPoint]:
    """The design points of a scenario; a scenario without ``design`` has one empty point."""
    if scenario.design is None:
        return [DesignPoint(0, {})]
    raise ScenarioError(scenario.source, "design",
                        f"method '{scenario.design.method}' is not yet supported")
