"""Costs the way health economists compare arms: the incremental cost per extra completed case.

``cost_per_completed_case`` of one arm mixes what an arm spends with how much it delivers: an
arm that completes more cases looks "cheaper" per case whatever it spends. Between two arms the
question is what the *extra* completed cases cost: the incremental cost-effectiveness ratio

    ICER = (mean cost_total of arm − of reference) / (mean cases_completed of arm − of reference)

over runs paired by design point and replication (common random numbers). Its 95 % interval is
a percentile bootstrap over the pairs; it is left undefined (NaN) when the interval of the
extra cases includes zero (the ratio is then unbounded), and the ICER itself when the arms
complete the same number of cases. ``cost_total`` includes delivery (therapist hours for the
sessions) as well as implementation (training, consultation, protected time, strategies).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from impl_sim.analysis.summary import paired_difference

BOOTSTRAP_SAMPLES = 2000


def _pairs(summary: pd.DataFrame, columns: list[str], arm: str, reference: str) -> pd.DataFrame:
    keys = ["point", "replication"]
    a = summary[summary["arm"] == arm].set_index(keys)[columns]
    b = summary[summary["arm"] == reference].set_index(keys)[columns]
    return (a - b).dropna()


def incremental_cost(summary: pd.DataFrame, arm: str, reference: str,
                     cost: str = "cost_total", effect: str = "cases_completed",
                     seed: int = 0) -> dict[str, float]:
    """Extra cost, extra completed cases and the ICER of ``arm`` over ``reference``:
    ``{extra_cost, extra_cost_lo, extra_cost_hi, extra_cases, extra_cases_lo, extra_cases_hi,
    icer, icer_lo, icer_hi, n}`` (EUR, cases, EUR per extra completed case)."""
    diffs = _pairs(summary, [cost, effect], arm, reference)
    c, e = paired_difference(summary, cost, arm, reference), paired_difference(
        summary, effect, arm, reference)
    out = {"extra_cost": c["mean"], "extra_cost_lo": c["lo"], "extra_cost_hi": c["hi"],
           "extra_cases": e["mean"], "extra_cases_lo": e["lo"], "extra_cases_hi": e["hi"],
           "icer": math.nan, "icer_lo": math.nan, "icer_hi": math.nan, "n": len(diffs)}
    if len(diffs) == 0 or e["mean"] == 0:
        return out
    out["icer"] = c["mean"] / e["mean"]
    if len(diffs) > 1 and (e["lo"] > 0 or e["hi"] < 0):
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, len(diffs), (BOOTSTRAP_SAMPLES, len(diffs)))
        dc, de = diffs[cost].to_numpy()[picks].mean(1), diffs[effect].to_numpy()[picks].mean(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = dc / de
        out["icer_lo"], out["icer_hi"] = (float(q) for q in np.nanpercentile(ratios, [2.5, 97.5]))
    return out


def incremental_cost_table(summary: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """One row per arm after the first, against the first arm (the reference)."""
    reference = arms[0]
    rows = [{"arm": arm, "reference": reference, **incremental_cost(summary, arm, reference)}
            for arm in arms[1:]]
    return pd.DataFrame(rows)
