"""Helpers of the bit-identity tests (engines and kernels): compare two runs byte for byte."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from impl_sim.experiment.runner import RunResult, Task


def assert_same(a: RunResult, b: RunResult) -> None:
    """Equal bit for bit: summaries and costs by their IEEE bytes, every array by its bytes."""
    assert (a.params_digest, a.seed, a.replication) == (b.params_digest, b.seed, b.replication)
    for x, y in ((a.summary, b.summary), (a.costs, b.costs)):
        assert list(x) == list(y)
        assert np.array(list(x.values())).tobytes() == np.array(list(y.values())).tobytes()
    for x, y in ((a.series, b.series), (a.events, b.events)):
        assert (x is None) == (y is None)
        if x is None:
            continue
        assert list(x) == list(y)
        for name in x:
            u, v = np.asarray(x[name]), np.asarray(y[name])
            assert (u.dtype, u.shape) == (v.dtype, v.shape), name
            if u.dtype == object:
                assert u.tolist() == v.tolist(), name
            else:
                assert u.tobytes() == v.tobytes(), name


def sample(tasks: list[Task]) -> list[Task]:
    """Every arm × first and last design point × replications 0 and 1, series and events on."""
    points = sorted({t.point for t in tasks})
    keep = {points[0], points[-1]}
    return [replace(t, keep_series=True, keep_events=True) for t in tasks
            if t.point in keep and t.replication < 2]
