"""Time and memory to refuse each bad file of the test corpus (tests/cli/bad_file_corpus.py),
as a user meets it: one ``impl-sim`` process per file, one after another. Prints the slowest
cases and the largest peak RSS; the target is every file within 2 s and 200 MiB.

    .venv/bin/python benchmarks/bench_bad_files.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "cli"))

from bad_file_corpus import CORPUS, GOOD, REFERENCE  # noqa: E402


def refuse(args: list[str]) -> tuple[int, float, float]:
    """Exit code, wall seconds and peak RSS (MiB) of one ``impl-sim`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "impl_sim", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024


def main() -> None:
    import yaml

    from impl_sim.experiment.runner import run_scenario
    from impl_sim.scenario.loader import parse_scenario

    print(f"cores: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        scenario = parse_scenario(yaml.safe_load(GOOD), "good.yaml")
        REFERENCE["dir"] = run_scenario(scenario, out=Path(tmp) / "reference").directory
        rows = []
        for i, case in enumerate(CORPUS):
            folder = Path(tmp) / f"case{i}"
            folder.mkdir()
            code, wall, rss = refuse(case.make(folder))
            rows.append((wall, rss, code, case.kind))
    rows.sort(reverse=True)
    print(f"{len(rows)} bad files; exit codes: {sorted({r[2] for r in rows})}")
    print("slowest:")
    for wall, rss, code, kind in rows[:8]:
        print(f"  {wall:5.2f} s  {rss:6.0f} MiB  exit {code}  {kind}")
    print(f"largest peak RSS: {max(r[1] for r in rows):.0f} MiB; "
          f"median time {sorted(r[0] for r in rows)[len(rows) // 2]:.2f} s; "
          f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
