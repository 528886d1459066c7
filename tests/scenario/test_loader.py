"""Scenario files: what loads, what it means, and what is refused (in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from impl_sim.params import Params
from impl_sim.scenario.loader import ScenarioError, load_scenario, parse_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_every_shipped_scenario_loads_and_explains_itself(path):
    scenario = load_scenario(path)
    assert len(scenario.description) > 80  # states the question and what to look at
    for arm in scenario.arms:
        assert isinstance(scenario.params_for(arm), Params)


def test_evidence_scenarios_cover_s1_to_s6():
    names = {p.name.split("_")[0] for p in SCENARIOS}
    assert {"baseline.yaml", "s1", "s2", "s3", "s4", "s5", "s6"} <= names


def test_arms_share_base_and_strategies_and_differ_only_in_their_overrides():
    scenario = parse_scenario({
        "name": "x", "base": {"services": {"count": 2}},
        "strategies": {"booster_consultation": {"sessions_per_month": 2}},
        "arms": {"a": {"leaders.style": "passive_support"},
                 "b": {"strategies": {"protected_time": True}}},
    })
    a, b = scenario.params_for("a"), scenario.params_for("b")
    assert a.services.count == b.services.count == 2
    assert a.strategies.booster_consultation.enabled and b.strategies.booster_consultation.enabled
    assert a.strategies.booster_consultation.sessions_per_month == 2
    assert not a.strategies.protected_time.enabled and b.strategies.protected_time.enabled
    assert a.leaders.style.value == "passive_support" != b.leaders.style.value


def test_round_trip_through_yaml_keeps_the_hash(tmp_path):
    scenario = load_scenario(SCENARIOS[0])
    path = tmp_path / "again.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    assert load_scenario(path).hash() == scenario.hash()


def test_hash_changes_with_content_but_not_with_description():
    doc = {"name": "x", "description": "one", "replications": 3}
    base = parse_scenario(doc).hash()
    assert parse_scenario({**doc, "description": "two"}).hash() == base
    assert parse_scenario({**doc, "replications": 4}).hash() != base


@pytest.mark.parametrize(("doc", "key"), [
    ({"name": "x", "arms": {"a": {"leaders.style": "bossy"}}}, "arms.a.leaders.style"),
    ({"name": "x", "base": {"therapists.motivaton_mean": 0.5}}, "base.therapists.motivaton_mean"),
    ({"name": "x", "strategies": {"protected_time": {"hours": 2}}}, "strategies.protected_time"),
    ({"name": "x", "horizon_months": 5}, "horizon_months"),
])
def test_errors_name_the_offending_key(doc, key):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(doc, "f.yaml")
    assert key in str(err.value)
    assert str(err.value).startswith("f.yaml")
