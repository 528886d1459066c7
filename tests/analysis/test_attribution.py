"""Attribution: Shapley shares recover paths of known size, add up to the difference, leave
nothing when every path is off, and do not depend on the number of workers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from impl_sim.analysis.attribution import (
    MAX_EXACT_PATHS,
    attribute_outcome,
    choose_arms,
    coalitions_needed,
    explain,
    markdown_table,
    sentence,
    share_words,
    write_outputs,
)
from impl_sim.experiment.executors import make_executor
from impl_sim.experiment.runner import run_one
from impl_sim.scenario.loader import ScenarioError, parse_scenario

RNG = np.random.default_rng(5)


def synthetic_differences(paths, effect, replications=30):
    """B − A per replication for every combination of switched-off paths: ``effect(S)`` plus
    noise shared by every combination (common random numbers)."""
    noise = RNG.normal(0, 0.05, replications)
    return {frozenset(c): effect(frozenset(c)) + noise
            for k in range(len(paths) + 1) for c in itertools.combinations(paths, k)}


def test_two_independent_paths_of_known_size_are_recovered():
    paths = ["routing", "climate"]
    diffs = synthetic_differences(
        paths, lambda off: 0.3 * ("routing" not in off) + 0.1 * ("climate" not in off))
    result = attribute_outcome("sustainment_24m", paths, diffs)
    by = {p.path: p for p in result.paths}
    assert by["routing"].shapley == pytest.approx(0.3)
    assert by["climate"].shapley == pytest.approx(0.1)
    assert by["routing"].alone == pytest.approx(0.3) and by["climate"].alone == pytest.approx(0.1)
    # the noise is common to every combination, so it stays in the residual, not in a path
    assert result.residual == pytest.approx(result.difference - 0.4)
    assert by["routing"].lo == pytest.approx(0.3) == pytest.approx(by["routing"].hi)


def test_an_interaction_is_split_evenly_and_cumulative_order_shows_it():
    paths = ["a", "b"]
    diffs = synthetic_differences(paths, lambda off: 0.2 * (not off & {"a", "b"}))
    result = attribute_outcome("adoption", paths, diffs)
    by = {p.path: p for p in result.paths}
    assert by["a"].shapley == pytest.approx(0.1) and by["b"].shapley == pytest.approx(0.1)
    assert by["a"].cumulative == pytest.approx(0.2) and by["b"].cumulative == pytest.approx(0.0)


def test_sampled_shapley_for_many_paths_still_adds_up():
    paths = [f"p{i}" for i in range(MAX_EXACT_PATHS + 2)]
    sizes = {p: 0.01 * (i + 1) for i, p in enumerate(paths)}
    combos = coalitions_needed(paths)
    assert len(combos) < 2 ** len(paths)
    noise = RNG.normal(0, 0.01, 10)
    diffs = {c: sum(s for p, s in sizes.items() if p not in c) + noise for c in combos}
    result = attribute_outcome("adoption", paths, diffs)
    for share in result.paths:  # additive paths: every order gives the exact size
        assert share.shapley == pytest.approx(sizes[share.path])
    assert sum(p.shapley for p in result.paths) + result.residual == \
        pytest.approx(result.difference)


def toy_scenario(replications=3):
    """Arm B raises two costs that do not feed back into behaviour: the training fee per
    trainee and the price of a consultation session. Each 'path' puts one back."""
    return parse_scenario({
        "name": "toy-costs", "horizon_months": 30, "replications": replications, "seed": 11,
        "base": {"services.count": 1, "services.therapists_per_service": 6},
        "arms": {"today": {},
                 "dearer": {"training.cost_per_trainee": 7000.0,
                            "training.consultation_cost_per_session": 90.0}}}, "toy.yaml")


TOY_PATHS = {"training_fee": {"training.cost_per_trainee": 6000.0},
             "consultation_price": {"training.consultation_cost_per_session": 60.0}}


def test_toy_model_paths_carry_their_known_cost_and_nothing_is_left():
    scenario = toy_scenario()
    result = explain(scenario, paths=TOY_PATHS, outcomes=["cost_total"])
    costs = [run_one(scenario.params_for("today"), scenario.seed, r).costs
             for r in range(scenario.replications)]
    p = scenario.params_for("today").training
    trainees = np.mean([c["training"] for c in costs]) / (
        p.cost_per_trainee + p.hours_total * p.therapist_hour_cost)
    expected = {"training_fee": 1000.0 * trainees,
                "consultation_price": 0.5 * np.mean([c.get("consultation", 0) for c in costs])}
    cost = result.outcomes["cost_total"]
    for share in cost.paths:
        assert share.shapley == pytest.approx(expected[share.path], rel=1e-9)
    assert cost.residual == 0.0  # every path off: the arms are the same world
    assert sum(s.share for s in cost.paths) == pytest.approx(1.0)


def test_attribution_is_identical_on_one_and_two_workers():
    scenario = toy_scenario(replications=2)
    serial = explain(scenario, paths=TOY_PATHS, outcomes=["cost_total", "adoption"])
    parallel = explain(scenario, paths=TOY_PATHS, outcomes=["cost_total", "adoption"],
                       executor=make_executor("processes", workers=2), workers=2)
    assert serial.as_json() == parallel.as_json()


def test_outputs_table_sentence_and_waterfall(tmp_path):
    result = explain(toy_scenario(replications=2), paths=TOY_PATHS, outcomes=["cost_total"])
    text = markdown_table(result)
    assert "training_fee" in text and "cost_total" in text
    assert sentence(result.outcomes["cost_total"], result).startswith("Total cost (dearer − today")
    files = write_outputs(result, tmp_path, "cost_total")
    assert [f.name for f in files] == ["attribution.md", "attribution.json",
                                       "waterfall-cost_total.png"]
    assert files[2].stat().st_size > 1000


def test_a_path_working_against_the_difference_is_named_as_such():
    from impl_sim.analysis.attribution import Attribution

    paths = ["routing", "turnover"]
    diffs = synthetic_differences(
        paths, lambda off: 0.4 * ("routing" not in off) - 0.1 * ("turnover" not in off))
    result = attribute_outcome("adoption", paths, diffs)
    holder = Attribution(toy_scenario(), "today", "dearer", paths,
                         {"routing": "Leaders route families", "turnover": "Support keeps staff"},
                         {"adoption": result}, 4, 0, True)
    text = sentence(result, holder)
    assert "of the difference comes from the path “leaders route families”" in text
    assert "the path “support keeps staff” works against it" in text
    assert "negative share" not in text


def test_share_words():
    assert share_words(0.66) == "about two thirds"
    assert share_words(0.5) == "about half"
    assert share_words(0.97) == "almost all"
    assert share_words(0.02) == "little"


def test_arms_are_checked():
    scenario = toy_scenario()
    assert choose_arms(scenario, None) == ("today", "dearer")
    assert choose_arms(scenario, ["dearer", "today"]) == ("dearer", "today")
    with pytest.raises(ScenarioError, match="unknown arm 'tomorrow'"):
        choose_arms(scenario, ["today", "tomorrow"])
    with pytest.raises(ScenarioError, match="compares two arms"):
        choose_arms(parse_scenario({"name": "one"}, "one.yaml"), None)


def test_with_every_mechanism_path_off_leadership_and_passive_support_coincide():
    from impl_sim.analysis.attribution import mechanism_path_overrides

    paths = mechanism_path_overrides()
    everything = {k: v for overrides in paths.values() for k, v in overrides.items()}
    names = list(paths)
    half = len(names) // 2
    groups = {"first_half": {n: False for n in names[:half]},
              "second_half": {n: False for n in names[half:]}}
    assert {**groups["first_half"], **groups["second_half"]} == everything
    scenario = parse_scenario({
        "name": "leaders", "horizon_months": 36, "replications": 3, "seed": 2,
        "base": {"services.count": 2, "services.therapists_per_service": 5,
                 "training.enrolled_share": 1.0},
        "arms": {"passive_support": {"leaders.style": "passive_support"},
                 "implementation_leadership": {"leaders.style": "implementation_leadership"}}},
        "leaders.yaml")
    result = explain(scenario, paths=groups, outcomes=["cases_started", "adoption"])
    for item in result.outcomes.values():
        assert item.residual == 0.0  # every path off: the arms are the same world
        assert sum(p.shapley for p in item.paths) == pytest.approx(item.difference)
    assert result.outcomes["adoption"].difference != 0.0  # there was something to explain


def test_a_label_is_lowered_inside_a_sentence_unless_it_starts_with_an_acronym():
    from impl_sim.analysis.attribution import _mid_sentence

    assert _mid_sentence("A positive climate lowers turnover") == (
        "the path “a positive climate lowers turnover”")
    assert _mid_sentence("Leaders route families") == "the path “leaders route families”"
    assert _mid_sentence("CPP stays a priority") == "the path “CPP stays a priority”"
