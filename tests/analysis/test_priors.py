"""Priors declared in the targets file: checked with one readable line (exit 2 on the command
line), drawn from by generation 0, carried by the weights — a narrow prior pulls the posterior
towards its centre."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from impl_sim.analysis.abc import AbcSettings, calibrate_abc, prior_proposals
from impl_sim.analysis.calibration import parse_free
from impl_sim.analysis.priors import PriorError, apply_priors, parse_priors, unused_priors
from impl_sim.analysis.validation import parse_targets
from impl_sim.cli import app
from impl_sim.scenario.loader import parse_scenario

WORLD = {"services.count": 1, "services.therapists_per_service": 6}
HORIZON = 30
PARAM = "cases.dropout_hazard"


def targets_doc(priors=None) -> dict:
    doc = {"name": "priors-test",
           "defaults": {"replications": 2, "horizon_months": HORIZON, "base": WORLD,
                        "role": "calibration"},
           # a loose target: the data say little, so the prior shows in the posterior
           "targets": [{"id": "families", "outcome": "completion_rate", "band": [0.0, 0.9]}]}
    if priors is not None:
        doc["priors"] = priors
    return doc


def scenario():
    return parse_scenario({"name": "priors-world", "base": WORLD, "horizon_months": HORIZON},
                          "world.yaml")


@pytest.mark.parametrize(("priors", "key", "words"), [
    ({"cases.dropout_hazzard": {"distribution": "normal", "mean": 0.1, "sd": 0.02}},
     "priors.cases.dropout_hazzard", "did you mean"),
    ({PARAM: {"distribution": "gamma", "mean": 0.1}}, f"priors.{PARAM}.distribution",
     "uniform, normal, lognormal, beta"),
    ({PARAM: {"distribution": "normal", "mean": 0.1, "sigma": 0.02}}, f"priors.{PARAM}.sigma",
     "allowed: mean, sd"),
    ({PARAM: {"distribution": "normal", "mean": 0.1}}, f"priors.{PARAM}.sd", "missing"),
    ({PARAM: {"distribution": "normal", "mean": 0.1, "sd": -1}}, f"priors.{PARAM}.sd",
     "above 0"),
    ({PARAM: {"distribution": "normal", "mean": 7.0, "sd": 0.1}}, f"priors.{PARAM}.mean",
     "7"),
    ({PARAM: {"distribution": "uniform", "low": "a lot"}}, f"priors.{PARAM}.low",
     "finite number"),
    ({PARAM: {"distribution": "uniform", "low": 0.2, "high": 0.1}}, f"priors.{PARAM}.high",
     "above low"),
    ({"leaders.style": {"distribution": "uniform"}}, "priors.leaders.style", "no prior"),
    ([1, 2], "priors", "expected a mapping"),
])
def test_a_bad_prior_is_one_line_naming_file_key_and_what_is_allowed(priors, key, words):
    with pytest.raises(PriorError) as caught:
        parse_targets(targets_doc(priors), "t.yaml")
    message = str(caught.value)
    assert message.startswith(f"t.yaml: {key}: "), message
    assert words in message and "\n" not in message


def test_a_location_outside_the_schema_range_says_the_allowed_range():
    with pytest.raises(PriorError) as caught:
        parse_priors({PARAM: {"distribution": "normal", "mean": 7.0, "sd": 0.1}}, "t.yaml")
    from impl_sim.params import param_spec

    assert param_spec(PARAM).allowed() in str(caught.value)


def test_cli_exits_2_without_a_traceback_on_a_bad_prior(tmp_path):
    bad = tmp_path / "targets.yaml"
    bad.write_text(yaml.safe_dump(targets_doc({PARAM: {"distribution": "normal",
                                                       "mean": 0.1, "sd": 0}})))
    world = tmp_path / "world.yaml"
    world.write_text(yaml.safe_dump({"name": "w", "base": WORLD}))
    result = CliRunner().invoke(app, ["calibrate", str(world), "--targets", str(bad),
                                      "--method", "abc", "--free", PARAM])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"priors.{PARAM}.sd" in lines[0] and str(bad) in lines[0]
    assert "Traceback" not in result.output


def test_a_prior_for_a_parameter_that_is_not_free_is_not_used_and_named():
    targets = parse_targets(targets_doc({"training.annual_dropout": {
        "distribution": "uniform", "low": 0.1, "high": 0.2}}), "t.yaml")
    free = parse_free([PARAM], scenario())
    narrowed, built = apply_priors(free, targets.priors, targets.source)
    assert narrowed == free and list(built) == [PARAM]
    assert built[PARAM].distribution == "uniform"
    assert unused_priors(free, targets.priors) == ["training.annual_dropout"]


def test_uniform_and_beta_priors_narrow_the_range_and_the_default_stays_uniform():
    free = parse_free([f"{PARAM}=0.02:0.3", "training.annual_dropout=0:0.6"], scenario())
    priors = parse_priors({PARAM: {"distribution": "uniform", "low": 0.05, "high": 0.2},
                           "training.annual_dropout": {"distribution": "beta", "a": 2, "b": 5,
                                                       "high": 0.4}}, "t.yaml")
    narrowed, built = apply_priors(free, priors, "t.yaml")
    assert [(f.low, f.high) for f in narrowed] == [(0.05, 0.2), (0.0, 0.4)]
    assert built[PARAM].density(0.1) == pytest.approx(1 / 0.15)
    assert built[PARAM].density(0.25) == 0.0
    _, default = apply_priors(free, {}, "t.yaml")
    assert default[PARAM].distribution == "uniform" and default[PARAM].low == 0.02


def test_generation_zero_draws_from_a_normal_prior():
    free = parse_free([f"{PARAM}=0.02:0.3"], scenario())
    free, priors = apply_priors(free, parse_priors(
        {PARAM: {"distribution": "normal", "mean": 0.1, "sd": 0.02}}, "t.yaml"), "t.yaml")
    x = np.array([v[PARAM] for v, _ in prior_proposals(free, 400, 7, priors)])
    assert abs(x.mean() - 0.1) < 0.005 and 0.015 < x.std() < 0.025
    uniform = np.array([v[PARAM] for v, _ in prior_proposals(free, 400, 7)])
    assert uniform.std() > 0.06  # uniform on 0.02–0.3: sd ≈ 0.081


def test_a_narrow_normal_prior_pulls_the_posterior_towards_its_centre():
    centre = 0.24
    world = scenario()
    free = parse_free([f"{PARAM}=0.02:0.3"], world)
    settings = AbcSettings(population=12, generations=2, ppc_draws=2)
    flat = calibrate_abc(world, parse_targets(targets_doc(), "t.yaml"), free,
                         settings=settings, out=None)
    narrow = calibrate_abc(world, parse_targets(targets_doc(
        {PARAM: {"distribution": "normal", "mean": centre, "sd": 0.01}}), "t.yaml"), free,
        settings=settings, out=None)
    flat_ci, narrow_ci = flat.intervals[PARAM], narrow.intervals[PARAM]
    assert abs(narrow_ci["median"] - centre) < abs(flat_ci["median"] - centre)
    assert abs(narrow_ci["median"] - centre) < 0.02
    assert narrow_ci["hi"] - narrow_ci["lo"] < 0.5 * (flat_ci["hi"] - flat_ci["lo"])
    assert len(narrow.generations) == 2  # the weights of generation 1 carried the prior


def test_the_priors_example_in_the_analysis_guide_is_valid():
    from pathlib import Path

    guide = Path(__file__).resolve().parents[2] / "docs" / "guide-analysis.md"
    blocks = guide.read_text(encoding="utf-8").split("```yaml\n")[1:]
    examples = [yaml.safe_load(b.split("```")[0]) for b in blocks
                if b.startswith("priors:")]
    assert examples, "the guide shows a priors: example"
    for example in examples:
        parsed = parse_priors(example["priors"], "guide-analysis.md")
        assert {p["distribution"] for p in parsed.values()} == set(
            ["uniform", "normal", "lognormal", "beta"])
