"""What-if ensembles: paired runs, exact reproduction by `impl-sim run`, import errors."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from impl_sim.cli import app
from impl_sim.dashboard.ensemble import (
    Arm,
    Cancelled,
    WhatIf,
    export_yaml,
    import_yaml,
    run_ensemble,
    shipped_scenarios,
)
from impl_sim.dashboard.sentences import sentences
from impl_sim.scenario.loader import ScenarioError, load_scenario

SMALL = {"replications": 3, "horizon_months": 48}


def small_whatif(**b_overrides) -> WhatIf:
    return WhatIf(a=Arm("passive_support", {"leaders.style": "passive_support"}),
                  b=Arm("b_side", {"leaders.style": "passive_support", **b_overrides}), **SMALL)


def test_identical_sides_give_identical_runs_because_replications_share_seeds():
    ens = run_ensemble(small_whatif())
    a, b = ens.arms
    for name in ("sustainment_24m", "cases_started", "adoption"):
        assert np.array_equal(ens.outcome(a, name), ens.outcome(b, name), equal_nan=True)
        assert ens.difference(name)["mean"] == 0.0
    assert np.array_equal(ens.series_of(a, "delivering"), ens.series_of(b, "delivering"))


def test_the_exported_file_reproduces_the_dashboard_numbers_in_the_cli(tmp_path):
    whatif = small_whatif(**{"leaders.style": "implementation_leadership",
                             "strategies.protected_time.enabled": True})
    ens = run_ensemble(whatif)
    path = tmp_path / "exported.yaml"
    path.write_text(export_yaml(whatif), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--json", "--out",
                                      str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)["arms"]
    page = ens.mean_table()
    assert set(cli) == set(page) == {"passive_support", "b_side"}
    for arm, outcomes in cli.items():
        for name, stats in outcomes.items():
            shown = page[arm][name]["mean"]
            if stats["mean"] is None:
                assert math.isnan(shown), (arm, name)
            else:
                assert stats["mean"] == shown, (arm, name)


def test_export_then_import_gives_the_same_parameters_seed_and_replications():
    whatif = replace(small_whatif(**{"therapists.motivation_mean": 0.75,
                                     "strategies.booster_consultation.enabled": True,
                                     "strategies.booster_consultation.sessions_per_month": 2.0}),
                     seed=99, name="round-trip")
    back = import_yaml(export_yaml(whatif), "round-trip.yaml")
    for side in ("a", "b"):
        assert back.side(side).name == whatif.side(side).name
        assert (back.side(side).params(back.horizon_months)
                == whatif.side(side).params(whatif.horizon_months))
    assert (back.seed, back.replications, back.horizon_months) == (99, 3, 48)


def test_a_shipped_two_arm_scenario_opens_as_a_and_b(scenarios_dir):
    path = scenarios_dir / "leadership_vs_support.yaml"
    assert shipped_scenarios()[path.name].resolve() == path.resolve()
    whatif = import_yaml(path.read_text(), str(path))
    scenario = load_scenario(path)
    first, second = scenario.arms
    assert (whatif.a.name, whatif.b.name) == (first, second)
    assert whatif.b.params(whatif.horizon_months) == scenario.params_for(second)


def test_a_bad_file_gives_the_same_message_as_the_cli(tmp_path):
    text = "name: x\nbase:\n  therapists.motivaton_mean: 0.5\n"
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as from_cli_loader:
        load_scenario(path)
    with pytest.raises(ScenarioError) as from_dashboard:
        import_yaml(text.encode(), str(path))
    assert str(from_dashboard.value) == str(from_cli_loader.value)
    assert "did you mean 'therapists.motivation_mean'" in str(from_dashboard.value)


@pytest.mark.parametrize(("text", "problem"), [
    ("name: s\narms: {a: {}, b: {}, c: {}}\n", "compares two"),
    ("name: s\ndesign: {method: lhs, samples: 4, parameters: "
     "{therapists.motivation_mean: [0.2, 0.8]}}\n", "sweep"),
    ("name: s\nseed: !!python/object:os.system x\n", "never execute code"),
])
def test_scenarios_a_what_if_cannot_show_are_refused_with_a_reason(text, problem):
    with pytest.raises(ScenarioError, match=problem):
        import_yaml(text, "upload.yaml")


def test_sides_with_the_same_name_still_get_different_arms_in_the_file():
    text = export_yaml(WhatIf(a=Arm("same"), b=Arm("same", {"leaders.style":
                                                             "passive_support"})))
    back = import_yaml(text, "same.yaml")
    assert back.a.name != back.b.name
    assert back.b.params(60).leaders.style.value == "passive_support"


def test_a_cancelled_ensemble_stops_before_running():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        run_ensemble(small_whatif(), cancel=cancel)


def test_sentences_count_the_therapists_of_each_side_and_flag_a_clear_difference():
    whatif = replace(small_whatif(**{"leaders.style": "implementation_leadership",
                                     "services.count": 2}), replications=6)
    text = sentences(run_ensemble(whatif))
    assert " of 20 therapist posts with B " in text[0]  # B has 2 services × 10 posts
    assert "B − A: " in text[0] and "95 % interval" in text[0]
    clear = replace(small_whatif(**{"leaders.style": "implementation_leadership"}),
                    replications=10)
    # sustainment: implementation leadership vs passive support (S1: a large gap)
    assert "clearly better with B" in sentences(run_ensemble(clear))[1]


def test_an_outcome_past_the_horizon_is_reported_as_not_measurable():
    # training ends at month 18, so 24 months later is past a 36-month run
    whatif = replace(small_whatif(), horizon_months=36, replications=2)
    assert "cannot be measured" in sentences(run_ensemble(whatif))[0]
