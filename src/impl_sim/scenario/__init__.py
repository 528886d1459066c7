"""Scenario files and experimental designs."""

from impl_sim.scenario.loader import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_scenario"]
