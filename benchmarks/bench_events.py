"""Cost of the event log (issue 10). Timing and memory only; not part of the tests.

* ``national``: one national-size run (600 services × 17 = 10,200 therapists × 120 months) with
  the event log on, in a fresh process: wall time, events written, and the process's peak RSS
  (must stay ≤ 2 GiB).
* ``overhead``: a sweep-sized run (the default 4 × 10 world, 60 months) with events *off*
  compared with the recorder removed altogether, and with events *on*: CPU time
  (``time.process_time``) of interleaved pairs in one process, median of the per-pair ratios
  (the off/removed ratio must stay ≤ 1.05).

    python benchmarks/bench_events.py national
    python benchmarks/bench_events.py overhead --pairs 40
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from impl_sim.experiment.runner import run_one
from impl_sim.model import model as model_module
from impl_sim.params import Params


class _NoRecorder:
    """Stand-in for the event log with nothing behind it (the code before issue 10)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def observe(self, *args) -> None:
        pass

    def left(self, *args) -> None:
        pass

    def leaders_appointed(self, *args) -> None:
        pass


def national() -> None:
    params = Params.from_overrides({"services.count": 600, "services.therapists_per_service": 17,
                                    "simulation.horizon_months": 120})
    start = time.perf_counter()
    result = run_one(params, seed=1, keep_series=True, keep_events=True)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    n_events = len(result.events["month"])
    size = sum(c.nbytes for c in result.events.values()) / 2**20
    print(f"national run with events: {seconds:.1f} s wall, {n_events:,} events "
          f"({size:.1f} MiB of columns), peak RSS {rss:.0f} MiB")


def _cpu(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def overhead(pairs: int) -> None:
    params = Params()
    real = model_module.EventLog
    ratios_off, ratios_on = [], []

    def removed(seed: int) -> None:
        model_module.EventLog = _NoRecorder
        try:
            run_one(params, seed=seed, keep_series=False)
        finally:
            model_module.EventLog = real

    for seed in range(pairs):  # interleaved: the machine's load hits every variant alike
        base = _cpu(lambda s=seed: removed(s))
        off = _cpu(lambda s=seed: run_one(params, seed=s, keep_series=False))
        on = _cpu(lambda s=seed: run_one(params, seed=s, keep_series=False, keep_events=True))
        ratios_off.append(off / base)
        ratios_on.append(on / base)
    print(f"{pairs} interleaved triples, CPU time relative to no recorder: events off "
          f"×{statistics.median(ratios_off):.3f} (median; quartiles "
          f"{statistics.quantiles(ratios_off, n=4)[0]:.3f}–"
          f"{statistics.quantiles(ratios_off, n=4)[2]:.3f}), events on "
          f"×{statistics.median(ratios_on):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("national", "overhead"))
    parser.add_argument("--pairs", type=int, default=40)
    args = parser.parse_args()
    if args.what == "national":
        national()
    else:
        overhead(args.pairs)


if __name__ == "__main__":
    main()
