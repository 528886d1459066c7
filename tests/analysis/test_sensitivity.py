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
