"""The researcher's first hour: what a new user meets in README and --help (issue 14)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

THREE_ARMS = """\
name: three-arms
horizon_months: 30
replications: 3
seed: 5
base: {services.count: 2, services.therapists_per_service: 4}
arms:
  passive: {leaders.style: passive_support}
  leading: {leaders.style: implementation_leadership}
  protected: {strategies.protected_time.enabled: true,
              strategies.protected_time.hours_per_week: 3}
"""


def _run(*args: str, cwd: Path = ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "impl_sim", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300, **kwargs)


def test_version_matches_the_package():
    import impl_sim

    done = _run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"impl-sim {impl_sim.__version__}"


def test_dir_lists_the_lazy_public_api():
    import impl_sim

    assert {"Results", "load_scenario", "run_scenario", "sweep"} <= set(dir(impl_sim))


def test_paired_differences_against_any_reference_for_three_arms(tmp_path):
    scenario = tmp_path / "three.yaml"
    scenario.write_text(THREE_ARMS, encoding="utf-8")
    done = _run("run", str(scenario), "--out", str(tmp_path / "r"), "--json",
                "--reference", "leading")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["reference"] == "leading"
    assert set(doc["paired_differences"]) == {"passive", "protected"}
    # the paired difference is the mean of (arm − reference) over the same replications
    from impl_sim.experiment.store import Results

    summary = Results.load(doc["results_dir"]).summary.set_index("replication")
    expected = (summary.loc[summary["arm"] == "protected", "adoption"]
                - summary.loc[summary["arm"] == "leading", "adoption"]).mean()
    assert abs(doc["paired_differences"]["protected"]["adoption"]["mean"] - expected) < 1e-12
    table = _run("run", str(scenario), "--out", str(tmp_path / "r"), "--quiet")
    assert "protected − passive" in table.stdout and "leading − passive" in table.stdout
    assert "paired by replication vs passive" in table.stdout
    assert "Results.load(" in table.stdout
    bad = _run("run", str(scenario), "--out", str(tmp_path / "r"), "--reference", "nobody")
    assert bad.returncode == 2 and "--reference" in bad.stderr and "passive" in bad.stderr


def test_check_lists_each_arms_strategies_with_their_dose(tmp_path):
    scenario = tmp_path / "three.yaml"
    scenario.write_text(THREE_ARMS, encoding="utf-8")
    done = _run("check", str(scenario))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    protected = lines.index(next(line for line in lines if "arm protected" in line))
    assert "protected_time (" in lines[protected + 1]
    assert "hours_per_week=3" in lines[protected + 1]
    passive = lines.index(next(line for line in lines if "arm passive" in line))
    assert lines[passive + 1].strip() == "strategies: none"


def test_params_never_cuts_a_name_and_names_lists_them_all():
    from impl_sim.params import param_specs

    every = [s.name for s in param_specs()]
    table = _run("params", env={**os.environ, "COLUMNS": "80"})
    assert table.returncode == 0
    assert "…" not in table.stdout
    assert max(every, key=len) in table.stdout
    names = _run("params", "--names")
    assert names.stdout.splitlines() == every


def test_outcomes_lists_every_outcome_with_definition_and_unit():
    from impl_sim.model.outcomes import OUTCOMES

    done = _run("outcomes", "--json")
    assert done.returncode == 0, done.stderr
    rows = {r["name"]: r for r in json.loads(done.stdout)}
    assert set(rows) == set(OUTCOMES)
    assert rows["cost_per_completed_case"]["unit"] == "EUR"
    assert all(r["definition"] and r["unit"] for r in rows.values())


def test_a_closed_pipe_ends_quietly():
    reader = subprocess.Popen([sys.executable, "-m", "impl_sim", "params", "--json"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None
    reader.stdout.read(10)
    reader.stdout.close()  # like `| head -c 10`
    _, err = reader.communicate(timeout=120)
    assert reader.returncode == 0
    assert b"BrokenPipe" not in err and b"Traceback" not in err


def test_results_are_readable_by_the_group(tmp_path):
    scenario = tmp_path / "three.yaml"
    scenario.write_text(THREE_ARMS.replace("replications: 3", "replications: 1"),
                        encoding="utf-8")
    old = os.umask(0o022)
    try:
        done = _run("run", str(scenario), "--out", str(tmp_path / "r"), "--quiet")
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    for path in (tmp_path / "r").rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & stat.S_IRGRP, path
