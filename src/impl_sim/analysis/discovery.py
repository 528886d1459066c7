"""Scenario discovery with PRIM: the conditions under which an outcome fails.

PRIM (Friedman & Fisher 1999, the Patient Rule Induction Method; as used for scenario discovery
by Bryant & Lempert 2010) looks for a *box* — a range per parameter — in which the runs of
interest (e.g. ``sustainment_24m < 0.3``) are dense:

* **peeling**: repeatedly cut a thin slice (a share ``alpha`` of the points still in the box)
  from the low or high end of one parameter, choosing the cut that gains most density of runs
  of interest per run removed (Friedman & Fisher's criterion), until the box would hold
  fewer than ``min_mass`` of all runs;
* each step gives one box on the **peeling trajectory**, a trade-off between *coverage* (share
  of all runs of interest that fall in the box) and *density* (share of runs in the box that are
  of interest);
* a box is chosen on the trajectory (the knee of the trade-off, or the widest box that reaches a
  density threshold), then **pasted**: limits are widened again where that does not lower the
  density;
* restrictions that buy almost no density are dropped (``prune``: a restriction goes when
  the box keeps at least 90 % of its density without it), so the box names few parameters;
* each remaining restriction gets a **quasi-p value** (Bryant & Lempert 2010; EMA Workbench's
  ``qp``): the one-sided binomial probability of at least the box's runs of interest among its
  runs if the rate were that of the box with this restriction lifted. Restrictions with
  quasi-p above ``max_p`` (default 0.05) are lifted, worst first;
* a requested minimum density is honoured by the *final* box: pasting never lowers density,
  and pruning and lifting stop at that floor;
* **stability**: PRIM is rerun on ``resamples`` random halves of the runs; each parameter's
  *reproducibility* is the share of those boxes that restrict it (EMA Workbench's
  ``resample``). A restriction found in every half is robust; one found in few is noise;
* after one box, the runs inside it can be set aside and PRIM run again on the rest
  (``n_boxes``, the *covering* approach), for a second or third distinct failure mode;
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
from scipy import stats

DEFAULT_ALPHA = 0.05
DEFAULT_MIN_MASS = 0.05
DEFAULT_PRUNE = 0.1  # drop restrictions while the box keeps 90 % of its density
DEFAULT_MAX_P = 0.05  # lift restrictions whose quasi-p is above this
DEFAULT_RESAMPLES = 10  # random halves for the stability of each restriction
DEFAULT_RESAMPLE_FRACTION = 0.5


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
    """The peeling trajectory, the chosen (pasted, pruned) box, its significance and stability.

    ``quasi_p`` holds each restricted parameter's quasi-p value; ``reproducibility`` the share
    of resampled boxes restricting each parameter (empty without resampling, see
    ``resample_dims`` for how many parameters each resampled box restricted); ``dropped`` the
    restrictions lifted because their quasi-p exceeded ``max_p``. ``total_of_interest`` counts
    the runs of interest of the whole data set (differs from ``n_of_interest`` for the second
    and later boxes of a sequence, which see only the runs outside the earlier boxes).
    """

    trajectory: list[Box]
    box: Box
    chosen_step: int
    restricted: list[str]
    base_rate: float
    n_runs: int
    n_of_interest: int
    data: pd.DataFrame
    quasi_p: dict[str, float] = field(default_factory=dict)
    reproducibility: dict[str, float] = field(default_factory=dict)
    resample_dims: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    min_density: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    hits: np.ndarray | None = None
    total_of_interest: int | None = None

    @property
    def meets_min_density(self) -> bool:
        """True when no minimum density was asked for, or the final box reaches it."""
        return self.min_density is None or self.box.density >= self.min_density

    @property
    def coverage_of_all(self) -> float:
        """Share of all runs of interest (of the whole data set) inside this box."""
        total = self.total_of_interest if self.total_of_interest is not None \
            else self.n_of_interest
        return self.box.n_of_interest_in_box / total if total else 0.0

    def conditions(self) -> list[str]:
        """One phrase per restricted parameter, e.g. ``therapists.annual_turnover > 0.32``."""
        return [restriction_text(self.box, name, self.data) for name in self.restricted]

    def select(self, step: int) -> PrimResult:
        """The box at another step of the same trajectory (pasted, pruned and tested like the
        chosen one): EMA Workbench's ``inspect``/``select``. Steps count from 0 (all runs)."""
        if not 0 <= step < len(self.trajectory):
            raise ValueError(f"step must lie between 0 and {len(self.trajectory) - 1}, got "
                             f"{step}")
        assert self.hits is not None
        return _finish(self.data, self.hits, self.trajectory, step,
                       **{**self.settings, "min_density": None})

    def trajectory_frame(self) -> pd.DataFrame:
        """The peeling trajectory as data: one row per step with coverage, density, mass,
        runs in the box and the restricted parameters."""
        rows = [{"step": i, "coverage": b.coverage, "density": b.density, "mass": b.mass,
                 "n_in_box": b.n_in_box, "n_of_interest_in_box": b.n_of_interest_in_box,
                 "n_restricted": len(names := b.restricted(self.data)),
                 "restricted": ", ".join(names)} for i, b in enumerate(self.trajectory)]
        return pd.DataFrame(rows)

    def restrictions_frame(self) -> pd.DataFrame:
        """One row per restriction: parameter, text, limits, quasi-p, reproducibility."""
        rows = []
        for name in self.restricted:
            low, high = self.box.limits.get(name, (math.nan, math.nan))
            categories = self.box.categories.get(name)
            rows.append({
                "parameter": name, "restriction": restriction_text(self.box, name, self.data),
                "low": None if math.isinf(low) else low,
                "high": None if math.isinf(high) else high,
                "categories": None if categories is None else sorted(categories, key=str),
                "quasi_p": self.quasi_p.get(name, math.nan),
                "reproducibility": self.reproducibility.get(name, math.nan)})
        return pd.DataFrame(rows, columns=["parameter", "restriction", "low", "high",
                                           "categories", "quasi_p", "reproducibility"])


def restriction_text(box: Box, name: str, data: pd.DataFrame) -> str:
    """``name > low``, ``name < high``, ``low < name < high`` or ``name in {a, b}``."""
    if name in box.limits:
        low, high = box.limits[name]
        values = data[name].to_numpy(dtype=float)
        cut_low = bool((values <= low).any())
        cut_high = bool((values >= high).any())
        if cut_low and cut_high:
            return f"{_num(low)} < {name} < {_num(high)}"
        if cut_low:
            return f"{name} > {_num(low)}"
        return f"{name} < {_num(high)}"
    allowed = ", ".join(str(c) for c in sorted(box.categories[name], key=str))
    return f"{name} in {{{allowed}}}"


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


def _peel_gain(box: Box, candidate: Box) -> tuple[float, int]:
    """Density gained per run peeled off (Friedman & Fisher's criterion; EMA Workbench's
    ``lenient1``), then the runs kept: a coarse peel (a whole level of an integer parameter)
    must buy proportionally more density than a thin one."""
    removed = box.n_in_box - candidate.n_in_box
    return (candidate.density - box.density) / removed, candidate.n_in_box


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
        box = max(scored, key=lambda c: _peel_gain(box, c))
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


def _lift(box: Box, name: str, data: pd.DataFrame) -> Box:
    """``box`` without its restriction on ``name``."""
    lifted = box.copy()
    if name in lifted.limits:
        lifted.limits[name] = (-math.inf, math.inf)
    else:
        lifted.categories[name] = frozenset(data[name].unique())
    return lifted


def simplify(box: Box, data: pd.DataFrame, of_interest: np.ndarray,
             prune: float = DEFAULT_PRUNE, floor: float = 0.0) -> Box:
    """Lift restrictions while the density stays within ``prune`` (relative) of ``box``'s and
    at or above ``floor`` (a requested minimum density)."""
    floor = max(box.density * (1 - prune), floor)
    box = _score(box.copy(), data, of_interest)
    while True:
        candidates = [_score(_lift(box, name, data), data, of_interest)
                      for name in box.restricted(data)]
        keep = [c for c in candidates if c.density >= floor]
        if not keep:
            return box
        box = max(keep, key=lambda c: (c.density, c.n_in_box))


def quasi_p(box: Box, name: str, data: pd.DataFrame, of_interest: np.ndarray) -> float:
    """Quasi-p value of the restriction on ``name`` (Bryant & Lempert 2010, one-sided binomial):
    the probability of at least the box's runs of interest among its runs if each run in the box
    were of interest at the rate of the box with this restriction lifted. Small: the restriction
    really raises the density; large: it could be chance."""
    box = _score(box.copy(), data, of_interest)
    if not box.n_in_box:
        return 1.0
    lifted = _score(_lift(box, name, data), data, of_interest)
    return float(stats.binom.sf(box.n_of_interest_in_box - 1, box.n_in_box, lifted.density))


def drop_insignificant(box: Box, data: pd.DataFrame, of_interest: np.ndarray,
                       max_p: float = DEFAULT_MAX_P, floor: float = 0.0
                       ) -> tuple[Box, list[str]]:
    """Lift restrictions with quasi-p above ``max_p``, the least significant first, while the
    density stays at or above ``floor``; returns the box and the lifted parameters."""
    box = _score(box.copy(), data, of_interest)
    dropped: list[str] = []
    while True:
        p_values = {n: quasi_p(box, n, data, of_interest) for n in box.restricted(data)}
        weak = sorted((n for n, p in p_values.items() if p > max_p), key=lambda n: -p_values[n])
        for name in weak:
            lifted = _score(_lift(box, name, data), data, of_interest)
            if lifted.density >= floor:
                box = lifted
                dropped.append(name)
                break
        else:
            return box, dropped


def knee(trajectory: list[Box]) -> int:
    """The step farthest above the straight line joining the first and last box (coverage vs
    density, each scaled to its range): where extra density starts to cost much coverage.
    Only points on the good side of the line (towards high coverage *and* density) count: a
    trajectory whose density first rises slowly lies below the line there."""
    cov = np.array([b.coverage for b in trajectory])
    den = np.array([b.density for b in trajectory])
    if len(trajectory) < 3 or den.max() == den.min():
        return len(trajectory) - 1
    x = (cov - cov.min()) / max(cov.max() - cov.min(), 1e-12)
    y = (den - den.min()) / (den.max() - den.min())
    # signed distance from the line (x0, y0) → (x1, y1); positive towards (1, 1)
    x0, y0, x1, y1 = x[0], y[0], x[-1], y[-1]
    above = (y1 - y0) * (x - x0) - (x1 - x0) * (y - y0)
    return int(np.argmax(above))


def choose_step(trajectory: list[Box], min_density: float | None = None) -> int:
    """The widest box reaching ``min_density`` (the densest if none does), or the knee."""
    if min_density is None:
        return knee(trajectory)
    reaching = [i for i, b in enumerate(trajectory) if b.density >= min_density]
    if not reaching:
        return int(np.argmax([b.density for b in trajectory]))
    return max(reaching, key=lambda i: (trajectory[i].coverage, -i))


def _finish(data: pd.DataFrame, hits: np.ndarray, trajectory: list[Box], step: int, *,
            alpha: float, min_mass: float, min_density: float | None, pasting: bool,
            prune: float, max_p: float | None) -> PrimResult:
    """Paste, prune and test the box at ``step`` of the trajectory."""
    floor = min_density or 0.0
    box = trajectory[step]
    if pasting:
        box = paste(box, data, hits, alpha)
    if prune > 0:
        box = simplify(box, data, hits, prune, floor)
    dropped: list[str] = []
    if max_p is not None:
        box, dropped = drop_insignificant(box, data, hits, max_p, floor)
    box = _score(box, data, hits)
    restricted = box.restricted(data)
    settings = {"alpha": alpha, "min_mass": min_mass, "min_density": min_density,
                "pasting": pasting, "prune": prune, "max_p": max_p}
    return PrimResult(
        trajectory=trajectory, box=box, chosen_step=step, restricted=restricted,
        base_rate=float(hits.mean()) if len(hits) else math.nan, n_runs=len(hits),
        n_of_interest=int(hits.sum()), data=data,
        quasi_p={n: quasi_p(box, n, data, hits) for n in restricted},
        dropped=dropped, min_density=min_density, settings=settings, hits=hits)


def prim(data: pd.DataFrame, of_interest: np.ndarray | pd.Series, *,
         alpha: float = DEFAULT_ALPHA, min_mass: float = DEFAULT_MIN_MASS,
         min_density: float | None = None, step: int | None = None, pasting: bool = True,
         prune: float = DEFAULT_PRUNE, max_p: float | None = DEFAULT_MAX_P,
         resamples: int = 0, resample_fraction: float = DEFAULT_RESAMPLE_FRACTION,
         seed: int = 0) -> PrimResult:
    """Run PRIM: ``data`` has one column per parameter, ``of_interest`` one boolean per row.

    The box is the one at trajectory ``step`` if given, else the widest reaching
    ``min_density`` (which the final box then honours), else the knee. ``max_p=None`` keeps
    restrictions whatever their quasi-p. With ``resamples`` > 0, PRIM is rerun with the same
    settings on that many random subsets of ``resample_fraction`` of the runs (seeded by
    ``seed``) to measure each parameter's reproducibility; a box chosen by ``step`` is
    matched in the resamples by its density.
    """
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must lie between 0 and 0.5, got {alpha}")
    if not 0 < min_mass <= 1:
        raise ValueError(f"min_mass must lie in (0, 1], got {min_mass}")
    if max_p is not None and not 0 < max_p <= 1:
        raise ValueError(f"max_p must lie in (0, 1], got {max_p}")
    if not 0 < resample_fraction < 1:
        raise ValueError(f"resample_fraction must lie in (0, 1), got {resample_fraction}")
    data = data.reset_index(drop=True)
    hits = np.asarray(of_interest, dtype=bool)
    if len(hits) != len(data):
        raise ValueError("of_interest must have one value per row of data")
    trajectory = peel(data, hits, alpha, min_mass)
    if step is not None and not 0 <= step < len(trajectory):
        raise ValueError(f"step must lie between 0 and {len(trajectory) - 1} (the trajectory "
                         f"has {len(trajectory)} boxes), got {step}")
    chosen = step if step is not None else choose_step(trajectory, min_density)
    options = {"alpha": alpha, "min_mass": min_mass, "pasting": pasting, "prune": prune,
               "max_p": max_p}
    result = _finish(data, hits, trajectory, chosen, min_density=min_density, **options)
    if resamples > 0:
        target = min_density if step is None else result.box.density
        result.reproducibility, result.resample_dims = _stability(
            data, hits, resamples, resample_fraction, seed,
            {**options, "min_density": target})
    return result


def _stability(data: pd.DataFrame, hits: np.ndarray, resamples: int, fraction: float,
               seed: int, options: dict[str, Any]) -> tuple[dict[str, float], list[int]]:
    """Per parameter, the share of boxes found on random subsets that restrict it; and how many
    parameters each of those boxes restricted."""
    rng = np.random.default_rng(seed)
    size = max(2, round(fraction * len(data)))
    counts = dict.fromkeys(data.columns, 0)
    dims = []
    for _ in range(resamples):
        rows = np.sort(rng.choice(len(data), size=size, replace=False))
        found = prim(data.iloc[rows], hits[rows], **options)
        for name in found.restricted:
            counts[name] += 1
        dims.append(len(found.restricted))
    return {name: count / resamples for name, count in counts.items()}, dims


def prim_sequence(data: pd.DataFrame, of_interest: np.ndarray | pd.Series, n_boxes: int = 1,
                  **options: Any) -> list[PrimResult]:
    """Up to ``n_boxes`` boxes in sequence (covering): each next box is sought among the runs
    outside the earlier boxes. Stops early when no run of interest is left or a box restricts
    nothing. ``options`` are those of :func:`prim`."""
    if n_boxes < 1:
        raise ValueError(f"n_boxes must be at least 1, got {n_boxes}")
    data = data.reset_index(drop=True)
    hits = np.asarray(of_interest, dtype=bool)
    outside = np.ones(len(data), dtype=bool)
    boxes: list[PrimResult] = []
    for _ in range(n_boxes):
        if not hits[outside].any():
            break
        found = prim(data[outside], hits[outside], **options)
        found.total_of_interest = int(hits.sum())
        if boxes and not found.restricted:
            break
        boxes.append(found)
        if not found.restricted:
            break
        outside &= ~found.box.contains(data)
    return boxes


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


def p_text(p: float) -> str:
    """A quasi-p value for reading: ``< 0.001`` or three decimals."""
    if math.isnan(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _evidence(result: PrimResult) -> str:
    """Significance and stability of each restriction, in words."""
    parts = []
    n = len(result.resample_dims)
    for name in result.restricted:
        phrase = f"{name}: quasi-p {p_text(result.quasi_p.get(name, math.nan))}"
        if n:
            phrase += f", restricted in {round(result.reproducibility[name] * n)} of {n} resamples"
        parts.append(phrase)
    text = "Significance" + (" and stability" if n else "") + " — " + "; ".join(parts) + "."
    if n:
        others = [f"{name} ({round(share * n)} of {n})" for name, share in
                  result.reproducibility.items() if share >= 0.3 and name not in result.restricted]
        if others:
            text += (" Also restricted in some resampled boxes but not in this one: "
                     + ", ".join(others) + ".")
        text += (f" The resampled boxes restricted {min(result.resample_dims)}–"
                 f"{max(result.resample_dims)} parameters.")
    if result.dropped:
        text += (" Lifted as not significant (quasi-p above "
                 f"{result.settings.get('max_p')}): " + ", ".join(result.dropped) + ".")
    max_p = result.settings.get("max_p")
    weak = [n for n in result.restricted if max_p is not None and result.quasi_p[n] > max_p]
    if weak and result.min_density is not None:
        text += (f" Kept although their quasi-p is above {max_p}, because lifting them would "
                 f"take the density below the requested {result.min_density:.0%}: "
                 + ", ".join(weak) + ".")
    if not result.meets_min_density:
        text += (f" No box on the trajectory reaches the requested density "
                 f"{result.min_density:.0%}; this is the densest.")
    return text


def describe(result: PrimResult, condition: str) -> str:
    """The chosen box in plain words, with the significance (and, when resampled, the
    stability) of each restriction."""
    box = result.box
    if not result.n_of_interest:
        return f"No run has {condition} ({result.n_runs} runs); there is nothing to explain."
    if not result.restricted:
        return (f"{condition} in {result.base_rate:.0%} of all {result.n_runs} runs; PRIM found "
                "no range of the design parameters where it is clearly more common.")
    where = " and ".join(result.conditions())
    return (f"{condition} in {box.density:.0%} of runs where {where}; this box covers "
            f"{result.coverage_of_all:.0%} of all such runs ({box.n_in_box} of {result.n_runs} "
            f"runs lie in the box; across these runs the rate is {result.base_rate:.0%}). "
            + _evidence(result))


QUASI_P_NOTE = ("quasi-p: the chance of at least this many runs of interest in the box if the "
                "restriction were lifted (one-sided binomial; small = the restriction matters). "
                "Resamples: PRIM rerun on random halves of the runs; a restriction found in most "
                "of them is robust.")


@dataclass
class DiscoveryReport:
    """What :func:`discover` found: one or more PRIM boxes for one condition on one outcome.

    ``boxes[0]`` is the main box; later ones are found among the runs outside the earlier
    boxes. ``left_out`` counts runs without a defined value of the outcome.
    """

    outcome: str
    condition: str
    boxes: list[PrimResult]
    n_runs: int
    n_of_interest: int
    left_out: int = 0
    directory: Path | None = None

    @property
    def base_rate(self) -> float:
        """Share of all (defined) runs that are of interest."""
        return self.n_of_interest / self.n_runs if self.n_runs else math.nan

    def text(self) -> str:
        """Every box in plain words, one paragraph each."""
        if not self.boxes:
            return f"No run has {self.condition} ({self.n_runs} runs); nothing to explain."
        paragraphs = []
        for i, result in enumerate(self.boxes, start=1):
            prefix = f"Box {i}: " if len(self.boxes) > 1 else ""
            if i > 1:
                prefix += "among the runs outside the earlier boxes, "
            paragraphs.append(prefix + describe(result, self.condition))
        if self.left_out:
            paragraphs.append(f"({self.left_out} runs without a defined {self.outcome} were "
                              "left out.)")
        return "\n\n".join(paragraphs)

    def table(self) -> pd.DataFrame:
        """One row per box and restriction: the box's density, coverage (of all runs of
        interest) and runs, then the restriction with its quasi-p and reproducibility."""
        frames = []
        for i, result in enumerate(self.boxes, start=1):
            frame = result.restrictions_frame()
            frame.insert(0, "box", i)
            frame.insert(1, "density", result.box.density)
            frame.insert(2, "coverage", result.coverage_of_all)
            frame.insert(3, "n_in_box", result.box.n_in_box)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def trajectory(self, box: int = 1) -> pd.DataFrame:
        """The peeling trajectory of box ``box`` (1-based) as data."""
        return self.boxes[box - 1].trajectory_frame()

    def as_json(self) -> dict[str, Any]:
        """Plain JSON-able dict (NaN → None)."""
        def clean(value: Any) -> Any:
            return None if isinstance(value, float) and math.isnan(value) else value

        boxes = []
        for i, result in enumerate(self.boxes, start=1):
            boxes.append({
                "box": i, "density": result.box.density, "coverage": result.coverage_of_all,
                "n_in_box": result.box.n_in_box, "chosen_step": result.chosen_step,
                "meets_min_density": result.meets_min_density, "dropped": result.dropped,
                "resample_dims": result.resample_dims,
                "restrictions": [{k: clean(v) for k, v in row.items()} for row in
                                 result.restrictions_frame().to_dict("records")]})
        return {"outcome": self.outcome, "condition": self.condition, "n_runs": self.n_runs,
                "n_of_interest": self.n_of_interest, "base_rate": self.base_rate,
                "left_out": self.left_out, "boxes": boxes}


def discover(results: Any, outcome: str, *, below: float | None = None,
             above: float | None = None, n_boxes: int = 1,
             resamples: int = DEFAULT_RESAMPLES, **options: Any) -> DiscoveryReport:
    """Scenario discovery on a results folder (or a loaded ``Results``): in which ranges of the
    design parameters (and arms) does ``outcome`` fall below ``below`` / above ``above``?

    ``options`` go to :func:`prim` (``alpha``, ``min_mass``, ``min_density``, ``step``,
    ``prune``, ``max_p``, ``seed`` …). Raises ``ValueError`` for a bad condition or an outcome
    or design the results do not have.
    """
    from impl_sim.experiment.store import Results

    if not isinstance(results, Results):
        results = Results.load(results)
    if below is None and above is None:
        raise ValueError("give below and/or above to say which runs are of interest")
    if below is not None and above is not None and above >= below:
        raise ValueError(f"above ({above:g}) must be less than below ({below:g}): runs between "
                         "them are of interest")
    if outcome not in results.summary.columns:
        from impl_sim.params import suggest

        raise ValueError(f"--outcome {outcome!r}: not in these results"
                         f"{suggest(outcome, list(results.outcomes))}; available: "
                         + ", ".join(results.outcomes))
    names = results.parameters
    if not names:
        raise ValueError("these results have no design parameters to explain with; run a "
                         "scenario with a design block (impl-sim sweep)")
    summary = results.summary.dropna(subset=[outcome])
    data = discovery_data(summary, names, results.arms)
    hits = runs_of_interest(summary[outcome], below, above)
    boxes = prim_sequence(data, hits, n_boxes, resamples=resamples, **options) \
        if hits.any() else []
    return DiscoveryReport(outcome=outcome, condition=condition_text(outcome, below, above),
                           boxes=boxes, n_runs=len(summary), n_of_interest=int(hits.sum()),
                           left_out=len(results.summary) - len(summary),
                           directory=results.directory)


def write_outputs(found: DiscoveryReport, plot: str | Path | None = None) -> list[Path]:
    """The main box's trade-off plot (``plot``, default ``RESULTS_DIR/discovery-OUTCOME.png``)
    and its peeling trajectory as CSV beside it; nothing when no box was found."""
    if not found.boxes:
        return []
    if plot is None:
        if found.directory is None:
            raise ValueError("give a path for the trade-off plot (the results have no folder)")
        plot = found.directory / f"discovery-{found.outcome}.png"
    main_box = found.boxes[0]
    path = plot_tradeoff(main_box, found.condition, plot)
    table = path.with_name(path.stem + "-trajectory.csv")
    main_box.trajectory_frame().to_csv(table, index=False)
    return [path, table]


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
