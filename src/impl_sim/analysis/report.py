"""One-command reports of a results directory: figures (matplotlib, Agg) and tables, as a
self-contained HTML page (figures embedded as base64 PNG, no CDN) or Markdown with PNG files.

What a report shows, in order:

1. the study (scenario, runs, design, complete or not);
2. monthly series per arm: median and 10–90 % band across runs;
3. outcome distributions per arm, with a table of means and 95 % intervals;
4. differences between arms paired by design point and replication (common random numbers),
   with 95 % intervals;
4b. with two or more arms, "Why the arms differ": mechanism attribution of the first two arms
   (:mod:`impl_sim.analysis.attribution`) — table, waterfall, one sentence per outcome. It needs
   new simulations, so it is opt-in: ``write_report(..., explain=True)`` (``impl-sim report
   --explain``) runs it and saves it in ``RESULTS_DIR/explain/``; without it, an attribution
   already saved there (by ``--explain`` or ``impl-sim explain --out``) is reused, else the
   section only says how to get one;
5. for designs: each outcome against each design parameter (levers and uncertainties);
6. provenance (package, commit, dependencies, seeds, sessions).

Every figure has a title, axis labels with units (from ``OUTCOMES`` and ``SERIES``) and a
caption that says what to see.
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from impl_sim.analysis.summary import (
    outcome_interval,
    paired_difference,
    series_bands,
)
from impl_sim.defaults import KEY_OUTCOMES
from impl_sim.experiment.store import Results, atomic_write_bytes
from impl_sim.model.outcomes import OUTCOMES, SERIES, SERIES_INFO
from impl_sim.params import Params, param_spec

FORMATS = ("html", "md")
KEY_SERIES = ("sustainment", "sustaining", "delivering", "trained_in_post", "active_cases",
              "climate", "funded_services")
ARM_COLOURS = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6b4c9a", "#00798c", "#8d6a3f")
MAX_SCATTER_PARAMETERS = 12


# --- building blocks ------------------------------------------------------------------------------


@dataclass
class ReportFigure:
    """A rendered figure: PNG bytes plus the words around it."""

    name: str
    title: str
    caption: str
    png: bytes


@dataclass
class Section:
    """A heading, paragraphs, tables and figures, rendered in that order."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)


def _render(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)  # constrained layout already fits the labels
    return buffer.getvalue()


def _new_figure(n_panels: int, title: str, panel_size: tuple[float, float] = (4.2, 3.0),
                columns: int = 3) -> tuple[Figure, list[Any]]:
    cols = min(columns, n_panels)
    rows = math.ceil(n_panels / cols)
    fig = Figure(figsize=(panel_size[0] * cols, panel_size[1] * rows + 0.6),
                 layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel()))
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    # wrap long titles to the figure's width (a one-panel figure is only ~4 inches wide)
    width_chars = max(20, int(panel_size[0] * cols * 6.5))
    fig.suptitle(textwrap.fill(title, width_chars), fontsize=13, fontweight="bold")
    return fig, axes[:n_panels]


def outcome_axis_label(name: str) -> str:
    """``Label (unit)`` of an outcome."""
    o = OUTCOMES[name]
    return f"{o.label} ({o.unit})"


def series_axis_label(name: str) -> str:
    """``Label (unit)`` of a monthly series (its description goes in the panel title)."""
    info = SERIES_INFO.get(name)
    return f"{info.label} ({info.unit})" if info else name.replace("_", " ").capitalize()


def parameter_axis_label(name: str) -> str:
    """``Label (unit)`` of a parameter, from the schema."""
    spec = param_spec(name)
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def _colour(results: Results, arm: str) -> str:
    return ARM_COLOURS[results.arms.index(arm) % len(ARM_COLOURS)]


# --- figures --------------------------------------------------------------------------------------


def _training_end(results: Results) -> float | None:
    """Month the first cohort's training ends, when every arm agrees (for a marker line)."""
    scenario = results.manifest.get("scenario") or {}
    if set(results.parameters) & {"training.start_month", "training.duration_months"}:
        return None
    ends = set()
    for arm_overrides in (scenario.get("arms") or {}).values():
        try:
            p = Params.from_overrides({**scenario.get("base", {}),
                                       **scenario.get("strategies", {}), **arm_overrides})
        except ValueError:
            return None
        ends.add(p.training.start_month + p.training.duration_months)
    return ends.pop() if len(ends) == 1 else None


def series_figure(results: Results, names: list[str]) -> ReportFigure:
    """Median and 10–90 % band per arm for each monthly series."""
    assert results.series is not None
    fig, axes = _new_figure(len(names), "Monthly series per arm: median and 10–90 % band")
    end = _training_end(results)
    for ax, name in zip(axes, names, strict=True):
        bands = series_bands(results.series, name)
        for arm in results.arms:
            b = bands[bands["arm"] == arm]
            colour = _colour(results, arm)
            ax.fill_between(b["month"], b["q10"], b["q90"], color=colour, alpha=0.2, lw=0)
            ax.plot(b["month"], b["q50"], color=colour, lw=2, label=arm)
        if end is not None:
            ax.axvline(end, color="grey", ls=":", lw=1)
        ax.set_title(SERIES.get(name, name), fontsize=10)
        ax.set_xlim(0, max(int(results.series["month"].max()), 1))  # NaN months stay in view
        ax.set_xlabel("Month since the start (months)")
        ax.set_ylabel(series_axis_label(name), fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    n_runs = results.series.groupby("arm")["task"].nunique().min()
    caption = (f"Each line is the median over the runs of an arm (at least {n_runs} runs per arm, "
               "pooled over design points); the shaded band holds the middle 80 % of runs. "
               + ("The dotted line marks the end of the first cohort's training: look for the "
                  "sustainment cliff after it and for how far the arms' bands separate."
                  if end is not None else "Look for when and how far the arms separate."))
    return ReportFigure("series", "Monthly series per arm", caption, _render(fig))


def distribution_figure(results: Results, names: list[str]) -> ReportFigure:
    """Box plots of each outcome across runs, one box per arm."""
    fig, axes = _new_figure(len(names), "Outcome distributions per arm (one value per run)",
                            columns=4, panel_size=(3.6, 3.0))
    arms = results.arms
    for ax, name in zip(axes, names, strict=True):
        data = [results.summary.loc[results.summary["arm"] == a, name].dropna().to_numpy()
                for a in arms]
        shown = [i for i, d in enumerate(data) if len(d)]
        if shown:
            boxes = ax.boxplot([data[i] for i in shown], positions=shown, widths=0.6,
                               patch_artist=True, showfliers=False,
                               medianprops={"color": "black"})
            for i, patch in zip(shown, boxes["boxes"], strict=True):
                patch.set(facecolor=_colour(results, arms[i]), alpha=0.35)
            rng = np.random.default_rng(0)  # jitter only; fixed so reports are reproducible
            for i in shown:
                ax.scatter(i + rng.uniform(-0.18, 0.18, len(data[i])), data[i], s=6,
                           color=_colour(results, arms[i]), alpha=0.5, lw=0)
        ax.set_xticks(range(len(arms)), arms, rotation=20, fontsize=8, ha="right")
        ax.set_title(OUTCOMES[name].label, fontsize=10)
        ax.set_xlabel("Arm")
        ax.set_ylabel(outcome_axis_label(name), fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    caption = ("Boxes span the 25th–75th percentile of runs with the median as a line; whiskers "
               "reach 1.5 × the box; dots are single runs. Compare the boxes' position and "
               "overlap between arms; undefined values (e.g. no case ever completed) are left out.")
    return ReportFigure("distributions", "Outcome distributions per arm", caption, _render(fig))


def difference_table(results: Results, names: list[str]) -> pd.DataFrame:
    """Paired (CRN) differences of every arm against the first, with 95 % intervals."""
    reference, rows = results.arms[0], []
    for arm in results.arms[1:]:
        for name in names:
            d = paired_difference(results.summary, name, arm, reference)
            rows.append({"comparison": f"{arm} − {reference}", "outcome": name,
                         "unit": OUTCOMES[name].unit, "mean difference": d["mean"],
                         "95 % low": d["lo"], "95 % high": d["hi"], "pairs": d["n"]})
    return pd.DataFrame(rows)


def difference_figure(results: Results, table: pd.DataFrame) -> ReportFigure:
    """Forest plots of the paired differences: every share outcome on one axis (left), the
    others (months, cases, EUR) each on their own axis (right)."""
    names = list(dict.fromkeys(table["outcome"]))
    shares = [n for n in names if OUTCOMES[n].share]
    others = [n for n in names if not OUTCOMES[n].share]
    fig = Figure(figsize=(12, max(3.2, 0.45 * len(shares) + 1.6, 1.6 * len(others))),
                 layout="constrained")
    fig.suptitle(f"Paired differences against '{results.arms[0]}' (mean and 95 % interval)",
                 fontsize=13, fontweight="bold")
    left, right = fig.subfigures(1, 2, width_ratios=[1.3, 1]) if others else (fig, None)
    if shares:
        ax = left.subplots()
        _forest(ax, results, table, shares)
        ax.set_yticks(range(len(shares)), [OUTCOMES[n].label for n in shares], fontsize=9)
        ax.set_xlabel("Difference (share; ×100 = percentage points)")
        ax.set_ylabel("Outcome")
        ax.set_title("Outcomes that are shares", fontsize=10)
        ax.legend(fontsize=8, loc="best")
    for ax, name in zip(np.atleast_1d(right.subplots(len(others), 1)) if others else [], others,
                        strict=True):
        _forest(ax, results, table, [name])
        ax.set_yticks([])
        ax.set_ylabel(OUTCOMES[name].label, fontsize=9, rotation=0, ha="right", va="center")
        ax.set_xlabel(f"Difference ({OUTCOMES[name].unit})", fontsize=9)
    caption = ("Each dot is the mean of the run-by-run differences between an arm and the "
               f"reference arm '{results.arms[0]}', paired by design point and replication "
               "(same seed, same families and staff: common random numbers); bars are 95 % "
               "t-intervals. An interval that does not cross the grey zero line is a difference "
               "the replications resolve. Lower is better for time to first case and cost.")
    return ReportFigure("differences", "Paired differences between arms", caption, _render(fig))


def _forest(ax: Any, results: Results, table: pd.DataFrame, names: list[str]) -> None:
    comparisons = list(dict.fromkeys(table["comparison"]))
    for j, comparison in enumerate(comparisons):
        arm = comparison.split(" − ")[0]
        rows = table[table["comparison"] == comparison].set_index("outcome").loc[names]
        y = np.arange(len(names)) + (j - (len(comparisons) - 1) / 2) * 0.2
        mean = rows["mean difference"].to_numpy(float)
        err = np.vstack([mean - rows["95 % low"].to_numpy(float),
                         rows["95 % high"].to_numpy(float) - mean])
        ax.errorbar(mean, y, xerr=err, fmt="o", color=_colour(results, arm), capsize=3,
                    label=arm)
    ax.axvline(0, color="grey", lw=1)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.grid(axis="x", alpha=0.3)


def scatter_figure(results: Results, outcome: str) -> ReportFigure:
    """``outcome`` against each design parameter, coloured by arm, with binned means."""
    params = results.parameters[:MAX_SCATTER_PARAMETERS]
    kinds = results.parameter_kinds
    fig, axes = _new_figure(len(params), f"{OUTCOMES[outcome].label} against the design "
                            "parameters")
    summary = results.summary
    for ax, name in zip(axes, params, strict=True):
        categorical = not param_spec(name).is_numeric
        levels = sorted(summary[name].dropna().unique(), key=str)
        for arm in results.arms:
            runs = summary[summary["arm"] == arm]
            x = (runs[name].map({v: i for i, v in enumerate(levels)}) if categorical
                 else runs[name]).astype(float)
            colour = _colour(results, arm)
            ax.scatter(x, runs[outcome], s=7, alpha=0.35, color=colour, lw=0)
            means = _binned_means(x.to_numpy(), runs[outcome].to_numpy())
            ax.plot(means[0], means[1], color=colour, lw=2, label=arm)
        if categorical:
            ax.set_xticks(range(len(levels)), [str(v) for v in levels], rotation=20,
                          fontsize=8, ha="right")
        ax.set_title(f"{param_spec(name).label} [{kinds.get(name, '?')}]", fontsize=10)
        ax.set_xlabel(parameter_axis_label(name), fontsize=9)
        ax.set_ylabel(outcome_axis_label(outcome), fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    more = len(results.parameters) - len(params)
    caption = ("Each dot is one run; lines join the mean outcome within bins of the parameter "
               "(or at each level), per arm. Steep lines mark the determinants that matter for "
               "this outcome; [lever] parameters are under a leader's or funder's control, "
               "[uncertainty] ones are not. Other parameters vary at the same time, so read "
               "trends, not single dots; a Sobol or Morris design quantifies them."
               + (f" {more} more parameters are not shown." if more > 0 else ""))
    return ReportFigure(f"scatter-{outcome}", f"{OUTCOMES[outcome].label} against the design "
                        "parameters", caption, _render(fig))


def _binned_means(x: np.ndarray, y: np.ndarray, bins: int = 8) -> tuple[np.ndarray, np.ndarray]:
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) == 0:
        return np.array([]), np.array([])
    levels = np.unique(x)
    if len(levels) <= bins:
        return levels, np.array([y[x == v].mean() for v in levels])
    edges = np.quantile(x, np.linspace(0, 1, bins + 1))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    filled = [b for b in range(bins) if np.any(which == b)]
    return (np.array([x[which == b].mean() for b in filled]),
            np.array([y[which == b].mean() for b in filled]))


# --- tables ---------------------------------------------------------------------------------------


def outcome_definition(name: str) -> str:
    """What an outcome measures, with its denominator when the metadata names one."""
    outcome = OUTCOMES[name]
    denominator = getattr(outcome, "denominator", "")
    return outcome.description + (f" (denominator: {denominator})" if denominator else "")


def outcome_table(results: Results, names: list[str]) -> pd.DataFrame:
    """Per arm and outcome: mean with 95 % interval, median and 10–90 % range, and what the
    outcome measures (a share's denominator decides how to read it: sustainment is among
    trained therapists *still in post*, so it can rise when turnover removes non-users)."""
    rows = []
    for name in names:
        row: dict[str, Any] = {"outcome": name, "unit": OUTCOMES[name].unit,
                               "definition": outcome_definition(name)}
        for arm in results.arms:
            values = results.summary.loc[results.summary["arm"] == arm, name].dropna()
            m = outcome_interval(name, values)
            q = values.quantile([0.1, 0.5, 0.9]) if len(values) else pd.Series([math.nan] * 3)
            row[f"{arm}: mean [95 % CI]"] = f"{_num(m['mean'])} [{_num(m['lo'])}, {_num(m['hi'])}]"
            row[f"{arm}: median (10–90 %)"] = (f"{_num(q.iloc[1])} ({_num(q.iloc[0])}–"
                                               f"{_num(q.iloc[2])})")
        rows.append(row)
    return pd.DataFrame(rows)


def design_table(results: Results) -> pd.DataFrame:
    """The design parameters: kind, unit, sampled range or levels."""
    rows = []
    for name in results.parameters:
        values = results.summary[name].dropna()
        numeric = param_spec(name).is_numeric
        shown = (f"{_num(values.min())} – {_num(values.max())}" if numeric and len(values)
                 else ", ".join(map(str, sorted(values.unique(), key=str))))
        rows.append({"parameter": name, "kind": results.parameter_kinds.get(name, ""),
                     "unit": param_spec(name).unit, "values in the runs": shown,
                     "distinct values": values.nunique()})
    return pd.DataFrame(rows)


def provenance_table(results: Results) -> pd.DataFrame:
    """Package, commit, platform, dependency versions, seeds and sessions."""
    m = results.manifest
    prov = m.get("provenance", {})
    rows = [("scenario", f"{m.get('scenario_name')} (hash {m.get('scenario_hash')})"),
            ("scenario file", m.get("source", "")),
            ("package", f"{prov.get('package')} {prov.get('package_version')}"),
            ("git commit", prov.get("git_commit", "")),
            ("python", prov.get("python", "")), ("platform", prov.get("platform", "")),
            ("seeds", f"scenario seed {m.get('seeds', {}).get('scenario_seed')}: "
                      f"{m.get('seeds', {}).get('rule', '')}"),
            ("created / updated", f"{m.get('created')} / {m.get('updated')}")]
    if m.get("design"):
        rows.append(("design sampler seed", str(m["design"].get("sampler_seed"))))
    rows += [(f"dependency {k}", v) for k, v in prov.get("dependencies", {}).items()]
    for i, s in enumerate(m.get("sessions", []), 1):
        rows.append((f"session {i}", f"{s.get('started')}: {s.get('executor')} × "
                     f"{s.get('workers')}, from run {s.get('runs_done_before')}, commit "
                     f"{s.get('git_commit')}"))
    return pd.DataFrame(rows, columns=["item", "value"])


def _num(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


# --- the report -----------------------------------------------------------------------------------


def build_report(results: Results, outcome: str | None = None,
                 attribution: AttributionNote | None = None) -> list[Section]:
    """Every section of the report of ``results`` (``outcome``: the one plotted against the
    design parameters and in the attribution waterfall; default ``sustainment_24m``;
    ``attribution``: from :func:`attribution_note`, shown when the results have two or more
    arms)."""
    m = results.manifest
    names = [o for o in KEY_OUTCOMES if o in results.summary.columns]
    outcome = outcome or "sustainment_24m"
    if outcome not in results.summary.columns:
        raise ValueError(f"outcome {outcome!r} is not in these results; expected one of "
                         + ", ".join(results.outcomes))
    status = (f"{len(results.summary)} of {m.get('runs_expected')} runs "
              + ("(complete)." if results.complete else "(incomplete: rerun the sweep to "
                 "finish it; this report shows the runs so far)."))
    intro = Section("Study", [m.get("description") or "", status,
                              f"Arms: {', '.join(results.arms)}; {m.get('n_points')} design "
                              f"point(s) × {m.get('replications')} replication(s) per arm."])
    if results.problems:
        intro.paragraphs.append("Left out: " + "; ".join(results.problems) + ".")
    sections = [intro]
    if results.series is not None:
        shown = [s for s in KEY_SERIES if s in results.series.columns]
        sections.append(Section("Monthly series", figures=[series_figure(results, shown)]))
    else:
        intro.paragraphs.append("Monthly series were not kept (outputs.series: false), so the "
                                "report has no time plots.")
    sections.append(Section("Outcomes per arm", tables=[("Outcomes per arm", outcome_table(
        results, names))], figures=[distribution_figure(results, names)]))
    if len(results.arms) > 1:
        diffs = difference_table(results, names)
        sections.append(Section("Differences between arms (paired)", tables=[(
            "Paired differences", diffs.round(4))], figures=[difference_figure(results, diffs)]))
        if {"cost_total", "cases_completed"} <= set(results.summary.columns):
            sections.append(cost_section(results))
        if attribution is not None:
            sections.append(attribution_section(attribution, outcome, results.arms))
    if results.events is not None:
        sections.append(survival_section(results))
    if results.parameters:
        sections.append(Section(
            "Outcomes against the design parameters",
            [f"Design: {m['design']['method']} with {m.get('n_points')} points."],
            tables=[("Design parameters", design_table(results))],
            figures=[scatter_figure(results, outcome)]))
        found = discovery_section(results, outcome)
        if found is not None:
            sections.append(found)
    sections.append(Section("Provenance", tables=[("Provenance", provenance_table(results))]))
    return sections


# --- why the arms differ (attribution) -------------------------------------------------------

EXPLAIN_FOLDER = "explain"


@dataclass
class AttributionNote:
    """An attribution for the report and where it came from (or, without one, how to get it)."""

    attribution: Any  # impl_sim.analysis.attribution.Attribution | None
    origin: str


def scenario_of(results: Results) -> Any:
    """The scenario that produced ``results``, rebuilt from the manifest's canonical copy."""
    from impl_sim.scenario.loader import nest_strategies, parse_scenario

    canonical = dict(results.manifest.get("scenario") or {})
    if not canonical:
        raise ValueError(f"{results.directory}: the manifest holds no scenario")
    doc = {k: v for k, v in canonical.items() if not (k == "design" and v is None)}
    doc["strategies"] = nest_strategies(canonical.get("strategies") or {})
    return parse_scenario(doc, str(results.manifest.get("source") or results.directory))


def explain_folder(results: Results) -> Path | None:
    """Where a results folder's attribution is kept: ``RESULTS_DIR/explain``."""
    return None if results.directory is None else results.directory / EXPLAIN_FOLDER


def attribution_note(results: Results, *, explain: bool = False,
                     replications: int | None = None, workers: int = 1, executor: Any = None,
                     outcome: str = "sustainment_24m",
                     progress: Any = None) -> AttributionNote | None:
    """The attribution of the first two arms for the report (None with fewer than two arms).

    ``explain``: run it now (``replications`` per arm and combination, default the results'
    own) and save it beside the results; else reuse ``RESULTS_DIR/explain/attribution.json``
    when there is one."""
    from impl_sim.analysis import attribution as attr
    from impl_sim.scenario.loader import ScenarioError

    if len(results.arms) < 2:
        return None
    folder = explain_folder(results)
    saved = folder / "attribution.json" if folder is not None else None
    if explain:
        if results.parameters or results.manifest.get("posterior"):
            raise ScenarioError(str(results.directory), "--explain", "attribution switches "
                                "paths off in two fixed arms; these results vary parameters "
                                "(a design or a posterior), so explain a scenario without a "
                                "design block with impl-sim explain")
        scenario = scenario_of(results)
        if replications is not None:
            scenario = scenario.with_changes(replications=replications)
        outcomes = list(dict.fromkeys([outcome, *attr.ATTRIBUTION_OUTCOMES]))
        found = attr.explain(scenario, arms=results.arms[:2], outcomes=outcomes,
                             workers=workers, executor=executor, progress=progress)
        where = ""
        if folder is not None:
            attr.write_outputs(found, folder, outcome)
            where = f"; saved in {folder} for the next report"
        return AttributionNote(found, "Computed for this report (impl-sim report --explain): "
                               f"{found.runs} new runs{where}.")
    if saved is not None and saved.exists():
        found = attr.load_attribution(saved, scenario_of(results))
        return AttributionNote(found, f"Reused from {saved} (written by impl-sim explain or "
                               "report --explain; rerun with --explain to recompute it).")
    return AttributionNote(None, "Not computed: attribution needs new simulations (every "
                           "combination of mechanism paths switched off, in both arms). Run "
                           "impl-sim report RESULTS_DIR --explain [--replications N], or "
                           "impl-sim explain SCENARIO --out with the folder these results are "
                           "in, and the report will include it.")


def attribution_section(note: AttributionNote, outcome: str, arms: list[str]) -> Section:
    """The section "Why the arms differ": how it was obtained, one sentence per outcome, the
    table and the waterfall of ``outcome`` (else of the first outcome that differs)."""
    import tempfile

    from impl_sim.analysis.attribution import (
        TABLE_COLUMNS,
        method_text,
        plot_waterfall,
        sentence,
        table_rows,
    )

    found = note.attribution
    section = Section("Why the arms differ", [note.origin])
    if found is None:
        return section
    if len(arms) > 2:
        section.paragraphs.append(f"Compared: {found.arm_b} against {found.arm_a}; for other "
                                  "pairs run impl-sim explain SCENARIO --arms A B.")
    section.paragraphs += [
        f"Which causal path carries {found.arm_b} − {found.arm_a}? Each mechanism path of the "
        "model is switched off in both arms, alone and together; a path's share is its Shapley "
        "value (its average contribution over the orders of switching paths off), so the "
        "shares and the difference left with every path off add up to the whole difference. "
        "Intervals: 95 % bootstrap over replications. " + method_text(found),
        *(sentence(item, found) for item in found.outcomes.values())]
    rows = [(item.outcome, *row) for item in found.outcomes.values()
            for row in table_rows(item, totals=True)]
    section.tables.append((f"What each path carries of {found.arm_b} − {found.arm_a}",
                           pd.DataFrame(rows, columns=["outcome", *TABLE_COLUMNS])))
    shown = _waterfall_outcome(found, outcome)
    with tempfile.TemporaryDirectory() as folder:
        path = plot_waterfall(found, shown, Path(folder) / "waterfall.png")
        section.figures.append(ReportFigure(
            "attribution", f"Attribution waterfall: {OUTCOMES[shown].label}",
            f"Waterfall of {found.arm_b} − {found.arm_a} in {shown}: the difference left with "
            "every path off, then each path's Shapley contribution with its 95 % interval, "
            "ending at the whole difference.", path.read_bytes()))
    return section


def _waterfall_outcome(found: Any, outcome: str) -> str:
    """``outcome`` when its difference is a non-zero number, else the first outcome whose
    difference is (else ``outcome`` or the first one, to show the empty waterfall)."""
    def differs(name: str) -> bool:
        d = found.outcomes[name].difference
        return math.isfinite(d) and abs(d) > 1e-12

    order = [outcome] if outcome in found.outcomes else []
    order += [name for name in found.outcomes if name != outcome]
    return next((name for name in order if differs(name)), order[0])


def discovery_section(results: Results, outcome: str) -> Section | None:
    """PRIM on the worst quarter of runs of ``outcome``: the box in words with the quasi-p and
    stability of each restriction, the table and the trade-off plot (None when the outcome does
    not vary)."""
    import tempfile

    from impl_sim.analysis.discovery import QUASI_P_NOTE, discover, plot_tradeoff

    values = results.summary[outcome].dropna()
    if values.nunique() < 2:
        return None
    higher_is_better = OUTCOMES[outcome].higher_is_better
    cut = float(values.quantile(0.25 if higher_is_better else 0.75))
    found = discover(results, outcome, below=cut if higher_is_better else None,
                     above=None if higher_is_better else cut)
    worst = "lowest" if higher_is_better else "highest"
    paragraphs = [f"Runs of interest: the {worst} quarter of runs ({found.condition}; "
                  f"{found.n_of_interest} of {found.n_runs} runs). Other conditions: "
                  f"impl-sim discover RESULTS_DIR --outcome {outcome} --below VALUE.",
                  found.text(), QUASI_P_NOTE]
    tables = []
    figures = []
    if found.boxes and found.boxes[0].restricted:
        table = found.table()[["box", "restriction", "quasi_p", "reproducibility", "density",
                               "coverage"]]
        tables.append(("Restrictions of the box", table.round(4)))
        with tempfile.TemporaryDirectory() as folder:
            path = plot_tradeoff(found.boxes[0], found.condition, Path(folder) / "prim.png")
            figures.append(ReportFigure("discovery", f"PRIM peeling trajectory: {found.condition}",
                                        "Coverage against density for every box on the peeling "
                                        "trajectory; the star is the box described above.",
                                        path.read_bytes()))
    return Section(f"Scenario discovery (PRIM): where {found.condition}", paragraphs,
                   tables=tables, figures=figures)


def cost_section(results: Results) -> Section:
    """Incremental cost per extra completed case of each arm against the first (costs.py)."""
    from impl_sim.analysis.costs import incremental_cost_table

    table = incremental_cost_table(results.summary, results.arms).round(1)
    return Section("Incremental cost per extra completed case", [
        "Total cost (implementation + therapist time for the sessions) and completed CPP cases "
        f"of each arm minus those of {results.arms[0]}, paired by replication; the ratio is "
        "the cost of each extra completed case (NaN bounds: the extra cases' interval includes "
        "zero, so the ratio is unbounded)."], tables=[("Incremental cost", table)])


def survival_section(results: Results) -> Section:
    """Careers and service histories as survival (analysis/survival.py): table and KM figure."""
    from impl_sim.analysis import survival

    table, curves = survival.analyse(results)
    colours = {arm: _colour(results, arm) for arm in results.arms}
    figure = ReportFigure(
        "survival", "Kaplan–Meier curves with 95 % bands",
        "How long careers and service delivery last, per arm, pooled over replications: "
        "months delivering CPP among adopters (leaving the job as stopping, and as censoring), "
        "months in post, months to the first case, and services' months delivering after "
        "start-up and after competence. A curve's height at t is the share whose duration "
        "had not ended t months after its origin.",
        _render(survival.survival_figure(curves, colours)))
    return Section("Careers and service histories (survival)", [
        "Kaplan–Meier estimates from the event log; intervals describe the sampling of people "
        "and services pooled over replications. Delivery stops at the first of 6 consecutive "
        "months without an active CPP case; a gap cut short by the run's end is censored."],
        tables=[("Survival", survival.report_table(table))], figures=[figure])


def _page_title(results: Results) -> str:
    return f"impl-sim report: {results.manifest.get('scenario_name', 'results')}"


def render_html(results: Results, sections: list[Section]) -> str:
    """A self-contained HTML page (inline CSS, figures as base64 PNG)."""
    title = html.escape(_page_title(results))
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}"
             f"</title><style>{_CSS}</style></head><body><h1>{title}</h1>"]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs if p]
        for fig in section.figures:
            data = base64.b64encode(fig.png).decode()
            parts.append(f"<figure><img alt='{html.escape(fig.title)}' "
                         f"src='data:image/png;base64,{data}'><figcaption><b>"
                         f"{html.escape(fig.title)}.</b> {html.escape(fig.caption)}"
                         "</figcaption></figure>")
        for caption, table in section.tables:
            parts.append(table.to_html(index=False, border=0, na_rep="–", classes="t")
                         .replace("<table", f"<table title='{html.escape(caption)}'", 1))
    parts.append("</body></html>")
    return "\n".join(parts)


def render_markdown(results: Results, sections: list[Section], figure_dir: Path,
                    link_base: Path) -> str:
    """Markdown text; figures are written as PNG files into ``figure_dir``."""
    figure_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# {_page_title(results)}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        lines += [p + "\n" for p in section.paragraphs if p]
        for fig in section.figures:
            path = figure_dir / f"{fig.name}.png"
            path.write_bytes(fig.png)
            link = path.relative_to(link_base).as_posix()
            lines += [f"![{fig.title}]({link})", "", f"*{fig.title}.* {fig.caption}", ""]
        for _, table in section.tables:
            lines += [_markdown_table(table), ""]
    return "\n".join(lines)


def _markdown_table(table: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return _num(v)
        return str(v).replace("|", "\\|")

    head = "| " + " | ".join(map(cell, table.columns)) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(False)]
    return "\n".join([head, rule, *body])


def write_report(results_dir: str | Path, fmt: str = "html", out: str | Path | None = None,
                 outcome: str | None = None, *, explain: bool = False,
                 replications: int | None = None, workers: int = 1, executor: Any = None,
                 progress: Any = None) -> Path:
    """Write the report of a results directory; returns the file written.

    Default file: ``RESULTS_DIR/report.html`` (or ``report.md``, with its figures in
    ``report_figures/`` beside it). ``explain`` runs the attribution of the first two arms
    (:func:`attribution_note`; ``replications``, ``workers``, ``executor`` are for its runs).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not allowed; expected one of {', '.join(FORMATS)}")
    results = Results.load(results_dir)
    path = Path(out) if out is not None else Path(results_dir) / f"report.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    note = attribution_note(results, explain=explain, replications=replications,
                            workers=workers, executor=executor,
                            outcome=outcome or "sustainment_24m", progress=progress)
    sections = build_report(results, outcome, note)
    if fmt == "html":
        text = render_html(results, sections)
    else:
        figures = path.parent / f"{path.stem}_figures"
        text = render_markdown(results, sections, figures, path.parent)
    atomic_write_bytes(path, text.encode("utf-8"))  # whole or absent, even on a full disk
    return path


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #1b6ca8;padding-bottom:.2em}h2{margin-top:2em;color:#1b6ca8}
figure{margin:1.5em 0}img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.92em;color:#444;margin-top:.4em}
table.t{border-collapse:collapse;font-size:.85em;margin:1em 0}
table.t th,table.t td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right}
table.t td:first-child,table.t th:first-child{text-align:left}
"""
