"""Timing of the core model (printed figures; never part of the tests).

Prints, in one process:

* µs per therapist-month of impl-sim and of a trivial Mesa model whose agents each do one float
  update per step (``model.agents.shuffle_do("step")``), and their ratio, at seed scale
  (40 therapists) and at a larger scale (1,000 therapists): a vectorised model has a fixed cost
  per month that dominates when there are few therapists;
* ms per seed-scale run (40 therapists × 60 months; median of ``--runs`` runs);
* time and peak memory of one national-size run (10,000 therapists = 600 services × 17,
  120 months).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_core.py [--runs 30] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc

import mesa

from impl_sim import Params, run_one


class _FloatAgent(mesa.Agent):
    """The least an agent can do: one float update per step."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.value = 0.0

    def step(self) -> None:
        self.value = 0.9 * self.value + 0.1


class _TrivialModel(mesa.Model):
    def __init__(self, n_agents: int, seed: int = 0) -> None:
        super().__init__(rng=seed)
        for _ in range(n_agents):
            _FloatAgent(self)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def _median_seconds(fn, runs: int, cpu: bool = False) -> float:
    """Median wall-clock (or, with ``cpu``, process CPU) seconds of ``runs`` calls."""
    clock = time.process_time if cpu else time.perf_counter
    times = []
    for _ in range(runs):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def _params(services: int, per_service: int, horizon: int) -> Params:
    return Params.from_overrides({
        "services.count": services, "services.therapists_per_service": per_service,
        "simulation.horizon_months": horizon,
    })


def per_therapist_month(services: int, per_service: int, horizon: int, runs: int,
                        ) -> tuple[float, float]:
    """µs per therapist-month: (impl-sim, trivial Mesa), medians over ``runs`` runs."""
    n = services * per_service
    params = _params(services, per_service, horizon)
    seeds = iter(range(10**6))
    ours = _median_seconds(lambda: run_one(params, seed=next(seeds), keep_series=False), runs)

    def trivial() -> None:
        model = _TrivialModel(n)
        for _ in range(horizon):
            model.step()

    theirs = _median_seconds(trivial, runs)
    scale = 1e6 / (n * horizon)
    return ours * scale, theirs * scale


def national_run(services: int, per_service: int, horizon: int) -> tuple[float, float, float]:
    """(seconds, tracemalloc peak MiB, process max RSS MiB) of one large run."""
    params = _params(services, per_service, horizon)
    start = time.perf_counter()
    run_one(params, seed=1, keep_series=True)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    run_one(params, seed=1, keep_series=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    return seconds, peak / 2**20, rss


def load_average_text() -> str:
    """The 1-, 5- and 15-minute load averages, for the header every benchmark prints."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per median (seed scale)")
    parser.add_argument("--quick", action="store_true", help="skip the national-size run")
    args = parser.parse_args()

    run_one(_params(4, 10, 60), seed=0)  # warm caches and imports
    load = load_average_text()
    print(f"impl-sim core benchmark (medians; one process; load average {load} on "
          f"{os.cpu_count()} CPUs — other work on the machine inflates wall-clock times)")
    for label, services, per_service, runs in (
        ("seed scale, 40 therapists × 60 months", 4, 10, args.runs),
        ("1,000 therapists × 60 months", 100, 10, max(3, args.runs // 6)),
    ):
        ours, theirs = per_therapist_month(services, per_service, 60, runs)
        print(f"  {label}: impl-sim {ours:7.2f} µs/therapist-month, trivial Mesa "
              f"{theirs:5.2f} µs → ratio {ours / theirs:5.1f}× ({runs} runs)")
    params = _params(4, 10, 60)
    seeds = iter(range(10**6))
    ms = 1e3 * _median_seconds(lambda: run_one(params, seed=next(seeds)), args.runs)
    cpu_ms = 1e3 * _median_seconds(lambda: run_one(params, seed=next(seeds)), args.runs, cpu=True)
    print(f"  seed-scale run (40 therapists × 60 months, with series): {ms:.1f} ms median of "
          f"{args.runs} (CPU time {cpu_ms:.1f} ms)")
    if not args.quick:
        seconds, peak, rss = national_run(600, 17, 120)
        print(f"  national run (600 services × 17 = 10,200 therapists × 120 months): "
              f"{seconds:.1f} s, tracemalloc peak {peak:.0f} MiB, max RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
