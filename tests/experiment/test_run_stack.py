"""``run_stack`` and the stacked engine give byte-for-byte the results of ``run_one`` (issue 16).

Both paths run in this test run (never compared with stored hashes): every shipped scenario
(each arm, first and last design point, two replications, series and events on), every design
method, every strategy, and stacks whose worlds differ in structure (service counts, team
sizes, horizons).
"""

from __future__ import annotations

import pytest
from identity import assert_same, sample
from typer.testing import CliRunner

from impl_sim.cli import app
from impl_sim.defaults import DEFAULT_ENGINE, ENGINES
from impl_sim.experiment.runner import (
    chunk_runner,
    run_chunk,
    run_one,
    run_scenario,
    run_stack,
    run_task,
    scenario_tasks,
)
from impl_sim.params import Params, strategy_names
from impl_sim.scenario.loader import load_scenario, parse_scenario
from impl_sim.shipped import shipped_scenarios

SMALL = {"services.count": 2, "services.therapists_per_service": 5,
         "simulation.horizon_months": 36}


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_stacked_equals_per_run(name):
    tasks = sample(scenario_tasks(load_scenario(shipped_scenarios()[name])))
    assert tasks
    stacked = run_chunk(tasks)
    assert [t for t, _ in stacked] == tasks
    for task, result in stacked:
        assert_same(result, run_task(task)[1])


@pytest.mark.parametrize("method", ["grid", "lhs", "sobol", "morris"])
def test_every_design_method_stacked_equals_per_run(method):
    design = {"method": method, "parameters": {"therapists.motivation_mean": [0.3, 0.8],
                                               "leaders.annual_turnover": [0.05, 0.3]}}
    design.update({"levels": 2} if method == "grid" else {"samples": 4})
    sc = parse_scenario({"name": f"d-{method}", "replications": 2, "seed": 11, "base": SMALL,
                         "design": design, "outputs": {"series": True, "events": True}})
    tasks = scenario_tasks(sc)
    assert len({t.point for t in tasks}) > 1
    for task, result in run_chunk(tasks):
        assert_same(result, run_task(task)[1])


def test_every_strategy_in_one_mixed_stack():
    """One stack holding a world per strategy (all different parameter sets)."""
    params = [Params.from_overrides({**SMALL, f"strategies.{name}.enabled": True})
              for name in strategy_names()]
    seeds = list(range(len(params)))
    stacked = run_stack(params, seeds, keep_events=True)
    assert len(stacked) == len(strategy_names())
    for p, seed, result in zip(params, seeds, stacked, strict=True):
        assert_same(result, run_one(p, seed, keep_events=True))


def test_worlds_of_different_shapes_in_one_stack():
    """Service counts, team sizes and horizons differ between the worlds of one stack."""
    shapes = [(1, 4, 24), (4, 10, 60), (7, 3, 30), (2, 17, 48), (4, 10, 60)]
    params = [Params.from_overrides({"services.count": s, "services.therapists_per_service": t,
                                     "simulation.horizon_months": h}) for s, t, h in shapes]
    seeds, reps = [3, 3, 9, 1, 3], [0, 1, 0, 2, 1]
    stacked = run_stack(params, seeds, reps, keep_events=True)
    for p, seed, rep, result in zip(params, seeds, reps, stacked, strict=True):
        assert_same(result, run_one(p, seed, rep, keep_events=True))
    # the same world twice in a stack gives the same result twice (no state leaks between them)
    assert_same(stacked[1], stacked[4])
    assert stacked[1].summary != stacked[0].summary


def test_run_stack_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 parameter sets but 1 seeds"):
        run_stack([Params(), Params()], [1])


def test_engines_give_the_same_tables(tiny):
    tables = {}
    for engine in ENGINES:
        results = run_scenario(tiny, out=None, engine=engine)
        tables[engine] = (results.summary, results.series)
    (s1, r1), (s2, r2) = tables.values()
    assert s1.equals(s2) and r1.equals(r2)


def test_default_engine_is_stacked_and_unknown_engine_is_refused(tiny):
    assert DEFAULT_ENGINE == "stacked" and chunk_runner(None) is run_chunk
    with pytest.raises(ValueError, match="unknown engine 'fast'"):
        run_scenario(tiny, out=None, engine="fast")


def test_sweep_records_the_engine_and_refuses_a_bad_one(tiny_file, tmp_path):
    runner = CliRunner()
    bad = runner.invoke(app, ["sweep", str(tiny_file), "--out", str(tmp_path), "--quiet",
                              "--engine", "warp"])
    assert bad.exit_code == 2
    assert "--engine: 'warp' is not allowed; expected one of stacked, per-run" in bad.output
    assert "Traceback" not in bad.output
    ok = runner.invoke(app, ["sweep", str(tiny_file), "--out", str(tmp_path), "--quiet",
                             "--engine", "per-run"])
    assert ok.exit_code == 0, ok.output
    import json
    manifest = json.loads(next(tmp_path.glob("*/manifest.json")).read_text())
    assert manifest["sessions"][-1]["engine"] == "per-run"
    assert manifest["sessions"][-1]["kernels"] in ("numpy", "numba")
