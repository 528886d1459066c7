"""Scenario discovery with PRIM: the conditions under which an outcome fails.

PRIM (Friedman & Fisher 1999, the Patient Rule Induction Method; as used for scenario discovery
by Bryant & Lempert 2010) looks for a *box* — a range per parameter — in which the runs of
interest (e.g. ``sustainment_24m < 0.3``) are dense:

* **peeling**: repeatedly cut a thin slice (a share ``alpha`` of the points still in the box)
  from the low or high end of one parameter, choosing the cut that raises the density of runs of
  interest most, until the box would hold fewer than ``min_mass`` of all runs;
* each step gives one box on the **peeling trajectory**, a trade-off between *coverage* (share
  of all runs of interest that fall in the box) and *density* (share of runs in the box that are
  of interest);
* a box is chosen on the trajectory (the knee of the trade-off, or the widest box that reaches a
  density threshold), then **pasted**: limits are widened again where that does not lower the
  density;
* restrictions that buy almost no density are dropped (``prune``: a restriction goes when
  the box keeps at least 90 % of its density without it), so the box names few parameters;
* only the parameters whose limits end up restricted are reported.

Non-numeric columns (e.g. ``leaders.style`` in a grid, or the arm) are peeled one category at a
time. Everything is deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_ALPHA = 0.05
DEFAULT_MIN_MASS = 0.05
DEFAULT_PRUNE = 0.1  # drop restrictions while the box keeps 90 % of its density


@dataclass
class Box:
    """A PRIM box: numeric limits ``(low, high)`` (strict) and allowed categories per column."""

    limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    categories: dict[str, frozenset[Any]] = field(default_factory=dict)
    coverage: float = 1.0
    density: float = 0.0
    mass: float = 1.0
    n_in_box: int = 0
    n_of_interest_in_box: int = 0

    def contains(self, data: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rows of ``data`` inside the box."""
        inside = np.ones(len(data), dtype=bool)
        for name, (low, high) in self.limits.items():
            values = data[name].to_numpy(dtype=float)
            inside &= (values > low) & (values < high)
        for name, allowed in self.categories.items():
            inside &= data[name].isin(list(allowed)).to_numpy()
        return inside

    def copy(self) -> Box:
        return Box(dict(self.limits), dict(self.categories))

    def restricted(self, data: pd.DataFrame) -> list[str]:
        """Columns whose limits exclude some of ``data`` (in column order)."""
        names = []
        for name in data.columns:
            if name in self.limits:
                low, high = self.limits[name]
                values = data[name].to_numpy(dtype=float)
                if (values <= low).any() or (values >= high).any():
                    names.append(name)
            elif name in self.categories and set(data[name].unique()) - set(
                    self.categories[name]):
                names.append(name)
        return names


@dataclass
class PrimResult:
    """The peeling trajectory, the chosen (pasted) box and what it means in words."""

    trajectory: list[Box]
    box: Box
    chosen_step: int
    restricted: list[str]
    base_rate: float
    n_runs: int
    n_of_interest: int
    data: pd.DataFrame

    def conditions(self) -> list[str]:
        """One phrase per restricted parameter, e.g. ``therapists.annual_turnover > 0.32``."""
        phrases = []
        for name in self.restricted:
            if name in self.box.limits:
                low, high = self.box.limits[name]
                values = self.data[name].to_numpy(dtype=float)
                cut_low = bool((values <= low).any())
                cut_high = bool((values >= high).any())
                if cut_low and cut_high:
                    phrases.append(f"{_num(low)} < {name} < {_num(high)}")
                elif cut_low:
                    phrases.append(f"{name} > {_num(low)}")
                else:
                    phrases.append(f"{name} < {_num(high)}")
            else:
                allowed = ", ".join(str(c) for c in sorted(self.box.categories[name], key=str))
                phrases.append(f"{name} in {{{allowed}}}")
        return phrases


def _num(x: float) -> str:
    return f"{x:.3g}"


def is_categorical(column: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def _full_box(data: pd.DataFrame) -> Box:
    box = Box()
    for name in data.columns:
        if is_categorical(data[name]):
            box.categories[name] = frozenset(data[name].unique())
        else:
            box.limits[name] = (-math.inf, math.inf)
    return box


def _score(box: Box, data: pd.DataFrame, of_interest: np.ndarray) -> Box:
    inside = box.contains(data)
    n_in = int(inside.sum())
    hits = int(of_interest[inside].sum())
    total_hits = max(int(of_interest.sum()), 1)
    box.n_in_box, box.n_of_interest_in_box = n_in, hits
    box.mass = n_in / len(data)
    box.density = hits / n_in if n_in else 0.0
    box.coverage = hits / total_hits
    return box


def _midpoint_below(values: np.ndarray, cut: float) -> float:
    """A limit between the largest value ≤ ``cut`` and the next value above it."""
    above = values[values > cut]
    return (cut + above.min()) / 2 if len(above) else cut


def _peel_candidates(box: Box, data: pd.DataFrame, inside: np.ndarray,
                     alpha: float) -> list[Box]:
    """Every box one peel away from ``box``: the low or high ``alpha`` slice of one column."""
    candidates = []
    for name, (low, high) in box.limits.items():
        values = data[name].to_numpy(dtype=float)[inside]
        if len(np.unique(values)) < 2:
            continue
        q_low, q_high = np.quantile(values, [alpha, 1 - alpha])
        # ties (grid levels): peel at least the lowest (highest) level
        below, above = values[values < q_low], values[values > q_high]
        q_low = below.max() if len(below) else values.min()
        new_low = float(_midpoint_below(values, q_low))
        q_high = above.min() if len(above) else values.max()
        new_high = -float(_midpoint_below(-values, -q_high))
        for limits in ((new_low, high), (low, new_high)):
            candidate = box.copy()
            candidate.limits[name] = limits
            candidates.append(candidate)
    for name, allowed in box.categories.items():
        present = set(data[name][inside].unique())
        if len(present) < 2:
            continue
        for category in sorted(present, key=str):
            candidate = box.copy()
            candidate.categories[name] = frozenset(allowed - {category})
            candidates.append(candidate)
    return candidates


def peel(data: pd.DataFrame, of_interest: np.ndarray, alpha: float = DEFAULT_ALPHA,
         min_mass: float = DEFAULT_MIN_MASS) -> list[Box]:
    """The peeling trajectory, from the full box to the last box holding ≥ ``min_mass``."""
    box = _score(_full_box(data), data, of_interest)
    trajectory = [box]
    while box.density < 1.0:
        inside = box.contains(data)
        scored = [_score(c, data, of_interest)
                  for c in _peel_candidates(box, data, inside, alpha)]
        scored = [c for c in scored if c.mass >= min_mass and c.n_in_box < box.n_in_box]
        if not scored:
            break
        # densest box; among equals, the one that keeps most runs
        box = max(scored, key=lambda c: (c.density, c.n_in_box))
        trajectory.append(box)
    return trajectory


def _paste_candidates(box: Box, data: pd.DataFrame, alpha: float) -> list[Box]:
    """Boxes that widen one limit of ``box`` by about ``alpha`` × its size in runs."""
    inside = box.contains(data)
    step = max(1, round(alpha * inside.sum()))
    candidates = []
    for name, (low, high) in box.limits.items():
        others = box.copy()
        others.limits[name] = (-math.inf, math.inf)
        slab = others.contains(data) & ~inside
        values = data[name].to_numpy(dtype=float)[slab]
        below, above = np.sort(values[values <= low]), np.sort(values[values >= high])
        if len(below):
            new_low = below[-min(step, len(below))]
            rest = below[below < new_low]
            candidate = box.copy()
            candidate.limits[name] = (float((rest.max() + new_low) / 2) if len(rest)
                                      else -math.inf, high)
            candidates.append(candidate)
        if len(above):
            new_high = above[min(step, len(above)) - 1]
            rest = above[above > new_high]
            candidate = box.copy()
            candidate.limits[name] = (low, float((rest.min() + new_high) / 2) if len(rest)
                                      else math.inf)
            candidates.append(candidate)
    for name, allowed in box.categories.items():
        for category in sorted(set(data[name].unique()) - set(allowed), key=str):
            candidate = box.copy()
            candidate.categories[name] = frozenset(allowed | {category})
            candidates.append(candidate)
    return candidates


def paste(box: Box, data: pd.DataFrame, of_interest: np.ndarray,
          alpha: float = DEFAULT_ALPHA) -> Box:
    """Widen ``box`` while some widening keeps (or raises) its density."""
    box = _score(box.copy(), data, of_interest)
    while True:
        scored = [_score(c, data, of_interest) for c in _paste_candidates(box, data, alpha)]
        better = [c for c in scored if c.density >= box.density and c.n_in_box > box.n_in_box]
        if not better:
            return box
        box = max(better, key=lambda c: (c.density, c.n_in_box))


def simplify(box: Box, data: pd.DataFrame, of_interest: np.ndarray,
             prune: float = DEFAULT_PRUNE) -> Box:
    """Lift restrictions while the density stays within ``prune`` (relative) of ``box``'s."""
    floor = box.density * (1 - prune)
    box = _score(box.copy(), data, of_interest)
    while True:
        candidates = []
        for name in box.restricted(data):
            lifted = box.copy()
            if name in lifted.limits:
                lifted.limits[name] = (-math.inf, math.inf)
            else:
                lifted.categories[name] = frozenset(data[name].unique())
            candidates.append(_score(lifted, data, of_interest))
        keep = [c for c in candidates if c.density >= floor]
        if not keep:
            return box
        box = max(keep, key=lambda c: (c.density, c.n_in_box))


def knee(trajectory: list[Box]) -> int:
    """The step farthest from the straight line joining the first and last box (coverage vs
    density, each scaled to its range): where extra density starts to cost much coverage."""
    cov = np.array([b.coverage for b in trajectory])
    den = np.array([b.density for b in trajectory])
    if len(trajectory) < 3 or den.max() == den.min():
        return len(trajectory) - 1
    x = (cov - cov.min()) / max(cov.max() - cov.min(), 1e-12)
    y = (den - den.min()) / (den.max() - den.min())
    # line from (x0, y0) to (x1, y1); distance of each point
    x0, y0, x1, y1 = x[0], y[0], x[-1], y[-1]
    distance = np.abs((y1 - y0) * x - (x1 - x0) * y + x1 * y0 - y1 * x0)
    return int(np.argmax(distance))


def choose_step(trajectory: list[Box], min_density: float | None = None) -> int:
    """The widest box reaching ``min_density`` (the densest if none does), or the knee."""
    if min_density is None:
        return knee(trajectory)
    reaching = [i for i, b in enumerate(trajectory) if b.density >= min_density]
    if not reaching:
        return int(np.argmax([b.density for b in trajectory]))
    return max(reaching, key=lambda i: (trajectory[i].coverage, -i))


def prim(data: pd.DataFrame, of_interest: np.ndarray | pd.Series, *,
         alpha: float = DEFAULT_ALPHA, min_mass: float = DEFAULT_MIN_MASS,
         min_density: float | None = None, pasting: bool = True,
         prune: float = DEFAULT_PRUNE) -> PrimResult:
    """Run PRIM: ``data`` has one column per parameter, ``of_interest`` one boolean per row."""
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must lie between 0 and 0.5, got {alpha}")
    if not 0 < min_mass <= 1:
        raise ValueError(f"min_mass must lie in (0, 1], got {min_mass}")
    data = data.reset_index(drop=True)
    hits = np.asarray(of_interest, dtype=bool)
    if len(hits) != len(data):
        raise ValueError("of_interest must have one value per row of data")
    trajectory = peel(data, hits, alpha, min_mass)
    step = choose_step(trajectory, min_density)
    box = paste(trajectory[step], data, hits, alpha) if pasting else trajectory[step]
    if prune > 0:
        box = simplify(box, data, hits, prune)
    return PrimResult(
        trajectory=trajectory, box=box, chosen_step=step, restricted=box.restricted(data),
        base_rate=float(hits.mean()) if len(hits) else math.nan, n_runs=len(hits),
        n_of_interest=int(hits.sum()), data=data,
    )


# --- on a results directory --------------------------------------------------------------------


def condition_text(outcome: str, below: float | None, above: float | None) -> str:
    """``sustainment_24m < 0.3``, ``adoption > 0.8`` or ``0.3 < fidelity < 0.6``."""
    if below is not None and above is not None:
        return f"{_num(above)} < {outcome} < {_num(below)}"
    if below is not None:
        return f"{outcome} < {_num(below)}"
    return f"{outcome} > {_num(above)}"


def runs_of_interest(values: pd.Series, below: float | None, above: float | None) -> np.ndarray:
    """Which runs meet the condition (NaN never does)."""
    x = values.to_numpy(dtype=float)
    hit = ~np.isnan(x)
    if below is not None:
        hit &= x < below
    if above is not None:
        hit &= x > above
    return hit


def discovery_data(summary: pd.DataFrame, design_parameters: list[str],
                   arms: list[str]) -> pd.DataFrame:
    """The columns PRIM may restrict: the design parameters, plus the arm when there are
    several."""
    columns = [c for c in design_parameters if c in summary.columns]
    if len(arms) > 1:
        columns.append("arm")
    return summary[columns]


def describe(result: PrimResult, condition: str) -> str:
    """The chosen box in plain words."""
    box = result.box
    if not result.n_of_interest:
        return f"No run has {condition} ({result.n_runs} runs); there is nothing to explain."
    if not result.restricted:
        return (f"{condition} in {result.base_rate:.0%} of all {result.n_runs} runs; PRIM found "
                "no range of the design parameters where it is clearly more common.")
    where = " and ".join(result.conditions())
    return (f"{condition} in {box.density:.0%} of runs where {where}; this box covers "
            f"{box.coverage:.0%} of all such runs ({box.n_in_box} of {result.n_runs} runs lie "
            f"in the box; across all runs the rate is {result.base_rate:.0%}).")


def plot_tradeoff(result: PrimResult, condition: str, path: str | Path) -> Path:
    """Coverage vs density along the peeling trajectory (PNG), the chosen box marked."""
    from impl_sim.analysis.figures import pyplot, save_with_caption

    plt = pyplot()
    traj = result.trajectory
    coverage = [b.coverage for b in traj]
    density = [b.density for b in traj]
    n_dims = [len(b.restricted(result.data)) for b in traj]
    fig, ax = plt.subplots(figsize=(7, 5.2))
    points = ax.scatter(coverage, density, c=n_dims, cmap="viridis", s=28, zorder=3)
    ax.plot(coverage, density, color="0.7", lw=1, zorder=2)
    chosen = traj[result.chosen_step]
    ax.scatter([chosen.coverage], [chosen.density], marker="o", s=160, facecolors="none",
               edgecolors="crimson", lw=2, zorder=4, label="chosen on the trajectory")
    ax.scatter([result.box.coverage], [result.box.density], marker="*", s=220, color="crimson",
               zorder=5, label="chosen box after pasting")
    fig.colorbar(points, ax=ax, label="parameters restricted")
    ax.set_xlabel("Coverage (share of all runs of interest inside the box)")
    ax.set_ylabel("Density (share of runs in the box that are of interest)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    ax.set_title(f"PRIM peeling trajectory: where {condition}")
    caption = (f"Each dot is a box on the peeling trajectory (from all {result.n_runs} runs at the "
               f"right, base rate {result.base_rate:.0%}, to ever smaller boxes). Moving left buys "
               "density at the cost of coverage; the star marks the box described in the text.")
    return save_with_caption(fig, path, caption)
