"""Sweep throughput: runs/s on 1 and 2 worker processes (speed-up), dask LocalCluster
overhead, and the projected wall time of a large Sobol study on 2 cores.

    python benchmarks/bench_sweep.py [--runs 96]

Prints figures only; nothing here is a pass/fail test. Runs are "seed scale" as issue 16
measures it: 4 services × 10 therapists (the default world has 10 services), 60 months,
summaries only (series off, as for designs). Targets from issue 16: 2 workers ≥ 1.9× one,
the 112,640-run Sobol study ≤ 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from impl_sim import Params, parse_scenario, run_one, run_scenario

SOBOL_PARAMETERS, SOBOL_N, SOBOL_REPLICATIONS, SOBOL_ARMS = 20, 512, 5, 2
TARGET_SPEEDUP, TARGET_MINUTES = 1.9, 10.0
SEED_SCALE_SERVICES = 4  # × 10 posts = 40 therapists, the seed documents' cohort


def seed_scale_scenario(runs: int, name: str) -> object:
    """An LHS design with ``runs`` runs (runs/4 points × 4 replications) at seed scale."""
    return parse_scenario({
        "name": name, "replications": 4, "seed": 1,
        "base": {"services.count": SEED_SCALE_SERVICES},
        "design": {"method": "lhs", "samples": max(1, runs // 4), "parameters": {
            "therapists.motivation_mean": [0.4, 0.8], "therapists.annual_turnover": [0.2, 0.4]}},
    }, name)


def time_sweep(runs: int, executor: str, workers: int) -> tuple[float, float]:
    """(wall seconds including start-up, steady seconds per run after the first stored part)."""
    progress: list[tuple[float, int]] = []
    scenario = seed_scale_scenario(runs, f"bench-{executor}-{workers}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_scenario(scenario, out=Path(tmp), executor=executor, workers=workers,
                     progress=lambda done, total: progress.append((time.perf_counter(), done)))
        wall = time.perf_counter() - start
    (t_first, done_first), (t_last, done_last) = progress[1], progress[-1]
    return wall, (t_last - t_first) / max(done_last - done_first, 1)


def store_overhead_per_run(per_chunk: int = 64, chunks: int = 10) -> float:
    """Seconds the results store adds per run (tables + checksummed Parquet part), measured on
    stored copies of one real result."""
    from impl_sim.experiment.runner import run_task, scenario_tasks
    from impl_sim.experiment.store import ResultStore

    scenario = seed_scale_scenario(per_chunk * chunks, "bench-store")
    tasks = scenario_tasks(scenario)
    result = run_task(tasks[0])[1]
    with tempfile.TemporaryDirectory() as tmp:
        store = ResultStore.open(scenario, Path(tmp))
        start = time.perf_counter()
        for chunk in store.pending_chunks():
            store.write_chunk([(t, result) for t in chunk])
        return (time.perf_counter() - start) / len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=96, help="runs per timed sweep")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    print(f"cores: {os.cpu_count()}; load average before: {load:.2f} (other work on the machine "
          "lowers the parallel figures)")
    params = Params.from_overrides({"services.count": SEED_SCALE_SERVICES})
    run_one(params, seed=0, keep_series=False)  # warm caches and imports
    n = 20
    start = time.perf_counter()
    for r in range(n):
        run_one(params, seed=1, replication=r, keep_series=False)
    per_run = (time.perf_counter() - start) / n
    print(f"one seed-scale run (in process, no store): {per_run * 1000:.1f} ms")

    print(f"results store overhead: {store_overhead_per_run() * 1000:.2f} ms per run")

    results = {}
    for executor, workers in (("serial", 1), ("processes", 1), ("processes", 2), ("dask", 2)):
        wall, per = time_sweep(args.runs, executor, workers)
        results[executor, workers] = (wall, per)
        print(f"{executor:>9} × {workers}: {args.runs} runs in {wall:6.2f} s wall "
              f"({args.runs / wall:5.1f} runs/s); after start-up {1 / per:5.1f} runs/s")

    one, two = results["processes", 1], results["processes", 2]
    print(f"speed-up 2 vs 1 processes: {one[0] / two[0]:.2f} (wall), {one[1] / two[1]:.2f} "
          f"(after start-up); target ≥ {TARGET_SPEEDUP}")
    print(f"dask LocalCluster vs processes (2 workers): {results['dask', 2][0] - two[0]:+.2f} s "
          f"wall for {args.runs} runs; after start-up {results['dask', 2][1] / two[1]:.2f} × "
          "the time per run")

    runs = SOBOL_N * (SOBOL_PARAMETERS + 2) * SOBOL_REPLICATIONS * SOBOL_ARMS
    startup = two[0] - two[1] * args.runs
    projected = runs * two[1] + max(startup, 0.0)
    print(f"Sobol study: {SOBOL_PARAMETERS} parameters, N = {SOBOL_N}, "
          f"{SOBOL_REPLICATIONS} replications, {SOBOL_ARMS} arms = {runs:,} runs")
    print(f"projected wall time on 2 cores: {projected / 60:.1f} min at {1 / two[1]:.1f} runs/s "
          f"(target ≤ {TARGET_MINUTES:.0f} min, which needs "
          f"{runs / (TARGET_MINUTES * 60):.0f} runs/s, i.e. ≤ "
          f"{2 * TARGET_MINUTES * 60 / runs * 1000:.1f} ms per run per core)")

if __name__ == "__main__":
    main()
