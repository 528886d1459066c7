"""Ensemble statistics: means with 95 % intervals, CRN-paired arm differences, series bands.

Intervals are of the *mean over runs* (replications, design points): Student's t by default.
An outcome that is a share (``Outcome.share``: it lies in [0, 1]) can get a t-interval
reaching below 0 or above 1 when there are few runs near a bound (``0.95 [0.87, 1.03]``);
for those, :func:`share_interval` cuts the interval at the bound: the mean certainly lies in
[0, 1], so the cut interval still covers it whenever the t-interval does (a bootstrap interval
would be too narrow with 3–10 replications). Differences of shares are cut at [−1, 1]. The
``method`` key says whether a limit was cut.
"""

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


def share_interval(values: Iterable[float], confidence: float = CONFIDENCE,
                   bounds: tuple[float, float] = (0.0, 1.0)) -> dict[str, float]:
    """Like :func:`mean_interval`, for values in ``bounds`` ([0, 1] for a share, [−1, 1] for a
    difference of shares): the t-interval intersected with ``bounds``. The mean lies in
    ``bounds`` for certain, so the intersection covers it whenever the t-interval does (the
    coverage is kept); a bootstrap interval would stay inside too but is too narrow with the
    few replications typical here. ``method`` is ``"t, truncated"`` when a limit was cut."""
    result = mean_interval(values, confidence) | {"method": "t"}
    if result["n"] and (result["lo"] < bounds[0] or result["hi"] > bounds[1]):
        result |= {"lo": max(result["lo"], bounds[0]), "hi": min(result["hi"], bounds[1]),
                   "method": "t, truncated"}
    return result


def outcome_interval(name: str, values: Iterable[float]) -> dict[str, float]:
    """The interval of the mean of outcome ``name``: bounded for shares."""
    from impl_sim.model.outcomes import OUTCOMES

    outcome = OUTCOMES.get(name)
    return share_interval(values) if outcome is not None and outcome.share \
        else mean_interval(values)


def arm_table(summary: pd.DataFrame, outcomes: list[str]) -> dict[str, dict[str, dict]]:
    """``{arm: {outcome: {mean, lo, hi, sd, n}}}`` over all runs of each arm (shares keep their
    interval in [0, 1], see :func:`share_interval`)."""
    table: dict[str, dict[str, dict]] = {}
    for arm, runs in summary.groupby("arm", sort=False):
        table[str(arm)] = {o: outcome_interval(o, runs[o]) for o in outcomes if o in runs}
    return table


def paired_difference(summary: pd.DataFrame, outcome: str, arm: str, reference: str,
                      ) -> dict[str, float]:
    """Mean of (arm − reference) over runs paired by design point and replication (CRN)."""
    keys = ["point", "replication"]
    a = summary[summary["arm"] == arm].set_index(keys)[outcome]
    b = summary[summary["arm"] == reference].set_index(keys)[outcome]
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    from impl_sim.model.outcomes import OUTCOMES

    if outcome in OUTCOMES and OUTCOMES[outcome].share:  # a difference of shares: in [−1, 1]
        return share_interval(joined["a"] - joined["b"], bounds=(-1.0, 1.0))
    return mean_interval(joined["a"] - joined["b"])


def series_bands(series: pd.DataFrame, name: str, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
                 ) -> pd.DataFrame:
    """Per arm and month, the quantiles of a monthly series across runs (columns q10, q50...)."""
    grouped = series.groupby(["arm", "month"], sort=False)[name]
    frame = grouped.quantile(list(quantiles)).unstack()
    frame.columns = [f"q{round(q * 100)}" for q in quantiles]
    return frame.reset_index()
