"""Engine figures for issue 16, as ratios measured in one process (never pass/fail).

Prints the load average, then (CPU time of this process unless said otherwise, BLAS pinned to
one thread as in the workers; interleaved repeats, medians):

* µs of CPU per therapist-month ÷ a trivial Mesa agent step, at 40, 1,000 and 10,000
  therapists: per run (``run_one``) and stacked (``run_stack`` of a stack of replications);
* the kernels: per run with ``IMPL_SIM_KERNELS=numpy`` ÷ ``numba`` (same results, see
  tests/experiment/test_kernels.py);
* CPU seconds and peak RSS of one national run (10,200 therapists × 120 months) called with
  BLAS threads unpinned and pinned to one (threadpoolctl; every run pins itself since issue 16,
  so the two should agree);
* the dashboard's What-if compute: 2 sides × 20 futures at seed scale, cold cache;
* a Sobol projection: CPU per run of a sample of the shipped sensitivity study's runs, projected
  to the 20-parameter, N = 512, 5-replication, 2-arm study (112,640 runs) on 2 cores;
* 2 worker processes ÷ 1 on a seed-scale sweep (wall clock: the only figure here that is;
  read it with the load average), projected to a 2,000-run sweep.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_engine.py [--repeats 5] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_core import _params, _TrivialModel, load_average_text
from threadpoolctl import threadpool_limits

from impl_sim import parse_scenario, run_one, run_scenario
from impl_sim.experiment.runner import run_chunk, run_stack, scenario_tasks
from impl_sim.experiment.threads import pin_threads
from impl_sim.model import kernels
from impl_sim.scenario.loader import load_scenario
from impl_sim.shipped import scenario_path

SOBOL_RUNS = 512 * (20 + 2) * 5 * 2  # N (D + 2) points × 5 replications × 2 arms = 112,640
SWEEP_RUNS = 2000
STACK_WORLDS = 20  # replications per stack at 40 and 1,000 therapists


def _cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def _trivial(n: int, months: int) -> None:
    model = _TrivialModel(n)
    for _ in range(months):
        model.step()


def engine_ratios(services: int, per_service: int, months: int, repeats: int, worlds: int,
                  ) -> tuple[float, float, float]:
    """Median µs of CPU per therapist-month: (per run, stacked, trivial Mesa), interleaved.

    Per run and stacked compute the same ``worlds`` worlds (replications 0 … worlds − 1 of
    one seed per repeat): ``run_one`` for each, then one ``run_stack`` of all."""
    n = services * per_service
    params = _params(services, per_service, months)
    per_run, stacked, mesa = [], [], []
    reps = list(range(worlds))
    for seed in range(repeats):
        per_run.append(_cpu(lambda s=seed: [run_one(params, s, r, keep_series=False)
                                            for r in reps]) / worlds)
        stacked.append(_cpu(lambda s=seed: run_stack(
            [params] * worlds, [s] * worlds, reps, keep_series=False)) / worlds)
        mesa.append(_cpu(lambda: _trivial(n, months)))
    scale = 1e6 / (n * months)
    return (statistics.median(per_run) * scale, statistics.median(stacked) * scale,
            statistics.median(mesa) * scale)


def kernel_ratio(services: int, per_service: int, months: int, repeats: int,
                 ) -> tuple[float, float]:
    """Median CPU ms per run with the numpy and the numba kernels, interleaved."""
    params = _params(services, per_service, months)
    times: dict[str, list[float]] = {name: [] for name in kernels.BACKENDS}
    saved = os.environ.get(kernels.KERNELS_ENV)
    try:
        for rep in range(repeats):
            for name in kernels.BACKENDS:
                os.environ[kernels.KERNELS_ENV] = name
                times[name].append(_cpu(lambda r=rep: run_one(params, seed=r,
                                                              keep_series=False)))
    finally:
        if saved is None:
            os.environ.pop(kernels.KERNELS_ENV, None)
        else:
            os.environ[kernels.KERNELS_ENV] = saved
    return tuple(1e3 * statistics.median(times[name]) for name in kernels.BACKENDS)


def national_cpu(threads: int | None) -> float:
    """CPU seconds of one national run (600 services × 17 therapists × 120 months)."""
    params = _params(600, 17, 120)
    if threads is None:
        return _cpu(lambda: run_one(params, seed=1, keep_series=True))
    with threadpool_limits(limits=threads):
        return _cpu(lambda: run_one(params, seed=1, keep_series=True))


def whatif_cpu(repeats: int) -> float:
    """Median CPU seconds of the dashboard's first What-if (2 × 20 futures), cold cache,
    serial in this process (``run_ensemble`` without the shared pool)."""
    from impl_sim.dashboard.ensemble import clear_cache, first_whatif, run_ensemble

    whatif = first_whatif()
    times = []
    for _ in range(repeats):
        clear_cache()
        times.append(_cpu(lambda: run_ensemble(whatif)))
    return statistics.median(times)


def sobol_cpu_per_run(runs: int) -> tuple[float, int]:
    """CPU seconds per run of the first ``runs`` runs of the shipped Sobol study (stacked
    engine, summaries only, as a design keeps them), and its number of parameters."""
    scenario = load_scenario(scenario_path("sensitivity_determinants"))
    tasks = scenario_tasks(scenario)[:runs]
    return _cpu(lambda: run_chunk(tasks)) / len(tasks), len(scenario.design.parameters)


def sweep_wall(runs: int, workers: int) -> float:
    """Wall seconds of a seed-scale LHS sweep of ``runs`` runs on ``workers`` processes."""
    scenario = parse_scenario({
        "name": f"bench-engine-{workers}", "replications": 4, "seed": 1,
        "design": {"method": "lhs", "samples": max(1, runs // 4), "parameters": {
            "therapists.motivation_mean": [0.4, 0.8], "therapists.annual_turnover": [0.2, 0.4]}},
    }, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_scenario(scenario, out=Path(tmp), executor="processes", workers=workers)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats per scale")
    parser.add_argument("--quick", action="store_true",
                        help="skip 10,000 therapists, the national run and the 2-worker sweep")
    parser.add_argument("--sweep-runs", type=int, default=240,
                        help="runs of the 1-vs-2-worker sweep (seed scale)")
    args = parser.parse_args()
    run_one(_params(4, 10, 12), seed=0)  # warm imports, caches and the compiled kernels
    national = None if args.quick else (national_cpu(None), national_cpu(1))
    pin_threads(1)  # every other figure on one BLAS thread, as in the workers
    print(f"impl-sim engine benchmark (CPU time, one process; load average "
          f"{load_average_text()} on {os.cpu_count()} CPUs; kernels: {kernels.backend()})")
    scales = [(4, 10, 60, max(3, args.repeats), STACK_WORLDS),
              (100, 10, 60, max(2, args.repeats // 2), STACK_WORLDS // 4)]
    if not args.quick:
        scales.append((1000, 10, 24, max(2, args.repeats // 2), 2))
    for services, per_service, months, repeats, worlds in scales:
        per_run, stacked, mesa = engine_ratios(services, per_service, months, repeats, worlds)
        print(f"  {services * per_service:>6,} therapists × {months} months: per run "
              f"{per_run:6.2f} µs/therapist-month = {per_run / mesa:5.1f}× trivial Mesa "
              f"({mesa:.2f} µs); stacked ({worlds} worlds) {stacked:6.2f} µs = "
              f"{stacked / mesa:5.1f}× ({repeats} interleaved repeats)")
    if kernels.numba_available():
        sizes = [(4, 10, 60), (100, 10, 60)] + ([] if args.quick else [(600, 17, 24)])
        for services, per_service, months in sizes:
            numpy_ms, numba_ms = kernel_ratio(services, per_service, months, args.repeats)
            print(f"  kernels, {services * per_service:,} therapists: numpy {numpy_ms:.1f} ms "
                  f"per run ÷ numba {numba_ms:.1f} ms = {numpy_ms / numba_ms:.2f}×")
    else:
        print("  kernels: numba not installed (pip install impl-sim[fast]); numpy only")
    if national is not None:
        free, pinned = national
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(f"  national run (10,200 therapists × 120 months): {free:.2f} s CPU called with "
              f"BLAS threads unpinned, {pinned:.2f} s pinned to 1 ({free / pinned:.2f}×; runs "
              f"pin themselves, so ≈ 1); peak RSS of this process {rss:.0f} MiB")
    print(f"  What-if 2 × 20 futures (seed scale, cold cache, serial): "
          f"{whatif_cpu(max(1, args.repeats // 2)):.2f} s CPU (target 0.2 s)")
    per_run_s, n_params = sobol_cpu_per_run(40)
    minutes = SOBOL_RUNS * per_run_s / 2 / 60
    print(f"  Sobol projection: {1e3 * per_run_s:.1f} ms CPU per run (40 runs of the shipped "
          f"{n_params}-parameter study) → {SOBOL_RUNS:,} runs on 2 cores ≈ {minutes:.0f} min "
          "if 2 workers scale perfectly (target ≤ 10)")
    if not args.quick:
        one = sweep_wall(args.sweep_runs, 1)
        two = sweep_wall(args.sweep_runs, 2)
        print(f"  sweep of {args.sweep_runs} seed-scale runs, wall clock: 1 worker {one:.1f} s, "
              f"2 workers {two:.1f} s → {one / two:.2f}× (target ≥ 1.9×; load average now "
              f"{load_average_text()}); {SWEEP_RUNS:,} runs on 2 workers ≈ "
              f"{two * SWEEP_RUNS / args.sweep_runs / 60:.1f} min")


if __name__ == "__main__":
    main()
