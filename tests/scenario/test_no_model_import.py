"""The scenario package does not import the model: the outcome names it checks are passed in."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from impl_sim.scenario.loader import ScenarioError, parse_scenario

PROBE = textwrap.dedent("""
    import json, sys
    import impl_sim.scenario, impl_sim.scenario.loader, impl_sim.scenario.design
    from impl_sim.scenario.loader import parse_scenario
    from impl_sim.scenario.design import design_points
    sc = parse_scenario({"name": "probe", "arms": {"a": {}, "b": {"leaders.style":
                         "passive_support"}}, "outputs": {"outcomes": ["adoption"]},
                         "design": {"method": "lhs", "samples": 4, "parameters":
                                    {"therapists.annual_turnover": [0.1, 0.3]}}})
    design_points(sc)
    print(json.dumps(sorted(m for m in sys.modules if m.startswith("impl_sim"))))
""")


def test_importing_and_using_the_scenario_package_does_not_import_the_model():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=300, check=True)
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "impl_sim.scenario.loader" in modules  # the probe did load the package
    assert not [m for m in modules if m == "impl_sim.model" or m.startswith("impl_sim.model.")]


def test_outcome_names_are_checked_when_passed_in():
    doc = {"name": "x", "outputs": {"outcomes": ["adoptoin"]}}
    with pytest.raises(ScenarioError, match=r"outputs\.outcomes\[0\]: unknown outcome .*adoption"):
        parse_scenario(doc, "x.yaml", outcome_names=["adoption", "penetration"])
    assert parse_scenario(doc, "x.yaml").outputs["outcomes"] == ["adoptoin"]  # shape only
    with pytest.raises(ScenarioError, match=r"outputs\.outcomes\[0\]"):
        parse_scenario({"name": "x", "outputs": {"outcomes": [3]}}, "x.yaml")
