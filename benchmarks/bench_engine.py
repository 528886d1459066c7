"""Engine figures for issue 16, as ratios measured in one process (never pass/fail).

Prints the load average, then:

* µs of CPU per therapist-month of the per-run model ÷ a trivial Mesa agent step, at 40, 1,000
  and 10,000 therapists (interleaved repeats, medians of CPU time);
* CPU seconds and peak RSS of one national run (10,200 therapists × 120 months) with BLAS
  threads unpinned and pinned to one (threadpoolctl).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_engine.py [--repeats 5] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

from bench_core import _params, _TrivialModel, load_average_text
from threadpoolctl import threadpool_limits

from impl_sim import run_one


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def ratio_to_mesa(services: int, per_service: int, months: int, repeats: int,
                  ) -> tuple[float, float]:
    """Median µs of CPU per therapist-month: (impl-sim per run, trivial Mesa), interleaved."""
    n = services * per_service
    params = _params(services, per_service, months)
    ours, theirs = [], []
    for seed in range(repeats):
        ours.append(_cpu(lambda s=seed: run_one(params, seed=s, keep_series=False)))

        def trivial() -> None:
            model = _TrivialModel(n)
            for _ in range(months):
                model.step()

        theirs.append(_cpu(trivial))
    scale = 1e6 / (n * months)
    return statistics.median(ours) * scale, statistics.median(theirs) * scale


def national_cpu(threads: int | None) -> float:
    """CPU seconds of one national run (600 services × 17 therapists × 120 months)."""
    params = _params(600, 17, 120)
    if threads is None:
        return _cpu(lambda: run_one(params, seed=1, keep_series=True))
    with threadpool_limits(limits=threads):
        return _cpu(lambda: run_one(params, seed=1, keep_series=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats per scale")
    parser.add_argument("--quick", action="store_true", help="skip 10,000 and the national run")
    args = parser.parse_args()
    run_one(_params(4, 10, 12), seed=0)  # warm imports and caches
    load = load_average_text()
    print(f"impl-sim engine benchmark (CPU time, one process; load average {load} on "
          f"{os.cpu_count()} CPUs)")
    scales = [(4, 10, 60, max(3, args.repeats * 4)), (100, 10, 60, args.repeats)]
    if not args.quick:
        scales.append((1000, 10, 24, max(2, args.repeats // 2)))
    for services, per_service, months, repeats in scales:
        ours, theirs = ratio_to_mesa(services, per_service, months, repeats)
        print(f"  per run, {services * per_service:,} therapists × {months} months: "
              f"{ours:7.2f} µs/therapist-month ÷ trivial Mesa {theirs:5.2f} µs = "
              f"{ours / theirs:5.1f}× ({repeats} interleaved repeats)")
    if not args.quick:
        free, pinned = national_cpu(None), national_cpu(1)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(f"  national run (10,200 therapists × 120 months): {free:.2f} s CPU with BLAS "
              f"threads unpinned, {pinned:.2f} s pinned to 1 ({free / pinned:.2f}×); "
              f"peak RSS of this process {rss:.0f} MiB")
    print("  not yet measured (no stacked engine yet): stacked figures, What-if 2×20, "
          "Sobol projection, 2 workers vs 1")


if __name__ == "__main__":
    main()
