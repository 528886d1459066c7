"""Real sweeps as processes: kill -9 at five moments, a killed worker, a busy folder, a full
disk. Each ends safely and a rerun of the same command finishes with the same table as an
uninterrupted run."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from impl_sim.experiment.runner import run_scenario
from impl_sim.experiment.store import Results, results_dir_for
from impl_sim.scenario.loader import load_scenario

# 20 LHS points × 2 arms × 2 replications = 80 runs in 20 parts of 4; slow enough to cut (a
# part must take longer than the up to 0.3 s between reaching a target and the kill).
SLOW = {"replications": 2, "horizon_months": 120,
        "base": {"services.count": 3, "services.therapists_per_service": 6},
        "design": {"method": "lhs", "samples": 20, "parameters": {
            "therapists.motivation_mean": [0.2, 0.9], "training.gatherings": [1, 5]}}}
TIMEOUT = 600  # generous: CI machines are busy


def _parts(directory: Path) -> list[Path]:
    return sorted((directory / "runs").glob("part-*.parquet"))


def _start(scenario: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "impl_sim", "sweep", str(scenario), "--out",
                             str(out), "--quiet", *extra], text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(proc: subprocess.Popen, directory: Path, parts: int) -> bool:
    """Wait until ``parts`` parts exist; False if the sweep ended first."""
    deadline = time.monotonic() + TIMEOUT
    while len(_parts(directory)) < parts:
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.02)
    return True


def _children(pid: int) -> dict[int, int]:
    """``{pid: parent}`` of every descendant of ``pid``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[-1].split()[1])
    found: dict[int, int] = {}
    frontier = {pid}
    while frontier:
        step = {c: p for c, p in parents.items() if p in frontier}
        found |= step
        frontier = set(step)
    return found


def _reap(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.communicate(timeout=TIMEOUT)


@pytest.mark.slow
def test_kill_9_at_five_random_moments_then_resume_equals_the_uninterrupted_table(
        make_scenario_file, tmp_path):
    path = make_scenario_file("killed5", **SLOW)
    scenario = load_scenario(path)
    directory = results_dir_for(scenario, tmp_path / "out")
    rng = random.Random(20261202)
    seen = []
    for _ in range(5):
        proc = _start(path, tmp_path / "out", "--workers", "2")
        target = len(_parts(directory)) + rng.randint(0, 3)
        if _wait_for(proc, directory, target):
            time.sleep(rng.uniform(0, 0.3))  # between parts, or in the middle of writing one
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=TIMEOUT)
        seen.append(len(_parts(directory)))
    assert seen[-1] < 20, f"every sweep finished before its kill: {seen}"
    resumed = run_scenario(scenario, out=tmp_path / "out")
    uninterrupted = run_scenario(scenario, out=None)
    pd.testing.assert_frame_equal(resumed.summary, uninterrupted.summary)
    assert resumed.complete and len(_parts(directory)) == 20
    assert not list(directory.glob("*/.*.tmp"))


@pytest.mark.slow
def test_a_killed_worker_ends_the_sweep_with_one_line_and_a_rerun_finishes(make_scenario_file,
                                                                           tmp_path):
    path = make_scenario_file("worker", **SLOW)
    directory = results_dir_for(load_scenario(path), tmp_path / "out")
    proc = _start(path, tmp_path / "out", "--workers", "2")
    try:
        assert _wait_for(proc, directory, 1), proc.communicate()
        family = _children(proc.pid)
        workers = [c for c, parent in family.items() if parent != proc.pid]  # forkserver's
        assert workers, family
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        _reap(proc)
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert "worker process died" in err and "rerun the same command to resume" in err
    rerun = subprocess.run(proc.args, text=True, capture_output=True, timeout=TIMEOUT)
    assert rerun.returncode == 0, rerun.stderr
    assert len(Results.load(directory).summary) == 80


@pytest.mark.slow
def test_a_second_sweep_on_a_busy_folder_exits_2_naming_the_holder(make_scenario_file,
                                                                    tmp_path, cli):
    path = make_scenario_file("busy", **SLOW)
    directory = results_dir_for(load_scenario(path), tmp_path / "out")
    first = _start(path, tmp_path / "out")
    try:
        assert _wait_for(first, directory, 1), first.communicate()
        second = cli.run("sweep", str(path), "--out", str(tmp_path / "out"), "--quiet")
        still_running = first.poll() is None
    finally:
        _reap(first)
    if still_running:  # the first sweep held the folder the whole time
        assert second.code == 2, second.err
        assert f"pid {first.pid}" in second.err and "--wait" in second.err
        assert len(second.err.strip().splitlines()) == 1


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
def test_a_full_disk_ends_in_one_line_leaves_no_partial_part_and_resumes(make_scenario_file,
                                                                         tmp_path, cli):
    disk = tmp_path / "disk"
    if os.geteuid() != 0 or not _mount_tmpfs(disk, "160k"):
        pytest.skip("needs root to mount a small tmpfs (the simulated ENOSPC test runs always)")
    try:
        path = make_scenario_file("full", **{**SLOW, "outputs": {"series": True}})
        full = cli.run("sweep", str(path), "--out", str(disk), "--quiet")
        assert full.code == 1, full.err
        assert len(full.err.strip().splitlines()) == 1 and "Traceback" not in full.err
        assert str(disk) in full.err and "no space left on device" in full.err
        assert "rerun the same command to resume" in full.err
        directory = results_dir_for(load_scenario(path), disk)
        assert not list(directory.glob("*/.*.tmp"))
        assert len(_parts(directory)) < 20
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = cli.run("sweep", str(path), "--out", str(disk), "--quiet")
        assert again.code == 0, again.err
        resumed = Results.load(directory)
        pd.testing.assert_frame_equal(resumed.summary,
                                      run_scenario(load_scenario(path), out=None).summary)
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
