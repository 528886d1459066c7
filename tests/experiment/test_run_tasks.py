"""``run_tasks``: the one run loop — caches, executors sessions, progress, order."""

from __future__ import annotations

import numpy as np

from impl_sim.experiment.executors import SerialExecutor, make_executor
from impl_sim.experiment.runner import (
    MemoryCache,
    Task,
    executor_session,
    run_one,
    run_tasks,
    scenario_tasks,
)
from impl_sim.params import Params

SMALL = {"services.count": 1, "services.therapists_per_service": 4,
         "simulation.horizon_months": 18}


def small_tasks(n: int = 4, seed: int = 3) -> list[Task]:
    return [Task(i, 0, "a", i, SMALL, seed, False) for i in range(n)]


class CountingExecutor(SerialExecutor):
    """Serial, counting the tasks it is sent and how often it is entered."""

    def __init__(self) -> None:
        self.sent = 0
        self.entered = 0

    def __enter__(self):
        self.entered += 1
        return self

    def map_unordered(self, fn, items):
        for item in items:
            self.sent += len(item)
            yield fn(item)


def test_results_come_back_in_task_order_and_equal_run_one():
    tasks = small_tasks()
    pairs = run_tasks(list(reversed(tasks)))
    assert [t.task for t, _ in pairs] == [0, 1, 2, 3]
    direct = run_one(Params.from_overrides(SMALL), 3, 2, keep_series=False)
    np.testing.assert_equal(pairs[2][1].summary, direct.summary)  # NaN equals NaN here


def test_memory_cache_runs_each_task_once():
    cache, ex = MemoryCache(), CountingExecutor()
    first = run_tasks(small_tasks(), ex, cache=cache)
    again = run_tasks(small_tasks(), ex, cache=cache)
    assert ex.sent == 4
    np.testing.assert_equal([r.summary for _, r in again], [r.summary for _, r in first])
    # same parameters, seed and replication under another task id is the same run
    renumbered = [Task(t.task + 10, 1, "b", t.replication, dict(t.overrides), t.seed, False)
                  for t in small_tasks()]
    run_tasks(renumbered, ex, cache=cache)
    assert ex.sent == 4


def test_memory_cache_forgets_the_least_recently_used():
    cache = MemoryCache(size=2)
    run_tasks(small_tasks(3), cache=cache)
    assert len(cache) == 2
    assert cache.get(small_tasks(3)[0]) is None and cache.get(small_tasks(3)[2]) is not None


def test_progress_starts_with_known_runs_and_ends_with_all():
    cache = MemoryCache()
    run_tasks(small_tasks(2), cache=cache)
    seen: list[tuple[int, int]] = []
    run_tasks(small_tasks(4), cache=cache, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (2, 4) and seen[-1] == (4, 4)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_an_open_executor_is_reused_not_reentered():
    ex = CountingExecutor()
    with executor_session(ex):
        run_tasks(small_tasks(2), ex)
        run_tasks(small_tasks(2, seed=4), ex)
    assert ex.entered == 1 and ex.sent == 4


def test_keep_false_returns_nothing_but_feeds_the_cache():
    cache = MemoryCache()
    assert run_tasks(small_tasks(2), cache=cache, keep=False) == []
    assert len(cache) == 2


def test_two_workers_give_the_same_results_as_one(tiny):
    tasks = scenario_tasks(tiny)[:8]
    serial = run_tasks(tasks)
    parallel = run_tasks(tasks, make_executor("processes", workers=2))
    for (ts, rs), (tp, rp) in zip(serial, parallel, strict=True):
        assert ts == tp
        np.testing.assert_equal(rs.summary, rp.summary)
        assert all(np.array_equal(rs.series[k], rp.series[k], equal_nan=True)
                   for k in rs.series)
