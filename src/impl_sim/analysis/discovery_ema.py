"""EMA Workbench's PRIM on the same data as ours: for comparison, not a dependency.

``ema_workbench`` (Kwakkel 2017) is the reference implementation of PRIM for scenario
discovery. It installs on Python 3.11 and 3.12 but brings scikit-learn, statsmodels, seaborn,
Platypus and multiprocess with it, so impl-sim keeps its own PRIM
(:mod:`impl_sim.analysis.discovery`) and uses this adapter only in the tests and in
``benchmarks/compare_prim_ema.py`` (``pip install 'impl-sim[dev]'`` brings it).

Differences to keep in mind when comparing: EMA Workbench's box limits are the inclusive
minimum and maximum of the runs inside (ours lie half-way to the next run outside), and its
quasi-p values are per limit (lower and upper), ours per parameter (both limits lifted).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def planted_box(n: int = 1500, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic data with a planted box, for comparing PRIM implementations: failure is common
    (90 %) where ``therapists.annual_turnover > 0.6`` and ``leaders.proactive < 1.5``, rare
    (5 %) elsewhere; ``therapists.motivation_mean`` and ``services.count`` are noise."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({
        "therapists.annual_turnover": rng.uniform(0, 0.9, n),
        "leaders.proactive": rng.uniform(0, 4, n),
        "therapists.motivation_mean": rng.uniform(0, 1, n),
        "services.count": rng.integers(1, 6, n),
    })
    inside = (data["therapists.annual_turnover"] > 0.6) & (data["leaders.proactive"] < 1.5)
    return data, np.where(inside, rng.random(n) < 0.9, rng.random(n) < 0.05)


def ema_prim_box(data: pd.DataFrame, of_interest: np.ndarray, *, min_density: float = 0.8,
                 max_p: float | None = 0.05, alpha: float = 0.05, min_mass: float = 0.05,
                 resamples: int = 0, seed: int = 0) -> dict[str, Any]:
    """EMA Workbench's PRIM: the widest box on its trajectory with density ≥ ``min_density``
    (the densest if none), restrictions with a quasi-p above ``max_p`` dropped (worst first).

    Returns ``{"restricted": {name: (low, high) or categories}, "quasi_p": {name: p},
    "density", "coverage", "n_in_box", "reproducibility": {name: share}}``.
    """
    import logging

    from ema_workbench.analysis import prim as ema_prim

    logging.getLogger("EMA").setLevel(logging.WARNING)
    x = data.reset_index(drop=True).copy()
    for name in x.columns:
        if not pd.api.types.is_numeric_dtype(x[name]) or pd.api.types.is_bool_dtype(x[name]):
            x[name] = x[name].astype("category")
        else:
            x[name] = x[name].astype(float)
    y = np.asarray(of_interest, dtype=bool)
    box = ema_prim.Prim(x, y, threshold=min_density, peel_alpha=alpha, paste_alpha=alpha,
                        mass_min=min_mass).find_box()
    trajectory = box.peeling_trajectory
    reaching = trajectory[trajectory.density >= min_density]
    step = int(reaching.coverage.idxmax() if len(reaching) else trajectory.density.idxmax())
    box.select(step)
    while max_p is not None:
        p_values = _worst_p(box.qp[box._cur_box])
        weak = sorted((n for n, p in p_values.items() if p > max_p), key=lambda n: -p_values[n])
        if not weak:
            break
        box.drop_restriction(weak[0])
    current = box._cur_box
    limits = box.box_lims[current]
    p_values = _worst_p(box.qp[current])
    restricted = {}
    for name in p_values:
        if isinstance(x[name].dtype, pd.CategoricalDtype):
            restricted[name] = frozenset(limits[name].iloc[0])
        else:
            restricted[name] = (float(limits[name].iloc[0]), float(limits[name].iloc[1]))
    row = box.peeling_trajectory.iloc[current]
    result = {"restricted": restricted, "quasi_p": p_values, "density": float(row.density),
              "coverage": float(row.coverage), "n_in_box": int(row.n), "reproducibility": {}}
    if resamples:
        np.random.seed(seed)  # EMA Workbench resamples with numpy's global generator
        scores = box.resample(current, iterations=resamples)
        result["reproducibility"] = (scores["reproduce coverage"] / 100).to_dict()
    return result


def _worst_p(qp: dict[str, list[float]]) -> dict[str, float]:
    """EMA Workbench's per-limit quasi-p (−1 or NaN for an unrestricted limit) → the larger of
    the restricted limits' values, per parameter."""
    out = {}
    for name, values in qp.items():
        valid = [float(v) for v in values if v is not None and not math.isnan(v) and v >= 0]
        if valid:
            out[name] = max(valid)
    return out
