"""Same scenario and seed ⇒ identical tables, whatever the executor and number of workers."""

from __future__ import annotations

import pandas as pd
import pytest

from impl_sim.experiment.executors import make_executor
from impl_sim.experiment.runner import run_scenario, scenario_tasks


def test_serial_results_cover_every_task_once(tiny, serial_results):
    summary = serial_results.summary
    assert list(summary["task"]) == list(range(len(scenario_tasks(tiny))))
    assert len(summary) == 4 * 2 * 2
    assert not summary.duplicated(["point", "arm", "replication"]).any()
    months = serial_results.series.groupby("task")["month"].agg(["min", "max", "count"])
    assert (months["min"] == 0).all() and (months["max"] == 23).all()
    assert (months["count"] == 24).all()


def test_replication_seeds_are_shared_by_arms_and_points(serial_results):
    summary = serial_results.summary
    # CRN: the first month's referrals depend only on the seed, so they agree across arms and
    # points within a replication (and differ between replications).
    first = serial_results.series.query("month == 0").merge(summary[["task", "replication"]])
    per_rep = first.groupby("replication")["referrals"].nunique()
    assert (per_rep == 1).all()


@pytest.mark.parametrize(("executor", "workers"), [("processes", 2), ("dask", 2)])
def test_parallel_executors_give_identical_tables(tiny, tmp_path, serial_results, executor,
                                                  workers):
    results = run_scenario(tiny, out=tmp_path, executor=executor, workers=workers)
    pd.testing.assert_frame_equal(results.summary, serial_results.summary)
    pd.testing.assert_frame_equal(results.series, serial_results.series)
    pd.testing.assert_frame_equal(results.events, serial_results.events)


def test_in_memory_results_equal_stored_results(tiny, serial_results):
    results = run_scenario(tiny, out=None)
    assert results.directory is None
    pd.testing.assert_frame_equal(results.summary, serial_results.summary)
    pd.testing.assert_frame_equal(results.series, serial_results.series)
    pd.testing.assert_frame_equal(results.events, serial_results.events)


def test_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="expected one of serial, processes, dask"):
        make_executor("threads")


def test_executor_choice_follows_workers_and_address():
    assert make_executor(None, workers=1).name == "serial"
    assert make_executor(None, workers=3).name == "processes"
    assert make_executor(None, workers=1, dask_address="tcp://127.0.0.1:1").name == "dask"


def _slow_identity(x: int) -> int:
    import time

    time.sleep(0.2)
    return x


def test_a_dask_scheduler_without_workers_warns_and_gives_up_after_a_bounded_wait(monkeypatch):
    from dask.distributed import LocalCluster

    from impl_sim.experiment.executors import DaskExecutor, ExecutorLost

    monkeypatch.setenv("IMPL_SIM_DASK_WORKER_WAIT", "1")
    cluster = LocalCluster(n_workers=0, processes=False, dashboard_address=None)
    try:
        with pytest.warns(UserWarning, match="has no workers yet; waiting up to 1 s"), \
                pytest.raises(ExecutorLost, match=r"no dask worker joined .* within 1 s"), \
                DaskExecutor(1, cluster.scheduler_address):
            pass
    finally:
        cluster.close()


def test_a_lost_dask_scheduler_is_one_line_saying_how_to_resume():
    from dask.distributed import LocalCluster

    from impl_sim.experiment.executors import DaskExecutor, ExecutorLost

    cluster = LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                           dashboard_address=None)
    got = []
    try:
        with pytest.raises(ExecutorLost) as lost, \
                DaskExecutor(1, cluster.scheduler_address) as ex:
            for result in ex.map_unordered(_slow_identity, range(40)):
                got.append(result)
                if len(got) == 2:
                    cluster.close()
    finally:
        cluster.close()
    message = str(lost.value)
    assert "lost the dask scheduler" in message and "rerun the same command to resume" in message
    assert "\n" not in message and len(got) >= 2
