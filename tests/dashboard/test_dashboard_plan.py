"""The Plan page's search: bundles in common futures, the frontier, the robust choice."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from impl_sim.dashboard.plan import plan_sentence
from impl_sim.dashboard.planning import (
    PlanError,
    PlanMenu,
    PlanRequest,
    load_menu,
    parse_menu,
    plan_tasks,
    search,
)

MENU = PlanMenu({"protected time": {"strategies.protected_time.enabled": True},
                 "central routing": {"strategies.central_case_routing.enabled": True}},
                {"therapists.annual_turnover": (0.2, 0.45)})
REQUEST = PlanRequest(budget=50_000, futures=3, horizon_months=48)


def test_the_packaged_menu_makes_every_bundle_of_up_to_three():
    menu = load_menu()
    n = len(menu.strategies)
    bundles = menu.bundles()
    assert len(bundles) == 1 + comb(n, 1) + comb(n, 2) + comb(n, 3)
    assert bundles[0] == () and len(set(bundles)) == len(bundles)


def test_every_bundle_meets_the_same_futures():
    tasks = plan_tasks(REQUEST, MENU)
    by_future: dict[int, list] = {}
    for task in tasks:
        by_future.setdefault(task.replication, []).append(task)
    assert sorted(by_future) == [0, 1, 2]
    for runs in by_future.values():
        turnover = {t.overrides["therapists.annual_turnover"] for t in runs}
        assert len(turnover) == 1  # one draw per future, shared by all bundles
        assert 0.2 <= turnover.pop() <= 0.45
        assert len({t.seed for t in runs}) == 1
    draws = [by_future[i][0].overrides["therapists.annual_turnover"] for i in range(3)]
    assert len(set(draws)) == 3  # futures differ


@pytest.fixture(scope="module")
def result():
    return search(REQUEST, MENU)


def test_the_frontier_holds_exactly_the_bundles_nothing_beats(result):
    def beats(o, r):
        return (o.extra_cost["mean"] <= r.extra_cost["mean"] and o.gain["mean"]
                >= r.gain["mean"] and (o.extra_cost["mean"] < r.extra_cost["mean"]
                                       or o.gain["mean"] > r.gain["mean"]))

    for r in result.bundles:
        dominated = any(beats(o, r) for o in result.bundles if o is not r)
        assert (r in result.frontier) == (not dominated), r.name
    costs = [r.extra_cost["mean"] for r in result.frontier]
    assert costs == sorted(costs)


def test_the_robust_choice_is_affordable_and_best_in_most_futures(result):
    choice = result.choice
    assert choice is not None and choice.in_budget
    assert choice.extra_cost["mean"] <= REQUEST.budget
    affordable = [r for r in result.bundles if r.in_budget]
    assert sum(r.wins for r in affordable) == REQUEST.futures
    assert choice.wins == max(r.wins for r in affordable)
    today = result.bundles[0]
    assert today.gain["mean"] == 0 and np.all(today.gains == 0)
    assert choice.name in plan_sentence(result)


def test_the_search_is_reproducible(result):
    again = search(REQUEST, MENU)
    assert [r.gain for r in again.bundles] == [r.gain for r in result.bundles]
    assert again.choice.name == result.choice.name


def test_no_money_means_only_free_bundles_are_affordable(result):
    poor = search(PlanRequest(budget=0, futures=3, horizon_months=48), MENU)
    assert all(r.extra_cost["mean"] <= 0 for r in poor.bundles if r.in_budget)
    assert poor.choice is not None  # today costs nothing extra


@pytest.mark.parametrize(("doc", "key", "problem"), [
    ({"strategies": {"x": {"strategies.protected_time.enabeld": True}}, "uncertainties": {}},
     "strategies.x", "did you mean"),
    ({"strategies": {"x": {}}, "uncertainties": {"therapists.annual_turnover": [0.2, 2.0]}},
     "uncertainties.therapists.annual_turnover", "within float from 0 to 0.9"),
    ({"strategies": {"x": {}}}, "", "exactly the keys"),
])
def test_a_bad_plan_file_names_the_key(doc, key, problem):
    with pytest.raises(PlanError) as err:
        parse_menu(doc, "plan.yaml")
    assert err.value.key == key and problem in str(err.value)
