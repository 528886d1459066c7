"""Standardised effects measured in the simulated services (targets E1 and E2).

The literature reports leadership → climate → use as standardised mean differences between
organisations: organisations whose leadership improved from low to high gained d = 0.92 in
implementation climate, and climate predicted clinicians' EBP use (Williams et al. 2020; d ≈ 0.5
in EVIDENCE S1); climate predicted observed fidelity about 20 months later (Williams et al.
2022). The model is checked the same way, across the services of one run:

* ``leadership_climate_d``: services whose leader in post 24 months after training ended has an
  above-median mean ILS score vs the others — climate difference in pooled standard deviations.
* ``climate_use_d``: services with above-median climate when training ended vs the others —
  difference in the share of their trained therapists in post who sustain CPP 24 months later.

Both need many services per run (the validation targets use 40); with fewer than four services
with data they are NaN.
"""

from __future__ import annotations

import numpy as np

EFFECT_FOLLOW_UP_MONTHS = 24  # measured 24 months after the first cohort's training ends
MIN_SERVICES = 4


def split_smd(grouping: np.ndarray, values: np.ndarray) -> float:
    """Cohen's d of ``values`` between units above and at-or-below the median of ``grouping``
    (pooled standard deviation); NaN when undefined."""
    keep = np.isfinite(grouping) & np.isfinite(values)
    grouping, values = grouping[keep], values[keep]
    if len(values) < MIN_SERVICES:
        return float("nan")
    high = grouping > np.median(grouping)
    a, b = values[high], values[~high]
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
                     / (len(a) + len(b) - 2))
    return float((a.mean() - b.mean()) / pooled) if pooled > 0 else float("nan")


def effect_sizes(snapshots: dict[int, dict[str, np.ndarray]], end: int) -> dict[str, float]:
    """``leadership_climate_d`` and ``climate_use_d`` from the model's service snapshots."""
    at_end = snapshots.get(end)
    later = snapshots.get(end + EFFECT_FOLLOW_UP_MONTHS)
    if at_end is None or later is None:
        return {"leadership_climate_d": float("nan"), "climate_use_d": float("nan")}
    trained = later["trained"].astype(float)
    use = np.divide(later["sustaining"], trained, out=np.full(len(trained), np.nan),
                    where=trained > 0)
    return {
        "leadership_climate_d": split_smd(later["leadership"], later["climate"]),
        "climate_use_d": split_smd(at_end["climate"], use),
    }
