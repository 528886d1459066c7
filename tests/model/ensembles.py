"""Seeded ensembles for mechanism tests: common random numbers, cached within a test session.

Replication ``r`` uses the same seed in every arm (as ``run_scenario`` does), so differences
between arms are paired and a modest number of replications gives a stable direction.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from impl_sim import Params, run_one
from impl_sim.defaults import DEFAULT_SEED

SEED = DEFAULT_SEED


@lru_cache(maxsize=64)
def _ensemble(overrides: tuple[tuple[str, object], ...], replications: int):
    params = Params.from_overrides(dict(overrides))
    return tuple(run_one(params, SEED, r) for r in range(replications))


def ensemble(overrides: dict[str, object] | None = None, replications: int = 30):
    """``replications`` runs of the parameter set, replication r with seed (SEED, r)."""
    return _ensemble(tuple(sorted((overrides or {}).items())), replications)


def outcome(runs, name: str) -> np.ndarray:
    """One outcome across the runs (NaN where undefined)."""
    return np.array([r.summary[name] for r in runs], dtype=float)


def mean(runs, name: str) -> float:
    return float(np.nanmean(outcome(runs, name)))


def paired_difference(a, b, name: str) -> np.ndarray:
    """Per-replication difference b − a (same seeds), NaN pairs dropped."""
    d = outcome(b, name) - outcome(a, name)
    return d[~np.isnan(d)]


def series_mean(runs, name: str) -> np.ndarray:
    return np.mean([r.series[name] for r in runs], axis=0)
