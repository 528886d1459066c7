"""Calibration: deterministic with a seed, resumable from its cache, moves toward the targets."""

import textwrap

import pytest

from impl_sim.analysis.calibration import calibrate, parse_free
from impl_sim.analysis.validation import load_targets
from impl_sim.params import Params
from impl_sim.scenario.loader import ScenarioError, parse_scenario

TARGETS = """
defaults: {replications: 3, seed: 3, horizon_months: 36,
           base: {services.count: 1, services.therapists_per_service: 8}}
targets:
  - id: retention
    role: calibration
    outcome: trained_retention
    band: [0.9, 1.0]
  - id: held_back
    outcome: training_completion
    band: [0.8, 1.0]
"""


@pytest.fixture
def problem(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent(TARGETS))
    scenario = parse_scenario({"name": "fit"}, "fit.yaml")
    free = parse_free(["therapists.annual_turnover=0.0:0.6"], scenario)
    return scenario, load_targets(path), free


def test_calibration_is_deterministic_and_resumes_from_its_cache(tmp_path, problem):
    scenario, targets, free = problem
    first = calibrate(scenario, targets, free, budget=10, cache_dir=tmp_path / "a")
    again = calibrate(scenario, targets, free, budget=10, cache_dir=tmp_path / "b")
    assert first.best.values == again.best.values
    assert first.best.distance == again.best.distance
    assert first.base_snippet() == again.base_snippet()
    resumed = calibrate(scenario, targets, free, budget=10, cache_dir=tmp_path / "a")
    assert resumed.cache_hits == resumed.evaluations
    assert resumed.best.values == first.best.values


def test_calibration_moves_toward_the_target_and_reports_held_back_targets(tmp_path, problem):
    scenario, targets, free = problem
    result = calibrate(scenario, targets, free, budget=10, cache_dir=None)
    # the default turnover loses trained staff; the fit must lower it
    default = Params().therapists.annual_turnover
    assert result.start.values == {"therapists.annual_turnover": default}
    assert result.best.distance < result.start.distance
    assert result.best.values["therapists.annual_turnover"] < default
    assert [r.target.id for r in result.calibration] == ["retention"]
    assert [r.target.id for r in result.validation] == ["held_back"]
    assert result.base_snippet().startswith("base:\n  therapists.annual_turnover: ")


@pytest.mark.parametrize("spec, problem_text", [
    ("therapists.annual_turnovr", "did you mean"),
    ("leaders.style", "cannot be calibrated"),
    ("therapists.annual_turnover=0.5:0.1", "low < high"),
    ("therapists.annual_turnover=0:2", "within"),
])
def test_bad_free_parameters_are_named(spec, problem_text):
    scenario = parse_scenario({"name": "fit"}, "fit.yaml")
    with pytest.raises(ScenarioError, match=problem_text):
        parse_free([spec], scenario)
