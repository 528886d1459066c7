"""Dashboard timing: one session's refresh, and a class of 30 asking at once.

Prints figures; asserts nothing (timing never decides a test). At seed scale (40 therapists,
60 months), 2 sides × 20 futures per what-if:

* one session alone, on the server's shared pool: change B and refresh (A cached) —
  target ≤ 1 s; plus drawing figures and sentences;
* 30 concurrent sessions, each a *distinct* what-if (B differs; A is everybody's "today"),
  all submitted at once to the shared pool — every one answered, target median ≤ 20 s and
  none over 60 s on 2 cores. Also reports the CPU time per ensemble (the machine may be
  loaded by other work: compare with the load average printed).

    .venv/bin/python benchmarks/bench_dashboard.py [--sessions 30] [--replications 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from dataclasses import replace

from impl_sim.dashboard.ensemble import Arm, clear_cache, first_whatif, run_ensemble
from impl_sim.dashboard.figures import difference_figure, whatif_figure
from impl_sim.dashboard.pool import SharedPool
from impl_sim.dashboard.sentences import sentences
from impl_sim.dashboard.widgets import figure_html
from impl_sim.experiment.runner import MemoryCache

TARGET_ALONE, TARGET_MEDIAN, TARGET_MAX = 1.0, 20.0, 60.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def worker_pids(pool: SharedPool) -> list[int]:
    executor = pool._executor
    processes = getattr(getattr(executor, "_pool", None), "_processes", None) or {}
    return list(processes)


def distinct_whatif(i: int, replications: int):
    """Session i's what-if: today vs protected time of a distinct dose."""
    base = replace(first_whatif(), replications=replications)
    return base.with_side("b", Arm("", {"strategies.protected_time.enabled": True,
                                        "strategies.protected_time.hours_per_week":
                                            round(0.1 + 0.05 * i, 2)}))


def alone(pool: SharedPool, replications: int) -> None:
    base = replace(first_whatif(), replications=replications)
    run_ensemble(base, executor=pool.executor("warm-up"))  # starts workers, caches A
    times, draw = [], []
    for i in range(3):
        whatif = distinct_whatif(100 + i, replications)
        start = time.perf_counter()
        ens = run_ensemble(whatif, executor=pool.executor("alone"))
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        figure_html(whatif_figure(ens), "")
        figure_html(difference_figure(ens), "")
        sentences(ens)
        draw.append(time.perf_counter() - start)
    refresh = statistics.median(times)
    print(f"one session alone, change B (A cached), 2 × {replications}: "
          f"{refresh:.2f} s median of 3 (target ≤ {TARGET_ALONE:.0f} s: "
          f"{'met' if refresh <= TARGET_ALONE else 'NOT met'}); figures + sentences "
          f"{statistics.median(draw):.2f} s")


def class_of(pool: SharedPool, sessions: int, replications: int) -> None:
    clear_cache()
    latencies: dict[int, float] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(sessions)

    def student(i: int) -> None:
        whatif = distinct_whatif(i, replications)
        barrier.wait()
        start = time.perf_counter()
        try:
            run_ensemble(whatif, executor=pool.executor(f"student-{i}"))
        except BaseException as exc:
            errors.append(exc)
            return
        latencies[i] = time.perf_counter() - start

    cpu_before = cpu_seconds(worker_pids(pool))
    wall = time.perf_counter()
    threads = [threading.Thread(target=student, args=(i,)) for i in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    cpu = cpu_seconds(worker_pids(pool)) - cpu_before
    times = sorted(latencies.values())
    median, worst = statistics.median(times), max(times)
    print(f"{sessions} concurrent sessions, distinct 2 × {replications} what-ifs: answered "
          f"{len(times)} of {sessions} ({len(errors)} errors); median {median:.1f} s, "
          f"max {worst:.1f} s, all done in {wall:.1f} s")
    met_median = "met" if median <= TARGET_MEDIAN else "NOT met"
    met_max = "met" if worst <= TARGET_MAX else "NOT met"
    print(f"  targets: median ≤ {TARGET_MEDIAN:.0f} s {met_median}, none over "
          f"{TARGET_MAX:.0f} s {met_max}")
    print(f"  worker CPU {cpu:.1f} s in all = {cpu / sessions:.2f} s per ensemble "
          f"({pool.workers} workers; A shared by all, so {sessions + 1} distinct sides)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{os.cpu_count()} cores")
    pool = SharedPool(cache=MemoryCache(4000))
    try:
        alone(pool, args.replications)
        class_of(pool, args.sessions, args.replications)
    finally:
        pool.shutdown()
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
