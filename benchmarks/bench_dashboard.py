"""Dashboard refresh time: 2 arms × 20 replications at seed scale (40 therapists, 60 months).

Prints figures; asserts nothing (timing never decides a test). Target: a refresh ≤ 2 s.

    .venv/bin/python benchmarks/bench_dashboard.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from dataclasses import replace

from impl_sim.dashboard.ensemble import Arm, clear_cache, first_whatif, run_ensemble
from impl_sim.dashboard.figures import difference_figure, whatif_figure
from impl_sim.dashboard.sentences import sentences

TARGET_SECONDS = 2.0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    whatif = first_whatif()
    changed_b = replace(whatif, b=Arm("protected_time", {
        "strategies.protected_time.enabled": True}))

    cold, warm_b, draw = [], [], []
    for _ in range(args.repeats):
        clear_cache()
        cold.append(_timed(lambda: run_ensemble(whatif)))
        # the usual interaction: change B only; A's 20 runs come from the cache
        warm_b.append(_timed(lambda: run_ensemble(changed_b)))
        ens = run_ensemble(changed_b)
        draw.append(_timed(lambda e=ens: (whatif_figure(e).savefig(io.BytesIO(), format="svg"),
                                          difference_figure(e).savefig(io.BytesIO(),
                                                                       format="svg"),
                                          sentences(e), e.mean_table())))
    runs = 2 * whatif.replications
    print(f"what-if refresh, {runs} runs (2 × {whatif.replications}), 40 therapists × "
          f"{whatif.horizon_months} months; median of {args.repeats}")
    for label, times in (("cold (no cached runs)", cold), ("change B only (A cached)", warm_b),
                         ("figures + sentences + table", draw)):
        print(f"  {label:30s} {statistics.median(times):6.2f} s   (min {min(times):.2f})")
    total = statistics.median(cold) + statistics.median(draw)
    print(f"  cold refresh incl. drawing     {total:6.2f} s   target ≤ {TARGET_SECONDS:.0f} s: "
          f"{'met' if total <= TARGET_SECONDS else 'NOT met'}")
    print(f"  per run                        {1000 * statistics.median(cold) / runs:6.1f} ms")


if __name__ == "__main__":
    main()
