"""Global sensitivity analysis (SALib): which determinants move an outcome most?

A scenario's ``design.parameters`` are sampled with Saltelli's scheme for Sobol' indices or with
Morris trajectories (:mod:`impl_sim.scenario.design`), every design point runs through the sweep
machinery (parallel, resumable results store), and the indices are computed on the mean over
replications at each design point:

* **Sobol'** — first-order ``S1`` (share of the outcome's variance due to the parameter alone) and
  total-order ``ST`` (including all its interactions), each with a 95 % bootstrap interval;
  parameters are ranked by ``ST``. ``S1`` is computed with ``calc_second_order=False``.
* **Morris** — ``mu_star`` (mean absolute elementary effect, in the outcome's unit) and ``sigma``
  (spread of the effects: non-linearity or interactions); ranked by ``mu_star``.

Replications share seeds across design points (common random numbers), so a parameter that has
no effect gives identical runs and an index of (almost exactly) zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impl_sim.defaults import DEFAULT_SEED
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.params import param_spec
from impl_sim.scenario.design import design_matrix, integer_parameters, salib_problem
from impl_sim.scenario.loader import Scenario, ScenarioError

SENSITIVITY_OUTCOMES = ("sustainment_24m", "adoption", "penetration", "cost_per_completed_case")
METHODS = ("sobol", "morris")
CONFIDENCE = 0.95
ANALYSIS_SEED = DEFAULT_SEED  # seeds SALib's bootstrap: same results ⇒ same intervals


def sensitivity_scenario(scenario: Scenario, method: str | None = None,
                         samples: int | None = None) -> Scenario:
    """The scenario with its design set up for sensitivity analysis.

    ``method`` overrides the design's method; a design written for ``lhs`` or ``grid`` is run as
    ``sobol`` (their samples cannot be analysed for Sobol' or Morris indices).
    """
    design = scenario.design
    if design is None:
        raise ScenarioError(scenario.source, "design", "sensitivity analysis needs a design block "
                            "with the parameters to vary, e.g. design: {method: sobol, samples: "
                            "64, parameters: {therapists.motivation_mean: [0.2, 0.9], ...}}")
    if method is not None and method not in METHODS:
        raise ScenarioError(scenario.source, "design.method", f"{method!r} is not allowed; "
                            "expected one of " + ", ".join(METHODS))
    chosen = method or (design.method if design.method in METHODS else "sobol")
    spec = {k: v for k, v in design.as_dict().items() if v is not None}
    spec.update(method=chosen, samples=samples or design.samples)
    return scenario.with_changes(design=spec)


def morris_levels(scenario: Scenario) -> int:
    """Levels of the Morris grid, as :func:`impl_sim.scenario.design.design_matrix` uses them."""
    from impl_sim.scenario.design import morris_levels as levels_of

    assert scenario.design is not None
    return levels_of(scenario.design)


def point_means(summary: pd.DataFrame, outcome: str, n_points: int) -> tuple[np.ndarray, int]:
    """Mean over replications at each design point (ordered by point), and how many points had
    no defined value (filled with the mean of the others, so the indices stay computable)."""
    means = summary.groupby("point")[outcome].mean().reindex(range(n_points))
    missing = int(means.isna().sum())
    if missing and missing < n_points:
        means = means.fillna(means.mean())
    return means.to_numpy(dtype=float), missing


def sobol_indices(problem: dict[str, Any], y: np.ndarray) -> pd.DataFrame:
    """S1, ST and their 95 % intervals, one row per parameter."""
    from SALib.analyze import sobol

    if np.all(np.isnan(y)) or float(np.nanvar(y)) == 0.0:
        zeros = np.zeros(problem["num_vars"])
        indices = {"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
    else:
        indices = sobol.analyze(problem, y, calc_second_order=False, conf_level=CONFIDENCE,
                                print_to_console=False, seed=ANALYSIS_SEED)
    return pd.DataFrame({"parameter": problem["names"],
                         **{k: np.asarray(indices[k], dtype=float)
                            for k in ("S1", "S1_conf", "ST", "ST_conf")}})


def morris_indices(problem: dict[str, Any], x: np.ndarray, y: np.ndarray,
                   levels: int, integers: list[str] | None = None) -> pd.DataFrame:
    """mu, mu_star (with 95 % interval) and sigma, one row per parameter.

    SALib divides every elementary effect by the grid step Δ. An integer parameter is rounded
    to whole numbers, so its step actually taken differs from Δ (on 1…5 with 6 levels, Δ is
    2.4 but the runs move by 2 or 3): for the ``integers`` the effects are recomputed with the
    step taken, in the same unit (share of the range), and their interval bootstrapped the way
    SALib does.
    """
    from SALib.analyze import morris

    if np.all(np.isnan(y)) or float(np.nanvar(y)) == 0.0:
        zeros = np.zeros(problem["num_vars"])
        indices = {"mu": zeros, "mu_star": zeros, "mu_star_conf": zeros, "sigma": zeros}
    else:
        indices = morris.analyze(problem, x, y, num_levels=levels, conf_level=CONFIDENCE,
                                 print_to_console=False, seed=ANALYSIS_SEED)
    frame = pd.DataFrame({"parameter": problem["names"],
                          **{k: np.asarray(indices[k], dtype=float)
                             for k in ("mu", "mu_star", "mu_star_conf", "sigma")}})
    if integers and not (np.all(np.isnan(y)) or float(np.nanvar(y)) == 0.0):
        for name in integers:
            i = problem["names"].index(name)
            frame.loc[i, ["mu", "mu_star", "mu_star_conf", "sigma"]] = \
                _integer_effects(problem, x, y, i)
    return frame


def _integer_effects(problem: dict[str, Any], x: np.ndarray, y: np.ndarray, i: int,
                     resamples: int = 1000) -> list[float]:
    """mu, mu_star, its 95 % bootstrap half-width and sigma of parameter ``i`` from the
    rounded values actually run: each effect is Δy over the step taken as a share of the
    range."""
    low, high = problem["bounds"][i]
    d = problem["num_vars"]
    rounded = np.floor(x[:, i] + 0.5)
    effects = []
    for start in range(0, len(x), d + 1):
        rows = slice(start, start + d + 1)
        moved = np.flatnonzero(np.diff(x[rows, i]) != 0)
        for k in moved:
            step = (rounded[start + k + 1] - rounded[start + k]) / (high - low)
            if step:
                effects.append((y[start + k + 1] - y[start + k]) / step)
    ee = np.asarray(effects, dtype=float)
    if not len(ee):
        return [math.nan] * 4
    rng = np.random.default_rng(ANALYSIS_SEED)
    boot = np.abs(ee[rng.integers(0, len(ee), (resamples, len(ee)))]).mean(axis=1)
    from scipy import stats

    half = float(stats.norm.ppf(0.5 + CONFIDENCE / 2) * boot.std(ddof=1))
    return [float(ee.mean()), float(np.abs(ee).mean()), half,
            float(ee.std(ddof=1)) if len(ee) > 1 else 0.0]


def sobol_warnings(frame: pd.DataFrame, samples: int, label: str) -> list[str]:
    """Warnings when Sobol' indices are too noisy to read at ``samples`` base samples: S1 above
    ST beyond their intervals' overlap, or an interval wider than a sizeable index; with the N
    that would bring the widest relative interval down to half its index (intervals shrink as
    1/√N; N rounded up to a power of two, as Saltelli sampling wants)."""
    messages = []
    noisy = frame[(frame["S1"] > frame["ST"] + 0.05) | (
        (frame["ST"] >= 0.05) & (frame["ST_conf"] > frame["ST"]))]
    if noisy.empty:
        return messages
    sizeable = frame[frame["ST"] >= 0.05]
    ratio = float((sizeable["ST_conf"] / sizeable["ST"]).max()) if len(sizeable) else 2.0
    needed = samples * max(ratio / 0.5, 1.0) ** 2
    needed = 2 ** math.ceil(math.log2(max(needed, samples * 2)))
    names = ", ".join(noisy["parameter"].head(3))
    messages.append(f"{label}: Sobol' indices too noisy at N = {samples} ({names}: S1 above ST "
                    f"or the interval wider than the index); about N = {needed} base samples "
                    "would be needed (--samples)")
    return messages


def rank_key(method: str) -> str:
    """The index parameters are ranked by."""
    return "ST" if method == "sobol" else "mu_star"


def analyse(summary: pd.DataFrame, scenario: Scenario,
            outcomes: tuple[str, ...] | list[str] = SENSITIVITY_OUTCOMES) -> pd.DataFrame:
    """Ranked indices for each outcome (and arm): one row per outcome × arm × parameter."""
    design = scenario.design
    assert design is not None and design.method in METHODS
    problem = salib_problem(design)
    x = design_matrix(design, scenario.seed)
    frames = []
    for arm in scenario.arms:
        runs = summary[summary["arm"] == arm]
        if runs["point"].nunique() != len(x):
            raise ValueError(f"results hold {runs['point'].nunique()} of the {len(x)} design "
                             f"points of arm {arm!r}; finish the sweep first")
        for outcome in outcomes:
            if outcome not in runs:
                continue
            y, missing = point_means(runs, outcome, len(x))
            if design.method == "sobol":
                frame = sobol_indices(problem, y)
            else:
                frame = morris_indices(problem, x, y, morris_levels(scenario),
                                       integer_parameters(design))
            key = rank_key(design.method)
            frame = frame.sort_values(key, ascending=False, kind="stable")
            frame.insert(0, "rank", range(1, len(frame) + 1))
            frame.insert(0, "arm", arm)
            frame.insert(0, "outcome", outcome)
            frame.insert(4, "label", [param_spec(n).label for n in frame["parameter"]])
            frame["points_undefined"] = missing
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# --- presenting ---------------------------------------------------------------------------------


def _cell(value: float, conf: float | None = None) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.3f}" if conf is None or math.isnan(conf) else f"{value:.3f} ± {conf:.3f}"


def markdown_table(table: pd.DataFrame, method: str) -> str:
    """The ranked table as Markdown, one section per outcome (and arm)."""
    lines: list[str] = []
    several_arms = table["arm"].nunique() > 1
    for (outcome, arm), rows in table.groupby(["outcome", "arm"], sort=False):
        label = OUTCOMES[outcome].label
        lines += [f"### {label} (`{outcome}`)" + (f" — arm {arm}" if several_arms else ""), ""]
        if method == "sobol":
            lines += ["| rank | parameter | total order ST (± 95 %) | first order S1 (± 95 %) |",
                      "|---:|---|---:|---:|"]
            for r in rows.itertuples():
                lines.append(f"| {r.rank} | `{r.parameter}` | {_cell(r.ST, r.ST_conf)} | "
                             f"{_cell(r.S1, r.S1_conf)} |")
        else:
            lines += ["| rank | parameter | μ* (± 95 %) | σ | μ |", "|---:|---|---:|---:|---:|"]
            for r in rows.itertuples():
                lines.append(f"| {r.rank} | `{r.parameter}` | {_cell(r.mu_star, r.mu_star_conf)}"
                             f" | {_cell(r.sigma)} | {_cell(r.mu)} |")
        missing = int(rows["points_undefined"].iloc[0])
        if missing:
            lines.append(f"\n{missing} design points had no defined value (e.g. no completed "
                         "case); they were filled with the mean of the others.")
        lines.append("")
    return "\n".join(lines)


def plot_indices(rows: pd.DataFrame, method: str, title_suffix: str, path: Path) -> Path:
    """Horizontal bar chart of one outcome's indices, most influential parameter on top."""
    from impl_sim.analysis.figures import pyplot, save_with_caption

    plt = pyplot()
    outcome = OUTCOMES[rows["outcome"].iloc[0]]
    rows = rows.iloc[::-1]  # barh draws bottom-up: the top rank goes on top
    names = [f"{lab}\n({p})" for lab, p in zip(rows["label"], rows["parameter"], strict=True)]
    ypos = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.55 * len(rows)))
    if method == "sobol":
        ax.barh(ypos + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="total order ST",
                color="tab:blue", capsize=2)
        ax.barh(ypos - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="first order S1",
                color="tab:orange", capsize=2)
        ax.set_xlabel("Sobol' index (share of the outcome's variance across design points)")
        caption = ("Bars: total-order (ST, with interactions) and first-order (S1) Sobol' indices "
                   "with 95 % bootstrap intervals; ranked by ST. A gap between ST and S1 means the "
                   "parameter acts through interactions.")
    else:
        ax.barh(ypos + 0.2, rows["mu_star"], 0.4, xerr=rows["mu_star_conf"], label="μ*",
                color="tab:blue", capsize=2)
        ax.barh(ypos - 0.2, rows["sigma"], 0.4, label="σ", color="tab:gray")
        ax.set_xlabel(f"Elementary effect on {outcome.label.lower()} ({outcome.unit})")
        caption = ("Bars: Morris μ* (mean absolute elementary effect, 95 % interval) and σ "
                   "(spread of effects: non-linearity or interactions); ranked by μ*.")
    ax.set_yticks(ypos, names, fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"What drives {outcome.label.lower()}?{title_suffix}")
    return save_with_caption(fig, path, caption, width=120,
                             bottom=0.06 if len(rows) > 6 else 0.1, fontsize=7.5, dpi=110)


@dataclass
class SensitivityReport:
    """Indices and where they were written."""

    scenario: Scenario
    table: pd.DataFrame
    results_dir: Path | None
    files: list[Path]
    warnings: list[str] = field(default_factory=list)

    @property
    def method(self) -> str:
        assert self.scenario.design is not None
        return self.scenario.design.method


def write_outputs(table: pd.DataFrame, scenario: Scenario, directory: Path) -> list[Path]:
    """indices.csv, indices.md and one bar chart per outcome (and arm) into ``directory``."""
    design = scenario.design
    assert design is not None
    directory.mkdir(parents=True, exist_ok=True)
    files = [directory / "indices.csv", directory / "indices.md"]
    table.to_csv(files[0], index=False)
    header = (f"# Sensitivity of {scenario.name}: {design.method}, {design.samples} base samples, "
              f"{scenario.replications} replications per design point\n\n")
    files[1].write_text(header + markdown_table(table, design.method), encoding="utf-8")
    several_arms = table["arm"].nunique() > 1
    for (outcome, arm), rows in table.groupby(["outcome", "arm"], sort=False):
        suffix = f" (arm {arm})" if several_arms else ""
        name = f"sensitivity-{outcome}" + (f"-{arm}" if several_arms else "") + ".png"
        files.append(plot_indices(rows, design.method, suffix, directory / name))
    return files


def run_sensitivity(scenario: Scenario, *, out: str | Path | None = "results", workers: int = 1,
                    executor: str | None = None, progress=None,
                    outcomes: tuple[str, ...] | list[str] | None = None,
                    ) -> SensitivityReport:
    """Run the design through the sweep machinery, then compute, rank and write the indices.

    ``scenario`` must already have a sobol or morris design (see :func:`sensitivity_scenario`).
    ``outcomes``: the outcomes analysed — by default the scenario's ``outputs.outcomes``, or
    :data:`SENSITIVITY_OUTCOMES` when it names none.
    """
    if outcomes is None:
        outcomes = scenario.outputs.get("outcomes") or SENSITIVITY_OUTCOMES
    from impl_sim.experiment.runner import run_scenario

    results = run_scenario(scenario, out=out, workers=workers, executor=executor,
                           progress=progress)
    table = analyse(results.summary, scenario, outcomes)
    messages: list[str] = []
    if scenario.design is not None and scenario.design.method == "sobol":
        for (outcome, arm), rows in table.groupby(["outcome", "arm"], sort=False):
            label = outcome + (f" (arm {arm})" if len(scenario.arms) > 1 else "")
            messages += sobol_warnings(rows, scenario.design.samples, label)
    files: list[Path] = []
    if results.directory is not None:
        files = write_outputs(table, scenario, Path(results.directory) / "sensitivity")
    return SensitivityReport(scenario, table, results.directory, files, messages)
