"""The plausibility table: the model's inputs and intermediate quantities next to the ranges the
published literature reports (:data:`impl_sim.analysis.plausibility_data.PLAUSIBILITY_ROWS`),
flagged when outside.

These are checks, not calibration targets. Simulated rows run in the default world (the schema's
defaults, :data:`~impl_sim.defaults.DEFAULT_REPLICATIONS` replications, the default seed) through
the same run path as validation; a simulated value is its mean over replications with a 95 %
interval, and a row is flagged when that mean lies outside the published range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from impl_sim.analysis.plausibility_data import PLAUSIBILITY_ROWS
from impl_sim.analysis.summary import mean_interval
from impl_sim.defaults import DEFAULT_HORIZON_MONTHS, DEFAULT_REPLICATIONS, DEFAULT_SEED

ROW_KEYS = ("id", "quantity", "parameter", "outcome", "effect", "arms", "per", "range", "unit",
            "source", "url")
PER = ("post_year", "service_year")


class PlausibilityError(ValueError):
    """A malformed plausibility row (names the row and the key)."""


@dataclass(frozen=True)
class Check:
    """One row of the table: the model's value, its interval (simulated rows) and the flag."""

    row: Mapping[str, Any]
    value: float
    lo: float | None
    hi: float | None
    how: str

    @property
    def outside(self) -> bool:
        low, high = self.row["range"]
        return not (math.isfinite(self.value) and low <= self.value <= high)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.row["id"], "quantity": self.row["quantity"], "model": _f(self.value),
                "lo": _f(self.lo), "hi": _f(self.hi), "how": self.how,
                "range": list(self.row["range"]), "unit": self.row["unit"],
                "outside": self.outside, "source": self.row["source"], "url": self.row["url"]}


def _f(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def check_rows(rows: list[Mapping[str, Any]]) -> None:
    """Every row has an id, a source, a range and exactly one way to get the model's value."""
    from impl_sim.params import ParamError, param_spec

    for row in rows:
        rid = row.get("id", "?")
        unknown = set(row) - set(ROW_KEYS)
        if unknown:
            raise PlausibilityError(f"row {rid}: unknown keys {sorted(unknown)}")
        for key in ("id", "quantity", "range", "unit", "source", "url"):
            if not row.get(key):
                raise PlausibilityError(f"row {rid}: {key} missing; every row needs it")
        low, high = row["range"]
        if not low <= high:
            raise PlausibilityError(f"row {rid}: range {row['range']}: low above high")
        kinds = [k for k in ("parameter", "outcome", "effect") if k in row]
        if len(kinds) != 1:
            raise PlausibilityError(f"row {rid}: give exactly one of parameter, outcome, effect")
        if "parameter" in row:
            try:
                param_spec(row["parameter"])
            except ParamError as exc:
                raise PlausibilityError(f"row {rid}: parameter: {exc}") from None
        if "effect" in row and len(row.get("arms") or []) != 2:
            raise PlausibilityError(f"row {rid}: an effect needs arms: [reference, compared]")
        if row.get("per") not in (None, *PER):
            raise PlausibilityError(f"row {rid}: per: {row['per']!r}; expected one of "
                                    + ", ".join(PER))


def _targets_document(rows: list[Mapping[str, Any]], replications: int) -> dict[str, Any]:
    """Simulated rows as targets (reusing the targets' settings and quantities)."""
    targets = []
    for row in rows:
        if "outcome" in row:
            targets.append({"id": row["id"], "outcome": row["outcome"], "band": row["range"]})
        elif "effect" in row:
            reference, compared = row["arms"]
            targets.append({"id": row["id"], "outcome": row["effect"], "compare": "difference",
                            "arms": {"reference": dict(reference), "compared": dict(compared)},
                            "arm": "compared", "reference": "reference",
                            "direction": "greater"})
    return {"name": "plausibility", "defaults": {
        "replications": replications, "seed": DEFAULT_SEED,
        "horizon_months": DEFAULT_HORIZON_MONTHS}, "targets": targets}


def evaluate(rows: list[Mapping[str, Any]] | None = None, *,
             replications: int = DEFAULT_REPLICATIONS, workers: int = 1,
             executor: Any = None) -> list[Check]:
    """The model's value for every row (simulated rows through the one run path)."""
    from impl_sim.analysis.validation import parse_targets, simulate
    from impl_sim.params import Params

    rows = list(PLAUSIBILITY_ROWS if rows is None else rows)
    check_rows(rows)
    defaults = Params()
    simulated = [r for r in rows if "parameter" not in r]
    by_id = {}
    if simulated:
        target_set = parse_targets(_targets_document(simulated, replications), "plausibility")
        sim, keys = simulate(target_set.targets, workers=workers, executor=executor)
        by_id = {t.id: (t, keys[(0, t.id)]) for t in target_set.targets}
    checks = []
    for row in rows:
        if "parameter" in row:
            checks.append(Check(row, float(defaults.get(row["parameter"])), None, None,
                                "schema default"))
            continue
        target, key = by_id[row["id"]]
        columns = [sim.series(key, arm, q)
                   for arm, q in zip(target.arms, target.quantities, strict=True)]
        if "effect" in row:
            checks.append(_effect(row, columns[0], columns[1], target.scenario.seed))
        else:
            scale = _scale(row.get("per"), target.scenario.params_for(target.arms[0]))
            stats = mean_interval(columns[0] * scale)
            how = "simulated mean [95 %]" + (f", per {row['per'].replace('_', '-')}"
                                            if row.get("per") else "")
            checks.append(Check(row, stats["mean"], stats["lo"], stats["hi"], how))
    return checks


def _scale(per: str | None, params: Any) -> float:
    years = params.simulation.horizon_months / 12
    if per == "post_year":
        return 1.0 / (params.services.count * params.services.therapists_per_service * years)
    if per == "service_year":
        return 1.0 / (params.services.count * years)
    return 1.0


def _effect(row: Mapping[str, Any], compared: np.ndarray, reference: np.ndarray,
            seed: int) -> Check:
    """Cohen's d with the pooled SD across replications, and a bootstrap interval."""
    from impl_sim.analysis.validation import _bootstrap

    def d(b: np.ndarray, a: np.ndarray) -> float:
        pooled = math.sqrt((np.nanvar(a, ddof=1) + np.nanvar(b, ddof=1)) / 2)
        return float((np.nanmean(b) - np.nanmean(a)) / pooled) if pooled > 0 else math.nan

    lo, hi = _bootstrap(d, [compared, reference], seed)
    return Check(row, d(compared, reference), lo, hi,
                 "simulated Cohen's d [95 %] (pooled SD across replications)")


def _num(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def model_text(check: Check) -> str:
    """The model's value, with its interval when simulated."""
    if check.lo is None:
        return _num(check.value)
    return f"{_num(check.value)} [{_num(check.lo)}, {_num(check.hi)}]"


def range_text(check: Check) -> str:
    low, high = check.row["range"]
    return f"{_num(low)}–{_num(high)}"


def markdown_section(checks: list[Check]) -> str:
    """The plausibility table for docs/validation.md."""
    outside = sum(c.outside for c in checks)
    lines = [
        "## Plausibility: inputs and intermediate quantities", "",
        "Ranges the published literature reports, next to the model's value in the default "
        f"world ({DEFAULT_REPLICATIONS} replications, {DEFAULT_HORIZON_MONTHS} months). These "
        "are checks, not calibration targets: the model is not tuned to them one at a time. A "
        "row is **flagged** when the model's value (the mean, for simulated rows) lies outside "
        "the range.", "",
        f"**{outside} of {len(checks)} rows outside their published range**", "",
        "| id | quantity | model | how | published range | unit | flag | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        flag = "**outside**" if c.outside else "inside"
        lines.append(f"| {c.row['id']} | {c.row['quantity']} | {model_text(c)} | {c.how} | "
                     f"{range_text(c)} | {c.row['unit']} | {flag} | {c.row['source']} "
                     f"([link]({c.row['url']})) |")
    return "\n".join(lines) + "\n"
