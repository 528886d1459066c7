"""Shared helpers of the numbered experiment scripts: where output goes, how a figure is built
and saved with its caption. Each script regenerates one figure (and a CSV table) for one
stylised fact of EVIDENCE.md into ``experiments/output/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from impl_sim import Results, parse_scenario, run_scenario
from impl_sim.analysis.report import outcome_axis_label, series_axis_label
from impl_sim.analysis.summary import mean_interval, series_bands

OUTPUT = Path(__file__).resolve().parent / "output"
COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6b4c9a", "#00798c")
TRAINING_END = 18  # the default programme: months 0–18 (F1, F2)


def workers() -> int:
    """Worker processes (``IMPL_SIM_WORKERS``, default 2)."""
    return int(os.environ.get("IMPL_SIM_WORKERS", "2"))


def run(doc: dict[str, Any]) -> Results:
    """Run a scenario given as a dict (resumable results under ``output/results``)."""
    return run_scenario(parse_scenario(doc, doc["name"]), out=OUTPUT / "results",
                        workers=workers())


def figure(title: str, panels: int = 1, size: tuple[float, float] = (5.5, 4.0)):
    """A constrained-layout figure with ``panels`` axes side by side."""
    fig = Figure(figsize=(size[0] * panels, size[1]), layout="constrained")
    axes = fig.subplots(1, panels, squeeze=False)[0]
    fig.suptitle(title, fontweight="bold")
    return fig, list(axes)


def save(fig: Figure, name: str, caption: str, table: pd.DataFrame | None = None) -> Path:
    """Write ``output/<name>.png``, its caption (``.txt``) and its table (``.csv``)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(fig)
    path = OUTPUT / f"{name}.png"
    fig.savefig(path, dpi=110)
    (OUTPUT / f"{name}.txt").write_text(caption.strip() + "\n")
    if table is not None:
        table.to_csv(OUTPUT / f"{name}.csv", index=False)
    print(f"{path}\n  {caption.strip()}")
    if table is not None:
        print(table.to_string(index=False))
    return path


def means_by(summary: pd.DataFrame, by: list[str], outcome: str) -> pd.DataFrame:
    """Mean and 95 % interval of ``outcome`` for each combination of ``by``."""
    rows = []
    for key, runs in summary.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        m = mean_interval(runs[outcome])
        rows.append({**dict(zip(by, key, strict=True)), "outcome": outcome, "mean": m["mean"],
                     "lo": m["lo"], "hi": m["hi"], "runs": m["n"]})
    return pd.DataFrame(rows)


def line_with_interval(ax: Any, table: pd.DataFrame, x: str, colour: str, label: str) -> None:
    """Means joined by a line, with a shaded 95 % interval."""
    ax.plot(table[x], table["mean"], "o-", color=colour, label=label)
    ax.fill_between(table[x], table["lo"], table["hi"], color=colour, alpha=0.2, lw=0)


def bands(ax: Any, series: pd.DataFrame, name: str, arms: list[str],
          labels: dict[str, str] | None = None) -> None:
    """Median and 10–90 % band of a monthly series, one colour per arm."""
    b = series_bands(series, name)
    for i, arm in enumerate(arms):
        rows = b[b["arm"] == arm]
        colour = COLOURS[i % len(COLOURS)]
        ax.fill_between(rows["month"], rows["q10"], rows["q90"], color=colour, alpha=0.18, lw=0)
        ax.plot(rows["month"], rows["q50"], color=colour, lw=2,
                label=(labels or {}).get(arm, arm))
    ax.set_xlabel("Month since training started (months)")
    ax.set_ylabel(series_axis_label(name))
    ax.grid(alpha=0.3)


__all__ = ["COLOURS", "OUTPUT", "TRAINING_END", "bands", "figure", "line_with_interval",
           "means_by", "np", "outcome_axis_label", "run", "save", "workers"]
