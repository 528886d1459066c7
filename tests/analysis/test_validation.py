"""Validation: pass/fail follows the simulation, and the output is the same twice."""

import json
import textwrap

from typer.testing import CliRunner

from impl_sim.analysis.validation import load_targets, validate
from impl_sim.cli import app

SMALL = """
name: small
defaults: {replications: 4, seed: 11, horizon_months: 36,
           base: {services.count: 1, services.therapists_per_service: 8,
                  training.enrolled_share: 1.0}}
targets:
  - id: right_direction
    description: staff who never leave are retained more than staff who mostly leave
    arms: &turnover {none: {therapists.annual_turnover: 0.0},
                     high: {therapists.annual_turnover: 0.5}}
    outcome: trained_retention
    compare: difference
    arm: none
    reference: high
    direction: greater
  - id: wrong_direction
    arms: *turnover
    outcome: trained_retention
    compare: difference
    arm: none
    reference: high
    direction: less
  - id: retention_is_complete_without_turnover
    arms: *turnover
    arm: none
    outcome: trained_retention
    value: 1.0
    tolerance: 0.001
  - id: ratio
    arms: *turnover
    outcome: trained_retention
    compare: ratio
    arm: high
    reference: none
    band: [0.0, 0.9]
  - id: no_turnover_retains_most
    arms: &three_rates {none: {therapists.annual_turnover: 0.0},
                        some: {therapists.annual_turnover: 0.2},
                        high: {therapists.annual_turnover: 0.5}}
    outcome: trained_retention
    compare: largest
    order: [none, some, high]
    direction: greater
  - id: high_turnover_retains_most
    arms: *three_rates
    outcome: trained_retention
    compare: largest
    order: [high, none, some]
    direction: greater
  - id: series_month
    role: calibration
    arms: *turnover
    arm: none
    outcome: trained_in_post@training_end+12
    reference_outcome: trained_in_post@training_end
    compare: difference
    band: [-0.5, 0.5]
"""


def test_pass_and_fail_follow_the_simulated_mechanism(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL))
    results = {r.target.id: r for r in validate(load_targets(path).targets)}
    assert results["right_direction"].passed and results["right_direction"].lo > 0
    assert not results["wrong_direction"].passed
    assert results["right_direction"].simulated == results["wrong_direction"].simulated
    assert results["retention_is_complete_without_turnover"].simulated == 1.0
    assert results["retention_is_complete_without_turnover"].passed
    ratio = results["ratio"]
    assert ratio.lo <= ratio.simulated <= ratio.hi and ratio.simulated < 0.9
    largest, wrong = results["no_turnover_retains_most"], results["high_turnover_retains_most"]
    assert largest.passed and largest.lo > 0 and not wrong.passed and wrong.simulated < 0
    assert largest.target.label == ("trained_retention: none above the largest of some, high")
    # without turnover nobody trained leaves: the count 12 months on is unchanged
    assert results["series_month"].simulated == 0.0 and results["series_month"].passed


def test_validate_json_is_identical_twice_and_strict_exits_1(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL))
    runner = CliRunner()
    first = runner.invoke(app, ["validate", "--targets", str(path), "--json",
                                "--no-plausibility"])
    second = runner.invoke(app, ["validate", "--targets", str(path), "--json", "--workers", "2",
                                 "--no-plausibility"])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert document["plausibility"] is None
    records = document["targets"]
    assert [r["id"] for r in records][:2] == ["right_direction", "wrong_direction"]
    assert {"id", "expected", "simulated", "lo", "hi", "passed"} <= set(records[0])
    assert [r["passed"] for r in records[:2]] == [True, False]
    strict = runner.invoke(app, ["validate", "--targets", str(path), "--strict"])
    assert strict.exit_code == 1
    assert "5 of 7 targets met" in " ".join(strict.stdout.split())


def test_validate_json_carries_the_plausibility_table(tmp_path):
    """Every plausibility row reaches the JSON with its value, range, flag and source."""
    from impl_sim.analysis.plausibility_data import PLAUSIBILITY_ROWS

    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL))
    result = CliRunner().invoke(app, ["validate", "--targets", str(path), "--json",
                                      "--replications", "2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["plausibility"]
    assert [r["id"] for r in rows] == [r["id"] for r in PLAUSIBILITY_ROWS]
    for row in rows:
        low, high = row["range"]
        assert row["source"] and row["url"].startswith("http")
        assert row["outside"] == (row["model"] is None or not low <= row["model"] <= high)


def test_largest_is_undefined_when_an_arm_is_undefined_whatever_the_order():
    import math

    import numpy as np

    from impl_sim.analysis.validation import _largest

    first, other, undefined = np.array([3.0, 5.0]), np.array([1.0, 2.0]), np.full(2, np.nan)
    assert _largest(first, other) == 4.0 - 1.5
    assert math.isnan(_largest(first, undefined, other))
    assert math.isnan(_largest(first, other, undefined))
    assert math.isnan(_largest(undefined, other))
