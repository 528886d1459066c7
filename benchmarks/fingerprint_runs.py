"""Fingerprint of a seeded sample of runs, to check that a speed-up changed no number.

For every shipped scenario (scenarios/*.yaml), every arm, the first and last design point and
two replications, with series and events on, hashes the summary, costs, series and events of
``run_one`` (SHA-256 of their exact bytes; floats by their IEEE bits). Prints one line per
scenario and the overall digest; ``--check FILE`` compares with a digest file written earlier
by ``--write FILE`` (a developer's tool: tests compare engines within one run, never against
stored hashes).

Run: ``.venv/bin/python benchmarks/fingerprint_runs.py [--write F | --check F]``.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from impl_sim.experiment.runner import RunResult, run_task, scenario_tasks
from impl_sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
REPLICATIONS = (0, 1)


def result_digest(result: RunResult) -> str:
    """SHA-256 of a run's summary, costs, series and events (exact bytes)."""
    h = hashlib.sha256()
    for name in sorted(result.summary):
        h.update(name.encode())
        h.update(np.float64(result.summary[name]).tobytes())
    for name in sorted(result.costs):
        h.update(name.encode())
        h.update(np.float64(result.costs[name]).tobytes())
    for table in (result.series or {}, result.events or {}):
        for name in sorted(table):
            arr = np.asarray(table[name])
            h.update(name.encode())
            h.update(str(arr.dtype).encode() + str(arr.shape).encode())
            h.update(arr.tobytes() if arr.dtype != object else repr(arr.tolist()).encode())
    return h.hexdigest()


def sample_tasks(path: Path) -> list:
    """Every arm × first/last design point × replications 0 and 1, series and events on."""
    tasks = scenario_tasks(load_scenario(path))
    points = sorted({t.point for t in tasks})
    keep = {points[0], points[-1]}
    from dataclasses import replace
    return [replace(t, keep_series=True, keep_events=True) for t in tasks
            if t.point in keep and t.replication in REPLICATIONS]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path)
    parser.add_argument("--check", type=Path)
    args = parser.parse_args()
    lines = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        h = hashlib.sha256()
        tasks = sample_tasks(path)
        for task in tasks:
            h.update(result_digest(run_task(task)[1]).encode())
        lines.append(f"{path.stem} {len(tasks)} {h.hexdigest()}")
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.write:
        args.write.write_text(text)
    if args.check:
        expected = args.check.read_text()
        if expected != text:
            print("DIFFERENT from", args.check)
            return 1
        print("identical to", args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
