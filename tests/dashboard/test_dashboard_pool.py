"""The server-wide worker pool: same results as serial runs, fair order, shared runs."""

from __future__ import annotations

import threading
from dataclasses import replace

import pandas as pd
import pytest

from impl_sim.dashboard.ensemble import Arm, Cancelled, WhatIf, clear_cache, run_ensemble
from impl_sim.dashboard.pool import SharedPool, _Request
from impl_sim.experiment.runner import MemoryCache

SMALL = {"replications": 3, "horizon_months": 36}


@pytest.fixture(scope="module")
def pool():
    shared = SharedPool(workers=2, cache=MemoryCache(100))
    yield shared
    shared.shutdown()


def _frame(ens) -> pd.DataFrame:
    return ens.summary.sort_values(["arm", "replication"]).reset_index(drop=True)


def test_the_pool_gives_bit_identical_results_to_a_serial_run(pool):
    whatif = replace(WhatIf(b=Arm("", {"leaders.style": "passive_support"})), **SMALL)
    clear_cache()
    serial = run_ensemble(whatif)
    clear_cache()
    pooled = run_ensemble(whatif, executor=pool.executor("s1"))
    pd.testing.assert_frame_equal(_frame(serial), _frame(pooled))


def test_concurrent_sessions_each_get_their_own_answer_and_share_identical_runs(pool):
    clear_cache()
    whatifs = [replace(WhatIf(b=Arm("", {"therapists.annual_turnover": 0.1 + 0.1 * i})),
                       **SMALL) for i in range(4)]
    results: dict[int, object] = {}

    def ask(i: int) -> None:
        results[i] = run_ensemble(whatifs[i], executor=pool.executor(f"student-{i}"))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(results) == [0, 1, 2, 3]
    a = [_frame(results[i]).query("arm == 'today'").reset_index(drop=True) for i in range(4)]
    for other in a[1:]:  # everybody's A is the same runs
        pd.testing.assert_frame_equal(a[0], other)
    for i in range(4):
        clear_cache()
        pd.testing.assert_frame_equal(_frame(results[i]), _frame(run_ensemble(whatifs[i])))


def test_the_session_with_the_fewest_results_left_goes_next_then_who_asked_first():
    pool = SharedPool(workers=1)
    big = _Request("big", order=0, queued=[("k", i) for i in range(10)], left=10)
    small = _Request("small", order=1, queued=[("s", 0), ("s", 1)], left=2)
    tie = _Request("tie", order=2, queued=[("t", 0), ("t", 1)], left=2)
    pool._requests = [big, small, tie]
    assert pool._next_key() == ("s", 0)  # small first: fewest left, asked before "tie"
    assert pool.position("tie")[0] == 1  # small's one remaining queued run is ahead
    assert pool.position("big")[0] == 3


def test_a_cancelled_ensemble_withdraws_its_waiting_runs(pool):
    whatif = replace(WhatIf(b=Arm("", {"therapists.motivation_mean": 0.31})),
                     replications=40, horizon_months=36)
    cancel = threading.Event()
    clear_cache()

    def progress(done: int, total: int) -> None:
        if done >= 2:
            cancel.set()

    with pytest.raises(Cancelled):
        run_ensemble(whatif, progress=progress, cancel=cancel,
                     executor=pool.executor("quitter"))
    assert pool.position("quitter") == (0, 0.0)
    with pool._lock:
        assert not any(r.session == "quitter" for r in pool._requests)
    # the pool still serves others afterwards
    small = replace(WhatIf(), replications=2, horizon_months=24)
    assert run_ensemble(small, executor=pool.executor("next")).summary.shape[0] == 4
