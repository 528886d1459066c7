"""Mechanism attribution: which causal path carries the difference between two arms?

A *path* is a set of parameter overrides that switches one causal link of the model off (the
mechanism paths are declared in the schema, :func:`impl_sim.params.mechanism_paths`; switching
``mechanisms.NAME`` off is ``{"mechanisms.NAME": False}``). For a set *S* of paths switched off
in **both** arms, Δ(S) is the mean over replications of B − A (common random numbers: replication
*r* has the same seed in every arm and every combination of paths, so the difference is paired).
The part of the difference that a set of paths carries is v(S) = Δ(∅) − Δ(S): how much of it
disappears when they are off.

* **Shapley shares.** Path *i* carries φ_i, its average marginal contribution to v over every
  order in which paths can be switched off: exact over all 2^n combinations when n ≤
  :data:`MAX_EXACT_PATHS`, else estimated from :data:`SAMPLED_ORDERS` random orders (and their
  reverses). The φ_i add up to v(all) = Δ(∅) − Δ(all); Δ(all), the difference left with every
  path off, is the *residual* no named path carries (near 0 when the paths cover the arms'
  difference).
* **Alone** — v({i}) — and **cumulative** — the increments of v as paths are switched off one
  after another in display order — are reported too: when they differ from φ_i, paths interact.
* **Intervals.** Shapley values are linear in v, so φ_i is the mean over replications of a
  per-replication φ_i(r); the 95 % intervals come from a percentile bootstrap over replications
  (seeded). A replication where the outcome is undefined in some combination is left out of that
  outcome.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from impl_sim.defaults import DEFAULT_SEED
from impl_sim.scenario.loader import Scenario, ScenarioError

MAX_EXACT_PATHS = 6
SAMPLED_ORDERS = 12
BOOTSTRAP_SAMPLES = 2000
ATTRIBUTION_OUTCOMES = ("sustainment_24m", "adoption", "penetration", "sustainment_12m",
                        "service_sustainment_24m", "cases_started")
Coalition = frozenset[str]


# --- the arithmetic ------------------------------------------------------------------------


def coalitions_needed(paths: list[str], seed: int = DEFAULT_SEED) -> list[Coalition]:
    """Every combination of paths switched off that the attribution evaluates (the empty one
    first): all 2^n when n is small, else those along the sampled orders, plus each path alone
    and the cumulative display order."""
    if len(paths) <= MAX_EXACT_PATHS:
        combos = [frozenset(c) for k in range(len(paths) + 1)
                  for c in itertools.combinations(paths, k)]
    else:
        combos = [frozenset()]
        for order in [paths, *shapley_orders(paths, seed)]:
            combos += [frozenset(order[:k]) for k in range(1, len(order) + 1)]
        combos += [frozenset([p]) for p in paths]
    seen: dict[Coalition, None] = {}
    for c in combos:
        seen.setdefault(c, None)
    return list(seen)


def shapley_orders(paths: list[str], seed: int) -> list[list[str]]:
    """Random orders for sampled Shapley values, each with its reverse (antithetic)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(31,)))
    orders = []
    for _ in range(SAMPLED_ORDERS // 2):
        order = [paths[i] for i in rng.permutation(len(paths))]
        orders += [order, order[::-1]]
    return orders


def shapley(paths: list[str], value: Callable[[Coalition], np.ndarray],
            seed: int = DEFAULT_SEED) -> dict[str, np.ndarray]:
    """φ_i of the game ``value`` (which may return arrays: one value per replication)."""
    n = len(paths)
    phi: dict[str, np.ndarray] = {}
    if n <= MAX_EXACT_PATHS:
        for p in paths:
            others = [q for q in paths if q != p]
            total = 0.0
            for k in range(n):
                weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                for combo in itertools.combinations(others, k):
                    s = frozenset(combo)
                    total = total + weight * (value(s | {p}) - value(s))
            phi[p] = np.asarray(total)
        return phi
    orders = shapley_orders(paths, seed)
    sums = {p: 0.0 for p in paths}
    for order in orders:
        before: Coalition = frozenset()
        for p in order:
            after = before | {p}
            sums[p] = sums[p] + (value(after) - value(before))
            before = after
    return {p: np.asarray(sums[p]) / len(orders) for p in paths}


def bootstrap_interval(per_replication: np.ndarray, seed: int,
                       statistic: Callable[[np.ndarray], float] | None = None,
                       ) -> tuple[float, float]:
    """95 % percentile interval of the mean (or ``statistic``) over resampled replications
    (rows)."""
    x = np.asarray(per_replication, dtype=float)
    stat = statistic or (lambda rows: float(np.mean(rows)))
    if len(x) < 2:
        value = stat(x) if len(x) else math.nan
        return value, value
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(32,)))
    picks = rng.integers(0, len(x), size=(BOOTSTRAP_SAMPLES, len(x)))
    draws = np.array([stat(x[p]) for p in picks])
    draws = draws[np.isfinite(draws)]
    if not len(draws):
        return math.nan, math.nan
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return float(lo), float(hi)


@dataclass(frozen=True)
class PathShare:
    """What one path carries of one outcome's difference."""

    path: str
    shapley: float
    lo: float
    hi: float
    share: float
    share_lo: float
    share_hi: float
    alone: float
    cumulative: float


@dataclass(frozen=True)
class OutcomeAttribution:
    """The difference B − A in one outcome and how the paths carry it."""

    outcome: str
    difference: float
    difference_lo: float
    difference_hi: float
    residual: float
    residual_lo: float
    residual_hi: float
    paths: list[PathShare]
    replications: int

    def as_json(self) -> dict[str, Any]:
        return {k: _finite(v) if isinstance(v, float) else v
                for k, v in self.__dict__.items() if k != "paths"} | {
            "paths": [{k: _finite(v) if isinstance(v, float) else v
                       for k, v in p.__dict__.items()} for p in self.paths]}


def _finite(x: float) -> float | None:
    """A JSON number that reads back exactly (a saved attribution must print the same tables
    as the one computed: rounding here moved shares across a percent boundary), or null."""
    return float(x) if math.isfinite(x) else None


def attribute_outcome(outcome: str, paths: list[str],
                      differences: Mapping[Coalition, np.ndarray],
                      seed: int = DEFAULT_SEED) -> OutcomeAttribution:
    """Shapley, alone and cumulative contributions from per-replication differences B − A
    for each combination of paths switched off (``differences[S][r]``)."""
    stacked = np.vstack([differences[c] for c in differences])
    defined = np.all(np.isfinite(stacked), axis=0)  # replications defined everywhere
    delta = {c: np.asarray(d, dtype=float)[defined] for c, d in differences.items()}
    full = delta[frozenset()]

    def carried(s: Coalition) -> np.ndarray:
        return full - delta[s]

    phi = shapley(paths, carried, seed)
    everything = frozenset(paths)
    residual = delta[everything] if everything in delta else full - sum(phi.values())
    diff_mean = float(np.mean(full)) if len(full) else math.nan
    shares = []
    before: Coalition = frozenset()
    for i, p in enumerate(paths):
        after = before | {p}
        cumulative = (float(np.mean(carried(after) - carried(before)))
                      if after in delta and before in delta and len(full) else math.nan)
        before = after
        columns = np.column_stack([phi[p], full]) if len(full) else np.empty((0, 2))
        share_lo, share_hi = bootstrap_interval(
            columns, seed + i, lambda rows: _ratio(rows[:, 0], rows[:, 1]))
        lo, hi = bootstrap_interval(phi[p], seed + i)
        shares.append(PathShare(
            p, float(np.mean(phi[p])) if len(full) else math.nan, lo, hi,
            _ratio(phi[p], full), share_lo, share_hi,
            float(np.mean(carried(frozenset([p])))) if frozenset([p]) in delta and len(full)
            else math.nan, cumulative))
    d_lo, d_hi = bootstrap_interval(full, seed)
    r_lo, r_hi = bootstrap_interval(residual, seed + 99)
    return OutcomeAttribution(outcome, diff_mean, d_lo, d_hi,
                              float(np.mean(residual)) if len(residual) else math.nan,
                              r_lo, r_hi, shares, int(defined.sum()))


def _ratio(part: np.ndarray, whole: np.ndarray) -> float:
    denominator = float(np.mean(whole)) if len(whole) else 0.0
    return float(np.mean(part)) / denominator if denominator else math.nan


# --- running ---------------------------------------------------------------------------------


@dataclass
class Attribution:
    """Attribution of every outcome of a two-arm comparison."""

    scenario: Scenario
    arm_a: str
    arm_b: str
    paths: list[str]
    labels: dict[str, str]
    outcomes: dict[str, OutcomeAttribution]
    coalitions: int
    runs: int
    exact: bool
    files: list[Path] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario.name, "scenario_hash": self.scenario.hash(),
                "arms": [self.arm_a, self.arm_b], "difference": f"{self.arm_b} − {self.arm_a}",
                "replications": self.scenario.replications, "seed": self.scenario.seed,
                "paths": self.paths, "labels": self.labels,
                "method": "exact Shapley" if self.exact else
                f"Shapley from {SAMPLED_ORDERS} sampled orders",
                "coalitions": self.coalitions, "runs": self.runs,
                "outcomes": {k: v.as_json() for k, v in self.outcomes.items()}}


def path_overrides(coalition: Coalition, paths: Mapping[str, Mapping[str, Any]]
                   ) -> dict[str, Any]:
    """The overrides that switch off every path in ``coalition``."""
    merged: dict[str, Any] = {}
    for name in sorted(coalition):
        merged.update(paths[name])
    return merged


def mechanism_path_overrides() -> dict[str, dict[str, Any]]:
    """``{path: overrides that switch it off}`` for the schema's mechanism paths."""
    from impl_sim import params

    listing = getattr(params, "mechanism_paths", None)
    names = list(listing()) if listing is not None else []
    if not names:
        raise ScenarioError("impl_sim.params", "mechanisms", "this version declares no "
                            "mechanism paths to switch off (params.mechanism_paths())")
    return {name: {name: False} for name in names}


def choose_arms(scenario: Scenario, arms: list[str] | None) -> tuple[str, str]:
    """The two arms compared: ``arms`` (A B) or the scenario's first two."""
    names = list(scenario.arms)
    if arms:
        if len(arms) != 2:
            raise ScenarioError(scenario.source, "--arms", f"give two arm names (A B), got "
                                f"{len(arms)}")
        for arm in arms:
            if arm not in scenario.arms:
                raise ScenarioError(scenario.source, "--arms", f"unknown arm {arm!r}; expected "
                                    "one of " + ", ".join(names))
        if arms[0] == arms[1]:
            raise ScenarioError(scenario.source, "--arms", "give two different arms")
        return arms[0], arms[1]
    if len(names) < 2:
        raise ScenarioError(scenario.source, "arms", "attribution compares two arms; this "
                            f"scenario has {len(names)} ({', '.join(names)})")
    return names[0], names[1]


def explain(scenario: Scenario, *, arms: list[str] | None = None,
            paths: Mapping[str, Mapping[str, Any]] | None = None,
            outcomes: list[str] | tuple[str, ...] = ATTRIBUTION_OUTCOMES,
            labels: Mapping[str, str] | None = None, workers: int = 1, executor: Any = None,
            progress: Callable[[int, int], None] | None = None) -> Attribution:
    """Attribute B − A of each outcome to the paths (default: the schema's mechanism paths),
    running every combination of switched-off paths × both arms × replications with common
    random numbers through :func:`impl_sim.experiment.runner.run_tasks`."""
    from impl_sim.experiment.runner import Task, as_executor, run_tasks
    from impl_sim.params import ParamError, Params

    if scenario.design is not None:
        raise ScenarioError(scenario.source, "design", "attribution explains two arms; this "
                            "scenario has a design block (run it with impl-sim sweep)")
    a, b = choose_arms(scenario, arms)
    paths = dict(paths) if paths is not None else mechanism_path_overrides()
    names = list(paths)
    combos = coalitions_needed(names, scenario.seed)
    tasks: list[Task] = []
    for point, combo in enumerate(combos):
        for arm in (a, b):
            overrides = {**scenario.overrides_for(arm), **path_overrides(combo, paths)}
            try:
                Params.from_overrides(overrides)
            except ParamError as exc:
                raise ScenarioError(scenario.source, "paths", f"switching off "
                                    f"{', '.join(sorted(combo))} in arm {arm!r}: {exc}") from None
            tasks += [Task(len(tasks) + r, point, arm, r, overrides, scenario.seed, False)
                      for r in range(scenario.replications)]
    pairs = run_tasks(tasks, as_executor(executor, workers=workers), progress=progress)
    values: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for task, result in pairs:  # sorted by task id: replications in order
        slot = values.setdefault((task.point, task.arm), {})
        for name in outcomes:
            slot.setdefault(name, []).append(result.summary.get(name, math.nan))
    table = {}
    for name in outcomes:
        differences = {combo: np.asarray(values[(i, b)][name], float)
                       - np.asarray(values[(i, a)][name], float)
                       for i, combo in enumerate(combos)}
        table[name] = attribute_outcome(name, names, differences, scenario.seed)
    return Attribution(scenario, a, b, names, dict(labels or path_labels(names)), table,
                       len(combos), len(tasks), len(names) <= MAX_EXACT_PATHS)


def path_labels(names: list[str]) -> dict[str, str]:
    """A plain label per path: the schema's description of its switch, else the name."""
    from impl_sim.params import ParamError, param_spec

    out = {}
    for name in names:
        try:
            spec = param_spec(name)
            text = (spec.description or spec.label or name).split(" (")[0].split(";")[0]
            out[name] = text.rstrip(".")
        except ParamError:
            out[name] = name
    return out


def _mid_sentence(label: str) -> str:
    """A label inside a sentence: "Leaders route …" becomes the path “leaders route …”, "A
    positive climate …" the path “a positive climate …”; an acronym ("CPP …") stays."""
    lower = label[1:2].islower() or label[1:2] == " "
    text = label[:1].lower() + label[1:] if lower else label
    return f"the path “{text}”"


# --- presenting --------------------------------------------------------------------------------

_WORDS = ((0.95, "almost all"), (0.8, "about four fifths"), (0.7, "about three quarters"),
          (0.6, "about two thirds"), (0.45, "about half"), (0.3, "about a third"),
          (0.22, "about a quarter"), (0.15, "about a fifth"), (0.07, "about a tenth"),
          (0.0, "little"))


def share_words(share: float) -> str:
    """0.66 → "about two thirds" (for leaders: a rough fraction, not a number)."""
    if not math.isfinite(share):
        return "an undefined share"
    if share > 1.05:
        return "more than all"
    if share < -0.05:
        return "a negative share (it works against the difference)"
    for limit, words in _WORDS:
        if share >= limit:
            return words
    return "little"


def sentence(result: OutcomeAttribution, attribution: Attribution) -> str:
    """One sentence per outcome for leaders."""
    from impl_sim.model.outcomes import OUTCOMES

    label = OUTCOMES[result.outcome].label if result.outcome in OUTCOMES else result.outcome
    a, b = attribution.arm_a, attribution.arm_b
    if not math.isfinite(result.difference):
        return (f"{label}: undefined in these runs (no replication where both arms have a "
                "value in every combination), so there is nothing to attribute.")
    if abs(result.difference) < 1e-12:
        return f"{label}: {b} and {a} do not differ, so there is nothing to attribute."
    def named(share: PathShare) -> str:
        return _mid_sentence(attribution.labels.get(share.path, share.path))

    defined = [p for p in result.paths if math.isfinite(p.share)]
    carrying = sorted((p for p in defined if p.share > 0), key=lambda p: -p.share)
    against = sorted((p for p in defined if p.share <= -0.1), key=lambda p: p.share)
    text = f"{label} ({b} − {a} = {result.difference:.3g}): "
    if carrying:
        text += (f"{share_words(carrying[0].share)} of the difference comes from "
                 f"{named(carrying[0])}")
        if len(carrying) > 1 and carrying[1].share >= 0.1:
            text += f", {share_words(carrying[1].share)} from {named(carrying[1])}"
    else:
        text += "no named path carries any of the difference"
    if against:
        text += (f"; {named(against[0])} works against it (about "
                 f"{_pct(abs(against[0].share))} of the difference the other way)")
    residual_share = result.residual / result.difference
    if abs(residual_share) >= 0.1:
        text += f"; {share_words(residual_share)} is carried by no named path"
    return text + "."


TABLE_COLUMNS = ("path", "carries [95 %]", "share of the difference [95 %]", "alone",
                 "cumulative")


def table_rows(result: OutcomeAttribution, totals: bool = False
               ) -> list[tuple[str, str, str, str, str]]:
    """The rows of one outcome's table (:data:`TABLE_COLUMNS`), as text: shared by the
    Markdown table and the report. ``totals`` adds the difference left with every path off
    and the whole difference (the rows add up to it)."""
    rows = [(p.path, f"{_num(p.shapley)} [{_num(p.lo)}, {_num(p.hi)}]",
             f"{_pct(p.share)} [{_pct(p.share_lo)}, {_pct(p.share_hi)}]",
             _num(p.alone), _num(p.cumulative)) for p in result.paths]
    if totals:
        share = result.residual / result.difference if result.difference else math.nan
        rows += [("(every path off)", f"{_num(result.residual)} [{_num(result.residual_lo)}, "
                  f"{_num(result.residual_hi)}]", _pct(share), "", ""),
                 ("(whole difference)", f"{_num(result.difference)} "
                  f"[{_num(result.difference_lo)}, {_num(result.difference_hi)}]",
                  _pct(1.0) if math.isfinite(share) else "–", "", "")]
    return rows


def difference_text(result: OutcomeAttribution, attribution: Attribution) -> str:
    """The difference B − A and the part left with every path off, with intervals."""
    return (f"Difference {attribution.arm_b} − {attribution.arm_a}: "
            f"{_num(result.difference)} [{_num(result.difference_lo)}, "
            f"{_num(result.difference_hi)}]; with every path off: "
            f"{_num(result.residual)} [{_num(result.residual_lo)}, "
            f"{_num(result.residual_hi)}].")


def method_text(attribution: Attribution) -> str:
    """How the attribution was computed, in one sentence."""
    return (f"{attribution.scenario.replications} replications per arm and combination, "
            f"common random numbers; {attribution.coalitions} combinations of switched-off "
            f"paths, {attribution.runs} runs; "
            + ("exact Shapley values." if attribution.exact else
               f"Shapley values from {SAMPLED_ORDERS} sampled orders."))


def markdown_table(attribution: Attribution) -> str:
    """One table per outcome: path, Shapley value [95 %], share [95 %], alone, cumulative."""
    lines = [f"# Why {attribution.arm_b} differs from {attribution.arm_a}: "
             f"{attribution.scenario.name}", "", method_text(attribution), ""]
    for result in attribution.outcomes.values():
        lines += [f"## {result.outcome}", "", sentence(result, attribution), "",
                  difference_text(result, attribution), "",
                  "| " + " | ".join(TABLE_COLUMNS) + " |", "|---|---:|---:|---:|---:|"]
        for row in table_rows(result):
            lines.append(f"| `{row[0]}` | " + " | ".join(row[1:]) + " |")
        lines.append("")
    return "\n".join(lines)


def _num(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.3g}"


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.0f} %"


def plot_waterfall(attribution: Attribution, outcome: str, path: Path) -> Path:
    """Waterfall: the difference left with every path off, then what each path adds (with
    its 95 % interval), ending at the full difference B − A. Paths are named on the left."""
    import textwrap

    from impl_sim.analysis.figures import pyplot, save_with_caption

    plt = pyplot()
    result = attribution.outcomes[outcome]
    steps = [("every path off (residual)", result.residual, None)] + [
        (attribution.labels.get(p.path, p.path), p.shapley, (p.lo, p.hi))
        for p in result.paths]
    height = 1.6 + 0.42 * (len(steps) + 1)
    fig, ax = plt.subplots(figsize=(9, height))
    level = 0.0
    names = []
    for i, (name, value, interval) in enumerate(steps):
        y = len(steps) - i
        value = value if math.isfinite(value) else 0.0
        start = level if i else 0.0
        ax.barh(y, value, left=start, color="tab:gray" if i == 0 else
                ("tab:blue" if value >= 0 else "tab:red"), height=0.6)
        if interval is not None and all(math.isfinite(v) for v in interval):
            centre = start + value
            ax.errorbar(centre, y, xerr=[[max(value - interval[0], 0.0)],
                                         [max(interval[1] - value, 0.0)]],
                        color="black", capsize=3, lw=1)
        level = start + value
        names.append((y, textwrap.shorten(name, 70, placeholder=" …")))
    whole = result.difference if math.isfinite(result.difference) else 0.0
    ax.barh(0, whole, color="tab:green", height=0.6)
    names.append((0, f"whole difference {attribution.arm_b} − {attribution.arm_a}"))
    ax.set_yticks([y for y, _ in names],
                  ["\n".join(textwrap.wrap(n, 38)) for _, n in names], fontsize=7.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel(f"{outcome}: contribution to {attribution.arm_b} − {attribution.arm_a}")
    ax.set_title(f"What carries the difference in {outcome}?")
    caption = ("Grey: the difference left with every named path switched off in both arms. "
               "Blue/red: each path's Shapley contribution (95 % bootstrap interval over "
               "replications). Green: the whole difference; the bars add up to it.")
    return save_with_caption(fig, path, caption, width=120, bottom=0.75 / height,
                             fontsize=7.5, dpi=110)


def load_attribution(path: Path, scenario: Scenario) -> Attribution:
    """Read an ``attribution.json`` written by :func:`write_outputs` back into an
    :class:`Attribution` of ``scenario`` (its replications set to those of the file); raises
    :class:`ScenarioError` when the file is unreadable or belongs to another scenario."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data["scenario"] != scenario.name:
            raise ScenarioError(str(path), "scenario", f"{data['scenario']!r} is not the "
                                f"scenario of these results ({scenario.name!r})")
        outcomes = {name: _outcome_from_json(item) for name, item in data["outcomes"].items()}
        arm_a, arm_b = data["arms"]
        runs_like = scenario.with_changes(replications=int(data["replications"]))
        return Attribution(runs_like, arm_a, arm_b, list(data["paths"]), dict(data["labels"]),
                           outcomes, int(data["coalitions"]), int(data["runs"]),
                           str(data["method"]).startswith("exact"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(str(path), "attribution", f"not a readable attribution "
                            f"({type(exc).__name__}: {exc}); rerun impl-sim explain") from None


def _float(x: Any) -> float:
    return math.nan if x is None else float(x)


def _outcome_from_json(item: Mapping[str, Any]) -> OutcomeAttribution:
    paths = [PathShare(p["path"], *(_float(p[k]) for k in (
        "shapley", "lo", "hi", "share", "share_lo", "share_hi", "alone", "cumulative")))
        for p in item["paths"]]
    return OutcomeAttribution(item["outcome"], *(_float(item[k]) for k in (
        "difference", "difference_lo", "difference_hi", "residual", "residual_lo",
        "residual_hi")), paths, int(item["replications"]))


def write_outputs(attribution: Attribution, directory: Path, outcome: str) -> list[Path]:
    """attribution.md, attribution.json and the waterfall of ``outcome``."""
    from impl_sim.experiment.store import atomic_write_bytes

    directory.mkdir(parents=True, exist_ok=True)
    md, js = directory / "attribution.md", directory / "attribution.json"
    atomic_write_bytes(md, markdown_table(attribution).encode())
    atomic_write_bytes(js, json.dumps(attribution.as_json(), indent=2).encode())
    files = [md, js]
    if outcome in attribution.outcomes:
        files.append(plot_waterfall(attribution, outcome, directory / f"waterfall-{outcome}.png"))
    return files
