"""Sensitivity analysis: ranks a planted dominant parameter first; a parameter that cannot act
gets an index of about zero."""

import numpy as np
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from impl_sim.analysis.sensitivity import (
    morris_indices,
    run_sensitivity,
    sensitivity_scenario,
    sobol_indices,
    sobol_warnings,
)
from impl_sim.scenario.loader import ScenarioError, parse_scenario

PROBLEM = {"num_vars": 3, "names": ["dominant", "weak", "inert"],
           "bounds": [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]}


def toy(x: np.ndarray) -> np.ndarray:
    """A linear function: 'dominant' explains ~96 % of the variance, 'inert' none."""
    return 5.0 * x[:, 0] + 1.0 * x[:, 1] + 0.0 * x[:, 2]


def test_sobol_ranks_the_dominant_parameter_first_and_the_inert_one_near_zero():
    x = sobol_sample.sample(PROBLEM, 512, calc_second_order=False, seed=1)
    table = sobol_indices(PROBLEM, toy(x)).set_index("parameter")
    assert table["ST"].idxmax() == "dominant"
    assert table.loc["dominant", "ST"] == pytest.approx(25 / 26, abs=0.08)
    assert abs(table.loc["inert", "ST"]) < 0.01
    assert table.loc["dominant", "ST"] > table.loc["weak", "ST"] > table.loc["inert", "ST"]


def test_morris_ranks_the_dominant_parameter_first():
    x = morris_sample.sample(PROBLEM, 20, num_levels=4, seed=1)
    table = morris_indices(PROBLEM, x, toy(x), levels=4).set_index("parameter")
    assert table.loc["dominant", "mu_star"] == pytest.approx(5.0, rel=0.01)
    assert table.loc["weak", "mu_star"] == pytest.approx(1.0, rel=0.01)
    assert table.loc["inert", "mu_star"] == pytest.approx(0.0, abs=1e-9)


def test_morris_effect_of_an_integer_parameter_uses_the_step_actually_taken():
    # y = 2 × count on the whole numbers 1…5: one unit of count is a quarter of the range, so
    # the elementary effect per range is exactly 8. SALib's nominal step (2.4 of the 4 units at
    # 6 levels) is not what rounding runs, so its mu_star is off; ours must be exact.
    problem = {"num_vars": 2, "names": ["count", "share"], "bounds": [[1.0, 5.0], [0.0, 1.0]]}
    x = morris_sample.sample(problem, 30, num_levels=6, seed=2)
    y = 2.0 * np.floor(x[:, 0] + 0.5) + 0.5 * x[:, 1]
    salib_only = morris_indices(problem, x, y, levels=6).set_index("parameter")
    table = morris_indices(problem, x, y, levels=6, integers=["count"]).set_index("parameter")
    assert table.loc["count", "mu_star"] == pytest.approx(8.0, rel=1e-9)
    assert table.loc["count", "sigma"] == pytest.approx(0.0, abs=1e-9)
    assert abs(salib_only.loc["count", "mu_star"] - 8.0) > 0.05 * 8.0
    assert table.loc["share", "mu_star"] == pytest.approx(0.5, rel=1e-6)


def test_sobol_with_too_few_samples_warns_with_the_n_needed():
    x = sobol_sample.sample(PROBLEM, 4, calc_second_order=False, seed=1)
    rng = np.random.default_rng(0)
    noisy = toy(x) + rng.normal(0, 3, len(x))
    messages = sobol_warnings(sobol_indices(PROBLEM, noisy), 4, "toy")
    assert len(messages) == 1 and "N = 4" in messages[0]
    needed = int(messages[0].split("about N = ")[1].split()[0])
    assert needed > 4 and needed & (needed - 1) == 0  # a larger power of two
    x = sobol_sample.sample(PROBLEM, 1024, calc_second_order=False, seed=1)
    assert sobol_warnings(sobol_indices(PROBLEM, toy(x)), 1024, "toy") == []


TINY = {
    "name": "tiny-sensitivity",
    "horizon_months": 36,
    "replications": 1,
    "seed": 7,
    # no turnover at all: the pressure effect on turnover has nothing to act on
    "base": {"services.count": 1, "services.therapists_per_service": 6,
             "therapists.annual_turnover": 0.0},
    "design": {"method": "sobol", "samples": 8, "parameters": {
        "therapists.motivation_mean": [0.1, 0.9],
        "services.eligible_referrals_per_month": [0.3, 3.0],
        "therapists.turnover_pressure_effect": [0.0, 3.0],
    }},
    "outputs": {"series": False},
}


def test_a_parameter_acting_only_through_turnover_has_no_effect_without_turnover(tmp_path):
    scenario = parse_scenario(TINY, "tiny.yaml")
    report = run_sensitivity(scenario, out=tmp_path, outcomes=["sustainment_12m", "adoption",
                                                               "cases_started"])
    table = report.table.set_index(["outcome", "parameter"])
    for outcome in ("sustainment_12m", "adoption", "cases_started"):
        inert = table.loc[(outcome, "therapists.turnover_pressure_effect")]
        assert abs(inert["ST"]) < 1e-9 and abs(inert["S1"]) < 1e-9
    cases = table.loc["cases_started"]
    assert cases["ST"].idxmax() != "therapists.turnover_pressure_effect"
    assert cases["ST"].max() > 0.1
    # outputs a user can open: ranked table and a chart per outcome
    names = {p.name for p in report.files}
    assert {"indices.csv", "indices.md", "sensitivity-cases_started.png"} <= names
    assert "| 1 |" in (report.results_dir / "sensitivity" / "indices.md").read_text()


def test_method_override_and_bad_method():
    scenario = parse_scenario(TINY, "tiny.yaml")
    assert sensitivity_scenario(scenario, "morris").design.method == "morris"
    lhs = parse_scenario({**TINY, "design": {**TINY["design"], "method": "lhs"}}, "t.yaml")
    assert sensitivity_scenario(lhs).design.method == "sobol"
    with pytest.raises(ScenarioError, match=r"design\.method"):
        sensitivity_scenario(scenario, "fast")
    no_design = parse_scenario({k: v for k, v in TINY.items() if k != "design"}, "t.yaml")
    with pytest.raises(ScenarioError, match="needs a design block"):
        sensitivity_scenario(no_design)


def test_the_scenario_chooses_the_outcomes_analysed(tmp_path):
    from impl_sim.analysis.sensitivity import SENSITIVITY_OUTCOMES

    chosen = {**TINY, "outputs": {"series": False, "outcomes": ["cases_started"]}}
    report = run_sensitivity(parse_scenario(chosen, "tiny.yaml"), out=tmp_path / "a")
    assert set(report.table["outcome"]) == {"cases_started"}
    default = run_sensitivity(parse_scenario(TINY, "tiny.yaml"), out=tmp_path / "b")
    assert set(default.table["outcome"]) == set(SENSITIVITY_OUTCOMES)
