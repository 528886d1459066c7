"""Matplotlib figures for the dashboard: titles, axis units and legends a leader can read.

Figures are built with :class:`matplotlib.figure.Figure` (never pyplot), so concurrent browser
sessions in one server never share a current figure.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import numpy as np
from matplotlib.figure import Figure

from impl_sim.dashboard.ensemble import Ensemble
from impl_sim.model.outcomes import SERIES_UNITS
from impl_sim.model.therapist import State

# Okabe–Ito (colour-blind safe); A and B also differ by line style and marker.
COLOUR_A = "#0072B2"  # blue
COLOUR_B = "#E69F00"  # orange
COLOUR_DIFF = "#CC79A7"  # reddish purple
STYLE_A = {"linestyle": "-", "marker": "o"}
STYLE_B = {"linestyle": "--", "marker": "^"}

# The what-if panels: series name → (title, y-axis label, as percent?), worded for leaders.
WHATIF_PANELS: tuple[tuple[str, str, str, bool], ...] = (
    ("delivering", "Therapists delivering CPP now", "therapists with an active CPP case",
     False),
    ("adopted_ever", "Therapists in post who have ever taken a CPP case",
     SERIES_UNITS["adopted_ever"], False),
    ("sustainment", "Trained therapists still delivering", "% of trained therapists in post\n"
     "with a CPP case in the last 6 months", True),
    ("families_served", "Families who started CPP", "families (cumulative)", False),
)
DIFFERENCE_PANELS = (("delivering", "therapists delivering CPP", False),
                     ("sustainment", "trained therapists still delivering (percentage points)",
                      True))

# Okabe–Ito colours for therapist states (Explore); shapes carry the state too (svg.py).
STATE_COLOURS: dict[State, str] = {
    State.UNTRAINED: "#BBBBBB",
    State.IN_TRAINING: "#56B4E9",
    State.TRAINED: "#F0E442",
    State.DELIVERING: "#009E73",
    State.PAUSED: "#E69F00",
    State.DISCONTINUED: "#D55E00",
}


def _band(ax, months: np.ndarray, bands: Mapping[str, np.ndarray], colour: str, label: str,
          scale: float = 1.0, style: Mapping[str, str] | None = None) -> None:
    ax.fill_between(months, bands["lo"] * scale, bands["hi"] * scale, color=colour, alpha=0.2,
                    linewidth=0)
    style = style or {}
    ax.plot(months, bands["mean"] * scale, color=colour, linewidth=2, label=label,
            linestyle=style.get("linestyle", "-"), marker=style.get("marker"),
            markevery=max(len(months) // 8, 1), markersize=5)


def _mark_training_end(ax, month: int, horizon: int) -> None:
    if 0 < month < horizon:
        ax.axvline(month, color="grey", linestyle=":", linewidth=1)
        ax.annotate("training ends", (month, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize=8, color="#444")


def _training_end(ens: Ensemble) -> int:
    t = ens.scenario.params_for(ens.arms[0]).training
    return t.start_month + t.duration_months


def short(label: str, width: int = 60) -> str:
    """A legend entry that fits: long generated names are cut with an ellipsis."""
    return label if len(label) <= width else label[: width - 1] + "…"


def whatif_figure(ens: Ensemble) -> Figure:
    """Four panels: mean lines with 95 % interval bands for A and B over the months."""
    a, b = ens.arms
    label_a, label_b = ens.labels()
    # fixed margins: a constrained layout doubles the time to draw (every refresh)
    fig = Figure(figsize=(11, 6.6))
    fig.subplots_adjust(left=0.075, right=0.985, bottom=0.08, top=0.89, hspace=0.22,
                        wspace=0.2)
    axes = fig.subplots(2, 2, sharex=True)
    months = np.arange(ens.scenario.horizon_months)
    end = _training_end(ens)
    for ax, (name, title, ylabel, percent) in zip(axes.flat, WHATIF_PANELS, strict=True):
        scale = 100.0 if percent else 1.0
        # sustainment is NaN (no line) until someone has completed training
        _band(ax, months, ens.bands(a, name), COLOUR_A, f"A: {short(label_a)}", scale, STYLE_A)
        _band(ax, months, ens.bands(b, name), COLOUR_B, f"B: {short(label_b)}", scale, STYLE_B)
        _mark_training_end(ax, end, len(months))
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_ylim(bottom=0)
        ax.set_xlim(0, max(len(months) - 1, 1))
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("month since training started")
    axes[0, 0].legend(loc="upper left", fontsize=9, frameon=False)
    fig.suptitle(f"A and B: average of {ens.scenario.replications} simulated futures each; "
                 "shaded band = its 95 % interval", fontsize=11)
    return fig


def whatif_alt(ens: Ensemble) -> str:
    """Alt text of :func:`whatif_figure`: what it shows and where the lines end."""
    a, b = ens.arms
    label_a, label_b = ens.labels()
    ends = []
    for name, title, _, percent in WHATIF_PANELS:
        va, vb = ens.bands(a, name)["mean"][-1], ens.bands(b, name)["mean"][-1]
        fmt = (lambda x: f"{100 * x:.0f} %") if percent else (lambda x: f"{x:.0f}")
        if not (np.isnan(va) or np.isnan(vb)):
            ends.append(f"{title.lower()}: A {fmt(va)}, B {fmt(vb)}")
    return (f"Four line charts over {ens.scenario.horizon_months} months comparing A "
            f"({label_a}, solid blue line with circles) and B ({label_b}, dashed orange line "
            f"with triangles), each with its 95 % interval band. In the last month — "
            + "; ".join(ends) + ".")


def difference_figure(ens: Ensemble) -> Figure:
    """B − A per month, paired by replication: mean and 95 % interval band, zero line."""
    fig = Figure(figsize=(11, 3.0))
    fig.subplots_adjust(left=0.075, right=0.985, bottom=0.17, top=0.88, wspace=0.2)
    axes = fig.subplots(1, 2, sharex=True)
    months = np.arange(ens.scenario.horizon_months)
    end = _training_end(ens)
    for ax, (name, ylabel, percent) in zip(axes, DIFFERENCE_PANELS, strict=True):
        _band(ax, months, ens.difference_bands(name), COLOUR_DIFF,
              "B − A (average, 95 % interval)", 100.0 if percent else 1.0)
        ax.axhline(0, color="black", linewidth=0.8)
        _mark_training_end(ax, end, len(months))
        ax.set_title(f"Difference B − A: {ylabel}", fontsize=11, loc="left")
        ax.set_ylabel("B − A", fontsize=9)
        ax.set_xlabel("month since training started")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=9, frameon=False)
    return fig


def difference_alt(ens: Ensemble) -> str:
    """Alt text of :func:`difference_figure`."""
    parts = []
    for name, ylabel, percent in DIFFERENCE_PANELS:
        d = ens.difference_bands(name)
        k = 100.0 if percent else 1.0
        parts.append(f"{ylabel}: {k * d['mean'][-1]:+.1f} in the last month "
                     f"(95 % interval {k * d['lo'][-1]:+.1f} to {k * d['hi'][-1]:+.1f})")
    return ("Two line charts of the paired difference B − A month by month, with a zero line. "
            + "; ".join(parts) + ".")


# --- Explore ------------------------------------------------------------------------------------


def service_layout(graph: nx.Graph, n_services: int) -> dict[int, tuple[float, float]]:
    """Posts of each service on a small circle; services on a large circle (grouped view)."""
    positions: dict[int, tuple[float, float]] = {}
    services = nx.get_node_attributes(graph, "service")
    radius = 0.0 if n_services == 1 else 3.0
    for s in range(n_services):
        angle = 2 * np.pi * s / n_services + np.pi / 2
        centre = np.array([radius * np.cos(angle), radius * np.sin(angle)])
        members = sorted(n for n, sv in services.items() if sv == s)
        local = nx.circular_layout(members, scale=1.0)
        for node in members:
            positions[node] = tuple(centre + local[node])
    return positions


HISTORY_TRAITS = ("motivation", "readiness", "autonomy_preference", "competence", "fidelity")
