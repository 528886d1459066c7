"""Bayesian calibration: approximate Bayesian computation by sequential Monte Carlo (ABC-SMC).

Where ``impl-sim calibrate --method de`` returns one best point, ABC returns a *posterior*: the
parameter values consistent with every calibration target at once, how wide and how correlated,
and predictions that carry that uncertainty.

*Prior.* The targets file's ``priors:`` entry of a free parameter (uniform, normal, log-normal
or beta, truncated to its range; :mod:`impl_sim.analysis.priors`), else uniform over its range
(``--free NAME=LOW:HIGH``, else the scenario's design range, else the schema range;
:func:`impl_sim.analysis.calibration.parse_free`). Generation 0 draws from it; the importance
weights carry it.

*Distance.* The same as the optimiser's (one function,
:func:`impl_sim.analysis.validation.distance`): the sum over the calibration targets of the squared
miss, each miss in the target's own tolerance (0 inside a band or on the stated side of a
direction), so no figure dominates and a particle that meets every target has distance 0. Unlike
the optimiser, every particle gets *fresh* random numbers (its own seed, drawn from the
calibration's seed), so the simulation noise enters the posterior as it should.

*Tolerance schedule.* Generation 0 samples ``population`` particles from the prior and accepts
them all. Generation *t* accepts a proposal when its distance is at most ε_t, the ``quantile``
(default 0.5) of the distances of generation *t − 1* (Del Moral et al. 2012's adaptive schedule):
each generation keeps the better half of the previous one's fit. Proposals come from the previous
population, picked by weight and moved by a Gaussian kernel with twice its weighted covariance
(Beaumont et al. 2009), in coordinates scaled to each range; moves outside the prior's range are
drawn again (they cost no simulation). Weights are prior(θ) / Σ_j w_j K(θ | θ_j). A generation
proposes in batches of ``population`` until ``population`` particles are accepted or ``max_batches``
batches are spent; the search stops after ``generations`` generations, when ε reaches 0 (every
target met), or when a generation accepts too few (then the previous generation stands).

*Resumable.* Every evaluated particle is appended to ``evaluations.jsonl`` under the output
folder; proposals are a deterministic function of the seed, the generation and the batch, so a
rerun of the same command replays the same search, takes the evaluated particles from the file
and continues where it stopped (a run killed mid-batch redoes only that batch).

*Outputs* (``out/calibration/<scenario>-abc-<fingerprint>/``): ``posterior.parquet`` (the last
population: values, weight, distance, seed), ``populations.parquet`` (every generation),
``abc.json`` (settings, schedule, credible intervals, posterior predictive check, provenance),
``posterior_predictive.csv``, ``marginals.png``, ``pairs.png`` and ``predictive.png``. Runs go
through :func:`impl_sim.experiment.runner.run_tasks` on any executor (dask too).

Why not pyabc: it installs on 3.11 and 3.12, but brings its own samplers, storage (SQLAlchemy),
redis and about 60 packages; a calibration would run through its loop, not through our executors
and results store, so it could not resume like a sweep nor share the run path.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impl_sim.analysis.calibration import (
    CalibrationCache,
    Evaluation,
    FreeParameter,
    fingerprint,
    point_values,
    scenario_under,
)
from impl_sim.analysis.priors import Prior, apply_priors
from impl_sim.analysis.validation import DISTANCE_TEXT, Target, TargetSet, judge, simulate
from impl_sim.defaults import DEFAULT_SEED
from impl_sim.scenario.loader import Scenario, ScenarioError

SEED_KEY = "__seed__"  # the particle's seed, stored with its values in the evaluation cache
CREDIBLE = 0.90
POSTERIOR_FILE = "posterior.parquet"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AbcSettings:
    """How the sampler runs (all part of the output's fingerprint)."""

    population: int = 40
    generations: int = 4
    quantile: float = 0.5
    max_batches: int = 6
    ppc_draws: int = 20
    seed: int = DEFAULT_SEED

    def check(self) -> None:
        """Raise :class:`ScenarioError` for values the sampler cannot use."""
        if self.population < 4:
            raise ScenarioError("--population", "", f"{self.population} is not allowed; "
                                "expected at least 4 particles")
        if self.generations < 1:
            raise ScenarioError("--generations", "", f"{self.generations} is not allowed; "
                                "expected at least 1")
        if not 0 < self.quantile < 1:
            raise ScenarioError("--quantile", "", f"{self.quantile} is not allowed; expected a "
                                "number between 0 and 1")


@dataclass
class Particle:
    """One accepted parameter point."""

    values: dict[str, Any]
    seed: int
    distance: float
    met: int
    weight: float = 1.0


@dataclass
class Generation:
    """One generation's particles and how hard they were to get."""

    index: int
    epsilon: float
    proposed: int
    particles: list[Particle]

    @property
    def acceptance(self) -> float:
        return len(self.particles) / self.proposed if self.proposed else math.nan

    @property
    def ess(self) -> float:
        """Effective sample size of the weights, 1 / Σ w²."""
        w = np.array([p.weight for p in self.particles])
        return float(1.0 / np.sum((w / w.sum()) ** 2))


@dataclass
class AbcResult:
    """The posterior, its summary and the posterior predictive check."""

    free: list[FreeParameter]
    settings: AbcSettings
    generations: list[Generation]
    intervals: dict[str, dict[str, float]]
    predictive: list[dict[str, Any]]
    directory: Path | None
    evaluations: int
    cache_hits: int
    runs: int
    cpu_seconds: float
    wall_seconds: float
    stopped: str
    files: list[Path] = field(default_factory=list)
    priors: dict[str, Prior] = field(default_factory=dict)

    @property
    def posterior(self) -> Generation:
        return self.generations[-1]

    def posterior_frame(self) -> pd.DataFrame:
        return population_frame([self.posterior])


# --- prior, kernel, weights ----------------------------------------------------------------


def _unit(free: list[FreeParameter], values: dict[str, Any]) -> np.ndarray:
    return np.array([(float(values[f.name]) - f.low) / (f.high - f.low) for f in free])


def _from_unit(free: list[FreeParameter], u: np.ndarray) -> dict[str, Any]:
    return point_values(free, np.array([f.low + x * (f.high - f.low) for f, x in
                                        zip(free, u, strict=True)]))


def kernel_covariance(free: list[FreeParameter], particles: list[Particle]) -> np.ndarray:
    """Twice the weighted covariance of the population in unit coordinates (Beaumont 2009),
    with a small floor so that a collapsed dimension can still move."""
    u = np.array([_unit(free, p.values) for p in particles])
    w = np.array([p.weight for p in particles])
    cov = np.atleast_2d(np.cov(u.T, aweights=w / w.sum(), ddof=0))
    return 2.0 * cov + np.eye(len(free)) * 1e-6


def _gauss(diff: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Gaussian kernel values (up to a constant) for rows of ``diff``."""
    inv = np.linalg.inv(cov)
    return np.exp(-0.5 * np.einsum("ij,jk,ik->i", diff, inv, diff))


def prior_density(free: list[FreeParameter], priors: dict[str, Prior] | None,
                  values: dict[str, Any]) -> float:
    """Π_i prior_i(θ_i); 1 inside the ranges when every prior is the default uniform."""
    if not priors:
        return 1.0
    return float(np.prod([priors[f.name].density(float(values[f.name])) for f in free]))


def weights(free: list[FreeParameter], new: list[Particle], old: list[Particle],
            cov: np.ndarray, priors: dict[str, Prior] | None = None) -> np.ndarray:
    """Importance weights prior(θ) / Σ_j w_j K(θ | θ_j), normalised."""
    u_old = np.array([_unit(free, p.values) for p in old])
    w_old = np.array([p.weight for p in old])
    w_old = w_old / w_old.sum()
    out = []
    for p in new:
        density = float(np.sum(w_old * _gauss(_unit(free, p.values) - u_old, cov)))
        prior = prior_density(free, priors, p.values)
        out.append(prior / density if density > 0 else 0.0)
    w = np.array(out)
    return w / w.sum() if w.sum() > 0 else np.full(len(new), 1.0 / len(new))


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(key)))


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def prior_proposals(free: list[FreeParameter], n: int, seed: int,
                    priors: dict[str, Prior] | None = None) -> list[tuple[dict, int]]:
    """Generation 0: ``n`` points drawn from the prior (uniform over the ranges without
    ``priors``), each with its own seed."""
    rng = _rng(seed, 0, 0)
    out = []
    for _ in range(n):
        u = rng.random(len(free))
        if priors:
            x = np.array([float(priors[f.name].sample(ui)) for f, ui in
                          zip(free, u, strict=True)])
            out.append((point_values(free, x), _seed(rng)))
        else:
            out.append((_from_unit(free, u), _seed(rng)))
    return out


def kernel_proposals(free: list[FreeParameter], old: list[Particle], cov: np.ndarray, n: int,
                     seed: int, generation: int, batch: int) -> list[tuple[dict, int]]:
    """``n`` moves of particles of the previous generation (picked by weight) inside the prior;
    a deterministic function of (seed, generation, batch)."""
    rng = _rng(seed, generation, batch)
    w = np.array([p.weight for p in old])
    chol = np.linalg.cholesky(cov)
    proposals = []
    for _ in range(n):
        for _attempt in range(1000):
            parent = old[int(rng.choice(len(old), p=w / w.sum()))]
            u = _unit(free, parent.values) + chol @ rng.standard_normal(len(free))
            if np.all((u >= 0) & (u <= 1)):
                break
        else:  # pragma: no cover - only with a degenerate kernel
            u = np.clip(u, 0, 1)
        proposals.append((_from_unit(free, u), _seed(rng)))
    return proposals


# --- evaluating particles -----------------------------------------------------------------------


class ParticleEvaluator:
    """Distances of (values, seed) proposals through the cache and the one run loop."""

    def __init__(self, scenario: Scenario, targets: list[Target], *, executor: Any,
                 workers: int, cache: CalibrationCache, progress: Progress | None) -> None:
        self.scenario, self.targets = scenario, targets
        self.executor, self.workers = executor, workers
        self.cache, self.progress = cache, progress
        self.evaluated = 0
        self.cache_hits = 0
        self.runs = 0
        self.expected = 0  # proposals the run is expected to need (for a progress bar)

    def evaluate(self, proposals: list[tuple[dict, int]]) -> list[Particle]:
        keys = [{**values, SEED_KEY: seed} for values, seed in proposals]
        todo = [(values, seed) for (values, seed), key in zip(proposals, keys, strict=True)
                if self.cache.get(key) is None]
        self.cache_hits += len(proposals) - len(todo)
        if todo:
            under = scenario_under(self.scenario)
            sim, setting = simulate(self.targets, workers=self.workers, executor=self.executor,
                                    variants=[{**under, **values} for values, _ in todo],
                                    seeds=[seed for _, seed in todo])
            self.runs += sum(len(next(iter(v.values()), [])) for v in sim.values.values())
            for v, (values, seed) in enumerate(todo):
                results = [judge(t, sim, setting[(v, t.id)], seed=seed) for t in self.targets]
                self.cache.add(Evaluation.of({**values, SEED_KEY: seed}, results))
        self.evaluated += len(proposals)
        if self.progress:
            self.progress(self.evaluated, max(self.expected, self.evaluated))
        particles = []
        for (values, seed), key in zip(proposals, keys, strict=True):
            found = self.cache.get(key)
            assert found is not None
            particles.append(Particle(values, seed, found.distance, found.met))
        return particles


# --- the sampler ---------------------------------------------------------------------------


def abc_fingerprint(scenario: Scenario, targets: list[Target], free: list[FreeParameter],
                    settings: AbcSettings, priors: dict[str, Prior] | None = None) -> str:
    """Identifies an ABC problem, its priors and the sampler's settings: a change gets a fresh
    output folder. ``ppc_draws`` is left out (the check runs after the sampler, so asking for
    more draws reuses every particle); default uniform priors add nothing."""
    sampler = {k: v for k, v in asdict(settings).items() if k != "ppc_draws"}
    parts: list[Any] = [fingerprint(scenario, targets, free), sampler]
    declared = {n: p.text() for n, p in (priors or {}).items() if p.distribution != "uniform"}
    if declared:
        parts.append(declared)
    blob = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def run_generations(free: list[FreeParameter], settings: AbcSettings,
                    evaluator: ParticleEvaluator,
                    on_generation: Callable[[list[Generation]], None] | None = None,
                    priors: dict[str, Prior] | None = None,
                    ) -> tuple[list[Generation], str]:
    """The SMC loop; returns the generations and why it stopped."""
    n = settings.population
    first = evaluator.evaluate(prior_proposals(free, n, settings.seed, priors))
    for p in first:
        p.weight = 1.0 / n
    generations = [Generation(0, math.inf, n, first)]
    if on_generation:
        on_generation(generations)
    stopped = f"{settings.generations} generations done"
    for t in range(1, settings.generations):
        old = generations[-1].particles
        epsilon = float(np.quantile([p.distance for p in old], settings.quantile))
        cov = kernel_covariance(free, old)
        accepted: list[Particle] = []
        proposed = 0
        for batch in range(settings.max_batches):
            proposals = kernel_proposals(free, old, cov, n, settings.seed, t, batch)
            proposed += len(proposals)
            accepted += [p for p in evaluator.evaluate(proposals) if p.distance <= epsilon]
            if len(accepted) >= n:
                break
        accepted = accepted[:n]
        if len(accepted) < max(2, n // 4):
            stopped = (f"generation {t} accepted {len(accepted)} of {proposed} proposals "
                       f"(ε = {epsilon:.3g}); generation {t - 1} stands")
            break
        for p, w in zip(accepted, weights(free, accepted, old, cov, priors), strict=True):
            p.weight = float(w)
        generations.append(Generation(t, epsilon, proposed, accepted))
        if on_generation:
            on_generation(generations)
        if epsilon == 0:
            stopped = f"ε reached 0 in generation {t} (every calibration target met)"
            break
    return generations, stopped


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    """Quantiles of ``x`` under weights ``w`` (inverse of the weighted empirical CDF)."""
    keep = w > 0
    order = np.argsort(x[keep], kind="stable")
    x, w = x[keep][order], w[keep][order] / w[keep].sum()
    cdf = np.cumsum(w) - w / 2
    return [float(np.interp(q, cdf, x)) for q in qs]


def credible_intervals(free: list[FreeParameter], gen: Generation,
                       level: float = CREDIBLE) -> dict[str, dict[str, float]]:
    """Weighted mean, median and the central ``level`` interval of each parameter (with the
    prior's range)."""
    w = np.array([p.weight for p in gen.particles])
    out = {}
    tail = (1 - level) / 2
    for f in free:
        x = np.array([float(p.values[f.name]) for p in gen.particles])
        lo, median, hi = weighted_quantiles(x, w, [tail, 0.5, 1 - tail])
        out[f.name] = {"mean": float(np.sum(w * x) / w.sum()), "median": median, "lo": lo,
                       "hi": hi, "prior_low": f.low, "prior_high": f.high}
    return out


def population_frame(generations: list[Generation]) -> pd.DataFrame:
    """One row per particle: generation, particle, the values, weight, distance, met, seed."""
    rows = [{"generation": g.index, "particle": i, **p.values, "weight": p.weight,
             "distance": p.distance, "met": p.met, "seed": p.seed}
            for g in generations for i, p in enumerate(g.particles)]
    return pd.DataFrame(rows)


def posterior_predictive(scenario: Scenario, target_set: TargetSet, gen: Generation,
                         settings: AbcSettings, *, executor: Any, workers: int,
                         ) -> list[dict[str, Any]]:
    """Every target (calibration and held back) at ``ppc_draws`` posterior draws with fresh
    seeds: the spread of the simulated statistic across draws and the share that meets it."""
    rng = _rng(settings.seed, 10**6)
    w = np.array([p.weight for p in gen.particles])
    picks = rng.choice(len(gen.particles), size=settings.ppc_draws, p=w / w.sum())
    draws = [(gen.particles[int(i)].values, _seed(rng)) for i in picks]
    targets = list(target_set.targets)
    under = scenario_under(scenario)
    sim, setting = simulate(targets, workers=workers, executor=executor,
                            variants=[{**under, **values} for values, _ in draws],
                            seeds=[seed for _, seed in draws])
    rows = []
    for t in targets:
        judged = [judge(t, sim, setting[(v, t.id)], seed=seed)
                  for v, (_, seed) in enumerate(draws)]
        stats = np.array([r.simulated for r in judged], dtype=float)
        defined = stats[np.isfinite(stats)]
        lo, median, hi = (np.quantile(defined, [0.05, 0.5, 0.95]) if len(defined)
                          else (math.nan,) * 3)
        band = t.expectation.band()
        rows.append({"id": t.id, "role": t.role, "quantity": t.label,
                     "expected": t.expectation.text,
                     "expected_band": [_finite(b) if b is not None else None for b in band],
                     "median": float(median), "lo": float(lo), "hi": float(hi),
                     "met_share": float(np.mean([r.passed for r in judged])),
                     "draws": len(judged),
                     "simulated_draws": [_finite(float(x)) for x in stats]})
    return rows


def calibrate_abc(scenario: Scenario, target_set: TargetSet, free: list[FreeParameter], *,
                  settings: AbcSettings | None = None, workers: int = 1, executor: Any = None,
                  out: str | Path | None = "results",
                  progress: Progress | None = None) -> AbcResult:
    """ABC-SMC over ``free`` against the calibration targets of ``target_set``; then the
    posterior predictive check of every target. Writes the outputs under ``out`` (resumable)."""
    from impl_sim.experiment.runner import as_executor, executor_session

    settings = settings or AbcSettings()
    settings.check()
    free, priors = apply_priors(free, target_set.priors, target_set.source)
    targets = target_set.with_role("calibration")
    if not targets:
        raise ScenarioError(target_set.source, "targets", "no target has role: calibration; "
                            "mark the targets to fit with role: calibration")
    directory = None
    if out is not None:
        name = f"{scenario.name}-abc-{abc_fingerprint(scenario, targets, free, settings, priors)}"
        directory = Path(out) / "calibration" / name
        directory.mkdir(parents=True, exist_ok=True)
    cache = CalibrationCache(directory / "evaluations.jsonl" if directory else None)
    ex = as_executor(executor, workers=workers)
    wall, cpu = time.perf_counter(), time.process_time()
    with executor_session(ex):
        evaluator = ParticleEvaluator(scenario, targets, executor=ex, workers=workers,
                                      cache=cache, progress=progress)
        evaluator.expected = settings.population * (2 * settings.generations - 1)
        save = (lambda gens: _write_populations(directory, gens)) if directory else None
        generations, stopped = run_generations(free, settings, evaluator, save, priors)
        predictive = posterior_predictive(scenario, target_set, generations[-1], settings,
                                          executor=ex, workers=workers)
    result = AbcResult(free, settings, generations, credible_intervals(free, generations[-1]),
                       predictive, directory, evaluator.evaluated, evaluator.cache_hits,
                       evaluator.runs, time.process_time() - cpu, time.perf_counter() - wall,
                       stopped, priors=priors)
    if directory is not None:
        result.files = write_outputs(result, scenario, target_set)
    return result


# --- outputs -------------------------------------------------------------------------------


def _write_populations(directory: Path, generations: list[Generation]) -> None:
    from impl_sim.experiment.store import atomic_write_bytes

    frame = population_frame(generations)
    atomic_write_bytes(directory / "populations.parquet", frame.to_parquet(index=False))


def write_outputs(result: AbcResult, scenario: Scenario, target_set: TargetSet) -> list[Path]:
    """posterior.parquet, populations.parquet, abc.json, posterior_predictive.csv,
    marginals.png, pairs.png, predictive.png."""
    from impl_sim.experiment.provenance import provenance
    from impl_sim.experiment.store import atomic_write_bytes

    directory = result.directory
    assert directory is not None
    posterior = directory / POSTERIOR_FILE
    atomic_write_bytes(posterior, result.posterior_frame().to_parquet(index=False))
    _write_populations(directory, result.generations)
    summary = {
        "method": "ABC-SMC (adaptive quantile tolerance, Gaussian kernel 2×cov)",
        "scenario": scenario.name, "scenario_hash": scenario.hash(),
        "targets": target_set.source,
        "calibration_targets": [t.id for t in target_set.with_role("calibration")],
        "free": [asdict(f) for f in result.free],
        "prior": {f.name: result.priors[f.name].text() if f.name in result.priors
                  else f"uniform on {f.low:g}–{f.high:g}" for f in result.free},
        "distance": DISTANCE_TEXT,
        "settings": asdict(result.settings), "stopped": result.stopped,
        "schedule": [{"generation": g.index, "epsilon": _finite(g.epsilon),
                      "proposed": g.proposed, "accepted": len(g.particles),
                      "acceptance": _finite(g.acceptance), "ess": _finite(g.ess)}
                     for g in result.generations],
        "credible_level": CREDIBLE, "intervals": result.intervals,
        "posterior_predictive": result.predictive,
        "evaluations": result.evaluations, "cache_hits": result.cache_hits,
        "runs": result.runs, "cpu_seconds": round(result.cpu_seconds, 1),
        "wall_seconds": round(result.wall_seconds, 1), "provenance": provenance(),
    }
    summary_path = directory / "abc.json"
    atomic_write_bytes(summary_path, json.dumps(summary, indent=2, default=str).encode())
    table = directory / "posterior_predictive.csv"
    columns = ["id", "role", "quantity", "expected", "median", "lo", "hi", "met_share", "draws"]
    atomic_write_bytes(table, pd.DataFrame(result.predictive)[columns]
                       .to_csv(index=False).encode())
    return [posterior, directory / "populations.parquet", summary_path, table,
            plot_marginals(result, directory / "marginals.png"),
            plot_pairs(result, directory / "pairs.png"),
            plot_predictive(result, directory / "predictive.png")]


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def plot_predictive(result: AbcResult, path: Path) -> Path:
    """The posterior predictive check: per target, the simulated statistic at each posterior
    draw against what the study saw (its band, or the side of ``than``)."""
    from impl_sim.analysis.figures import pyplot, save_with_caption

    plt = pyplot()
    rows = result.predictive
    cols = min(3, len(rows))
    n_rows = math.ceil(len(rows) / cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(3.6 * cols, 2.3 * n_rows + 0.9),
                             squeeze=False)
    for ax in axes.ravel()[len(rows):]:
        ax.set_visible(False)
    rng = np.random.default_rng(0)  # vertical jitter only; fixed so figures are reproducible
    for ax, row in zip(axes.ravel(), rows, strict=False):
        lo, hi = row["expected_band"]
        values = np.array([v for v in row["simulated_draws"] if v is not None], dtype=float)
        shown = [v for v in (lo, hi, *values) if v is not None]
        span = (max(shown) - min(shown)) or 1.0
        left, right = min(shown) - 0.15 * span, max(shown) + 0.15 * span
        ax.axvspan(lo if lo is not None else left, hi if hi is not None else right,
                   color="tab:green", alpha=0.18, label="expected")
        ax.scatter(values, rng.uniform(-0.3, 0.3, len(values)), s=14, color="tab:blue",
                   alpha=0.7, label="posterior draws")
        ax.axvline(row["median"], color="tab:blue", lw=1)
        ax.set_xlim(left, right)
        ax.set_ylim(-1, 1)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
        colour = "black" if row["role"] == "calibration" else "tab:purple"
        ax.set_title(f"{row['id']} ({row['role']}): met in {row['met_share']:.0%}",
                     fontsize=8, color=colour)
        ax.set_xlabel(row["quantity"][:48], fontsize=7)
    axes.ravel()[0].legend(fontsize=6, loc="upper left")
    fig.suptitle(f"Posterior predictive check ({result.settings.ppc_draws} posterior draws, "
                 "fresh seeds)")
    caption = ("Each dot is the statistic a target compares, simulated at one posterior draw "
               "(vertical position: jitter only); the line is their median; green: the range "
               "the study's figure allows (a band, or one side of a threshold). Calibration "
               "targets were fitted; validation ones (purple titles) were held back. A "
               "direction target passes only when its whole 95 % interval lies on the stated "
               "side, so 'met in' can be lower than the dots suggest.")
    return save_with_caption(fig, path, caption, width=110, bottom=0.7 / (2.3 * n_rows + 0.9),
                             fontsize=7, dpi=110)


def plot_marginals(result: AbcResult, path: Path) -> Path:
    """Weighted histogram of each parameter's posterior over its prior range, with the 90 %
    credible interval."""
    from impl_sim.analysis.figures import pyplot, save_with_caption

    plt = pyplot()
    frame = result.posterior_frame()
    n = len(result.free)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.2), squeeze=False)
    for ax, f in zip(axes[0], result.free, strict=True):
        ax.hist(frame[f.name], bins=15, range=(f.low, f.high), weights=frame["weight"],
                color="tab:blue", alpha=0.7)
        ci = result.intervals[f.name]
        ax.axvspan(ci["lo"], ci["hi"], color="tab:orange", alpha=0.2)
        ax.axvline(ci["median"], color="tab:orange")
        prior = result.priors.get(f.name)
        if prior is not None:  # the prior's density, scaled to the histogram's total weight
            grid = np.linspace(f.low, f.high, 200)
            width = (f.high - f.low) / 15
            ax.plot(grid, [prior.density(x) * width for x in grid], color="black", lw=1,
                    ls="--", label="prior")
            ax.set_title(prior.text(), fontsize=7)
        ax.set_xlim(f.low, f.high)
        ax.set_xlabel(f.name, fontsize=8)
        ax.set_yticks([])
    fig.suptitle("Posterior of the free parameters, against their prior")
    caption = ("Bars: posterior weight (last ABC-SMC generation); shaded: 90 % credible "
               "interval; line: median; dashed: the prior density (same scale as the bars; "
               "flat for the default uniform prior).")
    return save_with_caption(fig, path, caption, width=100, bottom=0.22, fontsize=7.5, dpi=110)


def plot_pairs(result: AbcResult, path: Path) -> Path:
    """Pair plot of the posterior: correlations between free parameters."""
    from impl_sim.analysis.figures import pyplot, save_with_caption

    plt = pyplot()
    frame = result.posterior_frame()
    free = result.free
    n = len(free)
    fig, axes = plt.subplots(n, n, figsize=(2.6 * n + 1, 2.6 * n + 1), squeeze=False)
    size = 10 + 200 * frame["weight"] / frame["weight"].max()
    for i, fi in enumerate(free):
        for j, fj in enumerate(free):
            ax = axes[i][j]
            if i == j:
                ax.hist(frame[fi.name], bins=15, range=(fi.low, fi.high),
                        weights=frame["weight"], color="tab:blue", alpha=0.7)
                ci = result.intervals[fi.name]
                ax.axvspan(ci["lo"], ci["hi"], color="tab:orange", alpha=0.2)
                ax.set_yticks([])
                ax.set_title(f"{fi.name}: posterior", fontsize=7)
            else:
                ax.scatter(frame[fj.name], frame[fi.name], s=size, alpha=0.5, color="tab:blue")
                ax.set_ylim(fi.low, fi.high)
                ax.set_ylabel(fi.name, fontsize=7)
            ax.set_xlim(fj.low, fj.high)
            ax.set_xlabel(fj.name, fontsize=7)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior pairs (point size: weight)")
    caption = ("Off the diagonal: each point is a particle of the last generation, sized by its "
               "weight (a tilted cloud: the two parameters trade off). On the diagonal: the "
               "weighted marginal with its 90 % credible interval shaded. Axes span the prior "
               "ranges.")
    return save_with_caption(fig, path, caption, width=100, bottom=0.1, fontsize=7.5, dpi=110)


# --- predictions with parameter uncertainty --------------------------------------------------


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter draws read back from an ABC output folder."""

    source: Path
    names: list[str]
    values: list[dict[str, Any]]
    weights: np.ndarray

    def digest(self) -> str:
        blob = json.dumps([self.names, self.values, self.weights.round(12).tolist()],
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:10]

    def draw(self, scenario_seed: int, replication: int) -> dict[str, Any]:
        """The values of replication ``r``: the same in every arm, the same for the same seed,
        independent between replications."""
        rng = _rng(scenario_seed, replication, 7)  # 7: the posterior-draw stream
        return self.values[int(rng.choice(len(self.values), p=self.weights))]


def load_posterior(directory: str | Path) -> Posterior:
    """Read ``posterior.parquet`` from an ABC output folder (or the file itself)."""
    path = Path(directory)
    file = path / POSTERIOR_FILE if path.is_dir() else path
    if not file.exists():
        raise ScenarioError(str(path), "--posterior", f"no {POSTERIOR_FILE} here; expected the "
                            "folder `impl-sim calibrate --method abc` printed")
    frame = pd.read_parquet(file)
    fixed = {"generation", "particle", "weight", "distance", "met", "seed"}
    names = [c for c in frame.columns if c not in fixed]
    if not names or "weight" not in frame or not len(frame):
        raise ScenarioError(str(file), "--posterior", "not an ABC posterior (no parameter or "
                            "weight columns)")
    w = frame["weight"].to_numpy(dtype=float)
    values = [{n: _plain(row[n]) for n in names} for _, row in frame.iterrows()]
    return Posterior(file, names, values, w / w.sum())


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


def posterior_tasks(scenario: Scenario, posterior: Posterior) -> list:
    """The scenario's tasks with each replication's parameters drawn from the posterior (laid
    over the scenario's base and strategies, under each arm's own settings)."""
    from impl_sim.experiment.runner import Task

    tasks = []
    keep = bool(scenario.outputs.get("series", True))
    events = bool(scenario.outputs.get("events", False))
    for arm in scenario.arms:
        for r in range(scenario.replications):
            overrides = {**scenario.base, **scenario.strategies, **posterior.draw(scenario.seed, r),
                         **scenario.arms[arm],
                         "simulation.horizon_months": scenario.horizon_months}
            tasks.append(Task(len(tasks), 0, arm, r, overrides, scenario.seed, keep, events))
    return tasks


def run_with_posterior(scenario: Scenario, posterior_dir: str | Path, *,
                       out: str | Path | None = "results", workers: int = 1,
                       executor: Any = None, progress: Progress | None = None):
    """Run ``scenario`` with every replication's free parameters drawn from an ABC posterior;
    the drawn values are columns of the summary. Resumable like ``impl-sim run``."""
    from impl_sim.experiment.runner import as_executor, run_tasks
    from impl_sim.experiment.store import ResultStore

    if scenario.design is not None:
        raise ScenarioError(scenario.source, "design", "--posterior runs a scenario without a "
                            "design block (the posterior supplies the varied parameters)")
    posterior = load_posterior(posterior_dir)
    named = scenario.with_changes(name=f"{scenario.name[:60]}-posterior-{posterior.digest()}")
    tasks = posterior_tasks(named, posterior)
    store = ResultStore.open(named, out, tasks=tasks)
    store.design_names = list(posterior.names)
    store.manifest.update(design_parameters=list(posterior.names),
                          posterior={"source": str(posterior.source),
                                     "digest": posterior.digest(),
                                     "rule": "replication r draws one particle by weight with "
                                     "SeedSequence(scenario_seed, spawn_key=(r, 7)); the same "
                                     "draw in every arm"})
    try:
        run_tasks(store.tasks, as_executor(executor, workers=workers), cache=store,
                  progress=progress, keep=False,
                  on_start=lambda e: store.begin_session(e.describe()))
    finally:
        store.finish()
        store.close()  # the folder's lock
    return store.load()
