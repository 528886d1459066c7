"""A tiny sweep scenario: small enough to run in a second, big enough to have several parts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from impl_sim.scenario.loader import Scenario, load_scenario

TINY = {
    "name": "tiny-sweep",
    "horizon_months": 24,
    "replications": 2,
    "seed": 5,
    "base": {"services.count": 1, "services.therapists_per_service": 4},
    "arms": {"passive": {"leaders.style": "passive_support"},
             "leading": {"leaders.style": "implementation_leadership"}},
    "design": {"method": "lhs", "samples": 4,
               "parameters": {"therapists.motivation_mean": [0.2, 0.9],
                              "training.gatherings": [1, 5]}},
    "outputs": {"series": True, "events": True},
}


def write_scenario(path: Path, **changes) -> Path:
    """Write TINY (with top-level ``changes``) as YAML to ``path``."""
    path.write_text(yaml.safe_dump({**TINY, **changes}, sort_keys=False))
    return path


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    return write_scenario(tmp_path / "tiny.yaml")


@pytest.fixture
def tiny(tiny_file: Path) -> Scenario:
    return load_scenario(tiny_file)


@pytest.fixture(scope="session")
def serial_results(tmp_path_factory: pytest.TempPathFactory):
    """TINY run once, serially, into a results directory: the reference tables."""
    from impl_sim.experiment.runner import run_scenario

    path = write_scenario(tmp_path_factory.mktemp("serial") / "tiny.yaml")
    return run_scenario(load_scenario(path), out=path.parent / "results", executor="serial")


@pytest.fixture
def make_scenario_file(tmp_path: Path):
    """``make_scenario_file(name, **changes)``: TINY with top-level changes, written to a file."""
    return lambda name, **changes: write_scenario(tmp_path / f"{name}.yaml", **changes)
