"""The results store: resume after a crash without losing or duplicating runs, refuse corrupt
parts, keep changed scenarios apart, record provenance."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from impl_sim.experiment.runner import run_scenario
from impl_sim.experiment.store import Results, ResultsError, results_dir_for
from impl_sim.scenario.loader import load_scenario

# 20 LHS points × 2 arms × 2 replications = 80 runs in 20 parts of 4.
KILLABLE = {"replications": 2, "design": {"method": "lhs", "samples": 20, "parameters": {
    "therapists.motivation_mean": [0.2, 0.9], "training.gatherings": [1, 5]}}}


def _parts(directory: Path, kind: str = "runs") -> list[Path]:
    return sorted((directory / kind).glob("part-*.parquet"))


def _start_sweep(scenario: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # A shell's background job (`make test &`) starts with Ctrl-C ignored, and the child would
    # inherit that; the sweep must see SIGINT as a terminal's Ctrl-C delivers it.
    return subprocess.Popen([sys.executable, "-m", "impl_sim", "sweep", str(scenario), "--out",
                             str(out), "--quiet", *extra], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_parts(proc: subprocess.Popen, directory: Path, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while len(_parts(directory)) < at_least:
        assert proc.poll() is None, f"sweep ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, "no parts appeared"
        time.sleep(0.02)


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _wait_gone(pids: set[int], seconds: float = 15) -> set[int]:
    deadline = time.monotonic() + seconds
    while pids and time.monotonic() < deadline:
        pids = {p for p in pids if Path(f"/proc/{p}").exists()
                and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"}
        time.sleep(0.1)
    return pids


def test_killed_sweep_resumes_without_losing_or_duplicating_runs(make_scenario_file, tmp_path):
    path = make_scenario_file("killable", **KILLABLE)
    scenario = load_scenario(path)
    directory = results_dir_for(scenario, tmp_path / "out")
    proc = _start_sweep(path, tmp_path / "out", "--workers", "2")
    _wait_for_parts(proc, directory, at_least=3)
    workers = _descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = len(_parts(directory))
    assert 3 <= done_before < 20, "the sweep must be cut off part-way"
    assert workers and not _wait_gone(workers), "worker processes outlived the killed sweep"

    resumed = run_scenario(scenario, out=tmp_path / "out")
    uninterrupted = run_scenario(scenario, out=None)
    pd.testing.assert_frame_equal(resumed.summary, uninterrupted.summary)
    pd.testing.assert_frame_equal(resumed.series, uninterrupted.series)
    pd.testing.assert_frame_equal(resumed.events, uninterrupted.events)
    assert resumed.manifest["complete"] and resumed.complete
    assert len(_parts(directory)) == 20
    sessions = resumed.manifest["sessions"]
    assert len(sessions) == 2 and sessions[1]["runs_done_before"] >= 4 * done_before


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(make_scenario_file, tmp_path):
    path = make_scenario_file("interrupted", **KILLABLE)
    directory = results_dir_for(load_scenario(path), tmp_path / "out")
    proc = _start_sweep(path, tmp_path / "out")
    _wait_for_parts(proc, directory, at_least=2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun the same command to resume" in err and "Traceback" not in err

    rerun = _start_sweep(path, tmp_path / "out")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert str(directory) in out
    assert len(Results.load(directory).summary) == 80


def test_a_finished_sweep_is_not_rerun(tiny, tmp_path):
    first = run_scenario(tiny, out=tmp_path)
    stamps = {p: p.stat().st_mtime_ns for p in _parts(first.directory)}
    again = run_scenario(tiny, out=tmp_path)
    assert {p: p.stat().st_mtime_ns for p in _parts(again.directory)} == stamps
    pd.testing.assert_frame_equal(again.summary, first.summary)


@pytest.mark.parametrize("damage", ["truncate", "flip_bytes", "wrong_runs"])
def test_a_corrupt_part_is_detected_and_redone(tiny, tmp_path, damage):
    reference = run_scenario(tiny, out=None)
    directory = run_scenario(tiny, out=tmp_path).directory
    victim = _parts(directory, "series")[1] if damage == "flip_bytes" else _parts(directory)[1]
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "flip_bytes":  # inside the data pages, footer intact: checksums catch it
        middle = len(data) // 3
        victim.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64])
                           + data[middle + 64:])
    else:  # a whole, readable file holding the wrong runs
        _parts(directory)[0].replace(victim)

    with pytest.warns(UserWarning, match="chunk 1 is corrupt or incomplete"):
        loaded = Results.load(directory)
    assert loaded.problems and not loaded.complete
    assert 1 not in set(loaded.summary["task"] // 4)

    with pytest.warns(UserWarning, match="redoing it"):
        redone = run_scenario(tiny, out=tmp_path)
    pd.testing.assert_frame_equal(redone.summary, reference.summary)
    pd.testing.assert_frame_equal(redone.series, reference.series)


def test_a_changed_scenario_gets_a_new_directory(make_scenario_file, tmp_path):
    a = load_scenario(make_scenario_file("a"))
    b = load_scenario(make_scenario_file("b", seed=6))
    c = load_scenario(make_scenario_file("c", description="only the words changed"))
    assert results_dir_for(a, tmp_path) != results_dir_for(b, tmp_path)
    assert results_dir_for(a, tmp_path) == results_dir_for(c, tmp_path)
    run_a = run_scenario(a, out=tmp_path)
    run_b = run_scenario(b, out=tmp_path)
    assert run_a.directory != run_b.directory
    assert not run_a.summary[["adoption", "cases_started"]].equals(
        run_b.summary[["adoption", "cases_started"]])


def test_manifest_records_provenance_design_and_kinds(serial_results):
    m = serial_results.manifest
    assert m["scenario"]["design"]["method"] == "lhs" and m["design"]["sampler_seed"] == 5
    assert m["parameter_kinds"] == {"therapists.motivation_mean": "uncertainty",
                                    "training.gatherings": "lever"}
    assert serial_results.parameter_kinds == m["parameter_kinds"]
    assert m["provenance"]["package_version"] and m["provenance"]["git_commit"]
    assert {"numpy", "pandas", "mesa", "SALib", "dask"} <= set(m["provenance"]["dependencies"])
    assert m["seeds"]["scenario_seed"] == 5 and m["runs_done"] == m["runs_expected"] == 16


def test_tidy_is_one_row_per_run_and_outcome(serial_results):
    tidy = serial_results.tidy()
    assert len(tidy) == len(serial_results.summary) * len(serial_results.outcomes)
    assert {"arm", "point", "replication", "therapists.motivation_mean", "outcome",
            "value"} <= set(tidy.columns)
    one = tidy.query("task == 3 and outcome == 'adoption'")["value"].item()
    assert one == serial_results.summary.loc[3, "adoption"]
    long = serial_results.tidy_series()
    assert len(long) == serial_results.series.shape[0] * (serial_results.series.shape[1] - 5)


def test_loading_something_that_is_not_a_results_directory_fails_clearly(tmp_path):
    with pytest.raises(ResultsError, match="no such results directory"):
        Results.load(tmp_path / "missing")
    with pytest.raises(ResultsError, match="not a results directory"):
        Results.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ResultsError, match="unreadable manifest"):
        Results.load(tmp_path)
