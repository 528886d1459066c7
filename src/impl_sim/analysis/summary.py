"""Ensemble statistics: means with 95 % intervals, CRN-paired arm differences, series bands."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def mean_interval(values: Iterable[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """Mean and its t-interval (NaNs ignored). One value gives lo = hi = mean."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "lo": math.nan, "hi": math.nan, "sd": math.nan, "n": 0}
    mean = float(x.mean())
    if n == 1:
        return {"mean": mean, "lo": mean, "hi": mean, "sd": 0.0, "n": 1}
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "sd": sd, "n": n}


def arm_table(summary: pd.DataFrame, outcomes: list[str]) -> dict[str, dict[str, dict]]:
    """``{arm: {outcome: {mean, lo, hi, sd, n}}}`` over all runs of each arm."""
    table: dict[str, dict[str, dict]] = {}
    for arm, runs in summary.groupby("arm", sort=False):
        table[str(arm)] = {o: mean_interval(runs[o]) for o in outcomes if o in runs}
    return table


def paired_difference(summary: pd.DataFrame, outcome: str, arm: str, reference: str,
                      ) -> dict[str, float]:
    """Mean of (arm − reference) over runs paired by design point and replication (CRN)."""
    keys = ["point", "replication"]
    a = summary[summary["arm"] == arm].set_index(keys)[outcome]
    b = summary[summary["arm"] == reference].set_index(keys)[outcome]
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    return mean_interval(joined["a"] - joined["b"])


def series_bands(series: pd.DataFrame, name: str, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
                 ) -> pd.DataFrame:
    """Per arm and month, the quantiles of a monthly series across runs (columns q10, q50...)."""
    grouped = series.groupby(["arm", "month"], sort=False)[name]
    frame = grouped.quantile(list(quantiles)).unstack()
    frame.columns = [f"q{round(q * 100)}" for q in quantiles]
    return frame.reset_index()
