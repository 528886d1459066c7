"""Experimental designs: sizes, bounds, types, agreement with SALib, reproducibility, errors."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.sample import morris as salib_morris
from SALib.sample import sobol as salib_sobol

from impl_sim.params import param_spec
from impl_sim.scenario.design import (
    design_matrix,
    design_points,
    expected_points,
    lhs_discrepancy,
    morris_levels,
    parameter_kinds,
    salib_problem,
)
from impl_sim.scenario.loader import ScenarioError, parse_scenario

RANGES = {
    "therapists.motivation_mean": [0.2, 0.9],
    "therapists.annual_turnover": [0.1, 0.5],
    "training.gatherings": [0, 6],  # an int parameter
}


def scenario(method: str, samples: int = 8, parameters=None, **design):
    doc = {"name": "design-test", "seed": 42, "replications": 2,
           "design": {"method": method, "samples": samples,
                      "parameters": parameters or RANGES, **design}}
    return parse_scenario(doc, "test.yaml")


@pytest.mark.parametrize(("method", "samples", "expected"), [
    ("lhs", 10, 10),
    ("sobol", 8, 8 * (3 + 2)),
    ("morris", 5, 5 * (3 + 1)),
])
def test_sampled_designs_have_the_documented_number_of_points(method, samples, expected):
    sc = scenario(method, samples)
    points = design_points(sc)
    assert len(points) == expected == expected_points(sc.design)
    assert [p.point for p in points] == list(range(expected))


def test_grid_is_the_full_product_of_levels():
    sc = scenario("grid", parameters={"therapists.motivation_mean": [0.2, 0.8],
                                      "leaders.style": ["passive_support",
                                                        "implementation_leadership"]},
                  levels=4)
    points = design_points(sc)
    assert len(points) == 4 * 2 == expected_points(sc.design)
    combos = {(p.values["therapists.motivation_mean"], p.values["leaders.style"])
              for p in points}
    assert len(combos) == 8
    motivations = sorted({p.values["therapists.motivation_mean"] for p in points})
    assert motivations == pytest.approx([0.2, 0.4, 0.6, 0.8])


@pytest.mark.parametrize("method", ["lhs", "sobol", "morris"])
def test_sampled_values_respect_bounds_and_integers_are_whole(method):
    points = design_points(scenario(method, 16))
    for name, (lo, hi) in RANGES.items():
        values = [p.values[name] for p in points]
        assert min(values) >= lo and max(values) <= hi, name
        if param_spec(name).type == "int":
            assert all(isinstance(v, int) for v in values)
        else:
            assert all(isinstance(v, float) for v in values)


def test_integer_ranges_give_every_whole_number_a_fair_share():
    # 700 LHS points over 0..6: each of the 7 values should get about 100 (plain rounding of
    # [0, 6] would give the two ends about 50 each).
    points = design_points(scenario("lhs", 700))
    counts = np.bincount([p.values["training.gatherings"] for p in points], minlength=7)
    assert counts.min() >= 90 and counts.max() <= 110, counts


def test_sobol_matrix_equals_salib_for_the_same_problem_and_seed():
    sc = scenario("sobol", 16, seed=7)
    expected = salib_sobol.sample(salib_problem(sc.design), 16, calc_second_order=False, seed=7)
    np.testing.assert_array_equal(design_matrix(sc.design, sc.seed), expected)
    first = design_points(sc)[0].values
    assert first["therapists.motivation_mean"] == expected[0, 0]


def test_morris_matrix_equals_salib_for_the_same_problem_and_seed():
    sc = scenario("morris", 6, seed=3)
    # training.gatherings takes 7 whole numbers: the grid needs 8 levels to reach them all
    assert morris_levels(sc.design) == 8
    expected = salib_morris.sample(salib_problem(sc.design), 6, num_levels=8, seed=3)
    np.testing.assert_array_equal(design_matrix(sc.design, sc.seed), expected)


def test_morris_samples_every_whole_number_of_an_integer_range():
    # 4 levels on [1, 5] would give 1, 2, 4, 5 and never 3
    sc = scenario("morris", 40, parameters={"services.count": [1, 5],
                                            "therapists.motivation_mean": [0.2, 0.9]})
    values = {p.values["services.count"] for p in design_points(sc)}
    assert values == {1, 2, 3, 4, 5}
    floats = scenario("morris", 4, parameters={"therapists.motivation_mean": [0.2, 0.9],
                                               "therapists.annual_turnover": [0.1, 0.5]})
    assert morris_levels(floats.design) == 4


def test_optimised_lhs_is_more_even_than_a_plain_one():
    twelve = {n: [0.1, 0.9] for n in ("therapists.motivation_mean", "therapists.readiness_mean",
                                       "therapists.autonomy_preference_mean",
                                       "therapists.self_leadership_mean",
                                       "services.production_pressure",
                                       "training.programme_flexibility")}
    sc = scenario("lhs", 64, parameters=twelve)
    optimised, plain = lhs_discrepancy(sc.design, sc.seed)
    assert optimised < 0.8 * plain
    # still a Latin hypercube: each of the 64 strata of every parameter holds one point
    unit = (design_matrix(sc.design, sc.seed) - 0.1) / 0.8
    for column in unit.T:
        assert sorted(np.floor(column * 64).astype(int)) == list(range(64))


@pytest.mark.parametrize("method", ["lhs", "sobol", "morris"])
def test_designs_are_reproducible_and_the_seed_matters(method):
    a = design_points(scenario(method, 8, seed=1))
    b = design_points(scenario(method, 8, seed=1))
    c = design_points(scenario(method, 8, seed=2))
    assert a == b
    assert a != c


def test_kinds_come_from_the_schema_and_a_design_may_override_them():
    sc = scenario("lhs", 4)
    assert parameter_kinds(sc.design) == {n: param_spec(n).kind for n in RANGES}
    assert parameter_kinds(sc.design)["training.gatherings"] == "lever"
    sc = scenario("lhs", 4, kinds={"therapists.annual_turnover": "lever"})
    assert parameter_kinds(sc.design)["therapists.annual_turnover"] == "lever"


@pytest.mark.parametrize(("design", "key", "words"), [
    ({"method": "lhs", "parameters": {"therapists.motivation_mean": [0.2, 1.5]}},
     "design.parameters.therapists.motivation_mean", "outside the allowed range"),
    ({"method": "lhs", "parameters": {"therapists.motivaton_mean": [0.2, 0.5]}},
     "design.parameters.therapists.motivaton_mean", "did you mean"),
    ({"method": "sobol", "samples": 100, "parameters": RANGES}, "design.samples",
     "power of 2"),
    ({"method": "morris", "levels": 3, "parameters": RANGES}, "design.levels", "even"),
    ({"method": "morris", "levels": 2, "parameters": RANGES}, "design.levels", "at least 4"),
    ({"method": "lhs", "parameters": RANGES, "kinds": {"therapists.annual_turnover": "knob"}},
     "design.kinds.therapists.annual_turnover", "lever"),
    ({"method": "lhs", "parameters": RANGES, "kinds": {"leaders.proactive": "lever"}},
     "design.kinds.leaders.proactive", "not a design parameter"),
])
def test_bad_designs_name_the_key_and_what_is_allowed(design, key, words):
    with pytest.raises(ScenarioError) as err:
        parse_scenario({"name": "bad", "design": design}, "bad.yaml")
    assert err.value.key == key
    assert words in err.value.problem


def test_a_design_parameter_also_set_by_an_arm_is_refused():
    with pytest.raises(ScenarioError, match="also set by arm 'a'"):
        parse_scenario({"name": "clash", "arms": {"a": {"therapists.annual_turnover": 0.2}},
                        "design": {"method": "lhs", "parameters": RANGES}}, "clash.yaml")


def test_series_default_off_for_designs_on_without():
    assert parse_scenario({"name": "plain"}).outputs["series"] is True
    assert scenario("lhs").outputs["series"] is False
    on = parse_scenario({"name": "on", "outputs": {"series": True},
                         "design": {"method": "lhs", "parameters": RANGES}})
    assert on.outputs["series"] is True
