"""Bayesian calibration (ABC-SMC): recovers known parameters, is deterministic on 1 or 2 workers,
resumes after SIGKILL, and ``--posterior`` runs carry parameter uncertainty."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from impl_sim.analysis.abc import (
    AbcSettings,
    calibrate_abc,
    load_posterior,
    posterior_tasks,
    run_with_posterior,
    weighted_quantiles,
)
from impl_sim.analysis.calibration import parse_free
from impl_sim.analysis.validation import parse_targets
from impl_sim.experiment.executors import make_executor
from impl_sim.experiment.runner import run_one
from impl_sim.params import Params
from impl_sim.scenario.loader import ScenarioError, parse_scenario

WORLD = {"services.count": 2, "services.therapists_per_service": 6}
HORIZON = 36
TRUTH = {"training.annual_dropout": 0.3, "cases.dropout_hazard": 0.12}
FREE = ["training.annual_dropout=0:0.9", "cases.dropout_hazard=0.02:0.3"]


def synthetic_targets(replications: int = 4) -> dict:
    """Targets made from the model itself at TRUTH (its own seed, 10 replications)."""
    params = Params.from_overrides({**WORLD, **TRUTH, "simulation.horizon_months": HORIZON})
    runs = [run_one(params, 4242, r, keep_series=False).summary for r in range(10)]
    completion = float(np.mean([s["training_completion"] for s in runs]))
    families = float(np.nanmean([s["completion_rate"] for s in runs]))
    return {"name": "synthetic",
            "defaults": {"replications": replications, "horizon_months": HORIZON, "base": WORLD,
                         "role": "calibration"},
            "targets": [
                {"id": "training", "outcome": "training_completion", "value": completion,
                 "tolerance": 0.05},
                {"id": "families", "outcome": "completion_rate", "value": families,
                 "tolerance": 0.05},
                {"id": "held_back", "role": "validation", "outcome": "trained_retention",
                 "band": [0.0, 1.0]}]}


def world_scenario():
    return parse_scenario({"name": "synthetic-world", "base": WORLD,
                           "horizon_months": HORIZON}, "synthetic.yaml")


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    scenario = world_scenario()
    targets = parse_targets(synthetic_targets(), "synthetic.yaml")
    settings = AbcSettings(population=20, generations=3, ppc_draws=4)
    out = tmp_path_factory.mktemp("abc")
    result = calibrate_abc(scenario, targets, parse_free(FREE, scenario), settings=settings,
                           out=out)
    return scenario, targets, settings, out, result


def test_abc_recovers_the_true_values_inside_the_90_percent_interval(recovered):
    *_, result = recovered
    for name, true in TRUTH.items():
        ci = result.intervals[name]
        assert ci["lo"] <= true <= ci["hi"], (name, ci)
        # and the data taught something: the interval is narrower than the prior
        assert ci["hi"] - ci["lo"] < 0.8 * (ci["prior_high"] - ci["prior_low"]), (name, ci)


def test_tolerance_shrinks_and_weights_are_a_distribution(recovered):
    *_, result = recovered
    epsilons = [g.epsilon for g in result.generations]
    assert epsilons[0] == float("inf") and epsilons[1:] == sorted(epsilons[1:], reverse=True)
    for g in result.generations:
        w = np.array([p.weight for p in g.particles])
        assert (w >= 0).all() and np.isclose(w.sum(), 1.0)
        assert all(p.distance <= g.epsilon for p in g.particles)


def test_outputs_hold_posterior_predictive_check_for_every_target(recovered):
    _, targets, settings, _, result = recovered
    files = {p.name for p in result.files}
    assert {"posterior.parquet", "populations.parquet", "abc.json", "marginals.png",
            "pairs.png", "posterior_predictive.csv", "predictive.png"} <= files
    summary = json.loads((result.directory / "abc.json").read_text())
    assert [r["id"] for r in summary["posterior_predictive"]] == [t.id for t in targets.targets]
    assert all(r["draws"] == settings.ppc_draws for r in summary["posterior_predictive"])
    assert all(len(r["simulated_draws"]) == settings.ppc_draws
               for r in summary["posterior_predictive"])
    table = pd.read_csv(result.directory / "posterior_predictive.csv")
    assert table["id"].tolist() == [t.id for t in targets.targets]
    assert set(table["role"]) == {"calibration", "validation"}  # held-back targets included
    for name in ("marginals.png", "pairs.png", "predictive.png"):
        assert (result.directory / name).read_bytes()[:4] == b"\x89PNG"
    posterior = pd.read_parquet(result.directory / "posterior.parquet")
    assert len(posterior) == len(result.posterior.particles)
    assert set(TRUTH) <= set(posterior.columns)


def test_rerun_takes_every_particle_from_the_cache_and_gives_the_same_posterior(recovered):
    scenario, targets, settings, out, first = recovered
    again = calibrate_abc(scenario, targets, parse_free(FREE, scenario), settings=settings,
                          out=out)
    assert again.cache_hits == again.evaluations == first.evaluations
    pd.testing.assert_frame_equal(again.posterior_frame(), first.posterior_frame())
    # more posterior predictive draws: the same sampler, so every particle is reused
    more = calibrate_abc(scenario, targets, parse_free(FREE, scenario), out=out,
                         settings=replace(settings, ppc_draws=settings.ppc_draws + 2))
    assert more.directory == first.directory and more.cache_hits == first.evaluations
    assert all(r["draws"] == settings.ppc_draws + 2 for r in more.predictive)


@pytest.fixture(scope="module")
def small_serial():
    scenario = world_scenario()
    targets = parse_targets(synthetic_targets(replications=2), "synthetic.yaml")
    free = parse_free(FREE, scenario)
    settings = AbcSettings(population=8, generations=2, ppc_draws=2)
    return scenario, targets, free, settings, calibrate_abc(scenario, targets, free,
                                                            settings=settings, out=None)


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_same_posterior_on_one_and_two_workers_and_on_dask(small_serial, executor):
    scenario, targets, free, settings, serial = small_serial
    parallel = calibrate_abc(scenario, targets, free, settings=settings, out=None,
                             executor=make_executor(executor, workers=2), workers=2)
    pd.testing.assert_frame_equal(serial.posterior_frame(), parallel.posterior_frame())
    assert serial.predictive == parallel.predictive


def test_weighted_quantiles_follow_the_weights():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert weighted_quantiles(x, np.array([1, 1, 1, 1.0]), [0.5]) == [1.5]
    assert weighted_quantiles(x, np.array([0, 0, 0, 1.0]), [0.05, 0.95]) == [3.0, 3.0]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "impl_sim", *args]


def test_abc_resumes_after_sigkill(tmp_path):
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump(synthetic_targets(replications=4)))
    scenario = tmp_path / "world.yaml"
    scenario.write_text(yaml.safe_dump({"name": "synthetic-world", "base": WORLD,
                                        "horizon_months": HORIZON}))
    args = ["calibrate", str(scenario), "--targets", str(targets), "--method", "abc",
            "--population", "12", "--generations", "4", "--ppc-draws", "2", "--quiet"]
    for free in FREE:
        args += ["--free", free]
    killed_out = tmp_path / "killed"
    process = subprocess.Popen(_cli(*args, "--out", str(killed_out)), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    evaluations = None
    while time.monotonic() < deadline and process.poll() is None:
        found = list(killed_out.glob("calibration/*/evaluations.jsonl"))
        if found and len(found[0].read_text().splitlines()) >= 12:  # generation 0 is stored
            evaluations = found[0]
            break
        time.sleep(0.05)
    assert process.poll() is None, "the calibration finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert evaluations is not None
    stored = len(evaluations.read_text().splitlines())
    resumed = subprocess.run(_cli(*args, "--out", str(killed_out)), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    hits = int(resumed.stdout.split(" from the cache")[0].rsplit("(", 1)[1])
    assert hits >= stored
    fresh_out = tmp_path / "fresh"
    fresh = subprocess.run(_cli(*args, "--out", str(fresh_out)), capture_output=True, text=True,
                           timeout=600)
    assert fresh.returncode == 0, fresh.stderr
    [a] = killed_out.glob("calibration/*/posterior.parquet")
    [b] = fresh_out.glob("calibration/*/posterior.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
    lines = evaluations.read_text().splitlines()
    assert len(lines) == len({json.dumps(json.loads(x)["values"], sort_keys=True)
                              for x in lines})  # no particle evaluated twice


def test_posterior_runs_draw_per_replication_and_repeat_for_the_same_seed(recovered, tmp_path):
    *_, result = recovered
    scenario = parse_scenario({"name": "use", "base": WORLD, "horizon_months": 24,
                               "replications": 6,
                               "arms": {"a": {}, "b": {"leaders.style": "passive_support"}}},
                              "use.yaml")
    posterior = load_posterior(result.directory)
    tasks = posterior_tasks(scenario, posterior)
    drawn = {(t.arm, t.replication): tuple(t.overrides[n] for n in TRUTH) for t in tasks}
    assert all(drawn[("a", r)] == drawn[("b", r)] for r in range(6))  # CRN: same in each arm
    assert len({drawn[("a", r)] for r in range(6)}) > 1  # parameter uncertainty enters
    assert [t.overrides for t in posterior_tasks(scenario, posterior)] == \
        [t.overrides for t in tasks]
    other = posterior_tasks(scenario.with_changes(seed=scenario.seed + 1), posterior)
    assert [t.overrides for t in other] != [t.overrides for t in tasks]
    results = run_with_posterior(scenario, result.directory, out=tmp_path)
    column = results.summary.sort_values("task")["training.annual_dropout"].tolist()
    assert column == [t.overrides["training.annual_dropout"] for t in tasks]
    assert results.manifest["posterior"]["digest"] == posterior.digest()


def test_posterior_from_a_folder_without_one_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match=r"no posterior\.parquet"):
        load_posterior(tmp_path)


def test_bad_method_exits_2_with_one_line(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: s\n")
    targets = tmp_path / "t.yaml"
    targets.write_text(yaml.safe_dump(synthetic_targets()))
    done = subprocess.run(_cli("calibrate", str(scenario), "--targets", str(targets), "--free",
                               "cases.dropout_hazard", "--method", "mcmc"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --method: 'mcmc' is not allowed; expected one of de, abc"]
    assert Path(scenario).exists()
